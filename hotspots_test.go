package pave_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// The worked signing example of docs/pave-api.md: at hsNow these credentials sign with
// hsToken.
var hsCreds = pave.Credentials{
	Username:  "acmemotors",
	APIKey:    "9f2c4e1a-7b3d-4c5e-8f6a-1b2c3d4e5f60",
	APISecret: "s3cr3t-EXAMPLE-only",
}

const (
	hsTimestamp = "2024-03-15T09:30:00Z"
	hsToken     = "fa09a39c3af6f65e0f00076cf74ce7323627a3178f96c97cf0f52a160b1a69c2"
	hsKey       = "SPN-7Q2M9XK4TB"
)

func hsNow() time.Time { return time.Date(2024, 3, 15, 9, 30, 0, 0, time.UTC) }

// hsMockClient returns a client for hsCreds, on the clock of the worked
// example, sending through a fresh pavetest.MockTransport (the kit's fast
// retries, then opts) that answers every request with responders in turn,
// the last one repeating. With no responders nothing answers: any request
// fails, and shows in pavetest.Sent.
func hsMockClient(t *testing.T, opts []pave.Option, responders ...httpmock.Responder) (*pave.Client, *pavetest.MockTransport) {
	t.Helper()
	mt := pavetest.NewMockTransport()
	if len(responders) > 0 {
		mt.RegisterNoResponder(sequence(responders...))
	}
	c, err := mt.NewClient(hsCreds, append([]pave.Option{pave.WithClock(hsNow)}, opts...)...)
	require.NoError(t, err)
	return c, mt
}

// hsAssertSigned checks the signing headers: signed for hsCreds
// (pavetest.AssertSigned), and at hsNow exactly the worked example's
// timestamp and token.
func hsAssertSigned(t *testing.T, h http.Header) {
	t.Helper()
	pavetest.AssertSigned(t, h, hsCreds)
	assert.Equal(t, []string{hsTimestamp}, headerValues(h, "API-Timestamp"))
	assert.Equal(t, []string{hsToken}, headerValues(h, "API-Token"))
}

var hsPhotos = []pave.HotspotPhoto{
	{PhotoLabel: pave.LabelVIN, URL: "https://cdn.spin360.example/lot7/3310/vin.jpg"},
	{PhotoLabel: pave.LabelLeft, URL: "https://cdn.spin360.example/lot7/3310/left.jpg"},
	{PhotoLabel: pave.LabelFront, URL: "https://cdn.spin360.example/lot7/3310/front.jpg"},
}

func TestHotspotsUploadPhotosRequest(t *testing.T) {
	t.Parallel()
	c, mt := hsMockClient(t, nil, httpmock.NewStringResponder(200, string(pavetest.MustFixture(t, "hotspots_upload.json"))))

	ups, err := c.Hotspots.UploadPhotos(context.Background(), hsKey, hsPhotos)
	require.NoError(t, err)

	reqs := pavetest.Sent(mt)
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/v1/hotspots/SPN-7Q2M9XK4TB/photos-url", r.EscapedPath)
	hsAssertSigned(t, r.Header)
	assert.Equal(t, []string{"application/json"}, headerValues(r.Header, "Content-Type"))
	assert.Empty(t, headerValues(r.Header, "API-Access-Token"))
	assert.JSONEq(t, `{"photos": [
		{"photo_label": "VIN", "url": "https://cdn.spin360.example/lot7/3310/vin.jpg"},
		{"photo_label": "Left", "url": "https://cdn.spin360.example/lot7/3310/left.jpg"},
		{"photo_label": "Front", "url": "https://cdn.spin360.example/lot7/3310/front.jpg"}]}`, string(r.Body))

	require.Len(t, ups, 3)
	assert.Equal(t, pave.HotspotUpload{
		PhotoLabel: pave.LabelVIN, URL: "https://cdn.spin360.example/lot7/3310/vin.jpg",
		Success: true, Message: "Photo URL has been successfully uploaded.",
	}, ups[0])
	failed := pave.FailedUploads(ups)
	require.Len(t, failed, 1)
	assert.Equal(t, pave.LabelFront, failed[0].PhotoLabel)
	assert.Equal(t, "Photo URL could not be fetched.", failed[0].Message)
	assert.Nil(t, pave.FailedUploads(ups[:2]))
}

