package track

import (
	"context"
	"time"
)

// hold keeps the lease token holds on row id of table alive while work on
// it runs: it renews the lease every third of Config.Lease. The returned
// context ends when the lease is lost (another replica may then take the
// work), and stop ends the renewal.
func (l *Ledger) hold(ctx context.Context, table string, id any, token string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(l.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			n, err := l.store.exec(ctx, "UPDATE "+table+" SET lease_until = $1 WHERE id = $2 AND lease_owner = $3",
				leaseMS(l.cfg.Lease), id, token)
			if err == nil && n == 0 {
				cancel() // lost: another claim holds the work now
				return
			}
		}
	}()
	return ctx, func() { cancel(); <-done }
}
