package track

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"

	"github.com/pave-go/pave"
)

// advance moves rec's session to status when that is further along PAVE's
// lifecycle than the store has it (by says how it was learned: "webhook");
// anything else changes nothing. A tracked session moves to the phase the
// status calls for; a record past tracking takes only the status.
func (l *Ledger) advance(ctx context.Context, rec *Record, status pave.SessionStatus, by string) error {
	r := rank(status)
	if r <= rec.rank {
		return nil
	}
	next := &Record{Status: status}
	next.Phase = phaseFor(status)
	now := l.now()
	switch next.Phase {
	case PhaseResults:
		next.NextAt = now
	case PhaseTracking:
		next.NextAt = now.Add(jitter(l.cfg.MaxBackoff)) // webhooks work: the poll is a backstop
	}
	var phase string
	err := l.store.db.QueryRowContext(ctx, l.store.q(`UPDATE track_records SET status = $1, rank = $2,
  updated_at = $3, version = version + 1,
  phase = CASE WHEN phase = 'tracking' THEN $4 ELSE phase END,
  learned_by = CASE WHEN phase = 'tracking' AND $4 = 'awaiting_results' THEN $5 ELSE learned_by END,
  next_at = CASE WHEN phase = 'tracking' THEN $6 ELSE next_at END,
  attempts = CASE WHEN phase = 'tracking' THEN 0 ELSE attempts END,
  done_at = CASE WHEN phase = 'tracking' AND $4 = 'ended' THEN $3 ELSE done_at END
WHERE id = $7 AND rank < $2 RETURNING phase`), string(status), r, ms(now), string(next.Phase), by,
		nullMS(next.NextAt), rec.id).Scan(&phase)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the store was further along already
	}
	if err != nil {
		return err
	}
	rec.Status, rec.rank, rec.Phase = status, r, Phase(phase)
	l.logState(ctx, slog.LevelInfo, "status advanced", rec, slog.String("by", by))
	if rec.Phase == PhaseResults && r == rankFinal {
		l.stats.byWebhook.Add(1)
		l.notify()
	}
	return nil
}
