package pave_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

const hsNotReadyBody = `{"success": false, "message": "Session is not yet completed.", "data": []}`

// hsResultsResponder answers with the damages of hotspots_results.json.
func hsResultsResponder(t *testing.T) httpmock.Responder {
	return jsonResponder(200, string(pavetest.MustFixture(t, "hotspots_results.json")))
}

// hsRepeat is n copies of r, for a sequence.
func hsRepeat(n int, r httpmock.Responder) []httpmock.Responder {
	out := make([]httpmock.Responder, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// hsAllResultsGets asserts every request sent is the results GET of hsKey.
func hsAllResultsGets(t *testing.T, reqs []pavetest.Request) {
	t.Helper()
	for i, r := range reqs {
		assert.Equal(t, http.MethodGet, r.Method, "request %d", i)
		assert.Equal(t, "/v1/hotspots/"+hsKey, r.EscapedPath, "request %d", i)
	}
}

func TestHotspotsWaitForResultsCompletes(t *testing.T) {
	t.Parallel()
	for _, notReady := range []int{0, 1, 3} {
		t.Run(strconv.Itoa(notReady)+" not ready", func(t *testing.T) {
			t.Parallel()
			responders := append(hsRepeat(notReady, jsonResponder(200, hsNotReadyBody)), hsResultsResponder(t))
			c, mt := hsMockClient(t, nil, responders...)

			res, err := c.Hotspots.WaitForResults(waitCtx(t), hsKey, fastPolling()...)
			require.NoError(t, err)
			assert.True(t, res.Success)
			assert.Equal(t, "3 damages found on the vehicle.", res.Message)
			assert.Equal(t, 3, res.DamageCount())

			reqs := pavetest.Sent(mt)
			assert.Len(t, reqs, notReady+1, "one request per poll, none after the results")
			hsAllResultsGets(t, reqs)
			if len(reqs) > 0 {
				hsAssertSigned(t, reqs[len(reqs)-1].Header)
			}
		})
	}
}

// Every documented shape of "not yet completed" keeps the wait going.
func TestHotspotsWaitForResultsNotReadyShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"200 message", 200, `{"message": "Session is not yet completed."}`},
		{"200 success false", 200, hsNotReadyBody},
		{"200 success false (fake server fixture)", 200, string(pavetest.MustFixture(t, "hotspots_not_ready.json"))},
		{"200 success as string", 200, `{"success": "false", "message": "Session is not yet completed."}`},
		{"400 message", 400, `{"message": "Session is not yet completed."}`},
		{"409 message", 409, `{"message": "Session is not yet completed."}`},
		{"409 success false", 409, `{"success": false, "message": "Session is not yet completed."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			notReady := jsonResponder(tt.status, tt.body)
			c, mt := hsMockClient(t, nil, notReady, notReady, hsResultsResponder(t))

			res, err := c.Hotspots.WaitForResults(waitCtx(t), hsKey, fastPolling()...)
			require.NoError(t, err)
			assert.Equal(t, 3, res.DamageCount())
			reqs := pavetest.Sent(mt)
			assert.Len(t, reqs, 3)
			hsAllResultsGets(t, reqs)
		})
	}
}

func TestHotspotsWaitForResultsPollsThroughTransientErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []pave.Option
		responders func(t *testing.T) []httpmock.Responder
		requests   int
	}{
		{
			// The kit's client makes 3 attempts: the poll after them succeeds.
			name: "503 outlasting the client's retries",
			responders: func(t *testing.T) []httpmock.Responder {
				return append(hsRepeat(3, jsonResponder(503, `{"message": "Service Unavailable"}`)), hsResultsResponder(t))
			},
			requests: 4,
		},
		{
			// No client retries: each failure reaches the poll loop.
			name: "every transient kind",
			opts: []pave.Option{pave.WithMaxRetries(0)},
			responders: func(t *testing.T) []httpmock.Responder {
				return []httpmock.Responder{
					jsonResponder(503, `{"message": "Service Unavailable"}`),
					jsonResponder(429, `{"message": "Too Many Requests."}`),
					httpmock.NewErrorResponder(errors.New("connection reset by peer")),
					httpmock.NewStringResponder(502, `<html>bad gateway</html>`),
					jsonResponder(200, hsNotReadyBody),
					hsResultsResponder(t),
				}
			},
			requests: 6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, tt.opts, tt.responders(t)...)
			res, err := c.Hotspots.WaitForResults(waitCtx(t), hsKey, fastPolling()...)
			require.NoError(t, err)
			assert.Equal(t, 3, res.DamageCount())
			reqs := pavetest.Sent(mt)
			assert.Len(t, reqs, tt.requests)
			hsAllResultsGets(t, reqs)
		})
	}
}

func TestHotspotsWaitForResultsStopsOnPermanentErrors(t *testing.T) {
	t.Parallel()
	notFound := jsonResponder(404, `{"message": "Session SPN-7Q2M9XK4TB cannot be found."}`)
	tests := []struct {
		name     string
		notReady int // not-ready answers before the failure
		failure  httpmock.Responder
		check    func(t *testing.T, err error)
	}{
		{"404", 0, notFound, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, pave.ErrNotFound)
		}},
		{"404 after not ready", 2, notFound, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, pave.ErrNotFound)
		}},
		{"401", 0, jsonResponder(401, `{"message": "Invalid API-Token."}`), func(t *testing.T, err error) {
			assert.ErrorIs(t, err, pave.ErrUnauthorized)
		}},
		{"400 refusal", 1, jsonResponder(400, `{"message": "Missing required fields."}`), func(t *testing.T, err error) {
			var apiErr *pave.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 400, apiErr.StatusCode)
			assert.Equal(t, "Missing required fields.", apiErr.Message)
		}},
		{"other success false", 0, jsonResponder(200, `{"success": false, "message": "Hotspots is not enabled."}`), func(t *testing.T, err error) {
			var apiErr *pave.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 200, apiErr.StatusCode)
			assert.Equal(t, "Hotspots is not enabled.", apiErr.Message)
		}},
		{"malformed", 1, jsonResponder(200, `{"success": true, "data": [{"photo_code": 4, "inspection_data": 5}]}`), func(t *testing.T, err error) {
			assert.ErrorIs(t, err, pave.ErrBadResponse)
		}},
		{"not JSON", 0, httpmock.NewStringResponder(200, `<html>maintenance</html>`), func(t *testing.T, err error) {
			assert.ErrorIs(t, err, pave.ErrBadResponse)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Results after the failure would show a poll too many.
			responders := append(hsRepeat(tt.notReady, jsonResponder(200, hsNotReadyBody)), tt.failure, hsResultsResponder(t))
			c, mt := hsMockClient(t, nil, responders...)

			res, err := c.Hotspots.WaitForResults(waitCtx(t), hsKey, fastPolling()...)
			assert.Nil(t, res)
			require.Error(t, err)
			tt.check(t, err)
			assert.NotErrorIs(t, err, pave.ErrNotReady)
			assert.NotContains(t, err.Error(), "gave up", "returned as is, not as an ended wait")
			assert.Len(t, pavetest.Sent(mt), tt.notReady+1, "no poll after a permanent error")
		})
	}
}

func TestHotspotsWaitForResultsValidatesKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"", "  ", "a/b", "x\x00y", ".."} {
		t.Run(strconv.Quote(key), func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, nil) // nothing answers
			// A bad key is reported before a bad option.
			res, err := c.Hotspots.WaitForResults(waitCtx(t), key, pave.PollFirstAfter(-1))
			assert.Nil(t, res)
			require.ErrorIs(t, err, pave.ErrValidation)
			assert.NotErrorIs(t, err, pave.ErrInvalidOption)
			var ve *pave.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "Hotspots.WaitForResults", ve.Op)
			assert.Contains(t, pave.FieldErrors(err), "session_key")
			assert.Empty(t, pavetest.Sent(mt))
		})
	}
}

func TestHotspotsWaitForResultsValidatesOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []pave.CallOption
		want string
	}{
		{"negative first wait", []pave.CallOption{pave.PollFirstAfter(-time.Second)}, "PollFirstAfter: -1s is negative"},
		{"zero interval", []pave.CallOption{pave.PollInterval(0, 0)}, "PollInterval: initial interval 0s is under 10ms"},
		{"a unit mistake", []pave.CallOption{pave.PollInterval(5, 60)}, "initial interval 5ns is under 10ms"},
		{"under the floor", []pave.CallOption{pave.PollInterval(9*time.Millisecond, time.Second)}, "initial interval 9ms is under 10ms"},
		{"max below initial", []pave.CallOption{pave.PollInterval(time.Second, 500*time.Millisecond)}, "max 500ms is under the initial interval 1s"},
		{"bad after a good one", []pave.CallOption{pave.PollFirstAfter(0), pave.PollInterval(time.Millisecond, time.Second)}, "initial interval 1ms is under 10ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := hsMockClient(t, nil) // nothing answers
			res, err := c.Hotspots.WaitForResults(waitCtx(t), hsKey, tt.opts...)
			assert.Nil(t, res)
			require.ErrorIs(t, err, pave.ErrInvalidOption)
			assert.ErrorContains(t, err, tt.want)
			assert.Empty(t, pavetest.Sent(mt), "no poll with a bad option")
		})
	}
	t.Run("nil and the smallest valid values", func(t *testing.T) {
		t.Parallel()
		c, mt := hsMockClient(t, nil, jsonResponder(200, hsNotReadyBody), hsResultsResponder(t))
		res, err := c.Hotspots.WaitForResults(waitCtx(t), hsKey, nil, pave.PollFirstAfter(0), pave.PollInterval(10*time.Millisecond, 10*time.Millisecond))
		require.NoError(t, err)
		assert.Equal(t, 3, res.DamageCount())
		assert.Len(t, pavetest.Sent(mt), 2)
	})
}

// gaveUp matches the message of an ended wait for hsKey.
var gaveUp = regexp.MustCompile(`^pave: waiting for hotspot results of ` + hsKey + `: gave up after (\S+) and (\d+) polls?\b`)

// hsEndedWait returns the wait and the polls an ended wait's error reports.
func hsEndedWait(t *testing.T, err error) (time.Duration, int) {
	t.Helper()
	m := gaveUp.FindStringSubmatch(err.Error())
	require.NotNil(t, m, "message: %s", err)
	d, perr := time.ParseDuration(m[1])
	require.NoError(t, perr)
	n, perr := strconv.Atoi(m[2])
	require.NoError(t, perr)
	return d, n
}

func TestHotspotsWaitForResultsContext(t *testing.T) {
	t.Parallel()
	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		c, mt := hsMockClient(t, nil, jsonResponder(200, hsNotReadyBody))
		start := time.Now()
		res, err := c.Hotspots.WaitForResults(ctx, hsKey, pave.PollFirstAfter(0), pave.PollInterval(10*time.Millisecond, 10*time.Millisecond))
		took := time.Since(start)
		assert.Nil(t, res)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotErrorIs(t, err, pave.ErrNotReady)

		waited, polls := hsEndedWait(t, err)
		sent := len(pavetest.Sent(mt))
		assert.GreaterOrEqual(t, sent, 2, "polled until the deadline")
		// The deadline may stop the last poll before its request is sent.
		assert.Contains(t, []int{sent, sent + 1}, polls)
		assert.GreaterOrEqual(t, waited, 100*time.Millisecond)
		assert.LessOrEqual(t, waited, took+time.Millisecond)
	})
	t.Run("cancelled while not ready", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var calls atomic.Int32
		c, mt := hsMockClient(t, nil, func(*http.Request) (*http.Response, error) {
			if calls.Add(1) == 3 {
				cancel()
			}
			return jsonResponse(200, hsNotReadyBody), nil
		})
		_, err := c.Hotspots.WaitForResults(ctx, hsKey, fastPolling()...)
		require.ErrorIs(t, err, context.Canceled)
		_, polls := hsEndedWait(t, err)
		assert.Equal(t, 3, polls)
		assert.Len(t, pavetest.Sent(mt), 3)
		assert.NotContains(t, err.Error(), "last poll")
	})
	t.Run("deadline after a transient failure", func(t *testing.T) {
		t.Parallel()
		// The first poll gets a 503; the deadline falls in the wait after
		// it, so the error names both.
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		defer cancel()
		c, mt := hsMockClient(t, []pave.Option{pave.WithMaxRetries(0)}, jsonResponder(503, `{"message": "Service Unavailable"}`))
		_, err := c.Hotspots.WaitForResults(ctx, hsKey, pave.PollFirstAfter(0), pave.PollInterval(time.Minute, time.Minute))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotErrorIs(t, err, pave.ErrServer, "the wait ended on ctx, not on the 503")
		_, polls := hsEndedWait(t, err)
		assert.Equal(t, 1, polls)
		assert.Len(t, pavetest.Sent(mt), 1)
		assert.Regexp(t, `and 1 poll \(last poll: .*503.*Service Unavailable.*\): context deadline exceeded$`, err.Error())
	})
	t.Run("before the first poll", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c, mt := hsMockClient(t, nil)
		_, err := c.Hotspots.WaitForResults(ctx, hsKey) // default 5 s first wait
		require.ErrorIs(t, err, context.Canceled)
		_, polls := hsEndedWait(t, err)
		assert.Zero(t, polls)
		assert.Empty(t, pavetest.Sent(mt))
	})
}

// Against the fake server: results stay not ready until the analysis is
// finished, and the wait returns them then.
func TestHotspotsWaitForResultsFakeServer(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	c := srv.Client()
	ctx := waitCtx(t)

	sess, err := c.Hotspots.CreateSession(ctx, nil)
	require.NoError(t, err)
	key := sess.SessionKey
	var photos []pave.HotspotPhoto
	for _, code := range pave.CaptureOrder() {
		photos = append(photos, pave.HotspotPhoto{
			PhotoLabel: code.Label(),
			URL:        fmt.Sprintf("https://cdn.spin360.example/lot7/3310/%02d.jpg", int(code)),
		})
	}
	uploads, err := c.Hotspots.UploadPhotos(ctx, key, photos)
	require.NoError(t, err)
	require.Empty(t, pave.FailedUploads(uploads))

	type outcome struct {
		res *pave.HotspotResults
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := c.Hotspots.WaitForResults(ctx, key, fastPolling()...)
		done <- outcome{res, err}
	}()

	polls := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Method == http.MethodGet && r.Path == "/v1/hotspots/"+key {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return polls() >= 2 }, 10*time.Second, 5*time.Millisecond, "the wait polls while not ready")
	select {
	case o := <-done:
		t.Fatalf("returned before the analysis: %v, %v", o.res, o.err)
	default:
	}
	require.NoError(t, srv.ProcessHotspots(key))

	var o outcome
	select {
	case o = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("WaitForResults did not return after the analysis")
	}
	require.NoError(t, o.err)
	assert.True(t, o.res.Success)
	require.Positive(t, o.res.DamageCount())
	for _, p := range o.res.Photos {
		assert.True(t, p.PhotoLabel.Known(), p.PhotoLabel)
		for _, d := range p.Damages {
			assert.NotNil(t, d.Coords, "%s on %s", d.Component, p.PhotoLabel)
		}
	}
	again, err := c.Hotspots.Results(ctx, key)
	require.NoError(t, err)
	assert.JSONEq(t, string(again.Raw()), string(o.res.Raw()), "the results as Results returns them")
}
