package pave_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// TestSoak sends many calls from many goroutines through one client to the
// fake server while about one call in ten meets an injected fault, then
// checks that nothing panicked, raced or leaked, that every failure is a
// typed error, and that no session was created twice or behind the
// caller's back.
func TestSoak(t *testing.T) {
	// Not parallel: goleak compares against the goroutines alive now.
	leaks := goleak.IgnoreCurrent()

	total := 10000
	if testing.Short() {
		total = 500
	}
	const (
		workers   = 32
		seed      = 20251126
		faultRate = 0.10
	)

	srv := pavetest.NewServer(t, pavetest.WithOptions(pavetest.Options{
		Seed:                seed,
		MaxRecordedRequests: 1 << 20, // keep every request: they are counted below
	}))
	tr := soakTransport()
	client := srv.Client(
		pave.WithHTTPClient(&http.Client{Transport: tr}),
		pave.WithRetryBackoff(time.Millisecond, 5*time.Millisecond),
		pave.WithMaxRetryAfter(10*time.Millisecond),
		// Generous: under -race on two cores a healthy call must never
		// time out, or a Create's outcome would become unknown for a
		// reason the test does not control. Slow faults use a short
		// context deadline instead.
		pave.WithTimeout(10*time.Second),
	)
	ctx := context.Background()

	// Setup, without faults: a callback setting to read and update, and
	// per worker one completed session (for Results) and two idle ones.
	_, err := client.Webhooks.Create(ctx, pave.NewCallback(pave.EventNoteInsert,
		"https://crm.example.com/pave/hooks", "soak-webhook-secret-0123456789"))
	require.NoError(t, err)
	st := &soakStats{failures: map[string]int{}, keys: map[string]int{}}
	states := make([]*soakWorker, workers)
	for w := range states {
		ws := &soakWorker{id: w, rng: rand.New(rand.NewPCG(seed, uint64(w))), srv: srv, client: client, st: st}
		for i := range 3 {
			sess, err := client.Sessions.Create(ctx, nil)
			require.NoError(t, err)
			st.created(sess.SessionKey)
			if i == 0 {
				require.NoError(t, srv.Complete(sess.SessionKey))
				ws.done = sess.SessionKey
			} else {
				ws.idle = append(ws.idle, sess.SessionKey)
			}
		}
		states[w] = ws
	}
	setupCreates := st.creates.Load()

	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, ws := range states {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("worker %d panicked: %v\n%s", ws.id, p, debug.Stack())
				}
			}()
			for next.Add(1) <= int64(total) {
				ws.call(t, faultRate)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	srv.ResetFaults()

	calls := st.calls.Load()
	require.Equal(t, int64(total), calls)
	fails := st.failed.Load()

	// Sessions. The fake draws keys from a generator seeded by the seed
	// alone, so a reference server with the same seed lists, in order,
	// every key the soak server can have handed out.
	posts := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && r.Path == "/v1/sessions" {
			posts++
		}
	}
	seq := soakKeySequence(t, seed, posts+3, tr)
	inSeq := make(map[string]int, len(seq))
	for i, k := range seq {
		inSeq[k] = i
	}
	st.mu.Lock()
	for k, n := range st.keys {
		assert.Equal(t, 1, n, "session %s returned by %d successful creates", k, n)
		_, ok := inSeq[k]
		assert.True(t, ok, "session %s is not one the fake could have made", k)
	}
	successKeys := len(st.keys)
	st.mu.Unlock()
	created := map[string]bool{}
	for _, k := range seq {
		if _, err := srv.Session(k); err == nil {
			created[k] = true
		}
	}
	st.mu.Lock()
	for k := range st.keys { // including those deleted since
		created[k] = true
	}
	st.mu.Unlock()
	successCreates := st.creates.Load()
	unknown := st.unknownCreates.Load()
	assert.Equal(t, successCreates, int64(successKeys), "every successful create returned a distinct key")
	assert.Equal(t, successCreates+unknown, int64(len(created)),
		"sessions on the fake = successful creates + creates whose outcome the caller could not know")
	for i, k := range seq {
		assert.Equal(t, i < len(created), created[k], "the sessions made are the first %d keys of the sequence (key #%d)", len(created), i)
	}
	assert.LessOrEqual(t, fails, st.faults.Load(), "every failure is explained by an injected fault")

	st.mu.Lock()
	var byType []string
	for k, n := range st.failures {
		byType = append(byType, fmt.Sprintf("%s: %d", k, n))
	}
	st.mu.Unlock()
	sort.Strings(byType)
	t.Logf("soak: %d calls from %d goroutines in %s (%.0f calls/s); %d faults injected; %d failures",
		calls, workers, elapsed.Round(time.Millisecond), float64(calls)/elapsed.Seconds(), st.faults.Load(), fails)
	t.Logf("soak: failures by type: %s", strings.Join(byType, "; "))
	t.Logf("soak: creates: %d succeeded (%d in setup), %d outcome unknown, %d refused; %d sessions on the fake; %d POST /v1/sessions reached it",
		successCreates, setupCreates, unknown, st.refusedCreates.Load(), len(created), posts)

	// Nothing left running: close the servers and the idle connections,
	// then every goroutine started since the beginning must be gone.
	srv.Close()
	tr.CloseIdleConnections()
	goleak.VerifyNone(t, leaks)
}

