package pave

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/pave-go/pave/internal/endpoint"
	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/internal/transport"
	"github.com/pave-go/pave/internal/wire"
)

// HotspotsService is the Hotspots API (/v1/hotspots). Get it from
// Client.Hotspots.
//
// Hotspots analyses photos you already have (a 360-spin rig's, say): create
// a session, submit one photo URL per standard view, then fetch the damages
// found on each photo with their position in the image. PAVE lists only
// API-Key for the two Hotspots endpoints; the client sends the full
// signature anyway, which is harmless.
type HotspotsService struct {
	c *Client
}

// String describes the service by its client, without any credential.
func (s *HotspotsService) String() string { return "pave.HotspotsService{" + s.c.describe() + "}" }

// Format prints String for every verb.
func (s *HotspotsService) Format(f fmt.State, verb rune) { redact.Print(f, verb, s.String()) }

// HotspotPhoto is one photo submitted to Hotspots: a standard view label
// (exact case, e.g. LabelFrontLeft = "Front_Left") and a publicly fetchable
// http(s) URL of the image.
type HotspotPhoto struct {
	PhotoLabel PhotoLabel `json:"photo_label"`
	URL        string     `json:"url"`
}

// HotspotUpload is PAVE's answer for one submitted photo. Success is false
// when PAVE refused that photo, with the reason in Message; an answer
// without a success flag counts as refused, since nothing confirms it.
type HotspotUpload struct {
	PhotoLabel PhotoLabel `json:"photo_label"`
	URL        string     `json:"url"`
	Success    bool       `json:"success"`
	Message    string     `json:"message,omitempty"`
}

// UnmarshalJSON decodes an upload result leniently: success may be a
// boolean or a string such as "true", and a non-string where a string is
// expected is kept as its JSON text.
func (u *HotspotUpload) UnmarshalJSON(b []byte) error {
	type plain HotspotUpload
	*u = HotspotUpload{}
	return wire.Decode(b, (*plain)(u))
}

// FailedUploads returns the uploads PAVE refused (Success false), in order,
// or nil when every photo was accepted.
func FailedUploads(uploads []HotspotUpload) []HotspotUpload {
	var out []HotspotUpload
	for _, u := range uploads {
		if !u.Success {
			out = append(out, u)
		}
	}
	return out
}

// CreateSession creates the session the photos are submitted to. Hotspots
// uses the ordinary session endpoint (POST /v1/sessions), so this is
// Client.Sessions.Create; a VIN in req.Vehicle is optional.
func (s *HotspotsService) CreateSession(ctx context.Context, req *CreateSessionRequest, opts ...CallOption) (*Session, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	return s.c.Sessions.Create(ctx, req)
}

