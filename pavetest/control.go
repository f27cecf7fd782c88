package pavetest

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/pave-go/pave"
)

// controlRoute is one control endpoint (/_fake/...). The control mux is
// registered from these entries, their bodies are read by one decoder
// (decodeBody, strict) and the OpenAPI document of the control API is
// generated from them, so a route is described exactly where it is served.
type controlRoute struct {
	Method, Path, Summary string
	request               reflect.Type // the body's type, nil: no body
	response              reflect.Type // the answer's type, for the document
	example               any          // an example body, or nil
	open                  bool         // answered without the token and Host checks
	serve                 func(s *Server, r *http.Request, body any) (any, error)
}

// noBody is the body of a control request that takes none ({} or empty).
type noBody struct{}

// ctl builds a control route whose body is a B and whose answer is a R.
func ctl[B, R any](method, path, summary string, example *B, serve func(*Server, *http.Request, *B) (R, error)) *controlRoute {
	c := &controlRoute{Method: method, Path: path, Summary: summary, response: reflect.TypeFor[R](),
		serve: func(s *Server, r *http.Request, b any) (any, error) { return serve(s, r, b.(*B)) }}
	if reflect.TypeFor[B]() != reflect.TypeFor[noBody]() {
		c.request = reflect.TypeFor[B]()
	}
	if example != nil {
		c.example = example
	}
	return c
}

// act is a control route without a body that does something and answers
// done.
func act(method, path, summary, done string, do func(*Server)) *controlRoute {
	return ctl(method, path, summary, nil, func(s *Server, _ *http.Request, _ *noBody) (message, error) {
		do(s)
		return msg(done), nil
	})
}

// sessionPath is the path of a session's control routes.
const sessionPath = "/_fake/sessions/{session_key}"

// sessionCtl is a control route changing the session of its path (POST),
// answered with the session as GET /v1/sessions/{key} shows it.
func sessionCtl[B any](path, summary string, example *B, change func(s *Server, key string, b *B) error) *controlRoute {
	return ctl(http.MethodPost, path, summary, example,
		func(s *Server, r *http.Request, b *B) (sessionJSON, error) {
			key := r.PathValue("session_key")
			if err := change(s, key, b); err != nil {
				return sessionJSON{}, err
			}
			return s.sessionView(key)
		})
}

// The bodies of the control requests. Each field's doc tag is its
// description in the OpenAPI document.
type (
	captureBody struct {
		PhotoCode int   `json:"photo_code" required:"true" range:"1,13" doc:"The view captured, 1 (VIN) to 13 (Rear_Left)."`
		Accepted  *bool `json:"accepted,omitempty" doc:"Whether the photo passes the quality check; default true."`
	}
	noteBody struct {
		Title       string `json:"title" required:"true" doc:"The note's title."`
		Description string `json:"description,omitempty" doc:"The note's text."`
	}
	smsResultBody struct {
		Success *bool  `json:"success,omitempty" doc:"Whether the SMS was delivered; default true."`
		Message string `json:"message,omitempty" doc:"The provider's message, e.g. Undeliverable."`
	}
	clockBody struct {
		AdvanceSeconds float64 `json:"advance_seconds" required:"true" range:"-1e9,1e9" doc:"Seconds to move the clock (negative: back)."`
	}
	// faultBody is a Fault over HTTP, with its durations in seconds and
	// milliseconds.
	faultBody struct {
		Fault
		RetryAfterSeconds float64 `json:"retry_after_seconds,omitempty" range:"0,86400" doc:"Retry-After to send, in seconds."`
		DelayMS           int64   `json:"delay_ms,omitempty" range:"0,600000" doc:"Milliseconds to wait before answering."`
	}
	injectedFaultJSON struct {
		ID        int `json:"id" doc:"The fault's id, for DELETE /_fake/faults/{id}."`
		Remaining int `json:"remaining" doc:"Requests it still applies to; -1: until removed."`
		faultBody
	}
	clockJSON struct {
		Now string `json:"now" doc:"The server clock, RFC 3339."`
	}
	statusJSON struct {
		Status string `json:"status"`
	}
	accountsJSON struct {
		Accounts []Account `json:"accounts"`
	}
)

