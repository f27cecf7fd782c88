package track

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/pave-go/pave"
)

// waitError is work put off for a known time: the account's budget is
// spent, or PAVE answered 429.
type waitError struct {
	d   time.Duration
	err error
}

func (e *waitError) Error() string { return fmt.Sprintf("track: waiting %s: %v", e.d, e.err) }
func (e *waitError) Unwrap() error { return e.err }

var errBudget = errors.New("the account's request budget is spent")

// retryIn is when work that failed with err is due again after attempts
// failures in a row.
func (l *Ledger) retryIn(err error, attempts int) time.Duration {
	if we := (*waitError)(nil); errors.As(err, &we) {
		return we.d
	}
	return l.backoff(attempts)
}

// call makes one reconciler request for account within its budget,
// counting it, and pauses the account on a 429 for its Retry-After. It
// returns how many requests it sent (0 or 1).
func call[T any](ctx context.Context, l *Ledger, account string, n *atomic.Int64,
	f func(*pave.Client) (T, error)) (T, int, error) {
	var zero T
	c, err := l.client(account)
	if err != nil {
		return zero, 0, err
	}
	if wait, err := l.spend(ctx, account); err != nil || wait > 0 {
		if err == nil {
			err = &waitError{wait, errBudget}
		}
		return zero, 0, err
	}
	n.Add(1)
	v, err := f(c)
	if ae := (*pave.APIError)(nil); errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests {
		l.stats.rateLimited.Add(1)
		d := ae.RetryAfter
		if d <= 0 {
			d = time.Minute
		}
		l.log.LogAttrs(ctx, slog.LevelWarn, "track: rate limited; account paused", slog.String("account", account),
			slog.Duration("for", d))
		if perr := l.pause(ctx, account, d); perr != nil {
			l.stats.storeErrors.Add(1)
		}
		return zero, 1, &waitError{d, err}
	}
	return v, 1, err
}

// get fetches a session (GET /v1/sessions/{key}) within the budget.
func (l *Ledger) get(ctx context.Context, account, key string) (*pave.Session, int, error) {
	return call(ctx, l, account, &l.stats.gets, func(c *pave.Client) (*pave.Session, error) {
		return c.Sessions.Get(ctx, key)
	})
}

// results fetches a session's results within the budget.
func (l *Ledger) results(ctx context.Context, account, key string) (*pave.Results, int, error) {
	return call(ctx, l, account, &l.stats.results, func(c *pave.Client) (*pave.Results, error) {
		return c.Sessions.Results(ctx, key)
	})
}

// spend takes one request from the account's budget for this minute,
// shared by every replica through the store. It returns how long to wait
// when none is left or the account is paused, else 0.
func (l *Ledger) spend(ctx context.Context, account string) (time.Duration, error) {
	now := time.Now()
	window := now.Truncate(time.Minute)
	var used, paused int64
	err := l.store.db.QueryRowContext(ctx, l.store.q(`INSERT INTO track_accounts (account, window_start, used)
VALUES ($1, $2, 1) ON CONFLICT (account) DO UPDATE SET
  used = CASE WHEN track_accounts.window_start = $2 THEN track_accounts.used + 1 ELSE 1 END, window_start = $2
RETURNING used, paused_until`), account, ms(window)).Scan(&used, &paused)
	switch {
	case err != nil:
		return 0, err
	case paused > ms(now):
		return time.Duration(paused-ms(now)) * time.Millisecond, nil
	case used > int64(l.cfg.Budget):
		return window.Add(time.Minute).Sub(now), nil
	}
	return 0, nil
}

// pause stops the account's requests for d, in every replica.
func (l *Ledger) pause(ctx context.Context, account string, d time.Duration) error {
	until := ms(time.Now().Add(d))
	_, err := l.store.exec(ctx, `UPDATE track_accounts SET paused_until = $1 WHERE account = $2 AND paused_until < $1`,
		until, account)
	return err
}

// delivered notes that a delivery for account was applied: its webhooks
// work.
func (l *Ledger) delivered(ctx context.Context, account string) error {
	now := l.nowMS()
	_, err := l.store.exec(ctx, `INSERT INTO track_accounts (account, last_delivery) VALUES ($1, $2)
ON CONFLICT (account) DO UPDATE SET last_delivery = $2 WHERE track_accounts.last_delivery < $2`, account, now)
	return err
}

// pollIn is when a session of account that moved attempts polls ago is
// next polled. While the account's deliveries arrive (one was applied
// within MaxBackoff), webhooks do the work and the poll is only the
// backstop for one that is lost: it comes after MaxBackoff. Otherwise (no
// callback registered, an endpoint down) polls start at MinBackoff and
// double.
func (l *Ledger) pollIn(ctx context.Context, account string, attempts int) time.Duration {
	var last int64
	err := l.store.db.QueryRowContext(ctx, l.store.q(`SELECT last_delivery FROM track_accounts WHERE account = $1`),
		account).Scan(&last)
	if err == nil && last >= ms(l.now().Add(-l.cfg.MaxBackoff)) {
		return jitter(l.cfg.MaxBackoff)
	}
	return l.backoff(attempts)
}
