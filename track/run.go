package track

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Run works the ledger until ctx ends: it applies the inbox's deliveries,
// polls the sessions that are due, fetches results and calls OnComplete,
// with at most Config.Workers records at once. Run as many replicas as you
// like on PostgreSQL: each claims work under a lease, and a replica that
// dies has its work taken over once its leases expire. On SQLite run one.
// A failing store is retried; Run returns nil once ctx ends and the work
// in progress has stopped. It refuses to start without Config.Accounts or
// Config.OnComplete.
func (l *Ledger) Run(ctx context.Context) error {
	switch {
	case len(l.accounts) == 0:
		return errors.New("track: Run: Config.Accounts is empty")
	case l.cfg.OnComplete == nil:
		return errors.New("track: Run: Config.OnComplete is required")
	}
	slots := make(chan struct{}, l.cfg.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	failures := 0
	for {
		claimed, free, err := l.claimAndStart(ctx, slots, &wg)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			l.stats.storeErrors.Add(1)
			if failures++; failures == 1 || failures%30 == 0 {
				l.log.LogAttrs(ctx, slog.LevelWarn, "track: claiming work failed; retrying", errAttr(err),
					slog.Int("failures", failures))
			}
		default:
			failures = 0
		}
		if err == nil && claimed > 0 && claimed == free {
			continue // there may be more due
		}
		wait := l.cfg.ScanInterval
		if err != nil {
			wait = min(time.Duration(failures)*l.cfg.ScanInterval, 10*l.cfg.ScanInterval)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-l.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// claimAndStart claims due work for the free worker slots, deliveries
// first, and starts it.
func (l *Ledger) claimAndStart(ctx context.Context, slots chan struct{},
	wg *sync.WaitGroup) (claimed, free int, err error) {
	free = cap(slots) - len(slots)
	if free == 0 {
		return 0, 0, nil
	}
	start := func(f func()) {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
			<-slots
			l.notify()
		}()
	}
	ds, err := l.claimDeliveries(ctx, free)
	if err != nil {
		return 0, free, err
	}
	for _, d := range ds {
		start(func() {
			hctx, stop := l.hold(ctx, "track_inbox", d.id, d.token)
			err := l.processDelivery(hctx, d)
			stop()
			l.finishDelivery(context.WithoutCancel(ctx), d, err)
		})
	}
	rs, err := l.claimRecords(ctx, free-len(ds))
	for _, r := range rs {
		start(func() { l.work(ctx, r) })
	}
	return len(ds) + len(rs), free, err
}

// accountsIn returns "$first, $first+1, ..." for the configured accounts,
// and them as arguments: replicas claim only work they have clients for.
func (l *Ledger) accountsIn(first int) (string, []any) {
	ph := make([]string, len(l.accounts))
	args := make([]any, len(l.accounts))
	for i, a := range l.accounts {
		ph[i], args[i] = "$"+strconv.Itoa(first+i), a
	}
	return strings.Join(ph, ", "), args
}

// claimRecords leases up to limit records whose work is due.
func (l *Ledger) claimRecords(ctx context.Context, limit int) ([]*Record, error) {
	if limit <= 0 {
		return nil, nil
	}
	in, accts := l.accountsIn(6)
	return l.store.queryRecords(ctx, `UPDATE track_records SET lease_owner = $1, lease_until = $2
WHERE id IN (SELECT id FROM track_records WHERE next_at <= $3 AND lease_until < $4 AND account IN (`+in+`)
  ORDER BY next_at LIMIT $5 FOR UPDATE SKIP LOCKED)
RETURNING `+recordCols, append([]any{l.token(), leaseMS(l.cfg.Lease), l.nowMS(), ms(time.Now()), limit}, accts...)...)
}

// claimDeliveries leases up to limit deliveries not yet applied.
func (l *Ledger) claimDeliveries(ctx context.Context, limit int) ([]*delivery, error) {
	in, accts := l.accountsIn(6)
	token := l.token()
	rows, err := l.store.db.QueryContext(ctx, l.store.q(`UPDATE track_inbox SET lease_owner = $1, lease_until = $2
WHERE id IN (SELECT id FROM track_inbox WHERE next_at <= $3 AND lease_until < $4 AND account IN (`+in+`)
  ORDER BY next_at LIMIT $5 FOR UPDATE SKIP LOCKED)
RETURNING id, account, event, session_key, status, attempts`),
		append([]any{token, leaseMS(l.cfg.Lease), l.nowMS(), ms(time.Now()), limit}, accts...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*delivery
	for rows.Next() {
		d := &delivery{token: token}
		if err := rows.Scan(&d.id, &d.account, &d.event, &d.sessionKey, &d.status, &d.attempts); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
