package track

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pave-go/pave"
)

// work does what a claimed record is due for, step after step while the
// claim holds: a tracked session is polled, a COMPLETE one has its results
// fetched, then OnComplete is called. Every step saves its outcome; the
// last one releases the claim.
func (l *Ledger) work(ctx context.Context, r *Record) {
	ctx, stop := l.hold(ctx, "track_records", r.id, r.token)
	defer stop()
	for r.token != "" {
		var err error
		switch r.Phase {
		case PhaseCreating: // its process died mid-create: the session may exist
			r.Phase, r.NextAt = PhaseAmbiguous, zeroTime
			r.LastError = "the process creating it stopped before recording the answer"
			err = l.save(ctx, r, 0, keepResults, nil, true)
			if err == nil {
				l.logState(ctx, slog.LevelWarn, "create ambiguous: the session may exist", r)
			}
		case PhaseTracking:
			err = l.poll(ctx, r)
		case PhaseResults:
			err = l.fetch(ctx, r)
		case PhaseHandling:
			err = l.handle(ctx, r)
		default:
			l.release(r, 0, 0)
			return
		}
		if err != nil {
			after := time.Duration(0)
			if !errors.Is(err, errLeaseLost) && ctx.Err() == nil {
				l.stats.storeErrors.Add(1)
				l.logState(ctx, slog.LevelWarn, "saving the outcome failed; the work is done again later", r, errAttr(err))
				after = l.backoff(0)
			}
			l.release(r, 0, after)
			return
		}
	}
}

// poll fetches a tracked session and moves it forward, or backs off.
func (l *Ledger) poll(ctx context.Context, r *Record) error {
	sess, calls, err := l.get(ctx, r.Account, r.SessionKey)
	if err != nil {
		return l.failed(ctx, r, calls, err)
	}
	now := l.now()
	if n := rank(sess.Status); n > r.rank {
		r.Status, r.rank, r.Phase, r.Attempts, r.LastError = sess.Status, n, phaseFor(sess.Status), 0, ""
		if r.Source == "" && sess.Source != nil {
			r.Source = sess.Source.Type
		}
		switch r.Phase {
		case PhaseResults:
			r.NextAt, r.LearnedBy = now, "poll"
		case PhaseEnded:
			r.NextAt, r.DoneAt = zeroTime, now
		default:
			r.NextAt = now.Add(l.pollIn(ctx, r.Account, 0))
		}
		if err := l.save(ctx, r, calls, keepResults, nil, r.Phase != PhaseResults); err != nil {
			return err
		}
		if r.Phase == PhaseResults {
			l.stats.byPoll.Add(1)
		}
		l.logState(ctx, slog.LevelInfo, "status advanced", r, slog.String("by", "poll"))
		return nil
	}
	r.Attempts++
	r.NextAt = now.Add(l.pollIn(ctx, r.Account, r.Attempts))
	return l.save(ctx, r, calls, keepResults, nil, true)
}

// fetch fetches the results of a COMPLETE session once and stores them as
// PAVE sent them; PAVE may hold them back for up to a day.
func (l *Ledger) fetch(ctx context.Context, r *Record) error {
	res, calls, err := l.results(ctx, r.Account, r.SessionKey)
	if err != nil {
		return l.failed(ctx, r, calls, err)
	}
	if r.Source == "" && res.Session.Source != nil {
		r.Source = res.Session.Source.Type
	}
	r.Phase, r.Attempts, r.LastError, r.NextAt, r.res = PhaseHandling, 0, "", l.now(), res
	if err := l.save(ctx, r, calls, setResults, res.Raw(), false); err != nil {
		return err
	}
	l.logState(ctx, slog.LevelInfo, "results stored", r)
	return nil
}

