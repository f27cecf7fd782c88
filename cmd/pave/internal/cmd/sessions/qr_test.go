package sessions

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/output"
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
		got, err := CaptureQR(link)
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
	_, err := CaptureQR(strings.Repeat("x", 5000))
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
	p := output.New(&out, &out)
	p.SetTerminal(true)
	var mu sync.Mutex
	statuses := []pave.SessionStatus{pave.StatusIdle, pave.StatusProcess}
	calls := 0
	stop := liveStatus(context.Background(), p, 10*time.Millisecond, "NSA-7K2D5MZ8WP",
		func(context.Context) (pave.SessionStatus, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls == 3 {
				return "", errors.New("network down")
			}
			return statuses[min(calls-1, 1)], nil
		})
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
	assert.Equal(t, "Waiting for session K: QC_PASSED (1m2s)", statusLine("K", pave.StatusQCPassed, nil,
		62*time.Second+300*time.Millisecond))
	assert.Equal(t, "Waiting for session K: status unavailable (0s)", statusLine("K", "", errors.New("x"), 0))
	assert.Equal(t, "Waiting for session K: PROCESS (3s)", statusLine("K", pave.StatusProcess, errors.New("x"),
		3*time.Second),
		"a failed poll keeps the last status")
}
