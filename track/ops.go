package track

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Filter selects records for List.
type Filter string

// The filters of List.
const (
	// All records.
	All Filter = ""
	// Pending: not finished (creating, tracking, awaiting results,
	// handling).
	Pending Filter = "pending"
	// Ambiguous: creates that may have made a session (see Resolve).
	Ambiguous Filter = "ambiguous"
	// Failed: OnComplete has failed and not yet succeeded (handling with
	// failures, or failed).
	Failed Filter = "failed"
)

// ListOptions select and bound List's records.
type ListOptions struct {
	Filter Filter `json:"filter,omitempty"`
	// Account restricts the list to one account.
	Account string `json:"account,omitempty"`
	// Limit bounds the count (default 100, at most 10000).
	Limit int `json:"limit,omitempty"`
}

var filterWhere = map[Filter]string{
	All:       "1 = 1",
	Pending:   "phase IN ('creating', 'tracking', 'awaiting_results', 'handling')",
	Ambiguous: "phase = 'ambiguous'",
	Failed:    "(phase = 'failed' OR (phase = 'handling' AND attempts > 0))",
}

// List returns records, most recently updated first.
func (l *Ledger) List(ctx context.Context, o ListOptions) ([]*Record, error) {
	where, ok := filterWhere[o.Filter]
	if !ok {
		return nil, invalid("filter %q: want pending, ambiguous, failed or none", o.Filter)
	}
	switch {
	case o.Limit == 0:
		o.Limit = 100
	case o.Limit < 0 || o.Limit > 10000:
		return nil, invalid("limit %d: want 1 to 10000", o.Limit)
	}
	args := []any{o.Limit}
	if o.Account != "" {
		where += " AND account = $2"
		args = append(args, o.Account)
	}
	return l.store.queryRecords(ctx, "SELECT "+recordCols+" FROM track_records WHERE "+where+
		" ORDER BY updated_at DESC, id DESC LIMIT $1", args...)
}

// Show returns the record k names.
func (l *Ledger) Show(ctx context.Context, k Key) (*Record, error) { return l.find(ctx, k) }

// Retry makes the record's work due now: OnComplete again for a session
// whose results are stored (handling, done or failed), the next poll or
// results request for one that is tracked or awaiting results. It does not
// apply to an unresolved create (see Resolve) nor an ended session.
func (l *Ledger) Retry(ctx context.Context, k Key) (*Record, error) {
	r, err := l.find(ctx, k)
	if err != nil {
		return nil, err
	}
	phase := r.Phase
	switch phase {
	case PhaseDone, PhaseFailed, PhaseHandling:
		phase = PhaseHandling
	case PhaseTracking, PhaseResults:
	default:
		return nil, fmt.Errorf("%w: %s is %s", ErrState, k, r.Phase)
	}
	n, err := l.store.exec(ctx, `UPDATE track_records SET phase = $1, next_at = $2, attempts = 0, done_at = NULL,
  version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4`, string(phase), l.nowMS(), r.id, r.version)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: %s changed meanwhile; look again", ErrState, k)
	}
	l.notify()
	r, err = l.find(ctx, Key{Account: r.Account, Ref: r.Ref, SessionKey: r.SessionKey})
	if err == nil {
		l.logState(ctx, slog.LevelInfo, "retry requested", r)
	}
	return r, err
}

// Resolve settles an ambiguous create by naming the session it made, as an
// operator found it (in PAVE's dashboard, say): the session is fetched
// from its account and bound to the reference. A session that carries
// another reference is refused.
func (l *Ledger) Resolve(ctx context.Context, k Key, sessionKey string) (*Record, error) {
	r, err := l.unresolved(ctx, k)
	if err != nil {
		return nil, err
	}
	client, err := l.client(r.Account)
	if err != nil {
		return nil, err
	}
	// An operator's one request does not wait for the reconciler's budget.
	l.stats.gets.Add(1)
	sess, err := client.Sessions.Get(ctx, sessionKey)
	if err != nil {
		return nil, fmt.Errorf("track: resolving %s with session %s: %w", k, sessionKey, err)
	}
	if refs := refsOf(sess); len(refs) > 0 && !slices.Contains(refs, r.Ref) {
		return nil, fmt.Errorf("%w: session %s carries the reference %q, not %q", ErrState, sessionKey, refs[0], r.Ref)
	}
	out, err := l.bind(ctx, r, sess, "poll", 1)
	if err == nil {
		l.logState(ctx, slog.LevelInfo, "resolved by an operator", out)
		l.notify()
	}
	return out, err
}

