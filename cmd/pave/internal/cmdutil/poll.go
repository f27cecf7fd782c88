package cmdutil

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/pflag"

	"github.com/pave-go/pave"
)

// Poll is the --interval and --timeout of a command that waits for PAVE.
type Poll struct{ Interval, Timeout time.Duration }

// AddFlags registers --interval and --timeout (default timeout), their
// usages after prefix.
func (p *Poll) AddFlags(fs *pflag.FlagSet, timeout time.Duration, prefix string) {
	DurationVar(fs, &p.Interval, "interval", 5*time.Second, 10*time.Millisecond, prefix+"time between polls")
	DurationVar(fs, &p.Timeout, "timeout", timeout, 1, prefix+"give up after this long (exit status 6)")
}

// Wait runs wait under ctx bounded by --timeout, with the options that
// poll every --interval from the start. Giving up at --timeout is
// ExitNotReady: the thing waited for is not ready yet.
func (p *Poll) Wait(ctx context.Context, wait func(ctx context.Context, opts ...pave.CallOption) error) error {
	wctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	err := wait(wctx, pave.PollFirstAfter(0), pave.PollInterval(p.Interval, p.Interval))
	if err != nil && errors.Is(wctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return &StatusError{Code: ExitNotReady, Msg: err.Error()}
	}
	return err
}
