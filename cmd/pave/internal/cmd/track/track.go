// Package track is pave track: operators' commands over a track ledger
// (list, show, retry, resolve or abandon a record, counters, purge). The
// application runs the ledger; these commands open its store directly.
package track

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
	ledger "github.com/pave-go/pave/track"
)

// EnvDSN names the ledger's database when --db is not given.
const EnvDSN = "PAVE_TRACK_DSN"

// options are the flags every track verb shares.
type options struct {
	*cmdutil.Factory
	DB, Account, Session string
}

// New returns pave track.
func New(f *cmdutil.Factory) *cobra.Command {
	o := &options{Factory: f}
	c := cmdutil.Group(&cobra.Command{
		Use:   "track",
		Short: "Inspect and settle the records of a track ledger (github.com/pave-go/pave/track)",
		Long: `Operators' commands over the ledger an application keeps with package track:
the database comes from --db or $` + EnvDSN + ` (sqlite:FILE or postgres://...).
A record is named by the application's reference (REF) or, for a session
started outside the API, by --session KEY; --account picks the account when
several have the reference.`,
		Example: `  export PAVE_TRACK_DSN=sqlite:ledger.db
  pave track ls --ambiguous
  pave track resolve lead-4471 --session NSA-7K2D5MZ8WP
  pave track retry lead-4471`,
	}, newCmdList(o), newCmdShow(o), newCmdRetry(o), newCmdResolve(o), newCmdStats(o), newCmdPurge(o))
	c.PersistentFlags().StringVar(&o.DB, "db", "", "the ledger's database (default $"+EnvDSN+")")
	c.PersistentFlags().StringVar(&o.Account, "account", "", "the account of the record, when several have REF")
	return c
}

// runStore opens the ledger's store and runs fn, mapping the ledger's
// errors to exit statuses.
func (o *options) runStore(fn func(*ledger.Store) error) error {
	dsn := cmp.Or(o.DB, o.Getenv(EnvDSN))
	if dsn == "" {
		return cmdutil.Usagef("no ledger database: set --db or $%s (sqlite:FILE or postgres://...)", EnvDSN)
	}
	if path := sqlitePath(dsn); path != "" {
		// An operator reads an existing ledger: opening a mistyped path
		// would create an empty one and list nothing.
		if _, err := os.Stat(path); err != nil {
			return cmdutil.Usagef("--db: no ledger at %s: %v", path, errors.Unwrap(err))
		}
	}
	store, err := ledger.Open(o.Ctx, dsn)
	if err != nil {
		return cmdutil.Usagef("--db: %v", err)
	}
	defer store.Close()
	switch err := fn(store); {
	case errors.Is(err, ledger.ErrNotFound):
		return cmdutil.Exitf(cmdutil.ExitNotFound, "%v", err)
	case errors.Is(err, ledger.ErrInvalid), errors.Is(err, ledger.ErrState):
		return cmdutil.Usagef("%v", err)
	default:
		return err
	}
}

// run is runStore with a ledger over the store. It has no accounts: of
// the operators' commands only resolve calls PAVE.
func (o *options) run(fn func(*ledger.Ledger) error) error {
	return o.runStore(func(store *ledger.Store) error {
		l, err := ledger.New(ledger.Config{Store: store})
		if err != nil {
			return err
		}
		return fn(l)
	})
}

// key is the record the arguments name.
func (o *options) key(args []string) (ledger.Key, error) {
	k := ledger.Key{Account: o.Account, SessionKey: o.Session}
	if len(args) > 0 {
		k.Ref = args[0]
	}
	if k.Ref == "" && k.SessionKey == "" {
		return k, cmdutil.Usagef("name a record: REF, or --session KEY")
	}
	return k, nil
}

// verb is a track verb over one record.
func (o *options) verb(c *cobra.Command, fn func(*ledger.Ledger, ledger.Key) error) *cobra.Command {
	c.Args = cobra.MaximumNArgs(1)
	c.Flags().StringVar(&o.Session, "session", "", "the record's session key (a session started elsewhere has no REF)")
	c.RunE = func(_ *cobra.Command, args []string) error {
		k, err := o.key(args)
		if err != nil {
			return err
		}
		return o.run(func(l *ledger.Ledger) error { return fn(l, k) })
	}
	return c
}

