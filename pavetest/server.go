package pavetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pave-go/pave"
)

// Server is a stateful fake PAVE API listening on loopback. Create one with
// NewServer (tests) or Start (programs) and stop it with Close. All methods
// are safe for concurrent use.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:38211, to pass to
	// pave.WithBaseURL.
	URL string

	opts       Options
	addr       string         // the listen address, host:port
	apiMux     *http.ServeMux // the API routes
	getSession http.Handler   // apiMux's GET /v1/sessions/{key}
	controlMux *http.ServeMux
	t          testing.TB // nil when made by Start

	mu          sync.Mutex
	accounts    []*account
	sessions    map[string]*session
	keyRand     *rand.Rand
	clockOffset atomic.Int64 // nanoseconds, see AdvanceClock
	nextNoteID  int64
	nextVehID   int64
	requests    logRing[recordedRequest]
	faults      []*faultState
	nextFaultID int
	reqSeq      uint64
	logMu       sync.Mutex // one log line at a time
	chaos       Chaos
	chaosDraws  int
	nextDue     atomic.Int64 // unix nanoseconds of the earliest results due, 0: none
	deliveries  logRing[Delivery]

	httpSrv   *http.Server
	serveDone chan struct{}
	conns     sync.WaitGroup // open connections, so Close outlives their goroutines

	// in-flight handler tracking, so Close can wait for handlers: atomics
	// on the request path, hmu and hcond only to wake Close.
	hmu      sync.Mutex
	hcond    *sync.Cond
	inflight atomic.Int64
	closed   atomic.Bool

	date atomic.Pointer[httpDate] // the Date header of the current second

	ctx       context.Context // cancelled by Close: aborts fault delays and deliveries
	cancel    context.CancelFunc
	closeOnce sync.Once

	hooks    *http.Client
	ownHooks *http.Transport // nil when the user supplied WebhookClient
	queue    *deliveryQueues // nil unless AsyncWebhooks
}

// NewServer starts a fake server for a test and closes it with t.Cleanup.
// It calls t.Fatal if the server cannot start. It takes the same options as
// Start.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("pavetest.NewServer: %v", err)
		return nil
	}
	s.t = t
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake server with the given options, for programs and
// tools (tests usually prefer NewServer, which closes it for them). Call
// Close when done.
func Start(opts ...Option) (*Server, error) {
	var o Options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	o, err := o.normalize()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	listen := ln.Addr().String()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		// Listening on every interface: clients on this machine use loopback.
		listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	s := &Server{
		URL:       "http://" + listen,
		addr:      ln.Addr().String(),
		opts:      o,
		sessions:  map[string]*session{},
		keyRand:   newRand(o.Seed, "session-keys"),
		serveDone: make(chan struct{}),
		chaos:     o.Chaos,
	}
	s.hcond = sync.NewCond(&s.hmu)
	s.apiMux, s.controlMux = s.apiRoutes(), s.controlRoutes()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, a := range o.Accounts {
		s.accounts = append(s.accounts, newAccount(a))
	}
	if o.WebhookClient != nil {
		s.hooks = o.WebhookClient
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		s.ownHooks = tr
		s.hooks = &http.Client{Transport: tr, Timeout: o.WebhookTimeout}
	}
	if o.AsyncWebhooks {
		s.queue = newDeliveryQueue(s)
	}
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.conns.Add(1)
			case http.StateClosed, http.StateHijacked:
				s.conns.Done()
			}
		},
	}
	go func() {
		defer close(s.serveDone)
		_ = s.httpSrv.Serve(ln)
	}()
	return s, nil
}

// Close stops the server: pending fault delays and webhook deliveries are
// cancelled, connections are closed, and Close returns once every handler
// and background goroutine has finished. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.cancel()
		s.closed.Store(true)
		_ = s.httpSrv.Close()
		<-s.serveDone
		// http.Server.Close does not wait for connection goroutines (one
		// may linger in a lingering-close wait); no new one starts now.
		s.conns.Wait()
		s.hmu.Lock()
		for s.inflight.Load() > 0 {
			s.hcond.Wait()
		}
		s.hmu.Unlock()
		if s.queue != nil {
			s.queue.stop()
		}
		if s.ownHooks != nil {
			s.ownHooks.CloseIdleConnections()
		}
	})
}

