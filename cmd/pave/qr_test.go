package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

// The command's tests run it piped, where it never draws a QR code: these
// test the drawing itself.

// decodeHalfBlocks turns qrHalfBlocks' output back into a bitmap (true:
// dark) of the given height.
func decodeHalfBlocks(t *testing.T, s string, height int) [][]bool {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	require.Len(t, lines, (height+1)/2)
	bits := make([][]bool, 0, height)
	for i, line := range lines {
		var upper, lower []bool
		for _, r := range line {
			switch r {
			case '█':
				upper, lower = append(upper, false), append(lower, false)
			case '▀':
				upper, lower = append(upper, false), append(lower, true)
			case '▄':
				upper, lower = append(upper, true), append(lower, false)
			case ' ':
				upper, lower = append(upper, true), append(lower, true)
			default:
				t.Fatalf("line %d: unexpected %q", i, r)
			}
		}
		bits = append(bits, upper)
		if len(bits) < height {
			bits = append(bits, lower)
		}
	}
	return bits
}

func TestCaptureQRDrawsTheLinkBitmap(t *testing.T) {
	t.Parallel()
	for _, link := range []string{
		"https://lakesidehonda.vehiclecapture.com/NSA-7K2D5MZ8WP",
		"https://pavetest.vehiclecapture.com/QBQ-4WDU6J4W7W",
		"x",
	} {
		got, err := captureQR(link)
		require.NoError(t, err)
		q, err := qrcode.New(link, qrcode.Low)
		require.NoError(t, err)
		want := q.Bitmap()
		assert.Equal(t, want, decodeHalfBlocks(t, got, len(want)), link)
		for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
			assert.Equal(t, len(want[0]), len([]rune(line)), "every line is one character per column")
		}
		// The quiet zone is light: the first line is all full blocks.
		first, _, _ := strings.Cut(got, "\n")
		assert.Equal(t, strings.Repeat("█", len(want[0])), first)
	}
}

func TestQRHalfBlocksCells(t *testing.T) {
	t.Parallel()
	// Columns: light/light, light/dark, dark/light, dark/dark; then an odd
	// last row.
	bits := [][]bool{
		{false, false, true, true},
		{false, true, false, true},
		{false, true, false, true},
	}
	assert.Equal(t, "█▀▄ \n▀ ▀ \n", qrHalfBlocks(bits))
	assert.Equal(t, "", qrHalfBlocks(nil))
}

func TestCaptureQRTooLong(t *testing.T) {
	t.Parallel()
	_, err := captureQR(strings.Repeat("x", 5000))
	assert.Error(t, err)
}

// qrTestBuffer is a bytes.Buffer safe for the status goroutine.
type qrTestBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *qrTestBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *qrTestBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLiveStatusRewritesOneLine(t *testing.T) {
	t.Parallel()
	var out qrTestBuffer
	var mu sync.Mutex
	statuses := []pave.SessionStatus{pave.StatusIdle, pave.StatusProcess}
	calls := 0
	stop := liveStatus(context.Background(), &out, 10*time.Millisecond, func(context.Context) (pave.SessionStatus, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 3 {
			return "", errors.New("network down")
		}
		return statuses[min(calls-1, 1)], nil
	}, "NSA-7K2D5MZ8WP")
	require.Eventually(t, func() bool { return strings.Count(out.String(), "\r") >= 4 }, 5*time.Second, 5*time.Millisecond)
	stop()
	s := out.String()
	assert.NotContains(t, s, "\n", "one line, rewritten")
	assert.Contains(t, s, "\r\033[KWaiting for session NSA-7K2D5MZ8WP: IDLE (")
	assert.Contains(t, s, "\r\033[KWaiting for session NSA-7K2D5MZ8WP: PROCESS (")
	assert.True(t, strings.HasSuffix(s, "\r\033[K"), "stop erases the line: %q", s)
	n := len(s)
	time.Sleep(30 * time.Millisecond)
	assert.Len(t, out.String(), n, "nothing is written after stop")
}

func TestStatusLine(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "\r\033[KWaiting for session K: QC_PASSED (1m2s)", statusLine("K", pave.StatusQCPassed, nil, 62*time.Second+300*time.Millisecond))
	assert.Equal(t, "\r\033[KWaiting for session K: status unavailable (0s)", statusLine("K", "", errors.New("x"), 0))
	assert.Equal(t, "\r\033[KWaiting for session K: PROCESS (3s)", statusLine("K", pave.StatusProcess, errors.New("x"), 3*time.Second),
		"a failed poll keeps the last status")
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]pave.EventName{
		"complete": pave.EventComplete, "COMPLETE": pave.EventComplete, "session:complete": pave.EventComplete,
		" SESSION:COMPLETE ": pave.EventComplete, "stage_change": pave.EventStageChange, "stage-change": pave.EventStageChange,
		"Status_Change": pave.EventStatusChange, "sms_process": pave.EventSMSProcess, "note-insert": pave.EventNoteInsert,
	} {
		got, err := parseEvent(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "done", "SESSION:", "SESSION:DONE", "session_complete"} {
		_, err := parseEvent(in)
		var ue usageError
		assert.ErrorAs(t, err, &ue, in)
	}
}

