package pavetest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/pave-go/pave"
)

// Hotspots messages (the fake's choices where PAVE documents none).
const (
	msgHotspotUploaded = "Photo URL has been successfully uploaded."
	msgUnknownLabel    = "Unknown photo label."
	msgInvalidPhotoURL = "Invalid photo URL."
)

type hotspotUploadBody struct {
	Photos []pave.HotspotPhoto `json:"photos"`
}

func (b *hotspotUploadBody) check() *requestError {
	if len(b.Photos) == 0 {
		return &requestError{Message: msgMissingFields}
	}
	return nil
}

type hotspotUploadJSON struct {
	Data []pave.HotspotUpload `json:"data"`
}

type coordsJSON struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

type hotspotDamageJSON struct {
	DamageGroup  string     `json:"damage_group"`
	Component    string     `json:"component"`
	DamageName   string     `json:"damage_name"`
	Description  string     `json:"description"`
	Tolerance    string     `json:"tolerance"`
	RepairMethod string     `json:"repair_method"`
	Coodrs       coordsJSON `json:"coodrs"`
	// CroppedImageURL is sent only with Options.HotspotsCroppedImages.
	CroppedImageURL string `json:"cropped_image_url,omitempty"`
}

type hotspotPhotoJSON struct {
	PhotoCode      int                 `json:"photo_code"`
	PhotoLabel     string              `json:"photo_label"`
	URL            string              `json:"url"`
	InspectionData []hotspotDamageJSON `json:"inspection_data"`
}

type hotspotResultsJSON struct {
	Success bool               `json:"success"`
	Message string             `json:"message"`
	Data    []hotspotPhotoJSON `json:"data"`
}

// validHTTPURL: an absolute http or https URL with a host.
func validHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (s *Server) handleHotspotUpload(w http.ResponseWriter, q *apiRequest, sess *session) {
	b := readJSON[hotspotUploadBody](w, q.body)
	if b == nil {
		return
	}
	out := hotspotUploadJSON{Data: make([]pave.HotspotUpload, 0, len(b.Photos))}
	accepted := 0
	for _, p := range b.Photos {
		item := pave.HotspotUpload{PhotoLabel: p.PhotoLabel, URL: p.URL, Success: true, Message: msgHotspotUploaded}
		code := p.PhotoLabel.Code()
		switch {
		case strings.TrimSpace(string(p.PhotoLabel)) == "" || strings.TrimSpace(p.URL) == "":
			item.Success, item.Message = false, msgMissingFields
		case code == 0:
			item.Success, item.Message = false, msgUnknownLabel
		case !validHTTPURL(p.URL):
			item.Success, item.Message = false, msgInvalidPhotoURL
		default:
			accepted++
			sess.hotspotPhotos = slices.DeleteFunc(sess.hotspotPhotos, func(h pave.HotspotPhoto) bool {
				return h.PhotoLabel == code.Label()
			})
			sess.hotspotPhotos = append(sess.hotspotPhotos, pave.HotspotPhoto{PhotoLabel: code.Label(), URL: p.URL})
		}
		out.Data = append(out.Data, item)
	}
	if accepted > 0 {
		sess.hotspotResults = nil
		if s.opts.HotspotsAutoProcess {
			s.processHotspotsLocked(sess)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleHotspotResults(w http.ResponseWriter, _ *apiRequest, sess *session) {
	if sess.hotspotResults == nil {
		writeJSON(w, http.StatusOK, hotspotResultsJSON{Success: false, Message: msgNotCompleted, Data: []hotspotPhotoJSON{}})
		return
	}
	writeJSON(w, http.StatusOK, sess.hotspotResults)
}

// processHotspotsLocked generates damages with percentage coordinates for
// each uploaded photo, deterministically from the seed, key, label and URL.
func (s *Server) processHotspotsLocked(sess *session) {
	photos := slices.Clone(sess.hotspotPhotos)
	sort.Slice(photos, func(i, j int) bool { return photos[i].PhotoLabel.Code() < photos[j].PhotoLabel.Code() })
	res := hotspotResultsJSON{Success: true, Data: []hotspotPhotoJSON{}}
	total := 0
	for _, p := range photos {
		r := newRand(s.opts.Seed, sess.key, "hotspots", string(p.PhotoLabel), p.URL)
		visible := visibleFrom(p.PhotoLabel.Code())
		n := r.IntN(4)
		if n == 0 || len(visible) == 0 {
			continue // a view that shows no panel (VIN, interior, cluster) shows no damage
		}
		entry := hotspotPhotoJSON{PhotoCode: int(p.PhotoLabel.Code()), PhotoLabel: string(p.PhotoLabel), URL: p.URL}
		for i := range n {
			c, k := randomDamage(r, visible)
			d := hotspotDamageJSON{
				DamageGroup: c.group, Component: c.code, DamageName: k.name, Description: k.description,
				Tolerance: k.tolerance, RepairMethod: k.repair,
				Coodrs: coordsJSON{X: round(5+r.Float64()*90, 2), Y: round(5+r.Float64()*90, 2)},
			}
			if s.opts.HotspotsCroppedImages {
				d.CroppedImageURL = fmt.Sprintf("https://images-cdn.paveapi.com/hotspots/%s/%s_%02d_crop%d.jpg",
					sess.key, sess.key, p.PhotoLabel.Code(), i+1)
			}
			entry.InspectionData = append(entry.InspectionData, d)
		}
		total += n
		res.Data = append(res.Data, entry)
	}
	if total == 1 {
		res.Message = "1 damage found on the vehicle."
	} else {
		res.Message = fmt.Sprintf("%d damages found on the vehicle.", total)
	}
	sess.hotspotResults, _ = marshal(res)
}

// ProcessHotspots finishes the Hotspots analysis of the photos uploaded to
// a session so far: GET /v1/hotspots/{key} then returns damages with
// coordinates instead of "Session is not yet completed.". It fails when no
// photo has been uploaded. (With Options.HotspotsAutoProcess every upload
// is processed at once.)
func (s *Server) ProcessHotspots(key string) error {
	return s.control(key, func(sess *session) ([]pendingDelivery, error) {
		if len(sess.hotspotPhotos) == 0 {
			return nil, fmt.Errorf("%w: no Hotspots photos uploaded to session %s", ErrInvalidTransition, key)
		}
		s.processHotspotsLocked(sess)
		return nil, nil
	})
}
