package redact

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/pave-go/pave/internal/wire"
)

// A callback setting (PAVE's headers, payload and url for one event)
// usually carries a secret: the bearer token PAVE sends back with every
// delivery. The rule for what in a setting is secret lives here, for
// printing a setting, for the JSON the pave command shows, and for the
// values scrubbed from the errors of a request that carries one:
//
//   - every header value but X-Pave-Event's (and, for a value such as
//     "Bearer <token>", the token alone too);
//   - every payload value but the "event" key's;
//   - every URL query value but "event"'s, the URL's password and its
//     fragment.
//
// The event name itself (SESSION:COMPLETE) is public wherever it appears.

// Headers returns h with every value redacted but the event header's.
func Headers(h map[string]string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = Marker
		if publicHeader(k) {
			out[k] = v
		}
	}
	return out
}

// Payload returns p with every value redacted but the "event" key's.
func Payload(p map[string]any) map[string]any {
	if p == nil {
		return nil
	}
	out := make(map[string]any, len(p))
	for k, v := range p {
		out[k] = Marker
		if k == "event" {
			out[k] = v
		}
	}
	return out
}

// publicHeader: the event header pave.NewCallback registers carries the
// event name, which is public.
func publicHeader(name string) bool { return http.CanonicalHeaderKey(name) == wire.EventHeader }

// CallbackSecrets returns the values of a setting that must never appear
// in an error: its secret header values (and the credential after a scheme
// such as "Bearer"), its payload's string values, and its URL's query values
// and password, each but what the rule above keeps public. event is the
// setting's event: a value equal to it is public, whatever carries it.
func CallbackSecrets(event string, headers map[string]string, payload map[string]any, rawURL string) []string {
	var out []string
	add := func(v string) {
		if v = strings.TrimSpace(v); v != "" && !strings.EqualFold(v, event) {
			out = append(out, v)
		}
	}
	for k, v := range headers {
		if publicHeader(k) {
			continue
		}
		add(v)
		if _, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
			add(cred)
		}
	}
	for k, v := range payload {
		if s, ok := v.(string); ok && k != "event" {
			add(s)
		}
	}
	if u, err := url.Parse(rawURL); err == nil {
		for k, vs := range u.Query() {
			if k != "event" {
				for _, v := range vs {
					add(v)
				}
			}
		}
		if u.User != nil {
			pw, _ := u.User.Password()
			add(pw)
		}
		add(u.Fragment)
	}
	return out
}

// CallbackJSON returns a setting's JSON object with the rule above applied:
// header values, payload values and URL query values redacted (headers or
// payload sent as JSON text in a string stay so). A value that is not an
// object is returned as Marker in quotes.
func CallbackJSON(raw []byte) []byte {
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return []byte(`"` + Marker + `"`)
	}
	for _, field := range [...]string{"headers", "payload"} {
		v, ok := obj[field]
		if !ok {
			continue
		}
		text, isText := v.(string)
		if isText {
			if json.Unmarshal([]byte(text), &v) != nil {
				if text != "" {
					obj[field] = Marker
				}
				continue
			}
		}
		m, isMap := v.(map[string]any)
		switch {
		case !isMap && v != nil:
			v = Marker
		case field == "headers":
			for k := range m {
				if !publicHeader(k) {
					m[k] = Marker
				}
			}
		default:
			v = Payload(m)
		}
		if isText {
			b, _ := json.Marshal(v)
			v = string(b)
		}
		obj[field] = v
	}
	if u, ok := obj["url"].(string); ok {
		obj["url"] = URL(u)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return []byte(`"` + Marker + `"`)
	}
	return b
}
