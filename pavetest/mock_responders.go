package pavetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/endpoint"
)

// The mock answers PAVE's documented messages, those of the fake server
// (msgValidation...), and this one to a request of no known endpoint.
const mockMsgNotFound = "Not Found."

// mockMaxEchoedBodySize bounds what a responder reads of a request body.
const mockMaxEchoedBodySize = 1 << 20

// mockReply is a JSON response to req.
func mockReply(req *http.Request, status int, body []byte) *http.Response {
	res := httpmock.NewBytesResponse(status, body)
	res.Header.Set("Content-Type", "application/json")
	res.ContentLength = int64(len(body))
	res.Request = req
	return res
}

// mockEncode returns []byte and json.RawMessage as they are (copied) and
// marshals anything else.
func mockEncode(v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return bytes.Clone(b), nil
	case json.RawMessage:
		return bytes.Clone(b), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("pavetest: encoding response body: %w", err)
	}
	return b, nil
}

// JSONResponder returns a responder answering status with body as JSON:
// a []byte or json.RawMessage is sent as it is, anything else is
// marshalled once, now. Like every responder here it sets Content-Type:
// application/json, and it can be combined with httpmock's Responder
// methods (Then, Times, Once, Delay).
func JSONResponder(status int, body any) httpmock.Responder {
	raw, err := mockEncode(body)
	return func(req *http.Request) (*http.Response, error) {
		if err != nil {
			return nil, err
		}
		return mockReply(req, status, raw), nil
	}
}

// FixtureResponder returns a responder answering status with the embedded
// fixture name (see Fixture). When the request's path names a session key
// or a callback event, it replaces FixtureSessionKey or FixtureEvent in
// the fixture, so the default answers follow the key a test uses. An
// unknown fixture name makes every request fail with an error saying so.
//
// Combine it with httpmock's Responder methods for sequences, e.g. rate
// limited once, then the session:
//
//	mt.RegisterResponder(http.MethodGet, pavetest.PathSession(key),
//		pavetest.RateLimitedResponder(time.Second).
//			Then(pavetest.FixtureResponder(http.StatusOK, "session.json")))
func FixtureResponder(status int, name string) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		b := renderFixture(name, req)
		if b == nil {
			return nil, fmt.Errorf("pavetest: no fixture named %q; FixtureNames lists them", name)
		}
		return mockReply(req, status, b), nil
	}
}

// ErrorResponder returns a responder answering status with PAVE's error
// shape, {"message": message}.
func ErrorResponder(status int, message string) httpmock.Responder {
	return JSONResponder(status, msg(message))
}

// RateLimitedResponder returns a responder answering 429 {"message": "Too
// Many Requests."} with a Retry-After header of retryAfter in whole seconds
// (rounded up), or without one when retryAfter <= 0.
func RateLimitedResponder(retryAfter time.Duration) httpmock.Responder {
	fixture := FixtureResponder(http.StatusTooManyRequests, "error_rate_limited.json")
	return func(req *http.Request) (*http.Response, error) {
		res, err := fixture(req)
		if err == nil && retryAfter > 0 {
			secs := int64((retryAfter + time.Second - 1) / time.Second)
			res.Header.Set("Retry-After", strconv.FormatInt(secs, 10))
		}
		return res, err
	}
}

// OnOperation answers operation op of the endpoint table ("Sessions.Notes",
// the SDK's Service.Method name) for every key or event with responder, or,
// when responder is nil, with the operation's fixture and documented status,
// the request's session key or event put in place of the fixture's (see
// FixtureResponder). Every operation is mockable this way, a new one
// included; the On* helpers below are this with their own defaults. An
// unknown op panics (see PathOf).
func OnOperation(mt *MockTransport, op string, responder httpmock.Responder) {
	onEndpoint(mt, mustOp(op), "", responder)
}

