package pave_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/nettest"
	"github.com/pave-go/pave/pavetest"
)

// The fault matrix: one row per way the network or a proxy in front of PAVE
// can fail, each run against the fake server with the fault injected. The
// rows' fault and expect strings are the README's reliability table.

// relSeed seeds every fake server of the matrix, so the keys the servers
// hand out are known in advance (see relPredictedKeys).
const relSeed = 5150

// Backoff and Retry-After bounds used by every matrix client.
const (
	relBackoffBase   = time.Millisecond
	relBackoffMax    = 5 * time.Millisecond
	relMaxRetryAfter = 10 * time.Millisecond
	// relAttemptTimeout is the per-attempt timeout of the "slower than
	// the timeout" rows; relSlow is the fault's delay, far beyond it (the
	// fake cuts the delay short as soon as the client hangs up).
	relAttemptTimeout = 200 * time.Millisecond
	relSlow           = 30 * time.Second
)

// The operations a row runs.
const (
	relCreate   = "POST /v1/sessions (Sessions.Create)"
	relGet      = "GET /v1/sessions/{key} (Sessions.Get)"
	relResults  = "GET /v1/sessions/{key}/results (Sessions.Results)"
	relPhotos   = "GET /v1/sessions/{key}/photos (Sessions.Photos)"
	relHotspots = "GET /v1/hotspots/{key} (Hotspots.Results)"
	relUpdate   = "PUT /v1/sessions/{key} changing redirect_url (Sessions.Update)"
	relUpdSMS   = "PUT /v1/sessions/{key} changing sms.to (Sessions.Update)"
	relDelete   = "DELETE /v1/sessions/{key} (Sessions.Delete)"
)

// relErrKind is the error type a row expects.
type relErrKind int

const (
	relNoError relErrKind = iota
	relAPIError
	relRequestError
)

type relRow struct {
	fault  string // the fault, in words
	op     string // relCreate, relGet or relResults
	expect string // the outcome, in words

	refused bool             // send to a closed port instead of the fake
	inject  []pavetest.Fault // faults injected after setup
	timeout time.Duration    // per-attempt timeout (0: the default)
	skew    time.Duration    // client clock minus server clock
	noFix   bool             // WithClockSkewCorrection(false)

	wantErr      relErrKind
	wantStatus   int     // APIError.StatusCode
	wantIs       []error // sentinels or causes errors.Is must find
	wantAttempts int     // attempts the client made
	wantHits     int     // requests of the row's method and path reaching the fake
	wantSessions int     // sessions existing on the fake afterwards
	check        func(t *testing.T, err error)
}

// relHTML502 is the kind of page a load balancer answers with.
const relHTML502 = "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n" +
	"<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n"

// relHugeBody is a 10 MB error body: a JSON object with a message and a
// long trace, cut by the client at MaxErrorBodySize.
func relHugeBody() string {
	var b strings.Builder
	b.WriteString(`{"message": "Internal Server Error.", "trace": "`)
	b.WriteString(strings.Repeat("at com.example.Handler.run(Handler.java:42) ", 10<<20/44))
	b.WriteString(`"}`)
	return b.String()
}

