package sessions

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/cmd/pave/internal/output"
	"github.com/pave-go/pave/internal/report"
)

// waitOptions are the options of pave sessions wait.
type waitOptions struct {
	keyOptions
	Interval, Timeout time.Duration
}

func newCmdWait(f *cmdutil.Factory) *cobra.Command {
	opts := &waitOptions{keyOptions: keyOptions{Factory: f}}
	cmd := &cobra.Command{
		Use:   "wait KEY",
		Short: "Wait for a session to complete and print its condition report",
		Long: `Poll a session until it is COMPLETE, then print its condition report
(--json: the results document as PAVE returned it). On a terminal a status
line shows the session's progress (not with --json); piped, nothing but the
result is printed.

Exit status 6 when --timeout passes first (the session is not ready: poll
again later); 1 when the session expires or is invalidated, or a request
fails; 130 on Ctrl-C.`,
		Example: `  pave sessions wait NSA-7K2D5MZ8WP
  pave sessions wait NSA-7K2D5MZ8WP --interval 10s --timeout 45m --json > results.json`,
	}
	cmdutil.DurationVar(cmd.Flags(), &opts.Interval, "interval", 5*time.Second, 10*time.Millisecond, "time between polls")
	cmdutil.DurationVar(cmd.Flags(), &opts.Timeout, "timeout", 30*time.Minute, 1,
		"give up after this long (exit status 6)")
	return newKeyCmd(&opts.keyOptions, cmd, func(c *pave.Client) error { return runWait(opts, c) })
}

func runWait(opts *waitOptions, c *pave.Client) error {
	ctx, cancel := context.WithTimeout(opts.Ctx, opts.Timeout)
	defer cancel()
	stop := func() {}
	if opts.IO.IsTerminal() && !opts.IO.JSON {
		stop = liveStatus(ctx, opts.IO, opts.Interval, opts.Key, func(ctx context.Context) (pave.SessionStatus, error) {
			s, err := c.Sessions.Get(ctx, opts.Key)
			if err != nil {
				return "", err
			}
			return s.Status, nil
		})
	}
	res, err := c.Sessions.WaitForResults(ctx, opts.Key, pave.PollFirstAfter(0), pave.PollInterval(opts.Interval,
		opts.Interval))
	stop()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) && opts.Ctx.Err() == nil:
		return &cmdutil.StatusError{Code: cmdutil.ExitNotReady, Msg: err.Error()} // gave up at --timeout
	case err != nil:
		return err
	}
	return printResults(opts.Factory, res)
}

// liveStatus rewrites the status line with the session's status every
// interval until the returned stop is called, which erases the line.
func liveStatus(ctx context.Context, p *output.Printer, interval time.Duration, key string,
	status func(context.Context) (pave.SessionStatus, error)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		var last pave.SessionStatus
		for {
			st, err := status(ctx)
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				last = st
			}
			p.Status("%s", statusLine(key, last, err, time.Since(start)))
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
		p.ClearStatus()
	}
}

// statusLine is one rewrite of the live status line.
func statusLine(key string, st pave.SessionStatus, err error, elapsed time.Duration) string {
	s := report.Dash(string(st))
	if st == "" && err != nil {
		s = "status unavailable"
	}
	return fmt.Sprintf("Waiting for session %s: %s (%s)", key, s, elapsed.Round(time.Second))
}
