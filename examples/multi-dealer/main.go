// Command multi-dealer shows one process serving several dealers, as a CRM
// vendor's backend does:
//
//   - each dealer has its own PAVE account and API key, so each gets its
//     own *pave.Client, all over one shared connection pool
//     (pave.NewTransport)
//
//   - at start-up every dealer's callback setting is registered with
//     Webhooks.Ensure, which writes nothing when it already matches, so
//     every replica can run it on every start
//
//   - one webhook endpoint serves every dealer: each dealer's secret is
//     listed under the dealer's ID (webhook.Config.NamedSecrets), and
//     ev.Secret says whose delivery it is
//
//   - sessions are private to the API key that created them: one dealer
//     asking for another's session gets pave.ErrNotFound
//
//     go run ./examples/multi-dealer
//
// It runs against pavetest's fake server started with three accounts.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/webhook"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := run(ctx, os.Stdout)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "multi-dealer:", err)
		os.Exit(1)
	}
}

// dealer is one tenant: a dealership, its PAVE credentials and the secret
// PAVE sends back with its webhook deliveries. In production both come
// from your secret store, per dealer.
type dealer struct {
	ID            string
	Creds         pave.Credentials
	WebhookSecret string
}

// Tenants holds one PAVE client per dealer. A *pave.Client is immutable
// and safe for concurrent use: build it once per dealer and share it.
type Tenants struct {
	clients map[string]*pave.Client // by dealer ID
}

// NewTenants builds a client for every dealer over one transport, so they
// share one connection pool; opts (for example pave.WithBaseURL) apply to
// all of them.
func NewTenants(dealers []dealer, opts ...pave.Option) (*Tenants, error) {
	shared := &http.Client{Transport: pave.NewTransport()}
	t := &Tenants{clients: make(map[string]*pave.Client, len(dealers))}
	for _, d := range dealers {
		c, err := pave.NewClient(d.Creds, append([]pave.Option{pave.WithHTTPClient(shared)}, opts...)...)
		if err != nil {
			return nil, fmt.Errorf("dealer %s: %w", d.ID, err)
		}
		t.clients[d.ID] = c
	}
	return t, nil
}

// Client returns the client of a dealer.
func (t *Tenants) Client(dealerID string) (*pave.Client, error) {
	c, ok := t.clients[dealerID]
	if !ok {
		return nil, fmt.Errorf("unknown dealer %q", dealerID)
	}
	return c, nil
}

// Outcomes is what the CRM stores per dealer and session.
type Outcomes struct {
	mu   sync.Mutex
	rows []string
}

func (o *Outcomes) add(row string) {
	o.mu.Lock()
	o.rows = append(o.rows, row)
	o.mu.Unlock()
}

// Sorted returns the stored rows in a stable order.
func (o *Outcomes) Sorted() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := append([]string(nil), o.rows...)
	sort.Strings(out)
	return out
}

// newWebhookHandler is the one endpoint for every dealer. PAVE does not
// sign deliveries: the secret says which dealer registered the callback,
// and the results are fetched with that dealer's signed client rather than
// trusted from the body.
func newWebhookHandler(dealers []dealer, tenants *Tenants, out *Outcomes) (http.Handler, error) {
	named := make(map[string][]string, len(dealers))
	for _, d := range dealers {
		named[d.ID] = []string{d.WebhookSecret} // two while rotating
	}
	return webhook.NewHandler(webhook.Config{
		NamedSecrets: named,
		DedupWindow:  time.Hour, // PAVE delivers at least once
		Handler: func(ctx context.Context, ev *webhook.Event) error {
			if ev.Name != pave.EventComplete {
				return nil
			}
			client, err := tenants.Client(ev.Secret) // the dealer whose secret matched
			if err != nil {
				return err
			}
			res, err := client.Sessions.Results(ctx, ev.SessionKey)
			if err != nil {
				return err // answered 500: PAVE delivers again
			}
			sum := res.Summary()
			grade := "no grade"
			if sum.Graded {
				grade = fmt.Sprintf("grade %d", sum.Grade)
			}
			out.add(fmt.Sprintf("%-10s %s: %s, %d damages", ev.Secret, ev.SessionKey, grade, sum.DamageCount))
			return nil
		},
	})
}