// soakTransport is the client's transport, owned by the test so its idle
// connections can be closed before looking for leaked goroutines.
func soakTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 64
	return tr
}

// soakKeySequence returns the first n keys a fake seeded with seed hands out.
func soakKeySequence(t *testing.T, seed int64, n int, tr *http.Transport) []string {
	t.Helper()
	ref := pavetest.NewServer(t, pavetest.WithSeed(seed))
	defer ref.Close()
	client := ref.Client(pave.WithHTTPClient(&http.Client{Transport: tr}))
	keys := make([]string, n)
	for i := range keys {
		sess, err := client.Sessions.Create(context.Background(), nil)
		require.NoError(t, err)
		keys[i] = sess.SessionKey
	}
	return keys
}

type soakStats struct {
	calls, failed, faults                   atomic.Int64
	creates, unknownCreates, refusedCreates atomic.Int64

	mu       sync.Mutex
	failures map[string]int // by error type and cause
	keys     map[string]int // successful creates per key
}

func (s *soakStats) created(key string) {
	s.creates.Add(1)
	s.mu.Lock()
	s.keys[key]++
	s.mu.Unlock()
}

func (s *soakStats) failure(kind string) {
	s.failed.Add(1)
	s.mu.Lock()
	s.failures[kind]++
	s.mu.Unlock()
}

// soakWorker is one goroutine's state: the sessions it owns, so that a
// fault aimed at one of their paths meets this worker's next call.
type soakWorker struct {
	id     int
	rng    *rand.Rand
	srv    *pavetest.Server
	client *pave.Client
	st     *soakStats

	idle []string // sessions this worker created and may update or delete
	done string   // a completed session
}

// The faults a call may meet.
type soakFault int

const (
	soakNoFault soakFault = iota
	soak500
	soak503
	soak429
	soak502HTML
	soakBadJSON  // a complete 200 whose JSON is cut: answered before the API
	soakTruncate // the API's answer cut halfway (the API did act)
	soakReset    // the same ending in a TCP reset
	soakDelay    // a short delay, then the API
	soakDrop     // connection closed before the API: not for Create (see pick)
	soakSlow     // a delay beyond the call's deadline: only on the worker's own paths
)