// UploadPhotos submits photo URLs to a Hotspots session (POST
// /v1/hotspots/{key}/photos-url) and returns PAVE's answer for each photo.
//
// The request is checked first, without any network call: at least one
// photo, each with one of the 13 standard labels (PhotoLabel.Known, in any
// case: "front_left" is sent as Front_Left), no view twice, and an absolute
// http or https URL. photos itself is not modified. A
// *ValidationError names each problem with paths such as
// "photos[2].photo_label" and "photos[2].url".
//
// A photo PAVE refuses is not an error: it comes back with Success false and
// PAVE's reason in Message (see FailedUploads). A refusal of the whole
// request is an error: an *APIError for a non-2xx status, and also for a 200
// whose body is {"success": false, "message": ...} without per-photo
// results (that *APIError has StatusCode 200 and PAVE's Message).
//
// Like every POST, UploadPhotos is retried only when PAVE provably did not
// process it (connection refused, 429).
func (s *HotspotsService) UploadPhotos(ctx context.Context, key string, photos []HotspotPhoto, opts ...CallOption) ([]HotspotUpload, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	const op = "Hotspots.UploadPhotos"
	fe := fieldErrors{}
	if msg := validateSessionKey(key); msg != "" {
		fe.add("session_key", msg)
	}
	photos = normalHotspotPhotos(photos)
	validateHotspotPhotos(fe, photos)
	if err := fe.err(op); err != nil {
		return nil, err
	}
	cl := newCall(endpoint.UploadHotspotPhotos, hotspotUploadRequest{Photos: photos}, key)
	var out []HotspotUpload
	err = s.c.do(ctx, cl, func(res *transport.Result) error {
		list, failed, err := decodeHotspotUploads(res.Body)
		switch {
		case err != nil:
			return badResponse(cl, res, err)
		case failed != nil:
			return s.c.apiError(cl, res, *failed)
		}
		out = list
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type hotspotUploadRequest struct {
	Photos []HotspotPhoto `json:"photos"`
}

// decodeHotspotUploads reads the per-photo results: a list, or an object
// holding it under "data" (documented) or "photos". failed is set, to
// PAVE's message, when the object says "success": false and lists nothing.
func decodeHotspotUploads(body []byte) (out []HotspotUpload, failed *string, err error) {
	list := wire.Unwrap(body, "data", "photos")
	if len(list) == 0 {
		return nil, nil, errors.New("empty response body")
	}
	if wrapped := len(list) != len(wire.Trim(body)); wrapped && list[0] != '[' {
		return nil, nil, errors.New(`decoding response: "data" is not a list`)
	}
	if list[0] == '[' {
		if err := json.Unmarshal(list, &out); err != nil {
			return nil, nil, fmt.Errorf("decoding response: %w", err)
		}
		return out, nil, nil
	}
	var env struct {
		Success *bool  `json:"success"`
		Message string `json:"message"`
	}
	if list[0] != '{' || wire.Decode(list, &env) != nil {
		return nil, nil, errors.New("decoding response: expected a JSON object or list")
	}
	if env.Success != nil && !*env.Success {
		return nil, &env.Message, nil
	}
	return nil, nil, nil
}

// normalHotspotPhotos returns photos with each known label in its
// documented case, copying the slice only when a label changes.
func normalHotspotPhotos(photos []HotspotPhoto) []HotspotPhoto {
	var out []HotspotPhoto
	for i, p := range photos {
		l := p.PhotoLabel.Code().Label()
		if l == "" || l == p.PhotoLabel {
			continue
		}
		if out == nil {
			out = slices.Clone(photos)
		}
		out[i].PhotoLabel = l
	}
	if out == nil {
		return photos
	}
	return out
}

func validateHotspotPhotos(fe fieldErrors, photos []HotspotPhoto) {
	if len(photos) == 0 {
		fe.add("photos", "at least one photo is required")
		return
	}
	seen := make(map[PhotoLabel]int, len(photos))
	for i, p := range photos {
		prefix := "photos[" + strconv.Itoa(i) + "]"
		switch {
		case p.PhotoLabel == "":
			fe.add(prefix+".photo_label", "photo_label is required")
		case !p.PhotoLabel.Known():
			fe.add(prefix+".photo_label", "photo_label "+quote(string(p.PhotoLabel))+" is not a standard view label ("+knownLabelList()+")")
		default:
			if j, dup := seen[p.PhotoLabel]; dup {
				fe.add(prefix+".photo_label", "photo_label "+quote(string(p.PhotoLabel))+" is already used by photos["+strconv.Itoa(j)+"]")
			} else {
				seen[p.PhotoLabel] = i
			}
		}
		switch {
		case p.URL == "":
			fe.add(prefix+".url", "url is required")
		case !validPhotoURL(p.URL):
			fe.add(prefix+".url", "url must be an absolute http or https URL")
		}
	}
}

func knownLabelList() string {
	names := make([]string, 0, len(photoLabels)-1)
	for _, l := range photoLabels[1:] {
		names = append(names, string(l))
	}
	return strings.Join(names, ", ")
}

// validPhotoURL: an absolute http(s) URL with a host and no white space.
func validPhotoURL(raw string) bool {
	if strings.ContainsFunc(raw, unicode.IsSpace) || strings.ContainsFunc(raw, unicode.IsControl) {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return u.Hostname() != ""
}

// Results returns the damages Hotspots found on each photo (GET
// /v1/hotspots/{key}).
//
// While PAVE is still analysing the photos it answers 200 with
// {"success": false, "message": "Session is not yet completed."}: Results
// turns that into an *APIError with StatusCode 200 and PAVE's message, which
// matches ErrNotReady, so poll until errors.Is(err, pave.ErrNotReady) is
// false. Any other 200 with "success": false is an *APIError (StatusCode
// 200) too. An unknown session is a 404 matching ErrNotFound.
func (s *HotspotsService) Results(ctx context.Context, key string, opts ...CallOption) (*HotspotResults, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := checkSessionKey("Hotspots.Results", key); err != nil {
		return nil, err
	}
	cl := newCall(endpoint.HotspotResults, nil, key)
	var out *HotspotResults
	err = s.c.do(ctx, cl, func(res *transport.Result) (err error) {
		switch out, err = decodeHotspotResults(res.Body); {
		case err != nil:
			return badResponse(cl, res, err)
		case !out.document:
			// Neither a success flag nor photos: a bare message, or nothing.
			return s.c.messageOnly(cl, res, out.Message)
		case !out.Success:
			return s.c.apiError(cl, res, out.Message)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WaitForResults polls Results until PAVE has analysed the photos of the
// session and returns the damages found on them. While the answer matches
// ErrNotReady it keeps polling, as it does through transient failures that
// outlast the client's own retries (5xx, 429, network); any other error (an
// unknown session's 404, a 401, an unreadable answer matching
// ErrBadResponse, another "success": false) is returned at once. When ctx
// ends it returns an error wrapping ctx's (errors.Is(err,
// context.DeadlineExceeded) works) that says how long it waited and how
// many polls it made.
//
// The key and opts are checked before any request: a bad key is a
// *ValidationError, a bad option an error matching ErrInvalidOption. Polls
// follow the schedule of Sessions.WaitForResults (see PollFirstAfter and
// PollInterval).
//
// A Hotspots analysis typically takes minutes after the photos are
// uploaded: give ctx a deadline.
func (s *HotspotsService) WaitForResults(ctx context.Context, key string, opts ...CallOption) (*HotspotResults, error) {
	if err := checkSessionKey("Hotspots.WaitForResults", key); err != nil {
		return nil, err
	}
	return poll(ctx, "hotspot results of "+key, opts, func(ctx context.Context) (*HotspotResults, bool, error) {
		res, err := s.Results(ctx, key)
		if errors.Is(err, ErrNotReady) {
			return nil, false, nil
		}
		return res, err == nil, err
	})
}

// HotspotResults is the answer of GET /v1/hotspots/{key}: the damages found
// on each submitted photo. The whole document is kept (Raw), so fields PAVE
// adds later stay reachable.
type HotspotResults struct {
	// Success is PAVE's "success" flag. A document without one counts as
	// successful.
	Success bool `json:"success"`
	// Message is PAVE's summary, e.g. "27 damages found on the vehicle."
	Message string `json:"message,omitempty"`
	// Photos are the photos with findings (JSON "data").
	Photos []HotspotPhotoResult `json:"data"`

	raw json.RawMessage
	// document: the body had a success flag or a photo list.
	document bool
}

// Raw returns a copy of the document as received (without surrounding
// white space).
func (r *HotspotResults) Raw() json.RawMessage { return wire.Clone(r.raw) }

// MarshalJSON writes the object as received plus any edit to its fields
// (see Raw).
func (r HotspotResults) MarshalJSON() ([]byte, error) {
	type plain HotspotResults
	return wire.MarshalKept(r.raw, r, func(v HotspotResults) plain { return plain(v) })
}

// DamageCount returns the number of damages on all photos.
func (r *HotspotResults) DamageCount() int {
	if r == nil {
		return 0
	}
	n := 0
	for i := range r.Photos {
		n += len(r.Photos[i].Damages)
	}
	return n
}

// decodeHotspotResults decodes the answer of Results, keeping b (which the
// pipeline owns) as Raw without a copy.
func decodeHotspotResults(b []byte) (*HotspotResults, error) {
	var r HotspotResults
	if err := r.decode(b); err != nil {
		return nil, err
	}
	r.raw = wire.Trim(b)
	return &r, nil
}

// UnmarshalJSON decodes the document leniently (data may also be named
// "photos", and each photo's inspection_data "damages") and keeps a copy of
// it. It never panics, whatever b holds.
func (r *HotspotResults) UnmarshalJSON(b []byte) error {
	if err := r.decode(b); err != nil {
		return err
	}
	r.raw = wire.Keep(b)
	return nil
}

func (r *HotspotResults) decode(b []byte) error {
	var w struct {
		Success *StringBool          `json:"success" wire:"strict"`
		Message string               `json:"message"`
		Photos  []HotspotPhotoResult `json:"data" alt:"photos" wire:"strict"`
	}
	if !wire.IsObject(b) {
		return errors.New("pave: hotspot results: expected a JSON object")
	}
	if err := wire.Decode(b, &w); err != nil {
		return fmt.Errorf("pave: hotspot results: %w", err)
	}
	*r = HotspotResults{Success: w.Success == nil || bool(*w.Success), Message: w.Message, Photos: w.Photos,
		document: w.Success != nil || w.Photos != nil}
	return nil
}

// HotspotPhotoResult is one photo of HotspotResults with the damages found
// on it. When only one of PhotoCode and PhotoLabel is sent, the other is
// filled in (for the 13 standard views).
type HotspotPhotoResult struct {
	PhotoCode  PhotoCode  `json:"photo_code"`
	PhotoLabel PhotoLabel `json:"photo_label,omitempty"`
	URL        string     `json:"url,omitempty"`
	// Damages are the findings on this photo (JSON "inspection_data",
	// or "damages").
	Damages []HotspotDamage `json:"inspection_data" alt:"damages" wire:"strict"`
}

// UnmarshalJSON decodes a photo leniently: photo_code may be a number or a
// string such as "04", and the damages may be under "inspection_data"
// (documented) or "damages".
func (p *HotspotPhotoResult) UnmarshalJSON(b []byte) error {
	type plain HotspotPhotoResult
	*p = HotspotPhotoResult{}
	if err := wire.Decode(b, (*plain)(p)); err != nil {
		return err
	}
	if p.PhotoCode == 0 {
		p.PhotoCode = p.PhotoLabel.Code()
	} else if p.PhotoLabel == "" {
		p.PhotoLabel = p.PhotoCode.Label()
	}
	return nil
}

// HotspotDamage is one damage found on a Hotspots photo. The vocabularies
// are open: compare with strings, expect new values.
type HotspotDamage struct {
	DamageGroup  string `json:"damage_group,omitempty"`
	Component    string `json:"component,omitempty"`
	DamageName   string `json:"damage_name,omitempty"`
	Description  string `json:"description,omitempty"`
	Tolerance    string `json:"tolerance,omitempty"`
	RepairMethod string `json:"repair_method,omitempty"`
	// Coords is where the damage is on the photo, or nil when PAVE sent no
	// readable position. It is read from "coodrs" (sic, as PAVE's example
	// spells it), else "position", else "coords", else "x" and "y" on the
	// damage itself.
	Coords *HotspotCoords `json:"coodrs,omitempty" alt:"position,coords"`
	// CroppedImageURL links to an image cropped around the damage, which
	// PAVE promises without documenting the field: it is read from
	// "cropped_image_url", "cropped_image", "crop_url", "cropped_url" or
	// "image_url", and is "" when none is present.
	CroppedImageURL string `json:"cropped_image_url,omitempty" alt:"cropped_image,crop_url,cropped_url,image_url"`
}

// UnmarshalJSON decodes a damage leniently: string fields accept any
// value (a non-string is kept as its JSON text), and the position is read
// as described on Coords. An unreadable position leaves Coords nil rather
// than failing the document.
func (d *HotspotDamage) UnmarshalJSON(b []byte) error {
	type plain HotspotDamage
	*d = HotspotDamage{}
	if err := wire.Decode(b, (*plain)(d)); err != nil {
		return err
	}
	if c, ok := parseCoords(b); ok && d.Coords == nil {
		d.Coords = &c // x and y on the damage itself
	}
	return nil
}

// HotspotCoords is a position on a photo in percent of its size: X from the
// left edge, Y from the top edge, each normally 0 to 100 (values are passed
// on as sent, not clamped).
type HotspotCoords struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// String formats the position as percentages, e.g. "x 18.2%, y 71.05%".
func (c HotspotCoords) String() string {
	return "x " + strconv.FormatFloat(c.X, 'f', -1, 64) + "%, y " + strconv.FormatFloat(c.Y, 'f', -1, 64) + "%"
}

// UnmarshalJSON accepts {"x": 18.2, "y": 71.05}, the same with numbers as
// strings ("18.2", "18.2%"), or a two-element list [18.2, 71.05]. Both
// coordinates must be present and finite. null leaves c unchanged.
func (c *HotspotCoords) UnmarshalJSON(b []byte) error {
	if wire.IsNull(b) {
		return nil // as encoding/json does for null
	}
	v, ok := parseCoords(b)
	if !ok {
		return fmt.Errorf("pave: unreadable coordinates (%s)", wire.Describe(b))
	}
	*c = v
	return nil
}

func parseCoords(raw json.RawMessage) (HotspotCoords, bool) {
	raw = wire.Trim(raw)
	if len(raw) == 0 {
		return HotspotCoords{}, false
	}
	var xr, yr json.RawMessage
	switch raw[0] {
	case '{':
		var w struct {
			X json.RawMessage `json:"x"`
			Y json.RawMessage `json:"y"`
		}
		if json.Unmarshal(raw, &w) != nil {
			return HotspotCoords{}, false
		}
		xr, yr = w.X, w.Y
	case '[':
		var l []json.RawMessage
		if json.Unmarshal(raw, &l) != nil || len(l) != 2 {
			return HotspotCoords{}, false
		}
		xr, yr = l[0], l[1]
	default:
		return HotspotCoords{}, false
	}
	x, okx := wire.Float(xr)
	y, oky := wire.Float(yr)
	if !okx || !oky {
		return HotspotCoords{}, false
	}
	return HotspotCoords{X: x, Y: y}, true
}
