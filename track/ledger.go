package track

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"sync/atomic"
	"time"

	"github.com/pave-go/pave"
)

// Config configures New. Store is required; Run needs Accounts and
// OnComplete too. A ledger with a Store alone serves operators' tools
// (List, Show, Retry, Abandon, Summary, Purge; Resolve needs the account's
// client). The rest have defaults.
type Config struct {
	// Store is the database (Open).
	Store *Store
	// Accounts maps account names of your choosing (a dealer's id, say)
	// to their clients. The name is what the ledger stores: it must stay
	// the same across restarts, while the client (and its credentials)
	// may change. Names are 1 to 64 letters, digits, '.', '_' or '-'.
	Accounts map[string]*pave.Client
	// OnComplete is called for every COMPLETE session with its stored
	// results, from the store: at least once, never concurrently for one
	// session, again (with backoff) after an error or a crash, until it
	// returns nil. Use Completion.ID as a unique key to make its effect
	// happen once. Its context ends after HandlerTimeout, or when the
	// replica loses its lease on the session. Its error is stored and
	// logged: keep personal data out of its text.
	OnComplete func(ctx context.Context, c *Completion) error

	// Logger receives a line for every state change (no phone number,
	// name nor secret). Default: none.
	Logger *slog.Logger
	// Clock says when work is due; default time.Now. Give the clock PAVE
	// answers by when testing against a fake whose clock moves (leases
	// always use this machine's clock: they measure a replica's liveness).
	Clock func() time.Time
	// Owner names this replica in leases; default host-pid-random.
	Owner string
	// MinBackoff and MaxBackoff bound the waits between polls of a
	// session that does not move, between attempts at results PAVE has not
	// released, and between OnComplete's retries: MinBackoff doubling up to
	// MaxBackoff, each jittered by up to a fifth either way. Defaults 1
	// minute and 30 minutes. While an account's deliveries arrive (one was
	// applied within MaxBackoff), the webhooks do the work and its
	// sessions are polled every MaxBackoff, as the backstop for a delivery
	// that is lost.
	MinBackoff, MaxBackoff time.Duration
	// Budget is how many API requests the reconciler may make per account
	// per minute, shared by every replica; default 60. A 429 pauses the
	// account for its Retry-After (or a minute).
	Budget int
	// Lease is how long a replica's claim on work lives without being
	// renewed; a dead replica's work is taken over after it. Default 30s.
	Lease time.Duration
	// Workers is how many records a replica works on at once; default 4.
	Workers int
	// HandlerTimeout bounds one OnComplete call; default 1 minute.
	HandlerTimeout time.Duration
	// MaxHandlerAttempts is how many failures in a row of OnComplete move
	// a record to PhaseFailed (to wait for Retry); default 20.
	MaxHandlerAttempts int
	// CreateWait is how long Create waits for another process creating the
	// same reference; default 10 seconds.
	CreateWait time.Duration
	// ScanInterval is how often Run looks for work other replicas or
	// processes made due; default 1 second.
	ScanInterval time.Duration
	// DropResults deletes the stored results once OnComplete has returned
	// nil (a Retry then fetches them again).
	DropResults bool
}

// Completion is what OnComplete receives.
type Completion struct {
	// ID is stable for the session ("ACCOUNT/SESSION_KEY"): use it as a
	// unique key.
	ID         string
	Account    string
	Ref        string // "" for a session started outside the API
	SessionKey string
	Source     pave.SourceType
	// LearnedBy is "webhook" or "poll".
	LearnedBy string
	// Attempt counts OnComplete's calls for this completion, from 1.
	Attempt int
	// Results are the results as PAVE sent them (Results.Raw()).
	Results *pave.Results
}

// Ledger creates sessions idempotently, receives deliveries durably and
// reconciles every session to its end. Build one with New; it is safe for
// concurrent use. Run drives it; Inbox receives deliveries.
type Ledger struct {
	cfg      Config
	store    *Store
	log      *slog.Logger
	now      func() time.Time
	accounts []string // sorted
	wake     chan struct{}
	claims   atomic.Uint64
	stats    counters
}

