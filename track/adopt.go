package track

import (
	"context"
	"errors"
	"log/slog"

	"github.com/pave-go/pave"
)

// adopt takes in a session a delivery named that the ledger does not know:
// it fetches the session and binds it to the reference it carries when
// that reference's create is unresolved (in flight or ambiguous), or
// records it as started elsewhere (the dashboard, a link, a widget) or as a
// second session carrying a bound reference. A session PAVE does not know
// in that account is left alone.
func (l *Ledger) adopt(ctx context.Context, account, key string) error {
	sess, _, err := l.get(ctx, account, key)
	if errors.Is(err, pave.ErrNotFound) {
		l.log.LogAttrs(ctx, slog.LevelWarn, "track: a delivery named a session PAVE does not know; ignored",
			slog.String("account", account), slog.String("session_key", key))
		return nil
	}
	if err != nil {
		return err
	}
	for _, ref := range refsOf(sess) {
		intent, err := l.store.recordWhere(ctx, "account = $1 AND ref = $2", account, ref)
		switch {
		case err != nil:
			return err
		case intent == nil:
			continue
		case intent.Phase == PhaseCreating || intent.Phase == PhaseAmbiguous:
			rec, err := l.bind(ctx, intent, sess, "webhook", 1)
			if err == nil {
				l.adopted(ctx, rec, "unresolved create matched by its reference")
			}
			return err
		case intent.SessionKey == key:
			return nil
		}
		l.log.LogAttrs(ctx, slog.LevelWarn, "track: a session carries the reference of another session",
			slog.String("account", account), slog.String("session_key", key), slog.String("ref", ref),
			slog.String("ref_session_key", intent.SessionKey))
	}
	b := l.arrival(ctx, account, sess, "webhook")
	now := l.nowMS()
	n, err := l.store.exec(ctx, `INSERT INTO track_records (account, session_key, phase, status, rank, source,
  learned_by, calls, next_at, done_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $10) ON CONFLICT DO NOTHING`, account, key, string(b.Phase),
		string(b.Status), b.rank, string(b.Source), b.LearnedBy, nullMS(b.NextAt), nullMS(b.DoneAt), now)
	if err == nil && n == 1 {
		b.Account, b.SessionKey = account, key
		l.adopted(ctx, b, "session started elsewhere")
	}
	return err
}

// adopted counts and logs an adoption.
func (l *Ledger) adopted(ctx context.Context, rec *Record, how string) {
	l.stats.adopted.Add(1)
	if rec.Phase == PhaseResults {
		l.stats.byWebhook.Add(1)
	}
	l.logState(ctx, slog.LevelInfo, "adopted: "+how, rec, slog.String("source", string(rec.Source)))
	l.notify()
}