func newCmdList(o *options) *cobra.Command {
	lo := ledger.ListOptions{}
	var pending, ambiguous, failed bool
	c := &cobra.Command{
		Use:     "ls",
		Short:   "List the ledger's records, newest first",
		Example: "  pave track ls --ambiguous\n  pave track ls --failed --json",
		Args:    cobra.NoArgs,
	}
	c.Flags().BoolVar(&pending, "pending", false, "only records not finished")
	c.Flags().BoolVar(&ambiguous, "ambiguous", false, "only creates that ended without a clear answer")
	c.Flags().BoolVar(&failed, "failed", false, "only completions whose handler gave up")
	c.Flags().IntVar(&lo.Limit, "limit", 100, "at most this many records")
	c.RunE = func(*cobra.Command, []string) error {
		if n := btoi(pending) + btoi(ambiguous) + btoi(failed); n > 1 {
			return cmdutil.Usagef("give one of --pending, --ambiguous and --failed")
		}
		switch {
		case pending:
			lo.Filter = ledger.Pending
		case ambiguous:
			lo.Filter = ledger.Ambiguous
		case failed:
			lo.Filter = ledger.Failed
		}
		lo.Account = o.Account
		return o.run(func(l *ledger.Ledger) error {
			recs, err := l.List(o.Ctx, lo)
			if err != nil || o.IO.JSON {
				return cmp.Or(err, o.IO.JSONValue(recs))
			}
			if len(recs) == 0 {
				o.IO.Printf("No records.\n")
				return nil
			}
			t := o.IO.Table("ACCOUNT", "REF", "SESSION", "PHASE", "STATUS", "UPDATED").Fit(80, 1)
			for _, r := range recs {
				t.Row(r.Account, report.Dash(r.Ref), report.Dash(r.SessionKey), r.Phase, report.Dash(string(r.Status)),
					r.UpdatedAt.UTC().Format("01-02 15:04"))
			}
			t.Print()
			return nil
		})
	}
	return c
}