// Abandon settles an ambiguous create by releasing its reference: the
// next Create for it sends a new POST. Call it only once sure that no
// session was made (or that a second one is acceptable). A session that
// later turns up carrying the reference is adopted as started elsewhere.
func (l *Ledger) Abandon(ctx context.Context, k Key) error {
	r, err := l.unresolved(ctx, k)
	if err != nil {
		return err
	}
	n, err := l.store.exec(ctx, `DELETE FROM track_records WHERE id = $1 AND version = $2`, r.id, r.version)
	if err == nil && n == 0 {
		err = fmt.Errorf("%w: %s changed meanwhile; look again", ErrState, k)
	}
	if err == nil {
		l.logState(ctx, slog.LevelWarn, "abandoned by an operator; reference released", r)
	}
	return err
}

// unresolved returns the ambiguous create k names (or one whose process
// died mid-create).
func (l *Ledger) unresolved(ctx context.Context, k Key) (*Record, error) {
	if k.Ref == "" {
		return nil, invalid("key %s has no reference", k)
	}
	r, err := l.find(ctx, k)
	if err != nil {
		return nil, err
	}
	if r.Phase == PhaseCreating {
		if _, err := l.intend(ctx, r.Account, r.Ref); err != nil { // makes a dead create ambiguous
			return nil, err
		}
		if r, err = l.find(ctx, k); err != nil {
			return nil, err
		}
	}
	if r.Phase != PhaseAmbiguous {
		return nil, fmt.Errorf("%w: %s is %s, not ambiguous", ErrState, k, r.Phase)
	}
	return r, nil
}

// Purge deletes the records finished (done or ended) more than olderThan
// ago by the ledger's clock, with their results, and the deliveries
// applied more than olderThan ago. It returns how many records it deleted.
func (l *Ledger) Purge(ctx context.Context, olderThan time.Duration) (int64, error) {
	if olderThan < 0 {
		return 0, invalid("olderThan %s is negative", olderThan)
	}
	before := ms(l.now().Add(-olderThan))
	n, err := l.store.exec(ctx, `DELETE FROM track_records WHERE phase IN ('done', 'ended') AND done_at < $1`, before)
	if err != nil {
		return 0, err
	}
	_, err = l.store.exec(ctx, `DELETE FROM track_inbox WHERE next_at IS NULL AND received_at < $1`, before)
	if err != nil {
		return n, err
	}
	l.log.LogAttrs(ctx, slog.LevelInfo, "track: purged", slog.Int64("records", n), slog.Duration("older_than", olderThan))
	return n, nil
}

// Summary is what the store holds, over every replica.
type Summary struct {
	// Phases counts the records in each phase.
	Phases map[Phase]int `json:"phases"`
	// ByWebhook and ByPoll count the completions by how they were learned.
	ByWebhook int `json:"completed_by_webhook"`
	ByPoll    int `json:"completed_by_poll"`
	// Calls is the tracking requests made for the completed sessions
	// (Record.Calls summed), CallsPerCompletion that per completion.
	Calls              int     `json:"calls"`
	CallsPerCompletion float64 `json:"calls_per_completion"`
	// Inbox counts deliveries kept, InboxPending those not yet applied.
	Inbox        int `json:"inbox"`
	InboxPending int `json:"inbox_pending"`
}

// Summary counts the store's records.
func (l *Ledger) Summary(ctx context.Context) (*Summary, error) {
	rows, err := l.store.db.QueryContext(ctx, `SELECT phase, learned_by, COUNT(*), CAST(SUM(calls) AS BIGINT)
FROM track_records GROUP BY phase, learned_by`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	s := &Summary{Phases: map[Phase]int{}}
	for rows.Next() {
		var phase Phase
		var by string
		var n, calls int
		if err := rows.Scan(&phase, &by, &n, &calls); err != nil {
			return nil, err
		}
		s.Phases[phase] += n
		switch {
		case by == "webhook":
			s.ByWebhook += n
		case by == "poll":
			s.ByPoll += n
		}
		if by != "" {
			s.Calls += calls
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if s.ByWebhook+s.ByPoll > 0 {
		s.CallsPerCompletion = float64(s.Calls) / float64(s.ByWebhook+s.ByPoll)
	}
	err = l.store.db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(next_at) FROM track_inbox`).
		Scan(&s.Inbox, &s.InboxPending)
	return s, err
}