func relRows() []relRow {
	huge := relHugeBody()
	checkHuge := func(t *testing.T, err error) {
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.True(t, apiErr.Truncated, "the 10 MB body is cut")
		assert.Len(t, apiErr.Body, (1 << 20))
		assert.Empty(t, apiErr.Message, "a cut JSON body has no message to decode")
	}
	checkHTML := func(t *testing.T, err error) {
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Empty(t, apiErr.Message)
		assert.Equal(t, relHTML502, string(apiErr.Body), "the page is kept in Body")
		assert.NotContains(t, err.Error(), "<html>", "the page is not in Error()")
	}
	check429 := func(t *testing.T, err error) {
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, time.Second, apiErr.RetryAfter, "RetryAfter reports what the server asked for")
	}
	checkExpired := func(t *testing.T, err error) {
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "API-Token has expired.", apiErr.Message)
	}
	checkSkewNamed := func(ahead time.Duration) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			checkExpired(t, err)
			var apiErr *pave.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.InDelta(t, ahead.Seconds(), apiErr.ClockSkew.Seconds(), 1.5)
			dir := "ahead of"
			if ahead < 0 {
				dir = "behind"
			}
			assert.Contains(t, err.Error(), " "+dir+" PAVE's")
		}
	}
	checkNotReady := func(t *testing.T, err error) {
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "Session is not yet completed.", apiErr.Message)
	}
	checkBadJSON := func(t *testing.T, err error) {
		var re *pave.RequestError
		require.ErrorAs(t, err, &re)
		var se *json.SyntaxError
		assert.ErrorAs(t, err, &se, "the decoder's error is wrapped")
	}

	return []relRow{
		{
			fault: "connection refused (nothing listens)", op: relCreate, refused: true,
			expect:  "retried: a refused connection proves PAVE never saw the request; *RequestError (ECONNREFUSED) once retries run out; nothing created",
			wantErr: relRequestError, wantIs: []error{syscall.ECONNREFUSED},
			wantAttempts: 3, wantHits: 0, wantSessions: 0,
		},
		{
			fault: "connection refused (nothing listens)", op: relGet, refused: true,
			expect:  "retried; *RequestError (ECONNREFUSED) once retries run out",
			wantErr: relRequestError, wantIs: []error{syscall.ECONNREFUSED},
			wantAttempts: 3, wantHits: 0, wantSessions: 1,
		},
		{
			fault: "connection dropped before any response", op: relCreate,
			inject:  []pavetest.Fault{{DropConnection: true, Times: 1}},
			expect:  "not retried: PAVE may have acted on it; *RequestError; (the fake drops it before the API, so nothing was created, but the client cannot know)",
			wantErr: relRequestError, wantAttempts: 1, wantHits: 1, wantSessions: 0,
		},
		{
			fault: "connection dropped before any response", op: relGet,
			inject:       []pavetest.Fault{{DropConnection: true, Times: 1}},
			expect:       "retried, succeeds on the 2nd attempt",
			wantAttempts: 2, wantHits: 2, wantSessions: 1,
		},
		{
			fault: "connection reset mid-body (TCP RST)", op: relCreate,
			inject:  []pavetest.Fault{{ResetMidBody: true, Times: 1}},
			expect:  "not retried; *RequestError; the session WAS created (outcome unknown to the caller: look it up, do not create again)",
			wantErr: relRequestError, wantIs: []error{syscall.ECONNRESET},
			wantAttempts: 1, wantHits: 1, wantSessions: 1,
		},
		{
			fault: "connection reset mid-body (TCP RST)", op: relResults,
			inject:       []pavetest.Fault{{ResetMidBody: true, Times: 1}},
			expect:       "retried, succeeds on the 2nd attempt",
			wantAttempts: 2, wantHits: 2, wantSessions: 1,
		},
		{
			fault: "429 with Retry-After: 1, once", op: relCreate,
			inject:       []pavetest.Fault{{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1}},
			expect:       "retried after Retry-After, capped by WithMaxRetryAfter (10 ms here); succeeds on the 2nd attempt; one session",
			wantAttempts: 2, wantHits: 2, wantSessions: 1,
		},
		{
			fault: "429 with Retry-After: 1, every time", op: relCreate,
			inject:  []pavetest.Fault{{Status: http.StatusTooManyRequests, RetryAfter: time.Second}},
			expect:  "retried (capped waits); *APIError 429, ErrRateLimited, RetryAfter 1s, after 3 attempts; nothing created",
			wantErr: relAPIError, wantStatus: 429, wantIs: []error{pave.ErrRateLimited},
			wantAttempts: 3, wantHits: 3, wantSessions: 0, check: check429,
		},
		{
			fault: "429 with Retry-After: 1, every time", op: relGet,
			inject:  []pavetest.Fault{{Status: http.StatusTooManyRequests, RetryAfter: time.Second}},
			expect:  "retried (capped waits); *APIError 429, ErrRateLimited, after 3 attempts",
			wantErr: relAPIError, wantStatus: 429, wantIs: []error{pave.ErrRateLimited},
			wantAttempts: 3, wantHits: 3, wantSessions: 1, check: check429,
		},
		{
			fault: "503, 503, then 200", op: relCreate,
			inject:  []pavetest.Fault{{Status: http.StatusServiceUnavailable, Times: 2}},
			expect:  "not retried: *APIError 503, ErrServer, after 1 attempt; nothing created",
			wantErr: relAPIError, wantStatus: 503, wantIs: []error{pave.ErrServer},
			wantAttempts: 1, wantHits: 1, wantSessions: 0,
		},
		{
			fault: "503, 503, then 200", op: relGet,
			inject:       []pavetest.Fault{{Status: http.StatusServiceUnavailable, Times: 2}},
			expect:       "retried twice, succeeds on the 3rd attempt",
			wantAttempts: 3, wantHits: 3, wantSessions: 1,
		},
		{
			fault: "503, 503, then a 200 that is not a photo list", op: relPhotos,
			inject: []pavetest.Fault{
				{Status: http.StatusServiceUnavailable, Times: 2},
				{Status: http.StatusOK, Body: `{"unexpected": true}`, Times: 1},
			},
			expect:  "retried twice; *RequestError matching ErrBadResponse, after 3 attempts",
			wantErr: relRequestError, wantIs: []error{pave.ErrBadResponse},
			wantAttempts: 3, wantHits: 3, wantSessions: 1,
		},
		{
			fault: "503, 503, then 200 \"success\": false (analysis not finished)", op: relHotspots,
			inject:  []pavetest.Fault{{Status: http.StatusServiceUnavailable, Times: 2}},
			expect:  "retried twice; *APIError with StatusCode 200, ErrNotReady, after 3 attempts",
			wantErr: relAPIError, wantStatus: http.StatusOK, wantIs: []error{pave.ErrNotReady},
			wantAttempts: 3, wantHits: 3, wantSessions: 1, check: checkNotReady,
		},
		{
			fault: "500 once", op: relCreate,
			inject:  []pavetest.Fault{{Method: http.MethodPost, Status: http.StatusInternalServerError, Times: 1}},
			expect:  "not retried: *APIError 500, ErrServer, after 1 attempt; nothing created (the fault answers before the API)",
			wantErr: relAPIError, wantStatus: 500, wantIs: []error{pave.ErrServer},
			wantAttempts: 1, wantHits: 1, wantSessions: 0,
		},
		{
			fault: "500 once", op: relGet,
			inject:       []pavetest.Fault{{Method: http.MethodGet, Status: http.StatusInternalServerError, Times: 1}},
			expect:       "retried, succeeds on the 2nd attempt",
			wantAttempts: 2, wantHits: 2, wantSessions: 1,
		},
		{
			fault: "response slower than the per-attempt timeout", op: relCreate, timeout: relAttemptTimeout,
			inject:  []pavetest.Fault{{Delay: relSlow}},
			expect:  "not retried: *RequestError matching context.DeadlineExceeded after 1 attempt; nothing created (the request never got past the delay)",
			wantErr: relRequestError, wantIs: []error{context.DeadlineExceeded},
			wantAttempts: 1, wantHits: 1, wantSessions: 0,
		},
		{
			fault: "response slower than the per-attempt timeout, once", op: relGet, timeout: relAttemptTimeout,
			inject:       []pavetest.Fault{{Delay: relSlow, Times: 1}},
			expect:       "retried, succeeds on the 2nd attempt",
			wantAttempts: 2, wantHits: 2, wantSessions: 1,
		},
		{
			fault: "response slower than the per-attempt timeout, every time", op: relGet, timeout: relAttemptTimeout,
			inject:  []pavetest.Fault{{Delay: relSlow}},
			expect:  "retried; *RequestError matching context.DeadlineExceeded after 3 attempts",
			wantErr: relRequestError, wantIs: []error{context.DeadlineExceeded},
			wantAttempts: 3, wantHits: 3, wantSessions: 1,
		},
		{
			fault: "truncated body (Content-Length promised, connection closed halfway)", op: relCreate,
			inject:  []pavetest.Fault{{TruncateBody: true, Times: 1}},
			expect:  "not retried; *RequestError (unexpected EOF); the session WAS created (outcome unknown)",
			wantErr: relRequestError, wantIs: []error{io.ErrUnexpectedEOF},
			wantAttempts: 1, wantHits: 1, wantSessions: 1,
		},
		{
			fault: "truncated body (Content-Length promised, connection closed halfway)", op: relResults,
			inject:       []pavetest.Fault{{TruncateBody: true, Times: 1}},
			expect:       "retried, succeeds on the 2nd attempt",
			wantAttempts: 2, wantHits: 2, wantSessions: 1,
		},
		{
			fault: "truncated JSON in a complete 200 response", op: relCreate,
			inject:  []pavetest.Fault{{Status: http.StatusOK, Body: `{"session_key": "NSA-7K2D`, Times: 1}},
			expect:  "not retried; *RequestError matching ErrBadResponse (wraps the *json.SyntaxError)",
			wantErr: relRequestError, wantIs: []error{pave.ErrBadResponse},
			wantAttempts: 1, wantHits: 1, wantSessions: 0, check: checkBadJSON,
		},
		{
			fault: "truncated JSON in a complete 200 response", op: relGet,
			inject:  []pavetest.Fault{{Status: http.StatusOK, Body: `{"session_key": "NSA-7K2D`, Times: 1}},
			expect:  "not retried (a malformed 2xx is not transient); *RequestError matching ErrBadResponse",
			wantErr: relRequestError, wantIs: []error{pave.ErrBadResponse},
			wantAttempts: 1, wantHits: 1, wantSessions: 1, check: checkBadJSON,
		},
		{
			fault: "HTML 502 page from a proxy", op: relCreate,
			inject:  []pavetest.Fault{{Status: http.StatusBadGateway, Body: relHTML502}},
			expect:  "not retried: *APIError 502, ErrServer, empty Message, page kept in Body; nothing created",
			wantErr: relAPIError, wantStatus: 502, wantIs: []error{pave.ErrServer},
			wantAttempts: 1, wantHits: 1, wantSessions: 0, check: checkHTML,
		},
		{
			fault: "HTML 502 page from a proxy", op: relGet,
			inject:  []pavetest.Fault{{Status: http.StatusBadGateway, Body: relHTML502}},
			expect:  "retried; *APIError 502, ErrServer, after 3 attempts, page kept in Body",
			wantErr: relAPIError, wantStatus: 502, wantIs: []error{pave.ErrServer},
			wantAttempts: 3, wantHits: 3, wantSessions: 1, check: checkHTML,
		},
		{
			fault: "10 MB error body", op: relCreate,
			inject:  []pavetest.Fault{{Status: http.StatusInternalServerError, Body: huge}},
			expect:  "not retried: *APIError 500, ErrServer; Body cut at 1 MiB, Truncated set",
			wantErr: relAPIError, wantStatus: 500, wantIs: []error{pave.ErrServer},
			wantAttempts: 1, wantHits: 1, wantSessions: 0, check: checkHuge,
		},
		{
			fault: "10 MB error body", op: relGet,
			inject:  []pavetest.Fault{{Status: http.StatusInternalServerError, Body: huge}},
			expect:  "retried; *APIError 500, ErrServer, after 3 attempts; Body cut at 1 MiB, Truncated set",
			wantErr: relAPIError, wantStatus: 500, wantIs: []error{pave.ErrServer},
			wantAttempts: 3, wantHits: 3, wantSessions: 1, check: checkHuge,
		},
		{
			fault: "client clock 6 minutes fast", op: relCreate, skew: 6 * time.Minute,
			expect:  "sent once more with the clock corrected from the 401's Date (PAVE did nothing); succeeds, one session",
			wantErr: relNoError, wantAttempts: 2, wantHits: 2, wantSessions: 1,
		},
		{
			fault: "client clock 6 minutes slow", op: relGet, skew: -6 * time.Minute,
			expect:  "sent once more with the clock corrected; succeeds",
			wantErr: relNoError, wantAttempts: 2, wantHits: 2, wantSessions: 1,
		},
		{
			fault: "client clock 6 minutes fast, correction off", op: relCreate, skew: 6 * time.Minute, noFix: true,
			expect:  "not retried: *APIError 401 \"API-Token has expired.\", ErrUnauthorized, naming the skew; nothing created",
			wantErr: relAPIError, wantStatus: 401, wantIs: []error{pave.ErrUnauthorized},
			wantAttempts: 1, wantHits: 1, wantSessions: 0, check: checkSkewNamed(6 * time.Minute),
		},
		{
			fault: "client clock 2 hours slow", op: relGet, skew: -2 * time.Hour,
			expect:  "not corrected (beyond an hour), not retried: *APIError 401 naming the skew",
			wantErr: relAPIError, wantStatus: 401, wantIs: []error{pave.ErrUnauthorized},
			wantAttempts: 1, wantHits: 1, wantSessions: 1, check: checkSkewNamed(-2 * time.Hour),
		},
		{
			fault: "101 Switching Protocols, then silence", op: relCreate,
			inject:  []pavetest.Fault{{Status: http.StatusSwitchingProtocols, Times: 1}},
			expect:  "not read and not retried: *RequestError matching ErrBadResponse at once, whatever the timeouts",
			wantErr: relRequestError, wantIs: []error{pave.ErrBadResponse},
			wantAttempts: 1, wantHits: 1, wantSessions: 0,
		},
		{
			fault: "101 Switching Protocols, then silence", op: relGet,
			inject:  []pavetest.Fault{{Status: http.StatusSwitchingProtocols, Times: 1}},
			expect:  "same: *RequestError matching ErrBadResponse at once",
			wantErr: relRequestError, wantIs: []error{pave.ErrBadResponse},
			wantAttempts: 1, wantHits: 1, wantSessions: 1,
		},
		{
			fault: "empty 2xx: 204 No Content", op: relCreate,
			inject:  []pavetest.Fault{{Status: http.StatusNoContent, Times: 1}},
			expect:  "*RequestError matching ErrBadResponse (no session key), never an empty session",
			wantErr: relRequestError, wantIs: []error{pave.ErrBadResponse},
			wantAttempts: 1, wantHits: 1, wantSessions: 0,
		},
		{
			fault: "empty 2xx: 200 with {}", op: relGet,
			inject:  []pavetest.Fault{{Status: http.StatusOK, Body: "{}", Times: 1}},
			expect:  "*RequestError matching ErrBadResponse, never an empty session",
			wantErr: relRequestError, wantIs: []error{pave.ErrBadResponse},
			wantAttempts: 1, wantHits: 1, wantSessions: 1,
		},
		{
			fault: "302 redirect in answer to a POST", op: relCreate,
			inject:  []pavetest.Fault{{Status: http.StatusFound, Header: http.Header{"Location": {"/v1/sessions/ZZZ-OTHERSESSN"}}, Times: 1}},
			expect:  "not followed (a POST is never re-sent, nor turned into a GET): *APIError 302 with Location",
			wantErr: relAPIError, wantStatus: http.StatusFound,
			wantAttempts: 1, wantHits: 1, wantSessions: 0, check: checkLocation("/v1/sessions/ZZZ-OTHERSESSN"),
		},
		{
			fault: "307 redirect loop in answer to a POST", op: relCreate,
			inject:  []pavetest.Fault{{Status: http.StatusTemporaryRedirect, Header: http.Header{"Location": {"/v1/sessions"}}}},
			expect:  "not followed: *APIError 307 with Location, one POST",
			wantErr: relAPIError, wantStatus: http.StatusTemporaryRedirect,
			wantAttempts: 1, wantHits: 1, wantSessions: 0, check: checkLocation("/v1/sessions"),
		},
		{
			fault: "answer cut after PAVE processed it (Content-Length promised, connection closed halfway)", op: relUpdSMS,
			inject:  []pavetest.Fault{{Method: http.MethodPut, TruncateBody: true, Times: 1}},
			expect:  "not retried: a PUT that changes the SMS can text the customer, so it is sent at most once, like a POST; *RequestError",
			wantErr: relRequestError, wantIs: []error{io.ErrUnexpectedEOF},
			wantAttempts: 1, wantHits: 1, wantSessions: 1,
		},
		{
			fault: "answer cut after PAVE processed it (Content-Length promised, connection closed halfway)", op: relUpdate,
			inject:       []pavetest.Fault{{Method: http.MethodPut, TruncateBody: true, Times: 1}},
			expect:       "retried (the same change again is harmless), succeeds on the 2nd attempt",
			wantAttempts: 2, wantHits: 2, wantSessions: 1,
		},
		{
			fault: "answer cut after PAVE processed it (Content-Length promised, connection closed halfway)", op: relDelete,
			inject:       []pavetest.Fault{{Method: http.MethodDelete, TruncateBody: true, Times: 1}},
			expect:       "retried; the retry's 404 means the first attempt removed it: success, not ErrNotFound",
			wantAttempts: 2, wantHits: 2, wantSessions: 0,
		},
	}
}

