package webhook

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/wire"
)

// envelopeView is what parse uses of an envelope.
type envelopeView struct {
	Name                                          pave.EventName
	SessionKey                                    string
	Session, SessionHasVehicle, Vehicle           bool
	PhotoURL, Phone, Status, PreviousStatus, Note bool
}

func viewOf(env *envelope) envelopeView {
	v := envelopeView{
		SessionKey: string(env.SessionKey),
		Session:    env.Session.object, SessionHasVehicle: env.Session.hasVehicle, Vehicle: env.Vehicle.object,
		PhotoURL: bool(env.PhotoURL), Phone: bool(env.Phone), Status: bool(env.Status),
		PreviousStatus: bool(env.PreviousStatus), Note: bool(env.Note),
	}
	if s := string(env.Event); nameOK(s) {
		v.Name = pave.EventName(s).Canonical()
	}
	if v.SessionKey == "" {
		v.SessionKey = env.Session.key
	}
	if v.SessionKey == "" {
		v.SessionKey = env.Vehicle.key
	}
	return v
}

// checkSkim checks skimEnvelope against json.Unmarshal into an envelope:
// whatever it accepts, encoding/json accepts and reads alike. It reports
// whether the skim accepted the body.
func checkSkim(t *testing.T, body []byte) bool {
	t.Helper()
	trimmed := wire.Trim(body)
	var fast envelope
	skimmed := len(trimmed) > 0 && trimmed[0] == '{' && skimEnvelope(trimmed, &fast)
	var slow envelope
	err := json.Unmarshal(trimmed, &slow)
	if !skimmed {
		return false
	}
	require.NoError(t, err, "skimmed a body encoding/json rejects: %q", body)
	require.Equal(t, viewOf(&slow), viewOf(&fast), "%q", body)
	return true
}

