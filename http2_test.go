package pave_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pave-go/pave"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Go's HTTP/2 transport re-sends a request by itself when a server answers
// a stream with RST_STREAM (PROTOCOL_ERROR, REFUSED_STREAM) or GOAWAY, below
// any retry policy of ours. These tests run a raw HTTP/2 server over TLS that
// reads each request completely, counts it, and then resets it: a POST must
// reach it exactly once, and a GET a bounded number of times.

// h2Reply is what the hostile server does once it has read a request.
type h2Reply int

const (
	h2ResetProtocol h2Reply = iota // RST_STREAM PROTOCOL_ERROR
	h2ResetRefused                 // RST_STREAM REFUSED_STREAM
	h2GoAway                       // GOAWAY naming no processed stream, then close
	h2GoAwayAtOnce                 // GOAWAY before reading anything, then close
)

func (r h2Reply) String() string {
	return [...]string{"RST_STREAM PROTOCOL_ERROR", "RST_STREAM REFUSED_STREAM", "GOAWAY", "GOAWAY at once"}[r]
}

// h2Hostile is a TLS server speaking raw HTTP/2 frames.
type h2Hostile struct {
	URL      string
	roots    *tls.Config // client TLS config trusting the server
	requests atomic.Int32
	conns    atomic.Int32
	methods  sync.Map // method -> *atomic.Int32
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	open     []net.Conn
}

func newH2Hostile(t *testing.T, reply h2Reply) *h2Hostile {
	t.Helper()
	// Borrow httptest's certificate and the client config that trusts it.
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.EnableHTTP2 = true
	ts.StartTLS()
	cert := ts.TLS.Certificates
	clientTLS := ts.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	ts.Close()

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: cert, NextProtos: []string{"h2"}})
	require.NoError(t, err)
	h := &h2Hostile{URL: "https://" + ln.Addr().String(), roots: clientTLS, ln: ln}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.conns.Add(1)
			h.mu.Lock()
			h.open = append(h.open, c)
			h.mu.Unlock()
			h.wg.Add(1)
			go func() {
				defer h.wg.Done()
				h.serve(c, reply)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		h.mu.Lock()
		for _, c := range h.open {
			_ = c.Close()
		}
		h.mu.Unlock()
		h.wg.Wait()
	})
	return h
}

func (h *h2Hostile) count(method string) int {
	v, ok := h.methods.Load(method)
	if !ok {
		return 0
	}
	return int(v.(*atomic.Int32).Load())
}

func (h *h2Hostile) serve(c net.Conn, reply h2Reply) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if fr.WriteSettings() != nil {
		return
	}
	if reply == h2GoAwayAtOnce {
		_ = fr.WriteGoAway(0, http2.ErrCodeNo, nil)
		return
	}
	methods := map[uint32]string{}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		var done uint32
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				_ = fr.WritePing(true, f.Data)
			}
		case *http2.MetaHeadersFrame:
			methods[f.StreamID] = f.PseudoValue("method")
			if f.StreamEnded() {
				done = f.StreamID
			}
		case *http2.DataFrame:
			if f.StreamEnded() {
				done = f.StreamID
			}
		}
		if done == 0 {
			continue
		}
		// The whole request has been read: count it, then refuse to answer.
		h.requests.Add(1)
		v, _ := h.methods.LoadOrStore(methods[done], new(atomic.Int32))
		v.(*atomic.Int32).Add(1)
		switch reply {
		case h2ResetProtocol:
			_ = fr.WriteRSTStream(done, http2.ErrCodeProtocol)
		case h2ResetRefused:
			_ = fr.WriteRSTStream(done, http2.ErrCodeRefusedStream)
		case h2GoAway:
			_ = fr.WriteGoAway(0, http2.ErrCodeNo, nil)
			return
		}
	}
}

// h2Client is a client on the SDK's own default transport, trusting the
// hostile server's certificate.
func h2Client(t *testing.T, h *h2Hostile, opts ...pave.Option) *pave.Client {
	t.Helper()
	tr := pave.NewTransport()
	tr.TLSClientConfig = h.roots.Clone()
	t.Cleanup(tr.CloseIdleConnections)
	all := append([]pave.Option{
		pave.WithBaseURL(h.URL),
		pave.WithHTTPClient(&http.Client{Transport: tr}),
		pave.WithTimeout(5 * time.Second),
		pave.WithRetryBackoff(time.Millisecond, 2*time.Millisecond),
	}, opts...)
	c, err := pave.NewClient(pave.Credentials{Username: "acme", APIKey: "key-h2", APISecret: "secret-h2-0123456789"}, all...)
	require.NoError(t, err)
	return c
}