// The control routes, each once.
var (
	ctlHealth = ctl(http.MethodGet, "/_fake/health", "Whether the fake is up; needs no token (it reveals nothing).",
		nil, func(*Server, *http.Request, *noBody) (statusJSON, error) { return statusJSON{"ok"}, nil })
	ctlOpenAPI = ctl(http.MethodGet, "/_fake/openapi.json",
		"The OpenAPI 3.1 document of PAVE's API as the fake serves it and of this control API.", nil,
		func(s *Server, _ *http.Request, _ *noBody) (map[string]any, error) { return openAPIDocument() })
	ctlAccounts = ctl(http.MethodGet, "/_fake/accounts",
		"Every account, secrets included, the default first: tools sign with them.", nil,
		func(s *Server, _ *http.Request, _ *noBody) (accountsJSON, error) {
			return accountsJSON{s.Accounts()}, nil
		})
	ctlSession = ctl(http.MethodGet, sessionPath, "A session of any account.", nil,
		func(s *Server, r *http.Request, _ *noBody) (sessionJSON, error) {
			return s.sessionView(r.PathValue("session_key"))
		})
	ctlStart = sessionCtl(sessionPath+"/start", "Start the capture of an IDLE session, as the user opening the link.", nil,
		func(s *Server, key string, _ *noBody) error { return s.StartCapture(key) })
	ctlCapture = sessionCtl(sessionPath+"/capture", "Capture one photo, accepted or rejected (REJECTED: Wrong View).",
		&captureBody{PhotoCode: 4}, func(s *Server, key string, b *captureBody) error {
			return s.CapturePhoto(key, pave.PhotoCode(b.PhotoCode), b.Accepted == nil || *b.Accepted)
		})
	ctlComplete = sessionCtl(sessionPath+"/complete", "Run the rest of the lifecycle up to COMPLETE, with results.", nil,
		func(s *Server, key string, _ *noBody) error { return s.Complete(key) })
	ctlExpire = sessionCtl(sessionPath+"/expire", "Expire an IDLE, STARTED or PROCESS session.", nil,
		func(s *Server, key string, _ *noBody) error { return s.Expire(key) })
	ctlInvalidate = sessionCtl(sessionPath+"/invalidate", "Mark a session INVALID (rejected during processing).", nil,
		func(s *Server, key string, _ *noBody) error { return s.Invalidate(key) })
	ctlNote = sessionCtl(sessionPath+"/notes", "Attach a note (fires SESSION:NOTE_INSERT).",
		&noteBody{Title: "Scratch on bumper"}, func(s *Server, key string, b *noteBody) error {
			return s.AddNote(key, b.Title, b.Description)
		})
	ctlSMS = sessionCtl(sessionPath+"/sms", "Report the capture-link SMS delivered or failed (fires SESSION:SMS_PROCESS).",
		&smsResultBody{Message: "Undeliverable"}, func(s *Server, key string, b *smsResultBody) error {
			return s.SetSMSResult(key, b.Success == nil || *b.Success, b.Message)
		})
	ctlHotspots = sessionCtl("/_fake/hotspots/{session_key}/process",
		"Finish the Hotspots analysis of the photos uploaded so far.", nil,
		func(s *Server, key string, _ *noBody) error { return s.ProcessHotspots(key) })
	ctlRequests = ctl(http.MethodGet, "/_fake/requests", "The API requests received, oldest first.", nil,
		func(s *Server, _ *http.Request, _ *noBody) ([]Request, error) { return s.Requests(), nil })
	ctlClearRequests = act(http.MethodDelete, "/_fake/requests", "Forget the recorded requests.", "Requests cleared.",
		(*Server).ResetRequests)
	ctlDeliveries = ctl(http.MethodGet, "/_fake/deliveries",
		"Every webhook delivery attempt so far, and those still pending, with their state.", nil,
		func(s *Server, _ *http.Request, _ *noBody) ([]Delivery, error) { return s.Deliveries(), nil })
	ctlClearDeliveries = act(http.MethodDelete, "/_fake/deliveries", "Forget the recorded deliveries.",
		"Deliveries cleared.", (*Server).ResetDeliveries)
	ctlFlush = ctl(http.MethodPost, "/_fake/deliveries/flush",
		"Wait until no delivery is pending (bounded by the request's own deadline).", nil,
		func(s *Server, r *http.Request, _ *noBody) (message, error) {
			if err := s.FlushDeliveries(r.Context()); err != nil {
				return message{}, &errStatus{http.StatusGatewayTimeout, "Deliveries still pending."}
			}
			return msg("No delivery pending."), nil
		})
	ctlFaults = ctl(http.MethodGet, "/_fake/faults", "The active faults, with their ids.", nil,
		func(s *Server, _ *http.Request, _ *noBody) ([]injectedFaultJSON, error) {
			out := []injectedFaultJSON{}
			for _, f := range s.Faults() {
				out = append(out, injectedFaultJSON{f.ID, f.Remaining, faultBodyOf(f.Fault)})
			}
			return out, nil
		})
	ctlInject = ctl(http.MethodPost, "/_fake/faults", "Make matching API requests misbehave; answers the new fault.",
		&faultBody{Fault: Fault{Path: "/v1/sessions/*/results", Status: 503, Times: 2}, RetryAfterSeconds: 1},
		func(s *Server, _ *http.Request, b *faultBody) (injectedFaultJSON, error) {
			if b.Status == 0 && b.DelayMS == 0 && !b.DropConnection && !b.TruncateBody && !b.ResetMidBody {
				return injectedFaultJSON{}, invalidFields(fieldErrs{"status": {
					"a fault must set status, delay_ms, drop_connection, truncate_body or reset_mid_body"}})
			}
			id := s.Inject(b.fault())
			return injectedFaultJSON{ID: id, Remaining: max(-1, b.Times), faultBody: *b}, nil
		})
	ctlClearFaults = act(http.MethodDelete, "/_fake/faults", "Remove every fault.", "Faults cleared.",
		(*Server).ResetFaults)
	ctlRemoveFault = ctl(http.MethodDelete, "/_fake/faults/{id}", "Remove one fault.", nil,
		func(s *Server, r *http.Request, _ *noBody) (message, error) {
			id, err := strconv.Atoi(r.PathValue("id"))
			if err != nil || !s.RemoveFault(id) {
				return message{}, &errStatus{http.StatusNotFound, "No fault " + r.PathValue("id") + "."}
			}
			return msg("Fault removed."), nil
		})
	ctlClock = ctl(http.MethodGet, "/_fake/clock", "The server clock.", nil,
		func(s *Server, _ *http.Request, _ *noBody) (clockJSON, error) { return s.clockView(), nil })
	ctlAdvance = ctl(http.MethodPost, "/_fake/clock", "Move the server clock; answers the new time.",
		&clockBody{AdvanceSeconds: 691200}, func(s *Server, _ *http.Request, b *clockBody) (clockJSON, error) {
			s.AdvanceClock(time.Duration(b.AdvanceSeconds * float64(time.Second)))
			return s.clockView(), nil
		})
	ctlRepeat = sessionCtl(sessionPath+"/repeat",
		"Complete a session as a repeat inspection of an earlier session's vehicle.",
		&Repeat{Previous: "NSA-7K2D5MZ8WP", NewDamages: []RepeatDamage{{"DOOR_FRONT_LEFT", "SCRATCHED_MINOR"}},
			Repaired: []string{"BUMPER_FRONT_UNIQUE"}},
		func(s *Server, key string, b *Repeat) error { return s.CompleteRepeat(key, *b) })
	ctlChaos = ctl(http.MethodGet, "/_fake/chaos", "The chaos in force (dropped, duplicated, reordered deliveries; late results).",
		nil, func(s *Server, _ *http.Request, _ *noBody) (chaosJSON, error) { return s.CurrentChaos().json(), nil })
	ctlSetChaos = ctl(http.MethodPut, "/_fake/chaos", "Replace the chaos; it applies to what follows.",
		&chaosJSON{Chaos: Chaos{Drop: 0.1, Duplicate: 0.1, Reorder: true}},
		func(s *Server, _ *http.Request, b *chaosJSON) (chaosJSON, error) {
			return b.Chaos.json(), s.SetChaos(b.chaos())
		})
	ctlReset = act(http.MethodPost, "/_fake/reset",
		"Back to the start state: sessions, callback settings, faults, logs and clock (accounts and seed kept).",
		"Reset.", (*Server).Reset)
)

