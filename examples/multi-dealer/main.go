// Command multi-dealer shows one process serving several dealers, as a CRM
// vendor's backend does: each dealer has its own PAVE account and API key,
// so each gets its own *pave.Client, held in a map keyed by dealer ID.
//
//	go run ./examples/multi-dealer
//
// It runs against pavetest's fake server started with two accounts, and
// shows that sessions are private to the API key that created them: dealer
// B asking for dealer A's session gets pave.ErrNotFound, exactly as PAVE
// answers (a 404 that does not reveal the session exists).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
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

// dealer is one tenant: a dealership and its PAVE credentials. In
// production the credentials come from your secret store, per dealer.
type dealer struct {
	ID    string
	Name  string
	Creds pave.Credentials
}

// Tenants holds one PAVE client per dealer. A *pave.Client is immutable
// and safe for concurrent use: build it once per dealer and share it
// between requests.
type Tenants struct {
	clients map[string]*pave.Client // by dealer ID
}

// NewTenants builds a client for every dealer; opts (for example
// pave.WithBaseURL) apply to all of them.
func NewTenants(dealers []dealer, opts ...pave.Option) (*Tenants, error) {
	t := &Tenants{clients: make(map[string]*pave.Client, len(dealers))}
	for _, d := range dealers {
		c, err := pave.NewClient(d.Creds, opts...)
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

func run(ctx context.Context, out io.Writer) error {
	dealers := []dealer{
		{ID: "lakeside", Name: "Lakeside Honda", Creds: pave.Credentials{
			Username: "lakesidehonda", APIKey: "0c6f1c1e-1111-4a4a-9a9a-lakeside0001", APISecret: "lakeside-secret-for-the-fake"}},
		{ID: "northshore", Name: "North Shore Auto", Creds: pave.Credentials{
			Username: "northshoreauto", APIKey: "0c6f1c1e-2222-4b4b-9b9b-northshore01", APISecret: "northshore-secret-for-the-fake"}},
	}

	// A fake PAVE that knows both accounts. Against the real API you
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

	// Each dealer starts an inspection, concurrently, with its own client.
	sessions := make(map[string]*pave.Session) // by dealer ID
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	for _, d := range dealers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess, err := startInspection(ctx, tenants, d.ID)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			sessions[d.ID] = sess
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	for _, d := range dealers {
		fmt.Fprintf(out, "%-10s created session %s  %s\n", d.ID, sessions[d.ID].SessionKey, sessions[d.ID].CaptureURL)
	}

	// Each dealer sees its own session...
	for _, d := range dealers {
		c, err := tenants.Client(d.ID)
		if err != nil {
			return err
		}
		sess, err := c.Sessions.Get(ctx, sessions[d.ID].SessionKey)
		if err != nil {
			return fmt.Errorf("%s reading its own session: %w", d.ID, err)
		}
		fmt.Fprintf(out, "%-10s reads its own session %s: status %s\n", d.ID, sess.SessionKey, sess.Status)
	}

	// ...but not the other dealer's.
	northshore, err := tenants.Client("northshore")
	if err != nil {
		return err
	}
	_, err = northshore.Sessions.Get(ctx, sessions["lakeside"].SessionKey)
	switch {
	case errors.Is(err, pave.ErrNotFound):
		fmt.Fprintf(out, "%-10s reads lakeside's session %s: not found (as PAVE answers: %v)\n", "northshore", sessions["lakeside"].SessionKey, err)
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