func TestHotspotsUploadPhotosEscapesKey(t *testing.T) {
	t.Parallel()
	c, mt := hsMockClient(t, nil, httpmock.NewStringResponder(200, `{"data": []}`))
	_, err := c.Hotspots.UploadPhotos(context.Background(), "AB C%?#", hsPhotos[:1])
	require.NoError(t, err)
	require.Len(t, pavetest.Sent(mt), 1)
	assert.Equal(t, "/v1/hotspots/AB%20C%25%3F%23/photos-url", pavetest.Sent(mt)[0].EscapedPath)
}

func TestHotspotsUploadPhotosAllLabels(t *testing.T) {
	t.Parallel()
	c, mt := hsMockClient(t, nil, httpmock.NewStringResponder(200, `{"data": []}`))
	var photos []pave.HotspotPhoto
	for _, code := range pave.CaptureOrder() {
		photos = append(photos, pave.HotspotPhoto{PhotoLabel: code.Label(), URL: "http://cdn.example/" + string(code.Label()) + ".jpg"})
	}
	_, err := c.Hotspots.UploadPhotos(context.Background(), hsKey, photos)
	require.NoError(t, err)
	require.Len(t, pavetest.Sent(mt), 1)
	var sent struct {
		Photos []pave.HotspotPhoto `json:"photos"`
	}
	require.NoError(t, json.Unmarshal(pavetest.Sent(mt)[0].Body, &sent))
	assert.Equal(t, photos, sent.Photos)
}

func TestHotspotsUploadPhotosResponses(t *testing.T) {
	t.Parallel()
	one := `{"photo_label": "VIN", "url": "https://cdn.spin360.example/lot7/3310/vin.jpg", "success": true, "message": "ok"}`
	okUpload := pave.HotspotUpload{PhotoLabel: pave.LabelVIN, URL: "https://cdn.spin360.example/lot7/3310/vin.jpg", Success: true, Message: "ok"}
	tests := []struct {
		name       string
		status     int
		body       string
		want       []pave.HotspotUpload
		wantStatus int // an *APIError with this status
		wantMsg    string
		is         []error
		bad        bool // ErrBadResponse
	}{
		{name: "documented data", status: 200, body: `{"data": [` + one + `]}`, want: []pave.HotspotUpload{okUpload}},
		{name: "bare list", status: 200, body: `[` + one + `]`, want: []pave.HotspotUpload{okUpload}},
		{name: "photos key", status: 201, body: `{"success": true, "photos": [` + one + `]}`, want: []pave.HotspotUpload{okUpload}},
		{name: "lenient item", status: 200, body: `{"data": [{"photo_label": "VIN", "url": "u", "success": "false", "message": 7}]}`,
			want: []pave.HotspotUpload{{PhotoLabel: pave.LabelVIN, URL: "u", Success: false, Message: "7"}}},
		{name: "success without list", status: 200, body: `{"success": true, "message": "queued"}`, want: nil},
		{name: "refused with 200", status: 200, body: `{"success": false, "message": "Hotspots is not enabled for this API key."}`,
			wantStatus: 200, wantMsg: "Hotspots is not enabled for this API key."},
		{name: "refused with 200 no message", status: 200, body: `{"success": false}`, wantStatus: 200, wantMsg: "success is false"},
		{name: "unknown session", status: 404, body: `{"message": "Session SPN-7Q2M9XK4TB cannot be found."}`,
			wantStatus: 404, wantMsg: "Session SPN-7Q2M9XK4TB cannot be found.", is: []error{pave.ErrNotFound}},
		{name: "missing fields", status: 400, body: `{"message": "Missing required fields."}`, wantStatus: 400, wantMsg: "Missing required fields."},
		{name: "empty body", status: 200, body: ``, bad: true},
		{name: "html", status: 200, body: `<html>hi</html>`, bad: true},
		{name: "data not a list", status: 200, body: `{"data": {"a": 1}}`, bad: true},
		{name: "truncated json", status: 200, body: `{"data": [`, bad: true},
		{name: "item not an object", status: 200, body: `{"data": ["VIN"]}`, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, nil, httpmock.NewStringResponder(tt.status, tt.body))
			got, err := c.Hotspots.UploadPhotos(context.Background(), hsKey, hsPhotos[:1])
			assert.Len(t, pavetest.Sent(mt), 1, "a POST is sent once")
			switch {
			case tt.bad:
				require.Error(t, err)
				assert.ErrorIs(t, err, pave.ErrBadResponse)
				var re *pave.RequestError
				assert.ErrorAs(t, err, &re)
			case tt.wantStatus != 0:
				require.Error(t, err)
				var apiErr *pave.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.wantStatus, apiErr.StatusCode)
				assert.Equal(t, tt.wantMsg, apiErr.Message)
				assert.Equal(t, "/v1/hotspots/SPN-7Q2M9XK4TB/photos-url", apiErr.Path)
				assert.Equal(t, http.MethodPost, apiErr.Method)
				for _, target := range tt.is {
					assert.ErrorIs(t, err, target)
				}
				assert.NotErrorIs(t, err, pave.ErrNotReady)
			default:
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestHotspotsUploadPhotosRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		first     httpmock.Responder
		wantCalls int
		wantErr   bool
	}{
		{name: "429 is retried", first: httpmock.NewStringResponder(429, `{"message": "Too Many Requests."}`), wantCalls: 2},
		{name: "503 is not retried", first: httpmock.NewStringResponder(503, `{"message": "down"}`), wantCalls: 1, wantErr: true},
		{name: "500 is not retried", first: httpmock.NewStringResponder(500, `oops`), wantCalls: 1, wantErr: true},
		{name: "dropped connection is not retried", first: httpmock.ConnectionFailure, wantCalls: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, nil, tt.first, httpmock.NewStringResponder(200, `{"data": []}`))
			_, err := c.Hotspots.UploadPhotos(context.Background(), hsKey, hsPhotos)
			assert.Len(t, pavetest.Sent(mt), tt.wantCalls)
			if tt.wantErr {
				assert.Error(t, err)
			} else {
				assert.NoError(t, err)
			}
		})
	}
}

