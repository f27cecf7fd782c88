package track

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/transport"
)

// ReferenceKey is the key under which Create writes the reference into the
// session's reference data when the request already has a client_id.
const ReferenceKey = "track_ref"

// Create creates a session for ref, the caller's own reference for it (a
// lead or job id), at most once per (account, ref) across every process
// sharing the store:
//
//   - The intent is recorded before the POST, and the reference is written
//     into the session (options.client_id, or under ReferenceKey in the
//     reference data when the request sets a client_id), so that a session
//     whose create went unanswered can be matched when PAVE mentions it.
//   - A reference already bound to a session returns its record with no
//     request (Record.CaptureURL is the customer's link).
//   - A reference another process is creating is waited for, up to
//     Config.CreateWait, then ErrInFlight.
//   - A create that ends without a clear answer (timeout, 5xx, an
//     unreadable 2xx, a crash) returns an *AmbiguousError now and for every
//     later call, until a delivery for the session resolves it or an
//     operator calls Resolve or Abandon: it is never POSTed again by itself.
//   - A clear refusal (a validation error, 400, 401, 429) releases the
//     reference, as nothing was created, and returns the SDK's error.
func (l *Ledger) Create(ctx context.Context, account, ref string, req *pave.CreateSessionRequest) (*Record, error) {
	client, err := l.client(account)
	if err != nil {
		return nil, err
	}
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	give := time.Now().Add(l.cfg.CreateWait)
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := l.intend(ctx, account, ref)
		if err != nil {
			return nil, err
		}
		switch {
		case rec.token != "":
			return l.post(ctx, client, rec, req)
		case rec.Phase == PhaseAmbiguous:
			return nil, &AmbiguousError{Account: account, Ref: ref, Reason: rec.LastError}
		case rec.Phase != PhaseCreating:
			l.stats.createsReused.Add(1)
			return rec, nil
		case time.Now().After(give):
			return nil, invalidInFlight(account, ref)
		}
		if err := transport.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func invalidInFlight(account, ref string) error {
	return fmt.Errorf("%w: %s/%s did not finish within Config.CreateWait", ErrInFlight, account, ref)
}

// checkRef refuses a reference the ledger cannot store or PAVE carry.
func checkRef(ref string) error {
	switch {
	case ref == "":
		return invalid("reference is empty")
	case len(ref) > 200:
		return invalid("reference is %d bytes, more than 200", len(ref))
	case strings.ContainsFunc(ref, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0xfffd }):
		return invalid("reference %q has a control character or invalid UTF-8", ref)
	}
	return nil
}

// intend records the intent to create (account, ref) and returns it with a
// lease token, or returns the record that already holds the reference
// (without a token). A creating record whose lease has expired (its
// process died mid-create) becomes ambiguous first.
func (l *Ledger) intend(ctx context.Context, account, ref string) (*Record, error) {
	now := l.nowMS()
	if _, err := l.store.exec(ctx, `UPDATE track_records SET phase = 'ambiguous', next_at = NULL,
  last_error = 'the process creating it stopped before recording the answer', version = version + 1, updated_at = $1
WHERE account = $2 AND ref = $3 AND phase = 'creating' AND lease_until < $4`,
		now, account, ref, ms(time.Now())); err != nil {
		return nil, err
	}
	token := l.token()
	var id int64
	err := l.store.db.QueryRowContext(ctx, l.store.q(`INSERT INTO track_records
  (account, ref, phase, lease_owner, lease_until, next_at, created_at, updated_at)
VALUES ($1, $2, 'creating', $3, $4, $5, $5, $5) ON CONFLICT DO NOTHING RETURNING id`),
		account, ref, token, leaseMS(l.cfg.Lease), now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		rec, err := l.store.recordWhere(ctx, "account = $1 AND ref = $2", account, ref)
		if err == nil && rec == nil {
			err = errors.New("track: the reference's record vanished while reading it; try again")
		}
		if rec != nil {
			rec.token = ""
		}
		return rec, err
	}
	if err != nil {
		return nil, err
	}
	rec := &Record{id: id, Account: account, Ref: ref, Phase: PhaseCreating, token: token,
		CreatedAt: fromMS(now), UpdatedAt: fromMS(now)}
	l.logState(ctx, slog.LevelInfo, "intent recorded", rec)
	return rec, nil
}