// checkLocation checks the *APIError of a redirect that was not followed.
func checkLocation(want string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, want, apiErr.Location)
		assert.Contains(t, err.Error(), want)
	}
}

func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	keys := relPredictedKeys(t, relSeed, 4)
	for _, row := range relRows() {
		name := row.fault + " | " + strings.Fields(row.op)[0]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			relRun(t, row, keys)
		})
	}
}

func relRun(t *testing.T, row relRow, keys []string) {
	require.NotEmpty(t, row.expect, "every row says what to expect")
	ctx := context.Background()
	srv := pavetest.NewServer(t, pavetest.WithSeed(relSeed))

	// Setup, fault-free, through its own client: the GET rows need a
	// session (a completed one for Results).
	var key string
	if row.op != relCreate {
		sess, err := srv.Client().Sessions.Create(ctx, nil)
		require.NoError(t, err)
		key = sess.SessionKey
		if row.op == relResults {
			require.NoError(t, srv.Complete(key))
		}
		if row.op == relUpdSMS {
			// PAVE lets sms.to change only after a failed delivery.
			require.NoError(t, srv.SetSMSResult(key, false, "undeliverable"))
		}
		srv.ResetRequests()
	}

	// The row's client is fresh, so its first attempt runs on a new
	// connection (net/http replays an idempotent request on its own when
	// a reused connection fails, which would hide an attempt).
	logger, logs := debugLogger()
	opts := []pave.Option{
		pave.WithRetryBackoff(relBackoffBase, relBackoffMax),
		pave.WithMaxRetryAfter(relMaxRetryAfter),
		pave.WithLogger(logger),
	}
	if row.timeout > 0 {
		opts = append(opts, pave.WithTimeout(row.timeout))
	}
	if row.skew != 0 {
		opts = append(opts, pave.WithClock(func() time.Time { return srv.Now().Add(row.skew) }))
	}
	if row.noFix {
		opts = append(opts, pave.WithClockSkewCorrection(false))
	}
	if row.refused {
		opts = append(opts, pave.WithBaseURL("http://"+nettest.RefusedAddr(t)))
	}
	client := srv.Client(opts...)
	for _, f := range row.inject {
		srv.Inject(f)
	}

	var err error
	var created *pave.Session
	method, path := http.MethodGet, "/v1/sessions/"+key
	switch row.op {
	case relCreate:
		method, path = http.MethodPost, "/v1/sessions"
		created, err = client.Sessions.Create(ctx, &pave.CreateSessionRequest{
			Session: &pave.SessionSettings{RedirectURL: "https://dealer.example/done"},
		})
	case relGet:
		var sess *pave.Session
		sess, err = client.Sessions.Get(ctx, key)
		if err == nil {
			assert.Equal(t, key, sess.SessionKey)
		}
	case relPhotos:
		path += "/photos"
		_, err = client.Sessions.Photos(ctx, key)
	case relHotspots:
		path = "/v1/hotspots/" + key
		_, err = client.Hotspots.Results(ctx, key)
	case relUpdate:
		method = http.MethodPut
		_, err = client.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{
			Session: &pave.SessionSettings{RedirectURL: "https://dealer.example/again"},
		})
	case relUpdSMS:
		method = http.MethodPut
		_, err = client.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{SMS: &pave.SMS{To: "+14165550123"}})
	case relDelete:
		method = http.MethodDelete
		err = client.Sessions.Delete(ctx, key)
	case relResults:
		path += "/results"
		var res *pave.Results
		res, err = client.Sessions.Results(ctx, key)
		if err == nil {
			assert.Equal(t, key, res.Session.SessionKey)
			assert.NotEmpty(t, res.Raw())
		}
	default:
		t.Fatalf("unknown op %q", row.op)
	}
	srv.ResetFaults()

	// The outcome and the typed error.
	attempts := 0
	switch row.wantErr {
	case relNoError:
		require.NoError(t, err)
		if created != nil {
			assert.Equal(t, keys[0], created.SessionKey)
		}
	case relAPIError:
		require.Error(t, err)
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr, "want an *APIError, got %T: %v", err, err)
		assert.Equal(t, row.wantStatus, apiErr.StatusCode)
		assert.Equal(t, method, apiErr.Method)
		assert.Equal(t, path, apiErr.Path)
		attempts = apiErr.Attempts
		var re *pave.RequestError
		assert.False(t, errors.As(err, &re), "an HTTP answer is not a *RequestError")
	case relRequestError:
		require.Error(t, err)
		var re *pave.RequestError
		require.ErrorAs(t, err, &re, "want a *RequestError, got %T: %v", err, err)
		assert.Equal(t, method, re.Method)
		assert.Equal(t, path, re.Path)
		attempts = re.Attempts
		var apiErr *pave.APIError
		assert.False(t, errors.As(err, &apiErr), "no HTTP answer means no *APIError")
	}
	if err != nil {
		assert.NotContains(t, err.Error(), "\n", "Error() is one line")
		var ve *pave.ValidationError
		assert.False(t, errors.As(err, &ve), "no *ValidationError from a valid request")
		for _, target := range row.wantIs {
			assert.ErrorIs(t, err, target)
		}
		for _, s := range []error{pave.ErrNotFound, pave.ErrUnauthorized, pave.ErrValidation, pave.ErrNotReady, pave.ErrRateLimited, pave.ErrServer, pave.ErrBadResponse} {
			if !relContains(row.wantIs, s) {
				assert.NotErrorIs(t, err, s)
			}
		}
		assert.Equal(t, row.wantAttempts, attempts, "attempts reported by the error")
	}
	if row.check != nil {
		row.check(t, err)
	}

	// Attempts seen by the client's log and by the server.
	requests, retries := loggedRequests(t, logs), retryWaits(t, logs)
	fixes := 0
	for _, rec := range logs.records(t) {
		if m, _ := rec["msg"].(string); strings.HasPrefix(m, "pave clock skew corrected") {
			fixes++
			assert.Equal(t, "WARN", rec["level"])
		}
	}
	wantFixes := 0
	if row.skew != 0 && row.wantErr == relNoError {
		wantFixes = 1
	}
	assert.Equal(t, wantFixes, fixes, "clock corrections logged at warn")
	assert.Equal(t, row.wantAttempts, requests, "attempts logged by the client")
	assert.Len(t, retries, row.wantAttempts-1-fixes, "retries logged by the client")
	for _, wait := range retries {
		assert.LessOrEqual(t, wait, relMaxRetryAfter, "a retry wait is capped by WithMaxRetryAfter")
	}
	hits := 0
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			hits++
		}
	}
	assert.Equal(t, row.wantHits, hits, "requests that reached the fake")

	// Nothing created twice, and nothing created behind a refusal.
	assert.Equal(t, row.wantSessions, relCountSessions(srv, keys), "sessions on the fake")
}

func relContains(list []error, target error) bool {
	for _, e := range list {
		if e == target {
			return true
		}
	}
	return false
}

// relPredictedKeys returns the first n session keys a fake server seeded
// with seed hands out: its keys come from a generator of their own, so they
// depend only on the seed and on how many sessions were created before.
func relPredictedKeys(t *testing.T, seed int64, n int) []string {
	t.Helper()
	ref := pavetest.NewServer(t, pavetest.WithSeed(seed))
	defer ref.Close()
	client := ref.Client()
	keys := make([]string, n)
	for i := range keys {
		sess, err := client.Sessions.Create(context.Background(), nil)
		require.NoError(t, err)
		keys[i] = sess.SessionKey
	}
	return keys
}

// relCountSessions counts the keys of keys that exist on srv.
func relCountSessions(srv *pavetest.Server, keys []string) int {
	n := 0
	for _, k := range keys {
		if _, err := srv.Session(k); err == nil {
			n++
		}
	}
	return n
}
