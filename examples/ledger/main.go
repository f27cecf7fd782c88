// Command ledger runs three dealers' inspections through the track
// ledger on your machine, with no account, no database server and nothing
// left on disk:
//
//	go run ./examples/ledger
//
// It starts pavetest's fake PAVE server with three dealer accounts, made
// to lose a third of its webhook deliveries and repeat a fifth, and a
// ledger on a SQLite file in a temporary directory. The ledger's inbox
// receives the deliveries, its reconciler polls for what they miss, and
// OnComplete writes each inspection into the application's own table in
// the same database, keyed by the completion's stable id, so its effect
// happens once however often it runs. A job queue retrying a create does
// not create a second session, and a session a dealer started from PAVE's
// dashboard is adopted too. It prints the inspections and the counters.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/track"
	"github.com/pave-go/pave/webhook"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	err := run(ctx, os.Stdout)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ledger:", err)
		os.Exit(1)
	}
}

// dealers are the accounts the one process serves, each with its own PAVE
// credentials.
var dealers = []string{"lakeside", "northgate", "harbour"}

func run(ctx context.Context, out io.Writer) error {
	// A stand-in for PAVE that loses deliveries: the network and PAVE's
	// webhooks promise nothing.
	var accounts []pavetest.Account
	for i, d := range dealers {
		accounts = append(accounts, pavetest.Account{Username: d, APIKey: fmt.Sprintf("key-%s-%d", d, i),
			APISecret: fmt.Sprintf("sk-test-%s-0123456789abcdef", d)})
	}
	srv, err := pavetest.Start(pavetest.WithSeed(7), pavetest.WithAccounts(accounts...), pavetest.WithAsyncWebhooks(),
		func(o *pavetest.Options) { o.Chaos = pavetest.Chaos{Drop: 0.33, Duplicate: 0.2, Reorder: true} })
	if err != nil {
		return err
	}
	defer srv.Close()

	// The ledger's store: a SQLite file, created and migrated on Open.
	dir, err := os.MkdirTemp("", "pave-ledger-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := track.Open(ctx, "sqlite:"+filepath.Join(dir, "ledger.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	// The application's own table, in the same database.
	if _, err := store.DB().ExecContext(ctx, `CREATE TABLE inspections (
  id TEXT PRIMARY KEY, dealer TEXT NOT NULL, ref TEXT NOT NULL, grade INTEGER, damages INTEGER)`); err != nil {
		return err
	}

	// One client per dealer, under the name the ledger stores.
	clients := map[string]*pave.Client{}
	for _, a := range accounts {
		// Against the real API: pave.NewClient(creds). The fake's clients
		// follow its clock, which this program moves forward.
		if clients[a.Username], err = srv.NewClient(a.Credentials()); err != nil {
			return err
		}
	}
	ledger, err := track.New(track.Config{
		Store:    store,
		Accounts: clients,
		Clock:    srv.Now, // against the real API, leave it out
		OnComplete: func(ctx context.Context, c *track.Completion) error {
			// At least once, with a stable id: the primary key makes the
			// effect happen once.
			grade, damages := 0, 0
			if in := c.Results.Inspection; in != nil {
				grade, damages = int(in.Grade), len(in.Damages)
			}
			_, err := store.DB().ExecContext(ctx, `INSERT INTO inspections (id, dealer, ref, grade, damages)
VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, c.ID, c.Account, c.Ref, grade, damages)
			return err
		},
		ScanInterval: 50 * time.Millisecond,
	})
	if err != nil {
		return err
	}

	// The inbox, with each dealer's webhook secret, registered with PAVE.
	secrets := map[string][]string{}
	for _, d := range dealers {
		s, err := webhook.NewSecret()
		if err != nil {
			return err
		}
		secrets[d] = []string{s}
	}
	inbox, err := ledger.Inbox(track.InboxConfig{Secrets: secrets})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: inbox, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	url := "http://" + ln.Addr().String() + "/pave"
	for _, d := range dealers {
		for _, ev := range []pave.EventName{pave.EventComplete, pave.EventStatusChange} {
			if _, _, err := clients[d].Webhooks.Ensure(ctx, pave.NewCallback(ev, url, secrets[d][0])); err != nil {
				return err
			}
		}
	}

	// The reconciler.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go func() { _ = ledger.Run(runCtx) }()

	// Each dealer's CRM creates two inspections; its job queue retries one
	// create, which the ledger answers without a second session.
	var keys []string
	for _, d := range dealers {
		for i := 1; i <= 2; i++ {
			ref := fmt.Sprintf("%s-lead-%d", d, i)
			rec, err := ledger.Create(ctx, d, ref, &pave.CreateSessionRequest{
				Session: &pave.SessionSettings{RedirectURL: "https://" + d + ".example/trade-in/done"}})
			if err != nil {
				return err
			}
			keys = append(keys, rec.SessionKey)
		}
		again, err := ledger.Create(ctx, d, d+"-lead-1", nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%-9s retried create of %s-lead-1: same session %s, no request sent\n", d, d, again.SessionKey)
	}
	// A session a salesperson started outside the CRM.
	walkIn, err := clients["harbour"].Sessions.Create(ctx, nil)
	if err != nil {
		return err
	}
	keys = append(keys, walkIn.SessionKey)

	// The customers take their photos; PAVE inspects and completes.
	for _, k := range keys {
		if err := srv.Complete(k); err != nil {
			return err
		}
	}
	srv.WaitDeliveries()
	// Half an hour later by the fake's clock, the reconciler's backstop
	// polls find the completions whose deliveries were lost.
	srv.AdvanceClock(40 * time.Minute)
	if err := waitAllDone(ctx, ledger, len(keys)); err != nil {
		return err
	}
	return report(ctx, out, store, ledger)
}

// waitAllDone waits until n records are done.
func waitAllDone(ctx context.Context, l *track.Ledger, n int) error {
	for {
		s, err := l.Summary(ctx)
		if err != nil {
			return err
		}
		if s.Phases[track.PhaseDone] == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d inspections (%v): %w", n, s.Phases, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// report prints the application's table and the ledger's counters.
func report(ctx context.Context, out io.Writer, store *track.Store, l *track.Ledger) error {
	rows, err := store.DB().QueryContext(ctx,
		`SELECT dealer, ref, id, grade, damages FROM inspections ORDER BY dealer, ref`)
	if err != nil {
		return err
	}
	type row struct {
		dealer, ref, id string
		grade, damages  int
	}
	var table []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.dealer, &r.ref, &r.id, &r.grade, &r.damages); err != nil {
			_ = rows.Close()
			return err
		}
		table = append(table, r)
	}
	// Read every row before the next query: SQLite has one connection.
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%-9s %-18s %-28s %5s %7s %s\n", "DEALER", "REF", "ID", "GRADE", "DAMAGES", "LEARNED BY")
	for _, r := range table {
		key := track.Key{Account: r.dealer, Ref: r.ref}
		if r.ref == "" {
			r.ref, key = "(walk-in)", track.Key{Account: r.dealer, SessionKey: r.id[len(r.dealer)+1:]}
		}
		rec, err := l.Show(ctx, key)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%-9s %-18s %-28s %5d %7d %s\n", r.dealer, r.ref, r.id, r.grade, r.damages, rec.LearnedBy)
	}
	s := l.Stats()
	fmt.Fprintf(out, "\ncreates sent %d (reused %d); deliveries kept %d, repeats %d; "+
		"completions by webhook %d, by poll %d;\n",
		s.Creates, s.CreatesReused, s.Deliveries, s.Duplicates, s.ByWebhook, s.ByPoll)
	fmt.Fprintf(out, "tracking requests per completion %.2f; OnComplete ran %d times\n", s.CallsPerCompletion(), s.Handled)
	return nil
}
