package pave

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCallbackMatches is the rule Webhooks.Ensure decides with: want is the
// setting asked for, got the one PAVE holds.
func TestCallbackMatches(t *testing.T) {
	t.Parallel()
	const secret = "Bearer ns-complete-token-4410"
	base := func(event EventName) *Callback {
		return &Callback{
			Event:   event,
			URL:     "https://hooks.example.com/pave",
			Method:  "POST",
			Headers: map[string]string{"Authorization": secret, "X-Pave-Event": string(event)},
			Payload: map[string]any{"event": string(event)},
		}
	}
	// edit returns base(event) changed by f.
	edit := func(event EventName, f func(cb *Callback)) *Callback {
		cb := base(event)
		f(cb)
		return cb
	}
	tests := []struct {
		name      string
		want, got *Callback
		match     bool
	}{
		{"identical", base(EventComplete), base(EventComplete), true},
		{"url differs", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.URL += "/v2" }), false},
		{"url differs in case", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.URL = "https://hooks.example.com/PAVE" }), false},
		{"method in lower case", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.Method = "post" }), true},
		{"empty method wanted is POST", edit(EventComplete, func(cb *Callback) { cb.Method = "" }), base(EventComplete), true},
		{"empty method at PAVE is POST", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.Method = "" }), true},
		{"empty method is not PUT", edit(EventComplete, func(cb *Callback) { cb.Method = "" }),
			edit(EventComplete, func(cb *Callback) { cb.Method = "PUT" }), false},
		{"method differs", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.Method = "PATCH" }), false},
		{"header names in other cases", base(EventComplete), edit(EventComplete, func(cb *Callback) {
			cb.Headers = map[string]string{"AUTHORIZATION": secret, "x-pave-event": "SESSION:COMPLETE"}
		}), true},
		{"header value differs", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.Headers["Authorization"] = "Bearer other-0123456789abcdef" }), false},
		{"header value differs in case", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.Headers["X-Pave-Event"] = "session:complete" }), false},
		{"header value with a space more", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.Headers["Authorization"] = secret + " " }), false},
		{"extra header at PAVE", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.Headers["X-Old"] = "1" }), false},
		{"header missing at PAVE", base(EventComplete), edit(EventComplete, func(cb *Callback) { delete(cb.Headers, "X-Pave-Event") }), false},
		{"nil and empty headers", edit(EventComplete, func(cb *Callback) { cb.Headers = nil }),
			edit(EventComplete, func(cb *Callback) { cb.Headers = map[string]string{} }), true},
		{"no headers wanted, some at PAVE", edit(EventComplete, func(cb *Callback) { cb.Headers = nil }), base(EventComplete), false},
		{"duplicate names folded do not hide a difference",
			edit(EventComplete, func(cb *Callback) { cb.Headers = map[string]string{"X-A": "1", "x-a": "1"} }),
			edit(EventComplete, func(cb *Callback) { cb.Headers = map[string]string{"X-A": "1", "X-B": "1"} }), false},
		{"duplicate names at PAVE do not hide a difference",
			edit(EventComplete, func(cb *Callback) { cb.Headers = map[string]string{"X-A": "1", "X-B": "1"} }),
			edit(EventComplete, func(cb *Callback) { cb.Headers = map[string]string{"X-A": "1", "x-a": "1"} }), false},
		{"payload numbers compare as JSON", edit(EventComplete, func(cb *Callback) { cb.Payload["dealer_id"] = 17 }),
			edit(EventComplete, func(cb *Callback) { cb.Payload["dealer_id"] = float64(17) }), true},
		{"payload nested values compare as JSON",
			edit(EventComplete, func(cb *Callback) {
				cb.Payload["meta"] = map[string]any{"tier": 2, "tags": []string{"a"}}
			}),
			edit(EventComplete, func(cb *Callback) {
				cb.Payload["meta"] = map[string]any{"tags": []any{"a"}, "tier": 2.0}
			}), true},
		{"payload value differs", edit(EventComplete, func(cb *Callback) { cb.Payload["dealer_id"] = 17 }),
			edit(EventComplete, func(cb *Callback) { cb.Payload["dealer_id"] = "17" }), false},
		{"payload key missing at PAVE", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.Payload = nil }), false},
		{"payload null is not absent", edit(EventComplete, func(cb *Callback) { cb.Payload["x"] = nil }), base(EventComplete), false},
		{"no payload wanted, none at PAVE", edit(EventComplete, func(cb *Callback) { cb.Payload = nil }),
			edit(EventComplete, func(cb *Callback) { cb.Payload = map[string]any{} }), true},
		{"undocumented extra payload key", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.Payload["source"] = "PAVE" }), false},
		{"SMS_PROCESS echoes phone, status, message", base(EventSMSProcess), edit(EventSMSProcess, func(cb *Callback) {
			cb.Payload["phone"], cb.Payload["status"], cb.Payload["message"] = "+19025550143", "success", "delivered"
		}), true},
		{"SMS_PROCESS with an other key", base(EventSMSProcess), edit(EventSMSProcess, func(cb *Callback) {
			cb.Payload["phone"], cb.Payload["session_key"] = "+19025550143", "NSA-7K2D5MZ8WP"
		}), false},
		{"STAGE_CHANGE echoes its fields", base(EventStageChange), edit(EventStageChange, func(cb *Callback) {
			cb.Payload["session_key"], cb.Payload["photo_url"] = "NSA-7K2D5MZ8WP", "https://cdn.example/p_04_.jpg"
			cb.Payload["photo_status"], cb.Payload["message"] = "REJECTED: Wrong View", "Wrong View"
		}), true},
		{"STAGE_CHANGE with an SMS field", base(EventStageChange), edit(EventStageChange, func(cb *Callback) { cb.Payload["status"] = "success" }), false},
		{"echoed keys by event name in another case", base("session:sms_process"), edit("session:sms_process", func(cb *Callback) {
			cb.Payload["phone"] = "+19025550143"
		}), true},
		{"a documented key asked for is compared", edit(EventSMSProcess, func(cb *Callback) { cb.Payload["message"] = "ours" }),
			edit(EventSMSProcess, func(cb *Callback) { cb.Payload["message"] = "theirs" }), false},
		{"echoed key names are exact", base(EventSMSProcess), edit(EventSMSProcess, func(cb *Callback) { cb.Payload["Phone"] = "+19025550143" }), false},
		{"COMPLETE echoes nothing", base(EventComplete), edit(EventComplete, func(cb *Callback) { cb.Payload["message"] = "x" }), false},
		{"unmarshalable wanted value differs", edit(EventComplete, func(cb *Callback) { cb.Payload["f"] = func() {} }),
			edit(EventComplete, func(cb *Callback) { cb.Payload["f"] = nil }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.match, callbackMatches(tt.want, tt.got))
		})
	}
}
