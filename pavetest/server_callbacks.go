package pavetest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Messages of the callback endpoints (PAVE's documented wording).
const (
	msgMissingFields    = "Missing required fields."
	msgUnsupportedEvent = "Unsupported event."
)

// callbackJSON is a setting as listed and returned by GET, and the body of
// POST and PUT /v1/callbacks.
type callbackJSON struct {
	Event   string            `json:"event"`
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Payload map[string]any    `json:"payload"`
}

// callbackFlatJSON is a setting with the API key, as create and update return.
type callbackFlatJSON struct {
	APIKey string `json:"api_key"`
	callbackJSON
}

type callbackListJSON struct {
	APIKey string         `json:"api_key"`
	Data   []callbackJSON `json:"data"`
}

type callbackOneJSON struct {
	APIKey string       `json:"api_key"`
	Data   callbackJSON `json:"data"`
}

type callbackMsgJSON struct {
	APIKey  string `json:"api_key"`
	Message string `json:"message"`
}

func (c *callback) view() callbackJSON {
	h := c.Headers
	if h == nil {
		h = map[string]string{}
	}
	p := c.Payload
	if p == nil {
		p = map[string]any{}
	}
	return callbackJSON{Event: c.Event, URL: c.URL, Method: c.Method, Headers: h, Payload: p}
}

// normalEvent upper-cases and trims an event name.
func normalEvent(e string) string { return strings.ToUpper(strings.TrimSpace(e)) }

func knownEvent(e string) bool { return slices.Contains(knownEvents, e) }

var allowedMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodGet, http.MethodDelete}

// checkCallback validates url and method; it returns a message or "".
func checkCallback(b *callbackJSON) string {
	u, err := url.Parse(b.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "The url must be an absolute http or https URL."
	}
	if b.Method != "" && !slices.Contains(allowedMethods, strings.ToUpper(b.Method)) {
		return "Unsupported method."
	}
	for k, v := range b.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n\t") || strings.ContainsAny(v, "\r\n") {
			return "Invalid header."
		}
	}
	return ""
}

func notConfigured(acct *account, event string) callbackMsgJSON {
	return callbackMsgJSON{APIKey: acct.APIKey,
		Message: fmt.Sprintf("Your API Key does not have callback setting for the event %s.", event)}
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

func (s *Server) handleListCallbacks(w http.ResponseWriter, acct *account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := callbackListJSON{APIKey: acct.APIKey, Data: []callbackJSON{}}
	for _, c := range acct.callbacks {
		out.Data = append(out.Data, c.view())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetCallback(w http.ResponseWriter, acct *account, event string) {
	event = normalEvent(event)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := acct.callbackFor(event)
	if c == nil {
		writeJSON(w, http.StatusNotFound, notConfigured(acct, event))
		return
	}
	writeJSON(w, http.StatusOK, callbackOneJSON{APIKey: acct.APIKey, Data: c.view()})
}

func (s *Server) handleCreateCallback(w http.ResponseWriter, body []byte, acct *account) {
	var b callbackJSON
	if problem := decodeJSON(body, &b); problem != "" {
		writeJSON(w, http.StatusBadRequest, msg(problem))
		return
	}
	b.Event = normalEvent(b.Event)
	if b.Event == "" || strings.TrimSpace(b.URL) == "" {
		writeJSON(w, http.StatusBadRequest, msg(msgMissingFields))
		return
	}
	if !knownEvent(b.Event) {
		writeJSON(w, http.StatusBadRequest, msg(msgUnsupportedEvent))
		return
	}
	if problem := checkCallback(&b); problem != "" {
		writeJSON(w, http.StatusBadRequest, msg(problem))
		return
	}
	c := &callback{Event: b.Event, URL: b.URL, Method: strings.ToUpper(b.Method), Headers: b.Headers, Payload: b.Payload}
	if c.Method == "" {
		c.Method = http.MethodPost
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if acct.callbackFor(c.Event) != nil {
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Callback setting for the event %s already exists.", c.Event)))
		return
	}
	acct.callbacks = append(acct.callbacks, c)
	writeJSON(w, http.StatusOK, callbackFlatJSON{APIKey: acct.APIKey, callbackJSON: c.view()})
}

func (s *Server) handleUpdateCallback(w http.ResponseWriter, body []byte, acct *account, event string) {
	event = normalEvent(event)
	s.mu.Lock()
	exists := acct.callbackFor(event) != nil
	s.mu.Unlock()
	if !exists {
		writeJSON(w, http.StatusNotFound, notConfigured(acct, event))
		return
	}
	var b callbackJSON
	if problem := decodeJSON(body, &b); problem != "" {
		writeJSON(w, http.StatusBadRequest, msg(problem))
		return
	}
	if strings.TrimSpace(b.URL) == "" {
		writeJSON(w, http.StatusBadRequest, msg(msgMissingFields))
		return
	}
	if problem := checkCallback(&b); problem != "" {
		writeJSON(w, http.StatusBadRequest, msg(problem))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := acct.callbackFor(event)
	if c == nil { // deleted meanwhile
		writeJSON(w, http.StatusNotFound, notConfigured(acct, event))
		return
	}
	c.URL = b.URL
	if b.Method != "" {
		c.Method = strings.ToUpper(b.Method)
	}
	if b.Headers != nil {
		c.Headers = b.Headers
	}
	if b.Payload != nil {
		c.Payload = b.Payload
	}
	writeJSON(w, http.StatusOK, callbackFlatJSON{APIKey: acct.APIKey, callbackJSON: c.view()})
}

func (s *Server) handleDeleteCallback(w http.ResponseWriter, acct *account, event string) {
	event = normalEvent(event)
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(acct.callbacks, func(c *callback) bool { return c.Event == event })
	if i < 0 {
		writeJSON(w, http.StatusNotFound, notConfigured(acct, event))
		return
	}
	acct.callbacks = slices.Delete(acct.callbacks, i, i+1)
	writeJSON(w, http.StatusOK, callbackMsgJSON{APIKey: acct.APIKey,
		Message: fmt.Sprintf("Callback setting %s has been successfully removed.", event)})
}