// Reset returns the server to its start state: no sessions, callback
// settings, faults, recorded requests or deliveries (queued ones are
// dropped), and the clock as it started. Accounts and seed are kept, so
// the same calls give the same session keys again.
func (s *Server) Reset() {
	if s.queue != nil {
		s.queue.clear()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions = map[string]*session{}
	for _, a := range s.accounts {
		a.callbacks = nil
	}
	s.faults, s.nextFaultID, s.nextNoteID, s.nextVehID, s.chaos, s.chaosDraws = nil, 0, 0, 0, s.opts.Chaos, 0
	s.nextDue.Store(0)
	s.requests.reset()
	s.deliveries.reset()
	s.keyRand = newRand(s.opts.Seed, "session-keys")
	s.clockOffset.Store(0)
}

// Credentials returns the credentials of the default (first) account.
func (s *Server) Credentials() pave.Credentials { return s.opts.Accounts[0].Credentials() }

// Accounts returns the configured accounts, the default one first.
func (s *Server) Accounts() []Account { return append([]Account(nil), s.opts.Accounts...) }

// TestRetryBackoff is the retry backoff of clients from NewClient and
// Client: the SDK's retry rules at test speed (a few milliseconds between
// attempts rather than half a second and more), so a test that injects two
// 503s does not wait a second and a half. Pass pave.WithRetryBackoff to
// NewClient or Client to test real waits.
const TestRetryBackoff = 5 * time.Millisecond

// NewClient returns a pave.Client for creds pointed at the server. The
// client's clock follows the server clock (see AdvanceClock) and its
// retries wait TestRetryBackoff (doubling, at most 4x); opts come after
// those defaults and may override them.
func (s *Server) NewClient(creds pave.Credentials, opts ...pave.Option) (*pave.Client, error) {
	all := append([]pave.Option{pave.WithBaseURL(s.URL), pave.WithClock(s.Now),
		pave.WithRetryBackoff(TestRetryBackoff, 4*TestRetryBackoff)}, opts...)
	return pave.NewClient(creds, all...)
}

// Client returns a pave.Client for the default account pointed at the
// server, as NewClient does. On a server made by NewServer an error fails
// the test; on one made by Start it panics (use NewClient to get the error).
func (s *Server) Client(opts ...pave.Option) *pave.Client {
	c, err := s.NewClient(s.Credentials(), opts...)
	if err != nil {
		if s.t != nil {
			s.t.Helper()
			s.t.Fatalf("pavetest: Server.Client: %v", err)
			return nil
		}
		panic("pavetest: Server.Client: " + err.Error())
	}
	return c
}

// Now returns the server clock: Options.Now shifted by AdvanceClock.
func (s *Server) Now() time.Time { return s.now() }

// now is Now; it takes no lock, so any handler may call it.
func (s *Server) now() time.Time { return s.opts.Now().Add(time.Duration(s.clockOffset.Load())) }

// AdvanceClock moves the server clock by d (negative moves it back). Clients
// from Client and NewClient follow it.
func (s *Server) AdvanceClock(d time.Duration) {
	s.clockOffset.Add(int64(d))
	s.completeDue()
}

// enter registers an in-flight handler; false once the server is closing.
// Close sets closed before it waits for inflight to reach zero, so a
// handler either sees closed here or is waited for.
func (s *Server) enter() bool {
	s.inflight.Add(1)
	if s.closed.Load() {
		s.leave()
		return false
	}
	return true
}

func (s *Server) leave() {
	if s.inflight.Add(-1) == 0 && s.closed.Load() {
		s.hmu.Lock()
		s.hcond.Broadcast()
		s.hmu.Unlock()
	}
}

// httpDate is the Date header value of one second of the server clock.
type httpDate struct {
	sec  int64
	text string
}

// dateHeader formats t as the Date header, once per second of the clock.
func (s *Server) dateHeader(t time.Time) string {
	sec := t.Unix()
	if d := s.date.Load(); d != nil && d.sec == sec {
		return d.text
	}
	d := &httpDate{sec: sec, text: t.UTC().Format(http.TimeFormat)}
	s.date.Store(d)
	return d.text
}

// exchange is one API request on its way through the routes: the
// response writer they are handed, carrying what ServeHTTP read, and room
// for the values of the headers every answer sets, so the request path
// makes one allocation for all of them.
type exchange struct {
	http.ResponseWriter
	body       []byte
	key        string    // the session key, when routed by fastSessionKey
	arrived    time.Time // server clock at arrival, when hasArrived
	hasArrived bool
	q          apiRequest
	vals       [3]string // Date, Content-Type, Content-Length
	status     int       // as written
	reason     string    // why the fake refused the request, or ""
}

// WriteHeader notes the status for the request log.
func (e *exchange) WriteHeader(status int) {
	e.status = status
	e.ResponseWriter.WriteHeader(status)
}

// Unwrap gives http.ResponseController the underlying writer.
func (e *exchange) Unwrap() http.ResponseWriter { return e.ResponseWriter }

// ServeHTTP answers one request: control endpoints under /_fake/, else the
// request is recorded, faults are applied, then auth and the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		writeJSON(w, http.StatusServiceUnavailable, msg("Server is shutting down."))
		return
	}
	defer s.leave()
	s.completeDue()
	body, tooLarge := readBody(w, r, s.opts.MaxBodyBytes)
	if r.URL.Path == "/_fake" || strings.HasPrefix(r.URL.Path, "/_fake/") {
		// Date from the fake's own clock (net/http would use the real
		// one), so a client can see a skew set with Options.Now or
		// AdvanceClock.
		w.Header()["Date"] = []string{s.dateHeader(s.now())}
		if tooLarge {
			writeJSON(w, http.StatusRequestEntityTooLarge, msg("Request body too large."))
			return
		}
		s.controlMux.ServeHTTP(w, withBody(r, body))
		return
	}
	now, f, slot := s.admit(r, body)
	e := &exchange{ResponseWriter: w, body: body, arrived: now, hasArrived: true}
	e.vals[0] = s.dateHeader(now)
	w.Header()["Date"] = e.vals[0:1:1]
	if f != nil {
		e.status = f.Status
		s.applyFault(w, r, f, func(w http.ResponseWriter) {
			e = &exchange{ResponseWriter: w, body: body}
			s.serveAPI(e, r, tooLarge)
		})
	} else {
		s.serveAPI(e, r, tooLarge)
	}
	s.settle(r, slot, e.status, e.reason)
}