func (f soakFault) fault(method, path string) pavetest.Fault {
	pf := pavetest.Fault{Method: method, Path: path, Times: 1}
	switch f {
	case soak500:
		pf.Status = http.StatusInternalServerError
	case soak503:
		pf.Status = http.StatusServiceUnavailable
	case soak429:
		pf.Status, pf.RetryAfter = http.StatusTooManyRequests, time.Second
	case soak502HTML:
		pf.Status, pf.Body = http.StatusBadGateway, relHTML502
	case soakBadJSON:
		pf.Status, pf.Body = http.StatusOK, `{"session_key": "SOA`
	case soakTruncate:
		pf.TruncateBody = true
	case soakReset:
		pf.ResetMidBody = true
	case soakDelay:
		pf.Delay = 2 * time.Millisecond
	case soakDrop:
		pf.DropConnection = true
	case soakSlow:
		pf.Delay = time.Second
	}
	return pf
}

// pickFault draws a fault for a call. Create never meets a dropped
// connection: the fake drops it before the API, so its outcome would look
// unknown to the caller though nothing was created, and the session count
// could not be exact. Slow faults only go on a worker's own paths, where
// its next call is the one that meets them.
func (w *soakWorker) pickFault(rate float64, create, own bool) soakFault {
	if w.rng.Float64() >= rate {
		return soakNoFault
	}
	kinds := []soakFault{soak500, soak503, soak429, soak502HTML, soakBadJSON, soakTruncate, soakReset, soakDelay}
	if !create {
		kinds = append(kinds, soakDrop)
	}
	if own {
		kinds = append(kinds, soakSlow)
	}
	return kinds[w.rng.IntN(len(kinds))]
}

func (w *soakWorker) anyKey() string {
	if w.rng.IntN(len(w.idle)+1) == 0 {
		return w.done
	}
	return w.idle[w.rng.IntN(len(w.idle))]
}