func TestHotspotsUploadPhotosValidation(t *testing.T) {
	t.Parallel()
	good := "https://cdn.spin360.example/a.jpg"
	tests := []struct {
		name   string
		key    string
		photos []pave.HotspotPhoto
		want   map[string]string // field -> substring of its message
	}{
		{name: "nil photos", key: hsKey, photos: nil, want: map[string]string{"photos": "at least one photo"}},
		{name: "empty photos", key: hsKey, photos: []pave.HotspotPhoto{}, want: map[string]string{"photos": "at least one photo"}},
		{name: "empty label", key: hsKey, photos: []pave.HotspotPhoto{{URL: good}},
			want: map[string]string{"photos[0].photo_label": "photo_label is required"}},
		{name: "one view twice in two cases", key: hsKey, photos: []pave.HotspotPhoto{
			{PhotoLabel: "front_left", URL: good}, {PhotoLabel: pave.LabelFrontLeft, URL: good}},
			want: map[string]string{"photos[1].photo_label": "already used by photos[0]"}},
		{name: "unknown label", key: hsKey, photos: []pave.HotspotPhoto{{PhotoLabel: "Roof", URL: good}},
			want: map[string]string{"photos[0].photo_label": "not a standard view label (VIN, Interior,"}},
		{name: "duplicate label", key: hsKey, photos: []pave.HotspotPhoto{
			{PhotoLabel: pave.LabelLeft, URL: good}, {PhotoLabel: pave.LabelVIN, URL: good}, {PhotoLabel: pave.LabelLeft, URL: good}},
			want: map[string]string{"photos[2].photo_label": "already used by photos[0]"}},
		{name: "empty url", key: hsKey, photos: []pave.HotspotPhoto{{PhotoLabel: pave.LabelVIN}},
			want: map[string]string{"photos[0].url": "url is required"}},
		{name: "relative url", key: hsKey, photos: []pave.HotspotPhoto{{PhotoLabel: pave.LabelVIN, URL: "/img/vin.jpg"}},
			want: map[string]string{"photos[0].url": "absolute http or https"}},
		{name: "ftp url", key: hsKey, photos: []pave.HotspotPhoto{{PhotoLabel: pave.LabelVIN, URL: "ftp://cdn.example/vin.jpg"}},
			want: map[string]string{"photos[0].url": "absolute http or https"}},
		{name: "no host", key: hsKey, photos: []pave.HotspotPhoto{{PhotoLabel: pave.LabelVIN, URL: "https:///vin.jpg"}},
			want: map[string]string{"photos[0].url": "absolute http or https"}},
		{name: "space in url", key: hsKey, photos: []pave.HotspotPhoto{{PhotoLabel: pave.LabelVIN, URL: "https://cdn.example/a b.jpg"}},
			want: map[string]string{"photos[0].url": "absolute http or https"}},
		{name: "control char in url", key: hsKey, photos: []pave.HotspotPhoto{{PhotoLabel: pave.LabelVIN, URL: "https://cdn.example/a\x00.jpg"}},
			want: map[string]string{"photos[0].url": "absolute http or https"}},
		{name: "bad key", key: "a/b", photos: hsPhotos, want: map[string]string{"session_key": "must not contain '/'"}},
		{name: "empty key and everything wrong", key: " ", photos: []pave.HotspotPhoto{
			{PhotoLabel: pave.LabelVIN, URL: good}, {PhotoLabel: "Tyres", URL: "cdn.example/t.jpg"}, {PhotoLabel: pave.LabelVIN}},
			want: map[string]string{
				"session_key":           "session key is empty",
				"photos[1].photo_label": `"Tyres" is not a standard view label`,
				"photos[1].url":         "absolute http or https",
				"photos[2].photo_label": "already used by photos[0]",
				"photos[2].url":         "url is required",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, nil) // any request fails the test
			got, err := c.Hotspots.UploadPhotos(context.Background(), tt.key, tt.photos)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Empty(t, pavetest.Sent(mt), "validation must not touch the network")
			assert.ErrorIs(t, err, pave.ErrValidation)
			var ve *pave.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "Hotspots.UploadPhotos", ve.Op)
			fields := pave.FieldErrors(err)
			require.Len(t, fields, len(tt.want), "fields: %v", fields)
			for field, sub := range tt.want {
				require.Len(t, fields[field], 1, "field %s: %v", field, fields)
				assert.Contains(t, fields[field][0], sub)
			}
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestHotspotsCreateSession(t *testing.T) {
	t.Parallel()
	c, mt := hsMockClient(t, nil, httpmock.NewStringResponder(201, `{"session_key": "SPN-7Q2M9XK4TB", "theme": "PRO", "active": true, "status": "IDLE"}`))
	sess, err := c.Hotspots.CreateSession(context.Background(), &pave.CreateSessionRequest{
		Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345"},
	})
	require.NoError(t, err)
	assert.Equal(t, hsKey, sess.SessionKey)
	require.Len(t, pavetest.Sent(mt), 1)
	r := pavetest.Sent(mt)[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/v1/sessions", r.EscapedPath)
	hsAssertSigned(t, r.Header)
	assert.JSONEq(t, `{"vehicle": {"vin": "1HGCV1F39LA012345"}}`, string(r.Body))

	// The request is validated like Sessions.Create.
	_, err = c.Hotspots.CreateSession(context.Background(), &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: "short"}})
	assert.ErrorIs(t, err, pave.ErrValidation)
	assert.Len(t, pavetest.Sent(mt), 1)
}

func TestHotspotsResultsRequest(t *testing.T) {
	t.Parallel()
	fixture := pavetest.MustFixture(t, "hotspots_results.json")
	c, mt := hsMockClient(t, nil, httpmock.NewStringResponder(200, string(fixture)))

	res, err := c.Hotspots.Results(context.Background(), hsKey)
	require.NoError(t, err)

	reqs := pavetest.Sent(mt)
	require.Len(t, reqs, 1)
	assert.Equal(t, http.MethodGet, reqs[0].Method)
	assert.Equal(t, "/v1/hotspots/SPN-7Q2M9XK4TB", reqs[0].EscapedPath)
	hsAssertSigned(t, reqs[0].Header)
	assert.Empty(t, reqs[0].Body)

	assert.True(t, res.Success)
	assert.Equal(t, "3 damages found on the vehicle.", res.Message)
	assert.Equal(t, 3, res.DamageCount())
	require.Len(t, res.Photos, 3)
	left := res.Photos[0]
	assert.Equal(t, pave.PhotoLeft, left.PhotoCode)
	assert.Equal(t, pave.LabelLeft, left.PhotoLabel)
	assert.Equal(t, "https://cdn.spin360.example/lot7/3310/left.jpg", left.URL)
	require.Len(t, left.Damages, 2)
	assert.Equal(t, pave.HotspotDamage{
		DamageGroup: "WHEEL", Component: "WHEEL_REAR_LEFT", DamageName: "CURB_RASH_MINOR",
		Description: "Curb Rash", Tolerance: "1/8 to 1/2 inch - NAAA Acceptable", RepairMethod: "Refinish",
		Coords: &pave.HotspotCoords{X: 77.4, Y: 68.25},
	}, left.Damages[0])
	assert.Equal(t, &pave.HotspotCoords{X: 31.06, Y: 12.5}, res.Photos[1].Damages[0].Coords)
	assert.Empty(t, res.Photos[2].Damages)
	assert.Equal(t, string(bytes.TrimSpace(fixture)), string(res.Raw()))
}

func TestHotspotsResultsCoordinates(t *testing.T) {
	t.Parallel()
	c, _ := hsMockClient(t, nil, httpmock.NewStringResponder(200, string(fixture(t, "hotspots/results_coordinates.json"))))
	res, err := c.Hotspots.Results(context.Background(), hsKey)
	require.NoError(t, err)
	require.Len(t, res.Photos, 1)
	p := res.Photos[0]
	assert.Equal(t, pave.PhotoRight, p.PhotoCode, `photo_code "07"`)
	assert.Equal(t, pave.LabelRight, p.PhotoLabel, "label filled from the code")

	want := map[string]*pave.HotspotCoords{
		"DOOR_FRONT_RIGHT":              {X: 10.5, Y: 20.25}, // coodrs
		"DOOR_REAR_RIGHT":               {X: 33.3, Y: 44.4},  // position
		"FENDER_REAR_RIGHT":             {X: 55, Y: 66},      // coords
		"MIRROR_HOUSING_RIGHT":          {X: 12.75, Y: 8.5},  // strings, with %
		"LIGHT_TAIL_RIGHT":              {X: 90.1, Y: 35.2},  // null coodrs, list position
		"BUMPER_REAR_UNIQUE":            {X: 71, Y: 80.5},    // x and y on the damage
		"TRIM_REAR_WINDOW_BOTTOM_RIGHT": nil,                 // unreadable
	}
	require.Len(t, p.Damages, len(want))
	for _, d := range p.Damages {
		w, ok := want[d.Component]
		require.True(t, ok, d.Component)
		assert.Equal(t, w, d.Coords, d.Component)
	}
	assert.Equal(t, "https://cdn.spin360.example/crops/bumper.jpg", p.Damages[5].CroppedImageURL)
	assert.Equal(t, "42", p.Damages[6].DamageName, "a number where a string is expected is kept as text")
}

func TestHotspotCoordsUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want pave.HotspotCoords
		ok   bool
	}{
		{`{"x": 18.2, "y": 71.05}`, pave.HotspotCoords{X: 18.2, Y: 71.05}, true},
		{`{"X": 1, "Y": 2}`, pave.HotspotCoords{X: 1, Y: 2}, true},
		{`{"x": "0", "y": " 100 % "}`, pave.HotspotCoords{X: 0, Y: 100}, true},
		{`[5, "6.5"]`, pave.HotspotCoords{X: 5, Y: 6.5}, true},
		{`{"x": 1}`, pave.HotspotCoords{}, false},
		{`{"x": "NaN", "y": 1}`, pave.HotspotCoords{}, false},
		{`{"x": "Inf", "y": 1}`, pave.HotspotCoords{}, false},
		{`{"x": 1e999, "y": 1}`, pave.HotspotCoords{}, false},
		{`{"x": null, "y": 1}`, pave.HotspotCoords{}, false},
		{`{"x": true, "y": 1}`, pave.HotspotCoords{}, false},
		{`[1, 2, 3]`, pave.HotspotCoords{}, false},
		{`"18.2,71.05"`, pave.HotspotCoords{}, false},
		{`null`, pave.HotspotCoords{}, true}, // json leaves the value alone on null
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var c pave.HotspotCoords
			err := json.Unmarshal([]byte(tt.in), &c)
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, tt.want, c)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