// onEndpoint registers responder (nil: the fixture) for ep and key ("":
// every key).
func onEndpoint(mt *MockTransport, ep *endpoint.Endpoint, key string, responder httpmock.Responder) {
	if responder == nil {
		responder = FixtureResponder(ep.Status, ep.Fixture)
	}
	mt.RegisterResponder(ep.Method, routeOf(ep, key), responder)
}

// answer registers v as ep's JSON answer for key, or its fixture when v is
// nil (a nil pointer, slice or byte slice; an empty one answers as it is).
func answer(mt *MockTransport, ep *endpoint.Endpoint, key string, v any) {
	var r httpmock.Responder
	if rv := reflect.ValueOf(v); v != nil && !(rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Slice) || !rv.IsNil() {
		r = JSONResponder(ep.Status, v)
	}
	onEndpoint(mt, ep, key, r)
}

// mockAPIKeyOf returns the API key a request was sent with (which PAVE
// echoes in callback answers), or FixtureAPIKey.
func mockAPIKeyOf(req *http.Request) string {
	if v, err := mockSingleHeader(req.Header, pave.HeaderAPIKey); err == nil {
		return v
	}
	return FixtureAPIKey
}

// mockReadJSON decodes the request body into v.
func mockReadJSON(req *http.Request, v any) error {
	if req.Body == nil {
		return io.ErrUnexpectedEOF
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, mockMaxEchoedBodySize))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Sessions.

// OnCreateSession answers POST /v1/sessions (Sessions.Create and
// Hotspots.CreateSession) with 201 and sess, or with the
// session_created.json fixture (an IDLE session FixtureSessionKey with its
// capture_url) when sess is nil. The request is not inspected.
func OnCreateSession(mt *MockTransport, sess *pave.Session) {
	answer(mt, endpoint.CreateSession, "", sess)
}

// OnGetSession answers GET /v1/sessions/{key} (Sessions.Get) with sess, or
// with the session.json fixture (a COMPLETE session) carrying the requested
// key when sess is nil. key "" answers every key (see PathOf).
func OnGetSession(mt *MockTransport, key string, sess *pave.Session) {
	answer(mt, endpoint.GetSession, key, sess)
}

// OnPhotos answers GET /v1/sessions/{key}/photos (Sessions.Photos) with
// photos, or with the photos.json fixture (one accepted, one rejected
// photo) when photos is nil; an empty non-nil slice answers []. key ""
// answers every key.
func OnPhotos(mt *MockTransport, key string, photos []pave.Photo) {
	answer(mt, endpoint.Photos, key, photos)
}

// OnNotes answers GET /v1/sessions/{key}/notes (Sessions.Notes) with notes,
// or with the notes.json fixture when notes is nil; an empty non-nil slice
// answers []. key "" answers every key.
func OnNotes(mt *MockTransport, key string, notes []pave.Note) {
	answer(mt, endpoint.Notes, key, notes)
}

// OnResults answers GET /v1/sessions/{key}/results (Sessions.Results and
// the end of Sessions.WaitForResults) with the results document body, sent
// as it is, or with the results.json fixture (grade 3, two damages, and an
// undocumented "estimates" section reachable through Results.Raw) carrying
// the requested key when body is nil. key "" answers every key. See
// OnNotReady for a session that is not complete yet.
func OnResults(mt *MockTransport, key string, body []byte) { answer(mt, endpoint.Results, key, body) }

// OnUpdateSession answers PUT /v1/sessions/{key} (Sessions.Update) with
// sess, or with the session.json fixture carrying the requested key when
// sess is nil. The request is not inspected. key "" answers every key.
func OnUpdateSession(mt *MockTransport, key string, sess *pave.Session) {
	answer(mt, endpoint.UpdateSession, key, sess)
}

// OnDeleteSession answers DELETE /v1/sessions/{key} (Sessions.Delete) with
// PAVE's success message for the requested key. key "" answers every key.
func OnDeleteSession(mt *MockTransport, key string) { onEndpoint(mt, endpoint.DeleteSession, key, nil) }