// post sends the create for the intent rec holds and records the answer.
func (l *Ledger) post(ctx context.Context, client *pave.Client, rec *Record,
	req *pave.CreateSessionRequest) (*Record, error) {
	hctx, stop := l.hold(ctx, "track_records", rec.id, rec.token)
	var sess *pave.Session
	sent := hctx.Err() == nil // else it ended before anything was sent: nothing was created
	err := hctx.Err()
	if sent {
		sess, err = client.Sessions.Create(hctx, withRef(req, rec.Ref))
	}
	stop()
	// The answer is recorded even if the caller's context has ended.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	switch {
	case err == nil:
		l.stats.creates.Add(1)
		out, berr := l.retryStore(sctx, func() (*Record, error) { return l.bind(sctx, rec, sess, "", 0) })
		if berr != nil {
			// The session exists and is not recorded: the intent's lease
			// expires and makes it ambiguous, until a delivery names it.
			l.stats.ambiguous.Add(1)
			return nil, &AmbiguousError{Account: rec.Account, Ref: rec.Ref, SessionKey: sess.SessionKey,
				Err: fmt.Errorf("session %s was created but recording it failed: %w", sess.SessionKey, berr)}
		}
		if out.CaptureURL == "" {
			out.CaptureURL = sess.CaptureURL
		}
		return out, nil
	case !sent || clearRefusal(err):
		if sentToPAVE(err) {
			l.stats.creates.Add(1)
		}
		l.stats.refused.Add(1)
		if _, derr := l.store.exec(sctx, `DELETE FROM track_records WHERE id = $1 AND phase IN ('creating', 'ambiguous')`,
			rec.id); derr != nil {
			return nil, fmt.Errorf("%w (and releasing the reference failed: %v)", err, derr)
		}
		l.logState(ctx, slog.LevelInfo, "create refused; reference released", rec, errAttr(err))
		return nil, err
	}
	l.stats.creates.Add(1)
	l.stats.ambiguous.Add(1)
	rec.Phase, rec.LastError, rec.NextAt = PhaseAmbiguous, err.Error(), time.Time{}
	if serr := l.save(sctx, rec, 0, keepResults, nil, true); serr != nil && !errors.Is(serr, errLeaseLost) {
		err = fmt.Errorf("%w (and recording it failed: %v)", err, serr)
	}
	l.logState(ctx, slog.LevelWarn, "create ambiguous: the session may exist", rec, errAttr(err))
	return nil, &AmbiguousError{Account: rec.Account, Ref: rec.Ref, Err: err}
}

// retryStore runs a store write a few times: the answer it records is
// worth a short wait.
func (l *Ledger) retryStore(ctx context.Context, f func() (*Record, error)) (*Record, error) {
	var err error
	for i := range 4 {
		var r *Record
		if r, err = f(); err == nil {
			return r, nil
		}
		if transport.Sleep(ctx, time.Duration(i+1)*250*time.Millisecond) != nil {
			break
		}
	}
	return nil, err
}

// clearRefusal reports whether err proves that no session was created: the
// SDK refused the request itself, PAVE answered 4xx (but 408), or no
// connection could be made.
func clearRefusal(err error) bool {
	var ve *pave.ValidationError
	if errors.As(err, &ve) {
		return true
	}
	var ae *pave.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode >= 400 && ae.StatusCode <= 499 && ae.StatusCode != http.StatusRequestTimeout
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// sentToPAVE reports whether a refused create reached PAVE.
func sentToPAVE(err error) bool {
	var ae *pave.APIError
	return errors.As(err, &ae)
}

// withRef returns a copy of req that carries ref: as options.client_id, or,
// when the caller set a client_id, under ReferenceKey in the reference
// data (beside the caller's own, wherever the caller put it).
func withRef(req *pave.CreateSessionRequest, ref string) *pave.CreateSessionRequest {
	var out pave.CreateSessionRequest
	if req != nil {
		out = *req
	}
	opts := pave.SessionOptions{}
	if out.Options != nil {
		opts = *out.Options
	}
	if opts.ClientID == "" && (out.Session == nil || out.Session.ClientID == "") {
		opts.ClientID = ref
		out.Options = &opts
		return &out
	}
	if out.Session != nil && out.Session.Reference != nil {
		s := *out.Session
		s.Reference = withKey(s.Reference, ref)
		out.Session = &s
		return &out
	}
	opts.Reference = withKey(opts.Reference, ref)
	out.Options = &opts
	return &out
}

func withKey(m map[string]any, ref string) map[string]any {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]any{}
	}
	out[ReferenceKey] = ref
	return out
}

// refsOf are the references a session may carry: its client_id and the
// value under ReferenceKey.
func refsOf(s *pave.Session) []string {
	var out []string
	if s.ClientID != "" {
		out = append(out, s.ClientID)
	}
	ref := s.Reference
	if ref == nil && s.Options != nil {
		ref = s.Options.Reference
	}
	if v, ok := ref[ReferenceKey].(string); ok && v != "" && v != s.ClientID {
		out = append(out, v)
	}
	return out
}