func TestRedactCallbackJSON(t *testing.T) {
	t.Parallel()
	var cb pave.Callback
	require.NoError(t, json.Unmarshal([]byte(`{"event":"SESSION:COMPLETE","url":"https://u:pw@crm.example/p?event=SESSION:COMPLETE&t=tok",
		"method":"POST","headers":"{\"Authorization\":\"Bearer s3cr3t-s3cr3t-s3cr3t\"}","payload":{"event":"SESSION:COMPLETE","tenant":"north"},"api_key":"k"}`), &cb))
	b, err := json.Marshal(redactCallbackJSON(cb))
	require.NoError(t, err)
	s := string(b)
	for _, secret := range []string{"s3cr3t", "north", "tok", "pw"} {
		assert.NotContains(t, s, secret)
	}
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, `{"Authorization":"[REDACTED]"}`, got["headers"], "headers sent as JSON text stay text")
	assert.Equal(t, map[string]any{"event": "SESSION:COMPLETE", "tenant": redactedValue}, got["payload"])
	assert.Equal(t, "k", got["api_key"])
	assert.Contains(t, got["url"], "event=SESSION")

	// A setting built in code has no raw form: its fields, redacted.
	built := pave.NewCallback(pave.EventStageChange, "https://crm.example/p", "s3cr3t-s3cr3t-s3cr3t")
	b, err = json.Marshal(redactCallbackJSON(*built))
	require.NoError(t, err)
	assert.NotContains(t, string(b), "s3cr3t")
	assert.Contains(t, string(b), `"Authorization":"[REDACTED]"`)

	// Headers of an unreadable shape are hidden whole.
	require.NoError(t, json.Unmarshal([]byte(`{"event":"SESSION:COMPLETE","url":"https://crm.example/p","headers":"Bearer s3cr3t"}`), &cb))
	b, err = json.Marshal(redactCallbackJSON(cb))
	require.NoError(t, err)
	assert.NotContains(t, string(b), "s3cr3t")
}

func TestSameCallback(t *testing.T) {
	t.Parallel()
	a := &pave.Callback{URL: "https://x.example", Headers: map[string]string{"A": "1"}, Payload: map[string]any{"event": "E"}}
	b := &pave.Callback{URL: "https://x.example", Method: "post", Headers: map[string]string{"A": "1"}, Payload: map[string]any{"event": "E"}}
	assert.True(t, sameCallback(a, b))
	for _, c := range []*pave.Callback{
		{URL: "https://y.example", Headers: a.Headers, Payload: a.Payload},
		{URL: a.URL, Method: "PUT", Headers: a.Headers, Payload: a.Payload},
		{URL: a.URL, Headers: map[string]string{"A": "2"}, Payload: a.Payload},
		{URL: a.URL, Headers: map[string]string{"A": "1", "B": ""}, Payload: a.Payload},
		{URL: a.URL, Headers: a.Headers, Payload: map[string]any{"event": "F"}},
	} {
		assert.False(t, sameCallback(a, c), "%v", c)
	}
	assert.True(t, sameCallback(&pave.Callback{URL: "u", Payload: map[string]any{}}, &pave.Callback{URL: "u"}))
}

func TestWithFlagHint(t *testing.T) {
	t.Parallel()
	plain := errors.New("boom")
	assert.Same(t, plain, withFlagHint(plain, sessionFieldFlags))
	err := (&pave.CreateSessionRequest{
		Vehicle: &pave.Vehicle{VIN: "X"},
		Options: &pave.SessionOptions{SMS: &pave.SMS{To: "1"}},
	}).Validate()
	require.Error(t, err)
	got := withFlagHint(err, sessionFieldFlags)
	require.ErrorIs(t, got, pave.ErrValidation)
	assert.True(t, strings.HasSuffix(got.Error(), "(check --sms-to, --vin)"), got.Error())
	unknown := &pave.ValidationError{Op: "X", Errors: map[string][]string{"elsewhere": {"bad"}}}
	assert.Equal(t, unknown.Error(), withFlagHint(unknown, sessionFieldFlags).Error())
}
