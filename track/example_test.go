package track_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/track"
)

// A ledger on a SQLite file, against the fake PAVE server: the session is
// created once however often Create is called, and OnComplete runs once
// PAVE completes it.
func Example() {
	ctx := context.Background()
	srv, _ := pavetest.Start(pavetest.WithSeed(1))
	defer srv.Close()
	client, _ := srv.NewClient(srv.Credentials())

	dir, _ := os.MkdirTemp("", "track-example-")
	defer os.RemoveAll(dir)
	store, err := track.Open(ctx, "sqlite:"+filepath.Join(dir, "ledger.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	done := make(chan *track.Completion, 1)
	ledger, err := track.New(track.Config{
		Store:    store,
		Accounts: map[string]*pave.Client{"lakeside": client},
		Clock:    srv.Now, // the fake's; leave it out against PAVE
		OnComplete: func(ctx context.Context, c *track.Completion) error {
			done <- c // in an application: an insert keyed by c.ID
			return nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	inbox, _ := ledger.Inbox(track.InboxConfig{Secrets: map[string][]string{
		"lakeside": {"whsec-lakeside-0123456789abcdef0123456789"}}})
	hooks := httptest.NewServer(inbox)
	defer hooks.Close()
	_, _, _ = client.Webhooks.Ensure(ctx, pave.NewCallback(pave.EventComplete, hooks.URL,
		"whsec-lakeside-0123456789abcdef0123456789"))
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = ledger.Run(runCtx) }()

	req := &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "https://dealer.example/done"}}
	rec, _ := ledger.Create(ctx, "lakeside", "lead-4471", req)
	again, _ := ledger.Create(ctx, "lakeside", "lead-4471", req) // a retried job: no second session
	fmt.Println("same session:", rec.SessionKey == again.SessionKey)

	_ = srv.Complete(rec.SessionKey) // the customer takes the photos; PAVE inspects
	select {
	case c := <-done:
		fmt.Println("completed:", c.Ref, c.ID == rec.ID(), c.LearnedBy, c.Results.Session.Status)
	case <-time.After(10 * time.Second):
		fmt.Println("no completion")
	}
	// Output:
	// same session: true
	// completed: lead-4471 true webhook COMPLETE
}