// serveAPI hands an API request, recorded and past the faults, to the
// routes.
func (s *Server) serveAPI(e *exchange, r *http.Request, tooLarge bool) {
	if tooLarge {
		writeJSON(e, http.StatusRequestEntityTooLarge, msg("Request body too large."))
		return
	}
	if key, ok := fastSessionKey(r); ok {
		e.key = key
		s.getSession.ServeHTTP(e, r)
		return
	}
	r2 := *r // the mux annotates the request it routes: leave the caller's alone
	s.apiMux.ServeHTTP(e, &r2)
}

// readBody reads at most limit bytes; tooLarge reports a longer body. An
// empty body (http.NoBody, what net/http gives a request without one) is
// answered without reading or allocating.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, tooLarge bool) {
	if r.Body == nil {
		return nil, false
	}
	if r.Body == http.NoBody {
		return []byte{}, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	return b, errors.As(err, &mbe)
}

// message is the common {"message": ...} error body.
type message struct {
	Message string `json:"message"`
}

func msg(text string) message { return message{Message: text} }

// marshal encodes v as compact JSON without HTML escaping.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// writeJSON writes v (or raw bytes when v is []byte) with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = marshal(v); err != nil {
			status = http.StatusInternalServerError
			b = []byte(`{"message":"Server Error"}`)
		}
	}
	writeJSONBytes(w, status, b, strconv.Itoa(len(b)))
}

// writeJSONBytes writes the JSON document b, of length length (its decimal
// string), with the given status. On an exchange the header values live in
// its own storage.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte, length string) {
	h := w.Header()
	if e, ok := w.(*exchange); ok {
		e.vals[1], e.vals[2] = "application/json", length
		h["Content-Type"], h["Content-Length"] = e.vals[1:2:2], e.vals[2:3:3]
	} else {
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", length)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