func TestHotspotsResultsNotReady(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{name: "200 success false (fake server)", status: 200, body: string(pavetest.MustFixture(t, "hotspots_not_ready.json"))},
		{name: "200 success as string", status: 200, body: `{"success": "false", "message": "Session is not yet completed."}`},
		{name: "400 message", status: 400, body: `{"message": "Session is not yet completed."}`},
		{name: "409 success false", status: 409, body: `{"success": false, "message": "Session is not yet completed."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, nil, httpmock.NewStringResponder(tt.status, tt.body))
			res, err := c.Hotspots.Results(context.Background(), hsKey)
			assert.Nil(t, res)
			require.Error(t, err)
			assert.ErrorIs(t, err, pave.ErrNotReady)
			assert.NotErrorIs(t, err, pave.ErrNotFound)
			var apiErr *pave.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, "Session is not yet completed.", apiErr.Message)
			assert.Equal(t, "/v1/hotspots/SPN-7Q2M9XK4TB", apiErr.Path)
			assert.JSONEq(t, tt.body, string(apiErr.Body))
			assert.Contains(t, err.Error(), "Session is not yet completed.")
			assert.Len(t, pavetest.Sent(mt), 1)
		})
	}
}

func TestHotspotsResultsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		responses []httpmock.Responder
		calls     int
		check     func(t *testing.T, err error)
	}{
		{name: "unknown session", responses: []httpmock.Responder{httpmock.NewStringResponder(404, `{"message": "Session SPN-7Q2M9XK4TB cannot be found."}`)}, calls: 1,
			check: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, pave.ErrNotFound)
				assert.NotErrorIs(t, err, pave.ErrNotReady)
			}},
		{name: "other success false", responses: []httpmock.Responder{httpmock.NewStringResponder(200, `{"success": false, "message": "Hotspots is not enabled."}`)}, calls: 1,
			check: func(t *testing.T, err error) {
				var apiErr *pave.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, 200, apiErr.StatusCode)
				assert.Equal(t, "Hotspots is not enabled.", apiErr.Message)
				assert.NotErrorIs(t, err, pave.ErrNotReady)
			}},
		{name: "malformed", responses: []httpmock.Responder{httpmock.NewStringResponder(200, `{"success": true, "data": [{"photo_code": 4, "inspection_data": 5}]}`)}, calls: 1,
			check: func(t *testing.T, err error) { assert.ErrorIs(t, err, pave.ErrBadResponse) }},
		{name: "not an object", responses: []httpmock.Responder{httpmock.NewStringResponder(200, `[]`)}, calls: 1,
			check: func(t *testing.T, err error) { assert.ErrorIs(t, err, pave.ErrBadResponse) }},
		{name: "empty", responses: []httpmock.Responder{httpmock.NewStringResponder(200, ``)}, calls: 1,
			check: func(t *testing.T, err error) { assert.ErrorIs(t, err, pave.ErrBadResponse) }},
		{name: "server error is retried", responses: []httpmock.Responder{httpmock.NewStringResponder(503, `{}`), httpmock.NewStringResponder(200, `{"success": true, "data": []}`)}, calls: 2,
			check: func(t *testing.T, err error) { assert.NoError(t, err) }},
		{name: "server error exhausts retries", responses: []httpmock.Responder{httpmock.NewStringResponder(502, `bad gateway`)}, calls: 3,
			check: func(t *testing.T, err error) { assert.ErrorIs(t, err, pave.ErrServer) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, nil, tt.responses...)
			_, err := c.Hotspots.Results(context.Background(), hsKey)
			tt.check(t, err)
			assert.Len(t, pavetest.Sent(mt), tt.calls)
		})
	}
}

func TestHotspotsResultsValidation(t *testing.T) {
	t.Parallel()
	c, mt := hsMockClient(t, nil)
	for _, key := range []string{"", "  ", "a/b", "x\x00y", ".."} {
		_, err := c.Hotspots.Results(context.Background(), key)
		assert.ErrorIs(t, err, pave.ErrValidation, "%q", key)
		assert.Contains(t, pave.FieldErrors(err), "session_key")
	}
	assert.Empty(t, pavetest.Sent(mt))
}

func TestHotspotsResultsHTTPTest(t *testing.T) {
	t.Parallel()
	// Through a real HTTP server: PAVE's header spelling reaches it and
	// the escaped key arrives intact.
	fixture := pavetest.MustFixture(t, "hotspots_results.json")
	var saw pavetest.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw = serverSaw(r)
		_, _ = w.Write(fixture)
	}))
	t.Cleanup(srv.Close)
	c, err := pave.NewClient(hsCreds, pave.WithBaseURL(srv.URL), pave.WithClock(hsNow))
	require.NoError(t, err)
	res, err := c.Hotspots.Results(context.Background(), "SPN 1")
	require.NoError(t, err)
	assert.Equal(t, 3, res.DamageCount())
	assert.Equal(t, "/v1/hotspots/SPN%201", saw.EscapedPath)
	assert.Equal(t, hsCreds.APIKey, saw.Header.Get("API-Key"))
	assert.Equal(t, hsToken, saw.Header.Get("API-Token"))
}

func TestDecodeHotspotResults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr bool
		success bool
		photos  int
		damages int
	}{
		{name: "documented", in: string(pavetest.MustFixture(t, "hotspots_results.json")), success: true, photos: 3, damages: 3},
		{name: "no success flag", in: `{"data": [{"photo_label": "Rear", "inspection_data": [{}]}]}`, success: true, photos: 1, damages: 1},
		{name: "photos and damages keys", in: `{"success": 1, "photos": [{"photo_code": 8, "damages": [{}, {}]}]}`, success: true, photos: 1, damages: 2},
		{name: "not ready", in: `{"success": false, "message": "Session is not yet completed.", "data": []}`, success: false},
		{name: "null data", in: `{"success": true, "data": null}`, success: true},
		{name: "empty object", in: `{}`, success: true},
		{name: "bad success", in: `{"success": "maybe"}`, wantErr: true},
		{name: "list", in: `[]`, wantErr: true},
		{name: "empty", in: ``, wantErr: true},
		{name: "null", in: `null`, wantErr: true},
		{name: "damage not an object", in: `{"data": [{"inspection_data": ["x"]}]}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := decodeHotspots([]byte(tt.in))
			if tt.wantErr {
				assert.Error(t, err)
				assert.Nil(t, res)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.success, res.Success)
			assert.Len(t, res.Photos, tt.photos)
			assert.Equal(t, tt.damages, res.DamageCount())
			assert.Equal(t, strings.TrimSpace(tt.in), string(res.Raw()))
			out, err := json.Marshal(res)
			require.NoError(t, err)
			assert.JSONEq(t, tt.in, string(out), "a decoded document marshals back as received")
		})
	}
}