// h2Posts are the SDK's POSTs; each may text a customer or create
// something, so each must reach the server once.
var h2Posts = []struct {
	name string
	run  func(context.Context, *pave.Client) error
}{
	{"Sessions.Create with sms.to", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Sessions.Create(ctx, &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}})
		return err
	}},
	{"Webhooks.Create", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Webhooks.Create(ctx, pave.NewCallback(pave.EventComplete, "https://crm.example.com/pave", "whsec-0123456789abcdef0123"))
		return err
	}},
	{"Hotspots.UploadPhotos", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Hotspots.UploadPhotos(ctx, "NSA-7K2D5MZ8WP", []pave.HotspotPhoto{{PhotoLabel: pave.LabelFront, URL: "https://cdn.example.com/f.jpg"}})
		return err
	}},
	{"Sessions.ResendSMS", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Sessions.ResendSMS(ctx, "NSA-7K2D5MZ8WP", nil)
		return err
	}},
	{"Sessions.Update with sms", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Sessions.Update(ctx, "NSA-7K2D5MZ8WP", &pave.UpdateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}})
		return err
	}},
}

func TestHTTP2ResetAfterReadDoesNotReplayAPost(t *testing.T) {
	t.Parallel()
	for _, reply := range []h2Reply{h2ResetProtocol, h2ResetRefused, h2GoAway} {
		for _, op := range h2Posts {
			t.Run(reply.String()+"/"+op.name, func(t *testing.T) {
				t.Parallel()
				h := newH2Hostile(t, reply)
				c := h2Client(t, h)
				err := op.run(context.Background(), c)
				require.Error(t, err)
				var re *pave.RequestError
				require.ErrorAs(t, err, &re, "a reset stream is a *pave.RequestError")
				assert.Equal(t, 1, int(h.requests.Load()), "the request reached the server more than once")
			})
		}
	}
}

func TestHTTP2ResetAfterReadBoundsAGet(t *testing.T) {
	t.Parallel()
	for _, reply := range []h2Reply{h2ResetProtocol, h2ResetRefused, h2GoAway} {
		for _, retries := range []int{0, 2} {
			t.Run(reply.String(), func(t *testing.T) {
				t.Parallel()
				h := newH2Hostile(t, reply)
				c := h2Client(t, h, pave.WithMaxRetries(retries))
				_, err := c.Sessions.Get(context.Background(), "NSA-7K2D5MZ8WP")
				var re *pave.RequestError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, retries+1, re.Attempts)
				// net/http may replay an idempotent request once per
				// attempt; never in a loop.
				assert.LessOrEqual(t, h.count(http.MethodGet), 2*(retries+1))
				assert.GreaterOrEqual(t, h.count(http.MethodGet), retries+1)
			})
		}
	}
}

// A server that answers every new connection with GOAWAY before reading
// anything sends net/http's HTTP/2 path back to dialling, in a loop.
func TestHTTP2GoAwayOnEveryConnectionIsBounded(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			h := newH2Hostile(t, h2GoAwayAtOnce)
			c := h2Client(t, h, pave.WithMaxRetries(0), pave.WithTimeout(2*time.Second))
			var err error
			if method == http.MethodGet {
				_, err = c.Sessions.Get(context.Background(), "NSA-7K2D5MZ8WP")
			} else {
				_, err = c.Sessions.Create(context.Background(), nil)
			}
			var re *pave.RequestError
			require.ErrorAs(t, err, &re)
			assert.False(t, errors.Is(err, context.DeadlineExceeded), "stopped by the attempt timeout, not by the SDK: %v", err)
			assert.LessOrEqual(t, int(h.conns.Load()), 5 /* the SDK stops an attempt after 4 */, "connections dialled for one attempt")
			assert.Zero(t, h.requests.Load())
		})
	}
}

func TestDefaultTransportNegotiatesHTTP2(t *testing.T) {
	t.Parallel()
	var proto atomic.Value
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(r.Proto)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(`{"session_key":"NSA-7K2D5MZ8WP"}`))
	}))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(ts.Close)
	h := &h2Hostile{URL: ts.URL, roots: ts.Client().Transport.(*http.Transport).TLSClientConfig}
	c := h2Client(t, h)
	_, err := c.Sessions.Get(context.Background(), "NSA-7K2D5MZ8WP")
	require.NoError(t, err)
	assert.Equal(t, "HTTP/2.0", proto.Load())
	// A POST over HTTP/2 still works with its body unreplayable.
	_, err = c.Sessions.Create(context.Background(), &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "https://x.example/done"}})
	require.NoError(t, err)
	assert.Equal(t, "HTTP/2.0", proto.Load())
}