var accountName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// New validates cfg and returns a ledger.
func New(cfg Config) (*Ledger, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("track: Config.Store is required")
	case cfg.MinBackoff < 0 || cfg.MaxBackoff < 0 || cfg.Budget < 0 || cfg.Lease < 0 || cfg.Workers < 0 ||
		cfg.HandlerTimeout < 0 || cfg.MaxHandlerAttempts < 0 || cfg.CreateWait < 0 || cfg.ScanInterval < 0:
		return nil, errors.New("track: Config: durations and counts must not be negative")
	}
	for name, c := range cfg.Accounts {
		if !accountName.MatchString(name) {
			return nil, fmt.Errorf("track: Config.Accounts: name %q: want 1 to 64 letters, digits, '.', '_' or '-'", name)
		}
		if c == nil {
			return nil, fmt.Errorf("track: Config.Accounts: %q has a nil client", name)
		}
	}
	setDefault(&cfg.MinBackoff, time.Minute)
	setDefault(&cfg.MaxBackoff, 30*time.Minute)
	setDefault(&cfg.Budget, 60)
	setDefault(&cfg.Lease, 30*time.Second)
	setDefault(&cfg.Workers, 4)
	setDefault(&cfg.HandlerTimeout, time.Minute)
	setDefault(&cfg.MaxHandlerAttempts, 20)
	setDefault(&cfg.CreateWait, 10*time.Second)
	setDefault(&cfg.ScanInterval, time.Second)
	if cfg.MaxBackoff < cfg.MinBackoff {
		return nil, fmt.Errorf("track: Config: MaxBackoff %s is below MinBackoff %s", cfg.MaxBackoff, cfg.MinBackoff)
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = crand.Read(b)
		cfg.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	l := &Ledger{cfg: cfg, store: cfg.Store, log: cfg.Logger, now: cfg.Clock, wake: make(chan struct{}, 1)}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.accounts = slices.Sorted(maps.Keys(cfg.Accounts))
	return l, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// client returns the account's client.
func (l *Ledger) client(account string) (*pave.Client, error) {
	c := l.cfg.Accounts[account]
	if c == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownAccount, account)
	}
	return c, nil
}

// ms is t in Unix milliseconds, as the store keeps times.
func ms(t time.Time) int64 { return t.UnixMilli() }

// nowMS is the ledger clock; leaseMS the machine's clock plus d.
func (l *Ledger) nowMS() int64 { return ms(l.now()) }

func leaseMS(d time.Duration) int64 { return ms(time.Now().Add(d)) }

// token returns a new lease token: the owner and a claim number.
func (l *Ledger) token() string { return fmt.Sprintf("%s#%d", l.cfg.Owner, l.claims.Add(1)) }

// backoff is the jittered wait after attempts failures in a row (0: the
// first wait, MinBackoff).
func (l *Ledger) backoff(attempts int) time.Duration {
	d := l.cfg.MinBackoff
	for i := 0; i < attempts && d < l.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return jitter(min(d, l.cfg.MaxBackoff))
}

// jitter spreads d by up to a fifth either way.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// notify wakes Run: work is due now.
func (l *Ledger) notify() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// logState writes one state change.
func (l *Ledger) logState(ctx context.Context, level slog.Level, msg string, r *Record, extra ...slog.Attr) {
	if !l.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.String("account", r.Account)}
	if r.Ref != "" {
		attrs = append(attrs, slog.String("ref", r.Ref))
	}
	if r.SessionKey != "" {
		attrs = append(attrs, slog.String("session_key", r.SessionKey))
	}
	attrs = append(attrs, slog.String("phase", string(r.Phase)))
	if r.Status != "" {
		attrs = append(attrs, slog.String("status", string(r.Status)))
	}
	l.log.LogAttrs(ctx, level, "track: "+msg, append(attrs, extra...)...)
}

// errAttr is an error as a log attribute.
func errAttr(err error) slog.Attr { return slog.String("error", err.Error()) }