// OnResendSMS answers POST /v2/capture/sessions/{key}/resend
// (Sessions.ResendSMS) with res, or, when res is nil, with the resend.json
// fixture carrying the requested key and the request's phone (when it has
// one). key "" answers every key. See OnFixture with
// "error_resend_finalized.json" for a refusal.
func OnResendSMS(mt *MockTransport, key string, res *pave.ResendResult) {
	if res != nil {
		answer(mt, endpoint.ResendSMS, key, res)
		return
	}
	onEndpoint(mt, endpoint.ResendSMS, key, func(req *http.Request) (*http.Response, error) {
		b := renderFixture(endpoint.ResendSMS.Fixture, req)
		var in pave.ResendSMSRequest
		var out map[string]any
		if mockReadJSON(req, &in) == nil && in.Phone != "" && json.Unmarshal(b, &out) == nil {
			out["phone"] = in.Phone
			b, _ = json.Marshal(out)
		}
		return mockReply(req, http.StatusOK, b), nil
	})
}

// Webhooks (callback settings).

// OnListCallbacks answers GET /v1/callbacks (Webhooks.List) with
// {"api_key": ..., "data": callbacks}, or with the callbacks_list.json
// fixture (SESSION:COMPLETE and SESSION:STAGE_CHANGE) when callbacks is
// nil; an empty non-nil slice answers an empty list.
func OnListCallbacks(mt *MockTransport, callbacks []pave.Callback) {
	onEndpoint(mt, endpoint.ListCallbacks, "", mockWrapped(callbacks != nil, append([]pave.Callback{}, callbacks...)))
}

// mockWrapped answers {"api_key": <the request's key>, "data": data}, or
// nil (the fixture) unless set.
func mockWrapped(set bool, data any) httpmock.Responder {
	if !set {
		return nil
	}
	return func(req *http.Request) (*http.Response, error) {
		return JSONResponder(http.StatusOK, keyedData[any]{mockAPIKeyOf(req), data})(req)
	}
}

// OnGetCallback answers GET /v1/callbacks/{event} (Webhooks.Get) with
// {"api_key": ..., "data": cb}, or with the callback.json fixture for the
// requested event when cb is nil. event "" answers every event.
func OnGetCallback(mt *MockTransport, event pave.EventName, cb *pave.Callback) {
	var c pave.Callback
	if cb != nil {
		c = *cb
	}
	onEndpoint(mt, endpoint.GetCallback, string(event), mockWrapped(cb != nil, c))
}

// OnCreateCallback answers POST /v1/callbacks (Webhooks.Create) with cb as
// PAVE answers a setting: flat, with "api_key". When cb is nil it echoes
// the request's setting that way (method POST, headers {} and payload {}
// when absent), or answers 400 "Missing required fields." when the request
// lacks event or url.
func OnCreateCallback(mt *MockTransport, cb *pave.Callback) {
	onEndpoint(mt, endpoint.CreateCallback, "", mockCallbackResponder(cb))
}

// OnUpdateCallback answers PUT /v1/callbacks/{event} (Webhooks.Update) like
// OnCreateCallback, the event coming from the path. event "" answers every
// event.
func OnUpdateCallback(mt *MockTransport, event pave.EventName, cb *pave.Callback) {
	onEndpoint(mt, endpoint.UpdateCallback, string(event), mockCallbackResponder(cb))
}

