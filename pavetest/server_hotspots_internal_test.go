package pavetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/pave-go/pave"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hotspotUpload = `{"photos":[
	{"photo_label":"VIN","url":"https://cdn.spinco.example/veh/9981/vin.jpg"},
	{"photo_label":"Left","url":"https://cdn.spinco.example/veh/9981/left.jpg"},
	{"photo_label":"Front_Left","url":"https://cdn.spinco.example/veh/9981/fl.jpg"},
	{"photo_label":"Rear","url":"https://cdn.spinco.example/veh/9981/rear.jpg"},
	{"photo_label":"Tires","url":"https://cdn.spinco.example/veh/9981/tires.jpg"},
	{"photo_label":"Roof","url":"https://cdn.spinco.example/veh/9981/roof.jpg"},
	{"photo_label":"Front","url":"ftp://cdn.spinco.example/front.jpg"},
	{"photo_label":"","url":"https://cdn.spinco.example/x.jpg"}
]}`

func TestHotspotsUploadAndResults(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := rawClient(t, srv, srv.Credentials(), nil)
	key := createSession(t, srv.Client(), nil).SessionKey
	upload := srv.URL + "/v1/hotspots/" + key + "/photos-url"
	results := srv.URL + "/v1/hotspots/" + key

	status, body := call(t, hc, http.MethodPost, srv.URL+"/v1/hotspots/NOP-0000000000/photos-url", hotspotUpload, nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"message":"Session NOP-0000000000 cannot be found."}`, string(body))
	for _, empty := range []string{`{}`, `{"photos":[]}`, ``} {
		status, body = call(t, hc, http.MethodPost, upload, empty, nil)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"message":"Missing required fields."}`, string(body))
	}

	err := srv.ProcessHotspots(key)
	require.ErrorIs(t, err, ErrInvalidTransition, "nothing uploaded yet")

	status, body = call(t, hc, http.MethodPost, upload, hotspotUpload, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	data := jsonMap(t, body)["data"].([]any)
	require.Len(t, data, 8)
	wantOK := []bool{true, true, true, true, true, false, false, false}
	for i, d := range data {
		item := d.(map[string]any)
		assert.Equal(t, wantOK[i], item["success"], "item %d", i)
		if wantOK[i] {
			assert.Equal(t, "Photo URL has been successfully uploaded.", item["message"])
		} else {
			assert.NotEmpty(t, item["message"])
		}
	}

	status, body = call(t, hc, http.MethodGet, results, nil, nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"success":false,"message":"Session is not yet completed.","data":[]}`, string(body))

	require.NoError(t, srv.ProcessHotspots(key))
	status, body = call(t, hc, http.MethodGet, results, nil, nil)
	require.Equal(t, http.StatusOK, status)
	m := jsonMap(t, body)
	assert.Equal(t, true, m["success"])
	assert.Regexp(t, `^\d+ damages? found on the vehicle\.$`, m["message"])
	for _, d := range m["data"].([]any) {
		photo := d.(map[string]any)
		assert.Contains(t, []any{"VIN", "Left", "Front_Left", "Rear", "Tires"}, photo["photo_label"])
		assert.NotZero(t, photo["photo_code"])
		for _, dm := range photo["inspection_data"].([]any) {
			dmg := dm.(map[string]any)
			for _, f := range []string{"damage_group", "component", "damage_name", "description", "tolerance", "repair_method"} {
				assert.NotEmpty(t, dmg[f], f)
			}
			xy := dmg["coodrs"].(map[string]any)
			assert.GreaterOrEqual(t, xy["x"].(float64), 0.0)
			assert.LessOrEqual(t, xy["y"].(float64), 100.0)
		}
	}

	// Processing is deterministic for the same photos.
	first := body
	require.NoError(t, srv.ProcessHotspots(key))
	_, again := call(t, hc, http.MethodGet, results, nil, nil)
	assert.JSONEq(t, string(first), string(again))

	// Another account cannot see them.
	err = srv.ProcessHotspots("NOP-0000000000")
	assert.True(t, errors.Is(err, ErrSessionNotFound))
}

func TestHotspotsAutoProcess(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithHotspotsAutoProcess(), WithSeed(7))
	hc := rawClient(t, srv, srv.Credentials(), nil)
	key := createSession(t, srv.Client(), nil).SessionKey
	status, _ := call(t, hc, http.MethodPost, srv.URL+"/v1/hotspots/"+key+"/photos-url", hotspotUpload, nil)
	require.Equal(t, http.StatusOK, status)
	status, body := call(t, hc, http.MethodGet, srv.URL+"/v1/hotspots/"+key, nil, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, jsonMap(t, body)["success"])
}

// A damage is found only on a photo whose view shows its component: none
// on the VIN, interior or cluster photo, no bumper on a side view. The
// cropped-image field PAVE promises (without a name) appears only when asked.
func TestHotspotsDamagesFitTheView(t *testing.T) {
	t.Parallel()
	for _, cropped := range []bool{false, true} {
		t.Run(fmt.Sprint("cropped=", cropped), func(t *testing.T) {
			t.Parallel()
			srv := NewServer(t, WithHotspotsAutoProcess(), func(o *Options) { o.HotspotsCroppedImages = cropped })
			c := srv.Client()
			total := 0
			for seed := range 12 {
				key := createSession(t, c, nil).SessionKey
				var photos []pave.HotspotPhoto
				for _, code := range pave.CaptureOrder() {
					photos = append(photos, pave.HotspotPhoto{PhotoLabel: code.Label(),
						URL: fmt.Sprintf("https://cdn.spinco.example/veh/%d/%02d.jpg", seed, code)})
				}
				_, err := c.Hotspots.UploadPhotos(context.Background(), key, photos)
				require.NoError(t, err)
				res, err := c.Hotspots.Results(context.Background(), key)
				require.NoError(t, err)
				for _, p := range res.Photos {
					visible := visibleFrom(p.PhotoCode)
					require.NotEmpty(t, visible, "damages on %s, which shows no panel", p.PhotoLabel)
					for _, d := range p.Damages {
						total++
						assert.True(t, slices.ContainsFunc(visible, func(c component) bool { return c.code == d.Component }),
							"%s on the %s photo", d.Component, p.PhotoLabel)
						if cropped {
							assert.Regexp(t, `^https://`, d.CroppedImageURL)
						} else {
							assert.Empty(t, d.CroppedImageURL)
							assert.NotContains(t, string(res.Raw()), "cropped")
						}
					}
				}
			}
			assert.Positive(t, total, "some damages were found")
		})
	}
}