func TestHotspotResultsMarshalWithoutRaw(t *testing.T) {
	t.Parallel()
	res := pave.HotspotResults{Success: true, Message: "1 damage", Photos: []pave.HotspotPhotoResult{{
		PhotoCode: pave.PhotoLeft, PhotoLabel: pave.LabelLeft, URL: "https://x.example/l.jpg",
		Damages: []pave.HotspotDamage{{Component: "DOOR_REAR_LEFT", Coords: &pave.HotspotCoords{X: 1.5, Y: 2}}},
	}}}
	out, err := json.Marshal(res)
	require.NoError(t, err)
	assert.JSONEq(t, `{"success": true, "message": "1 damage", "data": [{"photo_code": 4, "photo_label": "Left",
		"url": "https://x.example/l.jpg", "inspection_data": [{"component": "DOOR_REAR_LEFT", "coodrs": {"x": 1.5, "y": 2}}]}]}`, string(out))

	// And it decodes back to the same value.
	back, err := decodeHotspots(out)
	require.NoError(t, err)
	assert.Equal(t, res.Photos, back.Photos)
	var nilRes *pave.HotspotResults
	assert.Equal(t, 0, nilRes.DamageCount())
}

func FuzzHotspotResults(f *testing.F) {
	for _, name := range []string{"hotspots_results.json", "hotspots_not_ready.json", "hotspots_upload.json"} {
		f.Add(pavetest.MustFixture(f, name))
	}
	f.Add(fixture(f, "hotspots/results_coordinates.json"))
	for _, s := range []string{
		`{}`, `[]`, `null`, `{"data": null}`, `{"success": "0"}`,
		`{"data": [{"photo_code": "99", "photo_label": "Roof", "inspection_data": [{"coodrs": [1, "2%"]}]}]}`,
		`{"data": [{"photo_code": -1, "inspection_data": [{"x": "1e308", "y": "-0", "position": {"x": {}, "y": []}}]}]}`,
		`{"data": [{"photo_code": 1e300, "inspection_data": [{"coords": {"x": "NaN", "y": "+Inf"}}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := decodeHotspots(b)
		if err != nil {
			if res != nil {
				t.Fatal("result with error")
			}
			return
		}
		if string(res.Raw()) != string(bytes.Trim(b, " \t\r\n")) {
			t.Fatal("raw document not kept")
		}
		n := 0
		for _, p := range res.Photos {
			if p.PhotoCode.Label() != "" && p.PhotoLabel == "" {
				t.Fatalf("label of code %d not filled", p.PhotoCode)
			}
			for _, d := range p.Damages {
				n++
				if d.Coords != nil && (math.IsNaN(d.Coords.X) || math.IsInf(d.Coords.X, 0) || math.IsNaN(d.Coords.Y) || math.IsInf(d.Coords.Y, 0)) {
					t.Fatalf("non-finite coordinates %+v", *d.Coords)
				}
			}
		}
		if n != res.DamageCount() {
			t.Fatalf("DamageCount %d, counted %d", res.DamageCount(), n)
		}
		// What was decoded marshals without the raw copy and decodes
		// again to the same photos.
		plain := pave.HotspotResults{Success: res.Success, Message: res.Message, Photos: res.Photos}
		out, err := json.Marshal(plain)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := decodeHotspots(out)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		if again.DamageCount() != n || again.Success != res.Success {
			t.Fatalf("re-decode differs: %s", out)
		}
	})
}

func TestHotspotResultsUnmarshalJSON(t *testing.T) {
	t.Parallel()
	var env struct {
		Hotspots pave.HotspotResults `json:"hotspots"`
	}
	doc := `{"hotspots": {"success": true, "data": [{"photo_label": "Front", "inspection_data": [{"position": {"x": 1, "y": 2}}]}]}}`
	require.NoError(t, json.Unmarshal([]byte(doc), &env))
	assert.True(t, env.Hotspots.Success)
	assert.Equal(t, pave.PhotoFront, env.Hotspots.Photos[0].PhotoCode)
	assert.Equal(t, &pave.HotspotCoords{X: 1, Y: 2}, env.Hotspots.Photos[0].Damages[0].Coords)
	assert.JSONEq(t, `{"success": true, "data": [{"photo_label": "Front", "inspection_data": [{"position": {"x": 1, "y": 2}}]}]}`,
		string(env.Hotspots.Raw()))
	assert.Error(t, json.Unmarshal([]byte(`{"hotspots": [1]}`), &env))
}

func TestHotspotsResultsLargeRefusal(t *testing.T) {
	t.Parallel()
	body := `{"success": false, "message": "Session is not yet completed.", "pad": "` + strings.Repeat("x", (1<<20)) + `"}`
	c, _ := hsMockClient(t, nil, httpmock.NewStringResponder(200, body))
	_, err := c.Hotspots.Results(context.Background(), hsKey)
	require.ErrorIs(t, err, pave.ErrNotReady)
	var apiErr *pave.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.True(t, apiErr.Truncated)
	assert.Len(t, apiErr.Body, (1 << 20))
}

func TestHotspotCoordsString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "x 18.2%, y 71.05%", pave.HotspotCoords{X: 18.2, Y: 71.05}.String())
	assert.Equal(t, "x 18.2%, y 71.05%", fmt.Sprint(&pave.HotspotCoords{X: 18.2, Y: 71.05}))
}

// decodeHotspots decodes a Hotspots results document as a user would.
func decodeHotspots(b []byte) (*pave.HotspotResults, error) {
	var r pave.HotspotResults
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// TestHotspotsLabelsSentInTheirDocumentedCase: a label in another case is
// one of the 13 views, sent as PAVE writes it; the caller's slice is left
// as it was.
func TestHotspotsLabelsSentInTheirDocumentedCase(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	pavetest.OnUploadHotspotPhotos(mt, "", nil)
	photos := []pave.HotspotPhoto{
		{PhotoLabel: "front_left", URL: "https://cdn.example.com/fl.jpg"},
		{PhotoLabel: "VIN", URL: "https://cdn.example.com/vin.jpg"},
		{PhotoLabel: "REAR_RIGHT", URL: "https://cdn.example.com/rr.jpg"},
	}
	uploads, err := c.Hotspots.UploadPhotos(context.Background(), hsKey, photos)
	require.NoError(t, err)
	require.Len(t, uploads, 3)
	sent := pavetest.Sent(mt)
	require.Len(t, sent, 1)
	assert.JSONEq(t, `{"photos": [
		{"photo_label": "Front_Left", "url": "https://cdn.example.com/fl.jpg"},
		{"photo_label": "VIN", "url": "https://cdn.example.com/vin.jpg"},
		{"photo_label": "Rear_Right", "url": "https://cdn.example.com/rr.jpg"}]}`, string(sent[0].Body))
	assert.Equal(t, pave.PhotoLabel("front_left"), photos[0].PhotoLabel)
	assert.Equal(t, pave.PhotoLabel("REAR_RIGHT"), photos[2].PhotoLabel)
}