// mockCallbackResponder answers a setting flat with api_key: cb, or the
// request's setting when cb is nil. For PUT the event is the path's.
func mockCallbackResponder(cb *pave.Callback) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		_, params := mockParams(req)
		var m map[string]any
		if cb != nil {
			b, err := json.Marshal(*cb)
			if err != nil || json.Unmarshal(b, &m) != nil {
				return nil, fmt.Errorf("pavetest: encoding response body: %v", err)
			}
		} else if mockReadJSON(req, &m) != nil || m == nil {
			return ErrorResponder(http.StatusBadRequest, msgMissingFields)(req)
		}
		if ev, _ := m["event"].(string); params["event"] != "" && (cb == nil || ev == "") {
			m["event"] = params["event"]
		}
		if cb == nil {
			ev, _ := m["event"].(string)
			u, _ := m["url"].(string)
			if strings.TrimSpace(ev) == "" || strings.TrimSpace(u) == "" {
				return ErrorResponder(http.StatusBadRequest, msgMissingFields)(req)
			}
			if s, _ := m["method"].(string); s == "" {
				m["method"] = http.MethodPost
			}
			for _, k := range []string{"headers", "payload"} {
				if m[k] == nil {
					m[k] = map[string]any{}
				}
			}
		}
		m["api_key"] = mockAPIKeyOf(req)
		return JSONResponder(http.StatusOK, m)(req)
	}
}

// OnDeleteCallback answers DELETE /v1/callbacks/{event} (Webhooks.Delete)
// with PAVE's success message for the requested event. event "" answers
// every event.
func OnDeleteCallback(mt *MockTransport, event pave.EventName) {
	onEndpoint(mt, endpoint.DeleteCallback, string(event), nil)
}

// Hotspots.

// OnUploadHotspotPhotos answers POST /v1/hotspots/{key}/photos-url
// (Hotspots.UploadPhotos) with {"data": uploads}. When uploads is nil it
// accepts every submitted photo, echoing its label and URL with success
// true, or answers 400 "Missing required fields." to a request without
// photos. The hotspots_upload.json fixture shows a refused photo. key ""
// answers every key.
func OnUploadHotspotPhotos(mt *MockTransport, key string, uploads []pave.HotspotUpload) {
	if uploads != nil {
		answer(mt, endpoint.UploadHotspotPhotos, key, hotspotUploadJSON{uploads})
		return
	}
	onEndpoint(mt, endpoint.UploadHotspotPhotos, key, func(req *http.Request) (*http.Response, error) {
		var in struct {
			Photos []pave.HotspotPhoto `json:"photos"`
		}
		if mockReadJSON(req, &in) != nil || len(in.Photos) == 0 {
			return ErrorResponder(http.StatusBadRequest, msgMissingFields)(req)
		}
		out := make([]pave.HotspotUpload, len(in.Photos))
		for i, p := range in.Photos {
			out[i] = pave.HotspotUpload{PhotoLabel: p.PhotoLabel, URL: p.URL, Success: true, Message: msgHotspotUploaded}
		}
		return JSONResponder(http.StatusOK, hotspotUploadJSON{out})(req)
	})
}

// OnHotspotResults answers GET /v1/hotspots/{key} (Hotspots.Results) with
// the document body, sent as it is, or with the hotspots_results.json
// fixture (three damages on two photos) when body is nil. key "" answers
// every key. See OnHotspotsNotReady for photos still being analysed.
func OnHotspotResults(mt *MockTransport, key string, body []byte) {
	answer(mt, endpoint.HotspotResults, key, body)
}

// OnHotspotsNotReady answers GET /v1/hotspots/{key} as PAVE does while it
// analyses the photos: 200 {"success": false, "message": "Session is not
// yet completed.", "data": []}, which Hotspots.Results turns into an error
// matching pave.ErrNotReady. key "" answers every key.
func OnHotspotsNotReady(mt *MockTransport, key string) {
	onEndpoint(mt, endpoint.HotspotResults, key, FixtureResponder(http.StatusOK, "hotspots_not_ready.json"))
}

// Errors.

// OnError answers method and path with status and PAVE's error shape,
// {"message": message}. path is a route without host: a Path* route or
// constant, a path such as "/v1/sessions/NSA-7K2D5MZ8WP", or an httpmock
// regexp route ("=~^/v1/sessions/"). Registering it for a route another
// helper registered replaces that answer.
func OnError(mt *MockTransport, method, path string, status int, message string) {
	mt.RegisterResponder(method, path, ErrorResponder(status, message))
}