// call makes one API call, maybe with a fault, and accounts for it.
func (w *soakWorker) call(t *testing.T, rate float64) {
	w.st.calls.Add(1)
	const noteEvent = pave.EventNoteInsert
	var (
		method, path string
		create, own  bool
		run          func(ctx context.Context) error
	)
	op := w.rng.IntN(100)
	switch {
	case op < 14: // Sessions.Create
		method, path, create = http.MethodPost, "/v1/sessions", true
		run = func(ctx context.Context) error {
			sess, err := w.client.Sessions.Create(ctx, &pave.CreateSessionRequest{
				Session: &pave.SessionSettings{RedirectURL: "https://dealer.example/done"},
			})
			if err != nil {
				return err
			}
			if sess.SessionKey == "" {
				t.Errorf("Create returned no key")
			}
			w.st.created(sess.SessionKey)
			if len(w.idle) < 8 {
				w.idle = append(w.idle, sess.SessionKey)
			}
			return nil
		}
	case op < 32: // Sessions.Get
		key := w.anyKey()
		method, path, own = http.MethodGet, "/v1/sessions/"+key, true
		run = func(ctx context.Context) error {
			sess, err := w.client.Sessions.Get(ctx, key)
			if err == nil && sess.SessionKey != key {
				t.Errorf("Get(%s) returned %s", key, sess.SessionKey)
			}
			return err
		}
	case op < 42: // Sessions.Photos
		key := w.anyKey()
		method, path, own = http.MethodGet, "/v1/sessions/"+key+"/photos", true
		run = func(ctx context.Context) error {
			photos, err := w.client.Sessions.Photos(ctx, key)
			if err == nil && key == w.done && len(photos) == 0 {
				t.Errorf("Photos(%s) of a completed session is empty", key)
			}
			return err
		}
	case op < 48: // Sessions.Notes
		key := w.anyKey()
		method, path, own = http.MethodGet, "/v1/sessions/"+key+"/notes", true
		run = func(ctx context.Context) error {
			_, err := w.client.Sessions.Notes(ctx, key)
			return err
		}
	case op < 62: // Sessions.Results
		key := w.done
		method, path, own = http.MethodGet, "/v1/sessions/"+key+"/results", true
		run = func(ctx context.Context) error {
			res, err := w.client.Sessions.Results(ctx, key)
			if err == nil && res.Session.SessionKey != key {
				t.Errorf("Results(%s) returned %s", key, res.Session.SessionKey)
			}
			return err
		}
	case op < 72: // Sessions.Update
		key := w.idle[w.rng.IntN(len(w.idle))]
		method, path, own = http.MethodPut, "/v1/sessions/"+key, true
		run = func(ctx context.Context) error {
			_, err := w.client.Sessions.Update(ctx, key, &pave.UpdateSessionRequest{
				Session: &pave.SessionSettings{RedirectURL: fmt.Sprintf("https://dealer.example/done/%d", w.rng.IntN(1000))},
			})
			return err
		}
	case op < 76 && len(w.idle) > 1: // Sessions.Delete
		i := w.rng.IntN(len(w.idle))
		key := w.idle[i]
		w.idle = slices.Delete(w.idle, i, i+1) // gone, or in an unknown state
		method, path, own = http.MethodDelete, "/v1/sessions/"+key, true
		run = func(ctx context.Context) error { return w.client.Sessions.Delete(ctx, key) }
	case op < 88: // Webhooks.List
		method, path = http.MethodGet, "/v1/callbacks"
		run = func(ctx context.Context) error {
			list, err := w.client.Webhooks.List(ctx)
			if err == nil && len(list) != 1 {
				t.Errorf("Webhooks.List returned %d settings, want 1", len(list))
			}
			return err
		}
	case op < 95: // Webhooks.Get
		method, path = http.MethodGet, "/v1/callbacks/"+string(noteEvent)
		run = func(ctx context.Context) error {
			cb, err := w.client.Webhooks.Get(ctx, noteEvent)
			if err == nil && cb.Event != noteEvent {
				t.Errorf("Webhooks.Get returned %q", cb.Event)
			}
			return err
		}
	default: // Webhooks.Update
		method, path = http.MethodPut, "/v1/callbacks/"+string(noteEvent)
		run = func(ctx context.Context) error {
			_, err := w.client.Webhooks.Update(ctx, noteEvent, pave.NewCallback(noteEvent,
				"https://crm.example.com/pave/hooks", "soak-webhook-secret-0123456789"))
			return err
		}
	}

	ctx := context.Background()
	f := w.pickFault(rate, create, own)
	if f != soakNoFault {
		w.st.faults.Add(1)
		w.srv.Inject(f.fault(method, path))
	}
	if f == soakSlow {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 25*time.Millisecond)
		defer cancel()
	}
	err := run(ctx)
	if err == nil {
		return
	}
	kind := soakClassify(err)
	if kind == "" {
		t.Errorf("%s %s: untyped error %T: %v", method, path, err, err)
		kind = fmt.Sprintf("untyped %T", err)
	}
	w.st.failure(kind)
	if !create {
		return
	}
	// A Create that failed with an HTTP answer, or with a 2xx the fake's
	// fault made up, was refused before the API saw it; any other
	// transport failure (a cut or reset answer) came after the API made
	// the session: its outcome is unknown to the caller.
	var re *pave.RequestError
	if errors.As(err, &re) && !errors.Is(err, pave.ErrBadResponse) {
		w.st.unknownCreates.Add(1)
	} else {
		w.st.refusedCreates.Add(1)
	}
}

// soakClassify names a failure by its type and cause, or returns "" for an
// error that is neither an *APIError nor a *RequestError.
func soakClassify(err error) string {
	var ve *pave.ValidationError
	if errors.As(err, &ve) {
		return ""
	}
	var apiErr *pave.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("*pave.APIError %d", apiErr.StatusCode)
	}
	var re *pave.RequestError
	if !errors.As(err, &re) {
		return ""
	}
	cause := "other"
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		cause = "deadline"
	case errors.Is(err, pave.ErrBadResponse):
		cause = "bad response"
	case errors.Is(err, syscall.ECONNRESET):
		cause = "connection reset"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		cause = "EOF"
	}
	return "*pave.RequestError (" + cause + ")"
}