func run(ctx context.Context, out io.Writer) error {
	dealers := []dealer{
		{ID: "lakeside", Creds: pave.Credentials{Username: "lakesidehonda",
			APIKey: "0c6f1c1e-1111-4a4a-9a9a-lakeside0001", APISecret: "lakeside-secret-for-the-fake"},
			WebhookSecret: "lakeside-webhook-secret-0123456789abcdef"},
		{ID: "northshore", Creds: pave.Credentials{Username: "northshoreauto",
			APIKey: "0c6f1c1e-2222-4b4b-9b9b-northshore01", APISecret: "northshore-secret-for-the-fake"},
			WebhookSecret: "northshore-webhook-secret-0123456789abcd"},
		{ID: "valley", Creds: pave.Credentials{Username: "valleykia",
			APIKey: "0c6f1c1e-3333-4c4c-9c9c-valley000001", APISecret: "valley-secret-for-the-fake"},
			WebhookSecret: "valley-webhook-secret-0123456789abcdefgh"},
	}

	// A fake PAVE that knows the three accounts. Against the real API you
	// would leave out pave.WithBaseURL.
	var accounts []pavetest.Account
	for _, d := range dealers {
		accounts = append(accounts, pavetest.Account{Username: d.Creds.Username, APIKey: d.Creds.APIKey, APISecret: d.Creds.APISecret})
	}
	srv, err := pavetest.Start(pavetest.WithAccounts(accounts...), pavetest.WithSeed(1))
	if err != nil {
		return fmt.Errorf("start the fake PAVE server: %w", err)
	}
	defer srv.Close()

	tenants, err := NewTenants(dealers, pave.WithBaseURL(srv.URL))
	if err != nil {
		return err
	}

	// The CRM's own HTTP server, with one webhook route for every dealer.
	outcomes := &Outcomes{}
	handler, err := newWebhookHandler(dealers, tenants, outcomes)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /pave/webhooks", handler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	crm := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = crm.Serve(ln) }()
	defer crm.Close()
	hookURL := "http://" + ln.Addr().String() + "/pave/webhooks"

	// Start-up: every dealer's setting, idempotently. Run twice to show
	// that the second run changes nothing.
	for round := 1; round <= 2; round++ {
		for _, d := range dealers {
			c, _ := tenants.Client(d.ID)
			_, did, err := c.Webhooks.Ensure(ctx, pave.NewCallback(pave.EventComplete, hookURL, d.WebhookSecret))
			if err != nil {
				return fmt.Errorf("%s: registering its callback: %w", d.ID, err)
			}
			fmt.Fprintf(out, "round %d: %s callback %s\n", round, d.ID, did)
		}
	}
	writes := 0
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			writes++
		}
	}
	fmt.Fprintf(out, "callbacks ensured for %d dealers, twice: %d writes to PAVE\n", len(dealers), writes)

	// Each dealer starts an inspection with its own client, concurrently.
	sessions := make(map[string]*pave.Session, len(dealers))
	var mu sync.Mutex
	errs := make([]error, len(dealers))
	var wg sync.WaitGroup
	for i, d := range dealers {
		wg.Go(func() {
			sess, err := startInspection(ctx, tenants, d.ID)
			errs[i] = err
			mu.Lock()
			sessions[d.ID] = sess
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, d := range dealers {
		fmt.Fprintf(out, "%-10s created session %s\n", d.ID, sessions[d.ID].SessionKey)
	}

	// The customers shoot their photos; PAVE inspects and delivers
	// SESSION:COMPLETE to the one endpoint, with each dealer's secret.
	for _, d := range dealers {
		if err := srv.Complete(sessions[d.ID].SessionKey); err != nil {
			return err
		}
	}
	for _, row := range outcomes.Sorted() {
		fmt.Fprintln(out, "stored", row)
	}

	// Each dealer's sessions are its own.
	northshore, _ := tenants.Client("northshore")
	_, err = northshore.Sessions.Get(ctx, sessions["lakeside"].SessionKey)
	switch {
	case errors.Is(err, pave.ErrNotFound):
		fmt.Fprintf(out, "northshore reading lakeside's session: not found, as PAVE answers\n")
	case err == nil:
		return errors.New("northshore could read lakeside's session: tenants are not isolated")
	default:
		return fmt.Errorf("northshore reading lakeside's session: %w", err)
	}
	return nil
}

// startInspection creates a session with the dealer's own client.
func startInspection(ctx context.Context, tenants *Tenants, dealerID string) (*pave.Session, error) {
	c, err := tenants.Client(dealerID)
	if err != nil {
		return nil, err
	}
	sess, err := c.Sessions.Create(ctx, &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{
			RedirectURL: "https://" + dealerID + ".dealer.example/trade-in/done",
			ClientID:    dealerID + "-lead-1",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%s creating a session: %w", dealerID, err)
	}
	return sess, nil
}