// OnValidationError answers method and path with 400 and PAVE's validation
// shape: {"message": "Required fields are missing or invalid.", "errors":
// errs}, which the SDK returns as an *APIError matching pave.ErrValidation
// (pave.FieldErrors gives errs back). With no errs it answers the
// error_validation.json fixture (vehicle.vin, sms.to and
// session.redirect_url).
func OnValidationError(mt *MockTransport, method, path string, errs map[string][]string) {
	if len(errs) == 0 {
		mt.RegisterResponder(method, path, FixtureResponder(http.StatusBadRequest, "error_validation.json"))
		return
	}
	mt.RegisterResponder(method, path, JSONResponder(http.StatusBadRequest, requestError{msgValidation, errs}))
}

// OnRateLimited answers method and path with 429, every time, with a
// Retry-After of retryAfter (see RateLimitedResponder). The client
// retries it (a client from NewMockClient waits at most 5 ms) and, when its
// retries run out, returns an *APIError matching pave.ErrRateLimited whose
// RetryAfter is the header's value. For a limit that lifts, combine
// RateLimitedResponder with Then (see FixtureResponder).
func OnRateLimited(mt *MockTransport, method, path string, retryAfter time.Duration) {
	mt.RegisterResponder(method, path, RateLimitedResponder(retryAfter))
}

// OnNotReady answers GET /v1/sessions/{key}/results as PAVE does for a
// session that is not COMPLETE yet: 400 {"message": "Session is not yet
// completed."}, an error matching pave.ErrNotReady. key "" answers every
// key.
func OnNotReady(mt *MockTransport, key string) {
	onEndpoint(mt, endpoint.Results, key, FixtureResponder(http.StatusBadRequest, "error_not_ready.json"))
}

// OnNotFound answers method and path with 404 and the body PAVE sends for
// that endpoint (its 404 in the endpoint table): {"message": "Session {key}
// cannot be found."} for the session and Hotspots endpoints, the "does not
// have callback setting for the event {event}" message (with api_key) for
// /v1/callbacks/{event}, and {"status": "error", "message": "Session not
// found", ...} for the v2 resend. The SDK returns an error matching
// pave.ErrNotFound.
func OnNotFound(mt *MockTransport, method, path string) {
	mt.RegisterResponder(method, path, mockNotFoundResponder)
}

// mockNotFoundResponder answers the 404 of the request's endpoint.
func mockNotFoundResponder(req *http.Request) (*http.Response, error) {
	if ep, _ := mockParams(req); ep != nil && ep.Method == req.Method {
		for _, a := range ep.Errors {
			if a.Status == http.StatusNotFound {
				return FixtureResponder(http.StatusNotFound, a.Fixture)(req)
			}
		}
	}
	return ErrorResponder(http.StatusNotFound, mockMsgNotFound)(req)
}

// OnSessionNotFound answers 404 (see OnNotFound) to every operation on
// session key: GET, PUT and DELETE of the session, its photos, notes and
// results, the Hotspots upload and results, and the v2 resend. key ""
// answers every key.
func OnSessionNotFound(mt *MockTransport, key string) {
	for _, ep := range endpoint.All() {
		if slices.Contains(ep.Params(), "session_key") {
			mt.RegisterResponder(ep.Method, routeOf(ep, key), mockNotFoundResponder)
		}
	}
}

// OnFixture answers method and path with status and the embedded fixture
// name, with the request's session key or event in place of the
// fixture's (see FixtureResponder). For example, a resend refused because
// the photos already passed quality control:
//
//	pavetest.OnFixture(mt, http.MethodPost, pavetest.PathResend(key),
//		http.StatusBadRequest, "error_resend_finalized.json")
func OnFixture(mt *MockTransport, method, path string, status int, name string) {
	mt.RegisterResponder(method, path, FixtureResponder(status, name))
}
