package pavetest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Messages of the callback endpoints (PAVE's documented wording).
const (
	msgMissingFields    = "Missing required fields."
	msgUnsupportedEvent = "Unsupported event."
)

// callback is a setting as an account keeps it and GET answers it (its
// headers and payload never nil: {} when not set), and the body of POST
// and PUT /v1/callbacks.
type callback struct {
	Event   string            `json:"event"`
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Payload map[string]any    `json:"payload"`
}

// callbackFlatJSON is a setting with the API key, as create and update return.
type callbackFlatJSON struct {
	APIKey string `json:"api_key"`
	callback
}

// keyedData is a setting or a list of them, wrapped with the API key as GET
// answers (and the mock kit answers) them.
type keyedData[T any] struct {
	APIKey string `json:"api_key"`
	Data   T      `json:"data"`
}

type callbackMsgJSON struct {
	APIKey  string `json:"api_key"`
	Message string `json:"message"`
}

// normalEvent upper-cases and trims an event name.
func normalEvent(e string) string { return strings.ToUpper(strings.TrimSpace(e)) }

func knownEvent(e string) bool { return slices.Contains(knownEvents, e) }

var allowedMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodGet, http.MethodDelete}

// checkCallback checks a setting body (the event required when create);
// it returns a message or "".
func checkCallback(b *callback, create bool) string {
	switch {
	case create && b.Event == "" || strings.TrimSpace(b.URL) == "":
		return msgMissingFields
	case create && !knownEvent(b.Event):
		return msgUnsupportedEvent
	case !validHTTPURL(b.URL):
		return "The url must be an absolute http or https URL."
	case b.Method != "" && !slices.Contains(allowedMethods, strings.ToUpper(b.Method)):
		return "Unsupported method."
	}
	for k, v := range b.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n\t") || strings.ContainsAny(v, "\r\n") {
			return "Invalid header."
		}
	}
	return ""
}

// callbackFor returns acct's setting for event. Call with s.mu held.
func (acct *account) callbackFor(event string) *callback {
	for _, c := range acct.callbacks {
		if c.Event == event {
			return c
		}
	}
	return nil
}

func (s *Server) handleListCallbacks(w http.ResponseWriter, q *apiRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, keyedData[[]*callback]{q.acct.APIKey, append([]*callback{}, q.acct.callbacks...)})
}

// setting returns the account's setting of the request's event, or
// answers the documented 404. Call with s.mu held.
func (s *Server) setting(w http.ResponseWriter, q *apiRequest) *callback {
	event := normalEvent(q.key())
	c := q.acct.callbackFor(event)
	if c == nil {
		writeJSON(w, http.StatusNotFound, callbackMsgJSON{APIKey: q.acct.APIKey,
			Message: fmt.Sprintf("Your API Key does not have callback setting for the event %s.", event)})
	}
	return c
}

func (s *Server) handleGetCallback(w http.ResponseWriter, q *apiRequest, c *callback) {
	writeJSON(w, http.StatusOK, keyedData[*callback]{q.acct.APIKey, c})
}

// readCallback decodes and checks a setting body (the event required when
// create), or answers 400.
func readCallback(w http.ResponseWriter, body []byte, create bool) *callback {
	b := readJSON[callback](w, body)
	if b == nil {
		return nil
	}
	b.Event = normalEvent(b.Event)
	if problem := checkCallback(b, create); problem != "" {
		writeJSON(w, http.StatusBadRequest, msg(problem))
		return nil
	}
	return b
}

func (s *Server) handleCreateCallback(w http.ResponseWriter, q *apiRequest) {
	b := readCallback(w, q.body, true)
	if b == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.acct.callbackFor(b.Event) != nil {
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Callback setting for the event %s already exists.", b.Event)))
		return
	}
	c := &callback{Event: b.Event, Method: http.MethodPost, Headers: map[string]string{}, Payload: map[string]any{}}
	c.update(b)
	q.acct.callbacks = append(q.acct.callbacks, c)
	writeJSON(w, http.StatusOK, callbackFlatJSON{q.acct.APIKey, *c})
}

func (s *Server) handleUpdateCallback(w http.ResponseWriter, q *apiRequest, c *callback) {
	if b := readCallback(w, q.body, false); b != nil {
		c.update(b)
		writeJSON(w, http.StatusOK, callbackFlatJSON{q.acct.APIKey, *c})
	}
}

// update takes the url, and the method, headers and payload when given;
// the event stays the setting's own.
func (c *callback) update(b *callback) {
	b.Event, b.Method = c.Event, strings.ToUpper(b.Method)
	mergeFields(c, b, true)
}

func (s *Server) handleDeleteCallback(w http.ResponseWriter, q *apiRequest, c *callback) {
	q.acct.callbacks = slices.DeleteFunc(q.acct.callbacks, func(x *callback) bool { return x == c })
	writeJSON(w, http.StatusOK, callbackMsgJSON{APIKey: q.acct.APIKey,
		Message: fmt.Sprintf("Callback setting %s has been successfully removed.", c.Event)})
}