// printRecord prints one record.
func (o *options) printRecord(r *ledger.Record) error {
	return o.IO.Result(nil, r, func() {
		t := o.IO.Table()
		for _, row := range [][2]string{{"Account:", r.Account}, {"Reference:", r.Ref}, {"Session:", r.SessionKey},
			{"Phase:", string(r.Phase)}, {"Status:", string(r.Status)}, {"Source:", string(r.Source)},
			{"Capture link:", r.CaptureURL}, {"Learned by:", r.LearnedBy}, {"Results stored:", fmt.Sprint(r.HasResults)},
			{"API calls:", fmt.Sprint(r.Calls)}, {"Failures:", fmt.Sprint(r.Attempts)}, {"Last error:", r.LastError},
			{"Next due:", stamp(r.NextAt)}, {"Created:", stamp(r.CreatedAt)}, {"Updated:", stamp(r.UpdatedAt)},
			{"Done:", stamp(r.DoneAt)}} {
			if row[1] != "" {
				t.Row(row[0], row[1])
			}
		}
		t.Print()
	})
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func newCmdShow(o *options) *cobra.Command {
	return o.verb(&cobra.Command{
		Use:     "show [REF]",
		Short:   "Show one record: its phase, PAVE's status, how its completion was learned, its last error",
		Example: "  pave track show lead-4471\n  pave track show --session NSA-7K2D5MZ8WP --json",
	}, func(l *ledger.Ledger, k ledger.Key) error {
		r, err := l.Show(o.Ctx, k)
		if err != nil {
			return err
		}
		return o.printRecord(r)
	})
}

func newCmdRetry(o *options) *cobra.Command {
	return o.verb(&cobra.Command{
		Use:   "retry [REF]",
		Short: "Make a record's work due now: OnComplete again, or the next poll",
		Long: `Make a record's work due now, for the application's running ledger to do:
for a session whose results are stored (handling, done or failed), OnComplete
is called once more with the same stable id; for one tracked or awaiting
results, the next poll or results request is made. An unresolved create
(see pave track resolve) and an ended session are refused.`,
		Example: "  pave track retry lead-4471",
	}, func(l *ledger.Ledger, k ledger.Key) error {
		r, err := l.Retry(o.Ctx, k)
		if err != nil {
			return err
		}
		o.IO.Notef("%s: work due now", ledger.Key{Account: r.Account, Ref: r.Ref, SessionKey: r.SessionKey})
		return o.printRecord(r)
	})
}

func newCmdResolve(o *options) *cobra.Command {
	var abandon bool
	c := &cobra.Command{
		Use:   "resolve REF (--session KEY | --abandon)",
		Short: "Settle an ambiguous create: bind it to the session PAVE made, or abandon it",
		Long: `A create that ended without a clear answer (a timeout, a 5xx) may have made a
session. --session KEY binds the reference to it (the session is read from PAVE
with the credentials of the command, which must be the record's account's);
--abandon releases the reference, so the next create sends a new POST: use it
only once sure PAVE made no session.`,
		Example: "  pave track resolve lead-4471 --session NSA-7K2D5MZ8WP\n  pave track resolve lead-4471 --abandon",
		Args:    cmdutil.ArgsNamed("REF"),
	}
	c.Flags().StringVar(&o.Session, "session", "", "the session PAVE made for the reference")
	c.Flags().BoolVar(&abandon, "abandon", false, "release the reference: no session was made")
	c.RunE = func(_ *cobra.Command, args []string) error {
		if abandon == (o.Session != "") {
			return cmdutil.Usagef("give one of --session KEY and --abandon")
		}
		k := ledger.Key{Account: o.Account, Ref: args[0]}
		if abandon {
			return o.run(func(l *ledger.Ledger) error {
				if err := l.Abandon(o.Ctx, k); err != nil {
					return err
				}
				o.IO.Notef("%s abandoned: the next create sends a new POST", k)
				return nil
			})
		}
		return o.runStore(func(store *ledger.Store) error {
			l, err := ledger.New(ledger.Config{Store: store})
			if err != nil {
				return err
			}
			rec, err := l.Show(o.Ctx, k)
			if err != nil {
				return err
			}
			// The session is read from PAVE with the command's credentials,
			// as the record's account.
			cl, _, err := o.Client()
			if err != nil {
				return err
			}
			defer cl.CloseIdleConnections()
			l, err = ledger.New(ledger.Config{Store: store, Accounts: map[string]*pave.Client{rec.Account: cl}})
			if err != nil {
				return err
			}
			r, err := l.Resolve(o.Ctx, k, o.Session)
			if err != nil {
				return err
			}
			return o.printRecord(r)
		})
	}
	return c
}

func newCmdStats(o *options) *cobra.Command {
	return &cobra.Command{
		Use:     "stats",
		Short:   "Counters of every replica: records by phase, API calls per inspection, how completions were learned",
		Example: "  pave track stats --json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return o.run(func(l *ledger.Ledger) error {
				s, err := l.Summary(o.Ctx)
				if err != nil {
					return err
				}
				return o.IO.JSONValue(s)
			})
		},
	}
}

func newCmdPurge(o *options) *cobra.Command {
	var olderThan time.Duration
	c := &cobra.Command{
		Use:     "purge --older-than D",
		Short:   "Delete finished records (and their stored results) older than D",
		Example: "  pave track purge --older-than 720h",
		Args:    cobra.NoArgs,
	}
	c.Flags().DurationVar(&olderThan, "older-than", 0, "age of the finished records to delete (required)")
	c.RunE = func(*cobra.Command, []string) error {
		if olderThan <= 0 {
			return cmdutil.Usagef("--older-than D is required, and must be positive")
		}
		return o.run(func(l *ledger.Ledger) error {
			n, err := l.Purge(o.Ctx, olderThan)
			if err == nil {
				o.IO.Printf("%d records purged\n", n)
			}
			return err
		})
	}
	return c
}

// btoi is 1 for true.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sqlitePath is the file a SQLite DSN (sqlite:PATH, file:PATH or a bare
// path) names, "" for a PostgreSQL one.
func sqlitePath(dsn string) string {
	dsn = strings.TrimSpace(dsn)
	scheme, rest, ok := strings.Cut(dsn, ":")
	switch {
	case ok && (strings.EqualFold(scheme, "sqlite") || strings.EqualFold(scheme, "file")):
		dsn = strings.TrimPrefix(rest, "//")
	case strings.Contains(dsn, "://") || strings.Contains(dsn, "="):
		return ""
	}
	path, _, _ := strings.Cut(dsn, "?")
	return path
}