func TestSkimEnvelope(t *testing.T) {
	t.Parallel()
	// Bodies the skim reads itself.
	for _, body := range []string{
		`{}`, ` { } `, "{\t\"a\"\r\n:\n1 }",
		string(rxFixture(t, "delivery_complete.json")),
		string(rxFixture(t, "delivery_complete_no_event.json")),
		string(rxFixture(t, "delivery_stage_change.json")),
		string(rxFixture(t, "delivery_sms_process.json")),
		string(rxFixture(t, "delivery_status_change.json")),
		string(rxFixture(t, "delivery_note_insert.json")),
		string(rxFixture(t, "delivery_unknown_event.json")),
		`{"event": "session:complete", "session": {"session_key": "K-2"}}`,
		`{"EVENT": "Session:Stage_Change", "Photo_URL": "x"}`,
		`{"event": " SESSION:COMPLETE "}`,
		`{"event": "SESSION:COMPLETE", "event": 42}`,
		`{"event": "SESSION:COMPLETE", "event": null}`,
		`{"event": "SESSION:COMPLETE", "event": "SESSION:NOTE_INSERT"}`,
		`{"event": "SESSION:\u0043OMPLETE"}`,
		`{"event": "SESSION:COMPLETE\u0000"}`,
		`{"event": "\u00a0SESSION:COMPLETE"}`,
		`{"event": "` + "\u00a0" + `SESSION:COMPLETE"}`,
		`{"event": "ſESSION:COMPLETE"}`,
		`{"event": "` + strings.Repeat("E", 200) + `"}`,
		`{"event": true, "event": false, "event": [1], "event": {"a": "b"}}`,
		`{"session_key": 12345}`, `{"session_key": null}`, `{"session_key": {"a": [1, 2.5e-3]}}`,
		`{"session_key": "A", "session_key": "B"}`, `{"session_key": "A", "session_key": null}`,
		`{"session": {"session_key": "K-4"}, "vehicle": {"vin": "X"}}`,
		`{"session": {}, "vehicle": {"session_key": "K-5"}}`,
		`{"session": {"session_key": "A"}, "session": {"vehicle": {}}}`,
		`{"session": {"session_key": "A", "vehicle": {}}, "session": "x", "session": null}`,
		`{"session": {"vehicle": {}, "vehicle": null}}`,
		`{"session": {"Vehicle": {"vehicle": {"session_key": 1}}}, "VEHICLE": {"SESSION_KEY": "V"}}`,
		`{"session": {"session_key": "S"}, "vehicle": {"session_key": "V"}, "session_key": ""}`,
		`{"session": "K", "vehicle": {}}`,
		`{"photo_url": null}`, `{"photo_url": "x", "photo_url": null}`, `{"photo_url": null, "photo_url": 0}`,
		`{"phone": "1", "status": "success"}`, `{"status": "x", "session_key": "K"}`, `{"previous_status": false}`,
		`{"note": {"id": 1}}`, `{"note": []}`,
		`{"a": [1, -0, 0.5, -12.75e+10, 3E-2, true, false, null, "s\"\\\/\b\f\n\r\t\u12aF", {}, [], [[]], {"b": {"c": []}}]}`,
		`{"a": "` + "\xff\xfe\x7f" + `"}`,
		`{"a": {"` + "\xff" + `": 1}}`,
		`{"a": ` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
		`{"a": "` + strings.Repeat("0123456789abcdef", 40) + `"}`,
	} {
		assert.True(t, checkSkim(t, []byte(body)), "not skimmed: %q", body)
	}
	// Bodies left to encoding/json: invalid ones, and keys of interest in
	// unusual spellings (which it must read alike, through the fallback).
	for _, body := range []string{
		``, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{"a":1 "b":2}`, `{"a":1}}`, `{"a":1} x`, `{"a":1}{}`,
		`{"a": [1,]}`, `{"a": [,1]}`, `{"a": [1 2]}`, `{"a": {"b"}}`, `{"a": {1: 2}}`, `{"a": [}`, `{"a": {]}`,
		`{"a": 01}`, `{"a": -}`, `{"a": 1.}`, `{"a": .5}`, `{"a": 1e}`, `{"a": 1e+}`, `{"a": +1}`, `{"a": 0x1}`,
		`{"a": NaN}`, `{"a": tru}`, `{"a": nul}`, `{"a": True}`, `{"a": nullx}`,
		`{"a": "x` + "\x01" + `"}`, `{"a": "x` + "\n" + `"}`, `{"a": "\x"}`, `{"a": "\u12g4"}`, `{"a": "\u12"}`,
		`{"a": "x}`, `{"a": "x\"}`, `{"a` + "\x1f" + `": 1}`,
		"{\"a\": 1\v}", "{\"a\":\u00a01}", "\v{}",
		`{"\u0065vent": "SESSION:COMPLETE"}`, `{"sessi\u006fn": {"session_key": "K"}, "vehicle": {}}`,
		`{"session": {"session_\u006bey": "K"}, "vehicle": {}}`,
		`{"session_` + "\u212a" + `ey": "K"}`, `{"ſession_key": "K"}`, `{"event": 1, "é": 2}`, `{"` + "\xff" + `": 1}`,
		`{"a": ` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`,
		`{"a": ` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	} {
		assert.False(t, checkSkim(t, []byte(body)), "skimmed: %q", body)
		ev, err := parse([]byte(body), nil, nil)
		var env envelope
		if json.Unmarshal(wire.Trim([]byte(body)), &env) != nil || !strings.HasPrefix(strings.TrimSpace(body), "{") {
			assert.ErrorIs(t, err, ErrMalformed, "%q", body)
			continue
		}
		require.NoError(t, err, "%q", body)
		v := viewOf(&env)
		assert.Equal(t, v.SessionKey, ev.SessionKey, "%q", body)
		if v.Name != "" {
			assert.Equal(t, v.Name, ev.Name, "%q", body)
		}
	}
}

// FuzzSkimEnvelope checks the skim against encoding/json on any body.
func FuzzSkimEnvelope(f *testing.F) {
	for _, name := range []string{
		"delivery_complete.json", "delivery_complete_no_event.json", "delivery_stage_change.json",
		"delivery_stage_change_rejected.json", "delivery_sms_process.json", "delivery_status_change.json",
		"delivery_note_insert.json", "delivery_unknown_event.json",
	} {
		f.Add(rxFixture(f, name))
	}
	for _, seed := range []string{
		`{"event": "SESSION:COMPLETE", "event": null, "session": {"session_key": 1, "vehicle": {}}, "vehicle": "x"}`,
		`{"Session_Key": "A", "photo_url": null, "PHONE": "1", "status": [1, {"a": -1.5e3}], "note": "\u00e9\n"}`,
		`{"a": [1, -0, 0.5, "s\"\\\/\b\f\n\r\t\u12aF", {}, [], [[]], {"b": {"c": []}}], "b": "` + "\xff" + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkSkim(t, body)
	})
}