// controlTable lists every control route (set in init: the document's
// route reads it).
var controlTable []*controlRoute

func init() {
	controlTable = []*controlRoute{ctlHealth, ctlOpenAPI, ctlAccounts, ctlSession, ctlStart, ctlCapture,
		ctlComplete, ctlRepeat, ctlExpire, ctlInvalidate, ctlNote, ctlSMS, ctlHotspots, ctlRequests, ctlClearRequests,
		ctlDeliveries, ctlClearDeliveries, ctlFlush, ctlFaults, ctlInject, ctlClearFaults, ctlRemoveFault,
		ctlClock, ctlAdvance, ctlChaos, ctlSetChaos, ctlReset}
	ctlHealth.open = true
}

// controlRoutes builds the mux of the control endpoints from the table.
func (s *Server) controlRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	allow := map[string][]string{}
	for _, c := range controlTable {
		allow[c.Path] = append(allow[c.Path], c.Method)
		mux.HandleFunc(c.Method+" "+c.Path, func(w http.ResponseWriter, r *http.Request) {
			if !c.open && !s.controlAllowed(w, r) {
				return
			}
			b := reflect.New(reflect.TypeFor[noBody]())
			if c.request != nil {
				b = reflect.New(c.request)
			}
			body, _ := r.Context().Value(bodyKey{}).([]byte)
			if re := decodeBody(body, b.Interface(), true); re != nil {
				writeJSON(w, http.StatusBadRequest, re)
				return
			}
			out, err := c.serve(s, r, b.Interface())
			w.Header()["Date"] = []string{s.dateHeader(s.now())} // the clock as the call left it
			if err != nil {
				status, v := statusOf(err, r.PathValue("session_key"))
				writeJSON(w, status, v)
				return
			}
			writeJSON(w, http.StatusOK, out)
		})
	}
	methodNotAllowedRoutes(mux, allow)
	return mux
}

// controlPath fills the route's path parameters with args, each escaped
// as one segment.
func (c *controlRoute) controlPath(args ...string) string {
	p := c.Path
	for _, a := range args {
		i, j := strings.IndexByte(p, '{'), strings.IndexByte(p, '}')
		p = p[:i] + url.PathEscape(a) + p[j+1:]
	}
	return p
}

func (s *Server) sessionView(key string) (sessionJSON, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.findLocked(key)
	if err != nil {
		return sessionJSON{}, err
	}
	return sess.view(&s.opts), nil
}

func (s *Server) clockView() clockJSON { return clockJSON{Now: s.Now().UTC().Format(time.RFC3339Nano)} }

func (b *faultBody) fault() Fault {
	f := b.Fault
	f.RetryAfter = time.Duration(b.RetryAfterSeconds * float64(time.Second))
	f.Delay = time.Duration(b.DelayMS) * time.Millisecond
	return f
}

func faultBodyOf(f Fault) faultBody {
	return faultBody{Fault: f, RetryAfterSeconds: f.RetryAfter.Seconds(), DelayMS: f.Delay.Milliseconds()}
}