// failed records a request's failure: a session PAVE no longer knows has
// ended; results not yet released, a spent budget, a 429 and other errors
// put the work off (with backoff).
func (l *Ledger) failed(ctx context.Context, r *Record, calls int, err error) error {
	if ctx.Err() != nil {
		l.release(r, calls, 0)
		return nil
	}
	now := l.now()
	r.LastError = err.Error()
	switch we := (*waitError)(nil); {
	case errors.Is(err, pave.ErrNotFound):
		r.Phase, r.NextAt, r.DoneAt = PhaseEnded, zeroTime, now
		r.LastError = "PAVE no longer knows the session: " + r.LastError
	case errors.As(err, &we):
		r.NextAt = now.Add(we.d)
	default:
		r.NextAt = now.Add(l.backoff(r.Attempts))
		r.Attempts++
	}
	if errors.Is(err, pave.ErrNotReady) {
		r.LastError = "results not released yet"
	}
	if serr := l.save(ctx, r, calls, keepResults, nil, true); serr != nil {
		return serr
	}
	level := slog.LevelWarn
	if errors.Is(err, pave.ErrNotReady) {
		level = slog.LevelInfo
	}
	l.logState(ctx, level, "request failed; put off", r, errAttr(err), slog.Time("next_at", r.NextAt))
	return nil
}

// handle calls OnComplete with the stored results: done on nil, retried
// with backoff on an error, failed after MaxHandlerAttempts in a row.
func (l *Ledger) handle(ctx context.Context, r *Record) error {
	if r.res == nil {
		res, calls, err := l.storedResults(ctx, r)
		if err != nil {
			return l.failed(ctx, r, calls, err)
		}
		r.res = res
	}
	c := &Completion{ID: r.ID(), Account: r.Account, Ref: r.Ref, SessionKey: r.SessionKey, Source: r.Source,
		LearnedBy: r.LearnedBy, Attempt: r.Attempts + 1, Results: r.res}
	hctx, cancel := context.WithTimeout(ctx, l.cfg.HandlerTimeout)
	err := l.callHandler(hctx, c)
	cancel()
	if ctx.Err() != nil && err != nil {
		l.release(r, 0, 0) // shutting down, or the lease is lost: not the handler's failure
		return nil
	}
	now := l.now()
	if err == nil {
		// Counted before the record is saved done, so that anyone who sees
		// it done sees it counted.
		l.stats.handled.Add(1)
		mode := keepResults
		if l.cfg.DropResults {
			mode = clearResults
		}
		r.Phase, r.Attempts, r.LastError, r.NextAt, r.DoneAt = PhaseDone, 0, "", zeroTime, now
		if _, err := l.retryStore(ctx, func() (*Record, error) { return r, l.save(ctx, r, 0, mode, nil, true) }); err != nil {
			return err
		}
		l.logState(ctx, slog.LevelInfo, "handled", r, slog.Int("attempt", c.Attempt))
		return nil
	}
	l.stats.handlerRetries.Add(1)
	r.Attempts++
	r.LastError = err.Error()
	r.NextAt = now.Add(l.backoff(r.Attempts - 1))
	if r.Attempts >= l.cfg.MaxHandlerAttempts {
		r.Phase, r.NextAt = PhaseFailed, zeroTime
	}
	if err := l.save(ctx, r, 0, keepResults, nil, true); err != nil {
		return err
	}
	l.logState(ctx, slog.LevelWarn, "OnComplete failed", r, errAttr(err), slog.Int("attempt", c.Attempt))
	return nil
}

// storedResults reads the stored results, or fetches them again when they
// were dropped.
func (l *Ledger) storedResults(ctx context.Context, r *Record) (*pave.Results, int, error) {
	var raw []byte
	err := l.store.db.QueryRowContext(ctx, l.store.q("SELECT results FROM track_records WHERE id = $1"), r.id).Scan(&raw)
	if err != nil {
		return nil, 0, err
	}
	if raw == nil {
		res, calls, err := l.results(ctx, r.Account, r.SessionKey)
		if err == nil {
			err = l.save(ctx, r, calls, setResults, res.Raw(), false)
			calls = 0
		}
		return res, calls, err
	}
	var res pave.Results
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, 0, err
	}
	return &res, 0, nil
}

// callHandler calls OnComplete, turning a panic into an error (its value
// is not kept: it may hold customer data).
func (l *Ledger) callHandler(ctx context.Context, c *Completion) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("track: OnComplete panicked (%T)", p)
		}
	}()
	return l.cfg.OnComplete(ctx, c)
}
