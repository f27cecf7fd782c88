package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/webhook"
)

// receiver is your webhook endpoint: an HTTP server on 127.0.0.1 serving
// webhook.NewHandler. In production it is a route of your own service
// on a public https URL.
type receiver struct {
	// URL is where PAVE is told to deliver.
	URL string

	w         *syncWriter
	srv       *http.Server
	served    chan struct{}
	completed chan string // session keys announced by SESSION:COMPLETE

	// PAVE's STATUS_CHANGE body carries the new status only: the receiver
	// remembers each session's last status to print the transition.
	mu       sync.Mutex
	statuses map[string]pave.SessionStatus
}

// Track starts remembering a session's status, as created.
func (r *receiver) Track(key string, status pave.SessionStatus) {
	r.mu.Lock()
	r.statuses[key] = status
	r.mu.Unlock()
}

// transition records a session's new status and returns the one before.
func (r *receiver) transition(key string, to pave.SessionStatus) pave.SessionStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	from := r.statuses[key]
	r.statuses[key] = to
	return from
}

// startReceiver listens on a free loopback port and serves deliveries that
// carry secret.
func startReceiver(w *syncWriter, secret string) (*receiver, error) {
	r := &receiver{w: w, served: make(chan struct{}), completed: make(chan string, 1),
		statuses: map[string]pave.SessionStatus{}}
	handler, err := webhook.NewHandler(webhook.Config{
		Secrets: []string{secret},
		Handler: r.handle,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /pave/webhooks", handler)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.URL = "http://" + ln.Addr().String() + "/pave/webhooks"
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(r.served)
		_ = r.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return r, nil
}

// handle is called once per authentic delivery. It prints one line per
// event, without anything personal (deliveries can carry the customer's
// name and phone number). Returning an error answers 500, so PAVE delivers
// the event again.
func (r *receiver) handle(_ context.Context, ev *webhook.Event) error {
	switch ev.Name {
	case pave.EventStatusChange:
		sc, err := ev.StatusChange()
		if err != nil {
			return err
		}
		r.w.Printf("  webhook %-22s %s -> %s\n", ev.Name, r.transition(sc.SessionKey, sc.Status), sc.Status)
	case pave.EventStageChange:
		sc, err := ev.StageChange()
		if err != nil {
			return err
		}
		verdict := string(sc.PhotoStatus)
		if sc.Message != "" {
			verdict += " (" + sc.Message + ")"
		}
		r.w.Printf("  webhook %-22s photo %02d %-12s %s\n", ev.Name, int(sc.PhotoCode), sc.PhotoLabel, verdict)
	case pave.EventComplete:
		r.w.Printf("  webhook %-22s session %s: results are ready\n", ev.Name, ev.SessionKey)
		// Only note the key here; the main flow fetches the results.
		select {
		case r.completed <- ev.SessionKey:
		default: // a repeated delivery: already noted
		}
	default:
		r.w.Printf("  webhook %-22s (not handled)\n", ev.Name)
	}
	return nil
}

// WaitComplete returns the key of the session SESSION:COMPLETE announced,
// waiting at most timeout.
func (r *receiver) WaitComplete(ctx context.Context, timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case key := <-r.completed:
		return key, nil
	case <-t.C:
		return "", fmt.Errorf("no SESSION:COMPLETE webhook arrived within %s", timeout)
	case <-ctx.Done():
		return "", fmt.Errorf("waiting for SESSION:COMPLETE: %w", ctx.Err())
	}
}

// Close stops the receiver, letting a delivery in progress finish.
func (r *receiver) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
	<-r.served
}
