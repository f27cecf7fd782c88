package sessions

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/cmd/pave/internal/output"
	"github.com/pave-go/pave/internal/report"
)

func newCmdWait(f *cmdutil.Factory) *cobra.Command {
	var poll cmdutil.Poll
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
	poll.AddFlags(cmd.Flags(), 30*time.Minute, "")
	return keyCmd(f, cmd, func(c *pave.Client, key string) error {
		return poll.Wait(f.Ctx, func(ctx context.Context, opts ...pave.CallOption) error {
			stop := func() {}
			if f.IO.IsTerminal() && !f.IO.JSON {
				stop = liveStatus(ctx, f.IO, poll.Interval, key, func(ctx context.Context) (pave.SessionStatus, error) {
					s, err := c.Sessions.Get(ctx, key)
					if err != nil {
						return "", err
					}
					return s.Status, nil
				})
			}
			res, err := c.Sessions.WaitForResults(ctx, key, opts...)
			stop()
			if err != nil {
				return err
			}
			return printResults(f, res)
		})
	})
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
