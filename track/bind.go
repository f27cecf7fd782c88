package track

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"

	"github.com/pave-go/pave"
)

// bind ties the intent rec (creating or ambiguous) to session s, found by
// a create (learnedBy "") or by adoption, resolution or a poll (learnedBy
// says how a COMPLETE status was learned); calls counts the requests made
// to find it. When another record already holds the session (adopted as
// started elsewhere before its reference was matched), that record takes
// the reference and the intent goes.
func (l *Ledger) bind(ctx context.Context, rec *Record, s *pave.Session, learnedBy string, calls int) (*Record, error) {
	b := l.arrival(ctx, rec.Account, s, learnedBy) // before the transaction: SQLite has one connection
	if learnedBy == "" {
		b.Source = pave.SourceAPI
	}
	tx, err := l.store.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	q := l.store.q
	var other int64
	err = tx.QueryRowContext(ctx, q("SELECT id FROM track_records WHERE account = $1 AND session_key = $2"),
		rec.Account, s.SessionKey).Scan(&other)
	now := l.nowMS()
	switch {
	case err == nil && other == rec.id:
		_ = tx.Rollback()
		return l.reread(ctx, rec)
	case err == nil:
		res, err := tx.ExecContext(ctx,
			q(`DELETE FROM track_records WHERE id = $1 AND phase IN ('creating', 'ambiguous')`), rec.id)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_ = tx.Rollback()
			return l.reread(ctx, rec)
		}
		if _, err := tx.ExecContext(ctx, q(`UPDATE track_records SET ref = $1, calls = calls + $2,
  capture_url = CASE WHEN capture_url = '' THEN $3 ELSE capture_url END, version = version + 1, updated_at = $4
WHERE id = $5`), rec.Ref, calls, s.CaptureURL, now, other); err != nil {
			return nil, err
		}
	case errors.Is(err, sql.ErrNoRows):
		res, err := tx.ExecContext(ctx, q(`UPDATE track_records SET session_key = $1, phase = $2, status = $3,
  rank = $4, source = $5, capture_url = $6, learned_by = $7, next_at = $8, done_at = $9, calls = calls + $10,
  lease_owner = '', lease_until = 0, last_error = '', attempts = 0, version = version + 1, updated_at = $11
WHERE id = $12 AND phase IN ('creating', 'ambiguous')`), s.SessionKey, string(b.Phase), string(b.Status), b.rank,
			string(b.Source), s.CaptureURL, b.LearnedBy, nullMS(b.NextAt), nullMS(b.DoneAt), calls, now, rec.id)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_ = tx.Rollback()
			return l.reread(ctx, rec)
		}
	default:
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	out, err := l.reread(ctx, rec)
	if err == nil {
		l.logState(ctx, slog.LevelInfo, "session bound to reference", out)
	}
	return out, err
}

// reread returns the record now holding rec's reference.
func (l *Ledger) reread(ctx context.Context, rec *Record) (*Record, error) {
	out, err := l.store.recordWhere(ctx, "account = $1 AND ref = $2", rec.Account, rec.Ref)
	if err == nil && out == nil {
		err = errors.New("track: " + rec.Account + "/" + rec.Ref + ": the record vanished")
	}
	if out != nil {
		out.token = ""
	}
	return out, err
}

// arrival is the state of a session first seen at s's status: its phase,
// rank and when its work is next due.
func (l *Ledger) arrival(ctx context.Context, account string, s *pave.Session, learnedBy string) *Record {
	r := &Record{Status: s.Status, rank: rank(s.Status), Phase: phaseFor(s.Status)}
	if s.Source != nil {
		r.Source = s.Source.Type
	}
	now := l.now()
	switch r.Phase {
	case PhaseResults:
		r.NextAt, r.LearnedBy = now, learnedBy
	case PhaseEnded:
		r.DoneAt = now
	default:
		r.NextAt = now.Add(l.pollIn(ctx, account, 0))
	}
	return r
}
