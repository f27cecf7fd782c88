package track

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pave-go/pave"
)

// recordCols are the columns scanRecord reads, in its order.
const recordCols = `id, account, COALESCE(ref, ''), COALESCE(session_key, ''), phase, status, rank, source,
  capture_url, learned_by, results IS NOT NULL, calls, attempts, last_error, COALESCE(next_at, 0),
  created_at, updated_at, COALESCE(done_at, 0), version, lease_owner`

type scanner interface{ Scan(dest ...any) error }

func scanRecord(row scanner) (*Record, error) {
	var r Record
	var status, source string
	var next, created, updated, done int64
	err := row.Scan(&r.id, &r.Account, &r.Ref, &r.SessionKey, &r.Phase, &status, &r.rank, &source,
		&r.CaptureURL, &r.LearnedBy, &r.HasResults, &r.Calls, &r.Attempts, &r.LastError, &next,
		&created, &updated, &done, &r.version, &r.token)
	if err != nil {
		return nil, err
	}
	r.Status, r.Source = pave.SessionStatus(status), pave.SourceType(source)
	r.NextAt, r.CreatedAt, r.UpdatedAt, r.DoneAt = fromMS(next), fromMS(created), fromMS(updated), fromMS(done)
	return &r, nil
}

// fromMS is the time of a stored millisecond count; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// nullMS is t as a stored time, or NULL for the zero time.
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

// queryRecords runs a query selecting recordCols and reads every row
// before returning (SQLite has one connection: nothing may wait on it).
func (s *Store) queryRecords(ctx context.Context, query string, args ...any) ([]*Record, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// recordWhere returns the one record matching cond, or nil.
func (s *Store) recordWhere(ctx context.Context, cond string, args ...any) (*Record, error) {
	rs, err := s.queryRecords(ctx, "SELECT "+recordCols+" FROM track_records WHERE "+cond, args...)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return rs[0], nil
}

// find returns the record k names: by reference or session key, in its
// account or, with none given, in the one account that has it.
func (l *Ledger) find(ctx context.Context, k Key) (*Record, error) {
	col, val := "ref", k.Ref
	if k.Ref == "" {
		col, val = "session_key", k.SessionKey
	}
	if val == "" {
		return nil, invalid("key %s names neither a reference nor a session key", k)
	}
	cond, args := col+" = $1", []any{val}
	if k.Account != "" {
		cond, args = cond+" AND account = $2", append(args, k.Account)
	}
	rs, err := l.store.queryRecords(ctx, "SELECT "+recordCols+" FROM track_records WHERE "+cond+" LIMIT 2", args...)
	switch {
	case err != nil:
		return nil, err
	case len(rs) == 0:
		return nil, fmt.Errorf("%w: %s", ErrNotFound, k)
	case len(rs) > 1:
		return nil, invalid("%s is in several accounts (%s, %s): name the account", k, rs[0].Account, rs[1].Account)
	}
	return rs[0], nil
}

// errLeaseLost: the record changed or was claimed by another since this
// claim read it; its work is dropped and the record done again.
var errLeaseLost = errors.New("track: the record changed under this claim")

// resultsMode says what save does with the stored results.
type resultsMode int

const (
	keepResults resultsMode = iota
	setResults
	clearResults
)

// save writes r's mutable fields back, adding calls to its count, if the
// claim still holds it (same lease token and version), and releases the
// lease when release is set. It returns errLeaseLost otherwise.
func (l *Ledger) save(ctx context.Context, r *Record, calls int, mode resultsMode, results []byte, release bool) error {
	owner := r.token
	if release {
		owner = ""
	}
	n, err := l.store.exec(ctx, `UPDATE track_records SET phase = $1, status = $2, rank = $3, source = $4,
  learned_by = $5, calls = calls + $6, attempts = $7, last_error = $8, next_at = $9, done_at = $10,
  results = CASE CAST($11 AS INTEGER) WHEN 1 THEN $12 WHEN 2 THEN NULL ELSE results END,
  lease_owner = CAST($13 AS TEXT), lease_until = CASE WHEN CAST($13 AS TEXT) = '' THEN 0 ELSE lease_until END,
  version = version + 1, updated_at = $14
WHERE id = $15 AND lease_owner = $16 AND version = $17`,
		string(r.Phase), string(r.Status), r.rank, string(r.Source), r.LearnedBy, calls, r.Attempts,
		clip(r.LastError), nullMS(r.NextAt), nullMS(r.DoneAt), int(mode), results, owner, l.nowMS(),
		r.id, r.token, r.version)
	if err != nil {
		return err
	}
	if n == 0 {
		if calls > 0 { // the requests were made all the same
			_, _ = l.store.exec(ctx, `UPDATE track_records SET calls = calls + $1 WHERE id = $2`, calls, r.id)
		}
		return errLeaseLost
	}
	r.version++
	r.Calls += calls
	if mode != keepResults {
		r.HasResults = mode == setResults
	}
	if release {
		r.token = ""
	}
	return nil
}

// release gives up a claim without changing the record, counting calls
// made under it; a positive after puts the record's work off by that much
// (after a failure to save, so that a store refusing a write is not asked
// again at once).
func (l *Ledger) release(r *Record, calls int, after time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var next any
	if after > 0 {
		next = ms(l.now().Add(after))
	}
	_, _ = l.store.exec(ctx, `UPDATE track_records SET lease_owner = '', lease_until = 0, calls = calls + $1,
  next_at = COALESCE($2, next_at) WHERE id = $3 AND lease_owner = $4`, calls, next, r.id, r.token)
	r.token = ""
}

// clip bounds an error text kept in the store.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) > 1000 {
		s = strings.ToValidUTF8(s[:1000], "") + "..."
	}
	return s
}
