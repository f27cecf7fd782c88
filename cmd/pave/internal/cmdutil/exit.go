package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pave-go/pave"
)

// Exit statuses. A timeout or a network error is ExitError: only a "not
// yet" answer, or a wait that gave up at its own --timeout, is
// ExitNotReady, so a script never repeats a create that may have acted.
const (
	ExitOK           = 0
	ExitError        = 1   // an API or network error, a timeout
	ExitUsage        = 2   // a missing, malformed or out-of-range flag or argument
	ExitValidation   = 3   // the SDK's or PAVE's field errors
	ExitNotFound     = 4   // no such session or setting
	ExitUnauthorized = 5   // credentials or clock
	ExitNotReady     = 6   // results before COMPLETE, or a wait that gave up
	ExitInterrupted  = 130 // SIGINT (Ctrl-C), as shells report it
	ExitTerminated   = 143 // SIGTERM
)

// StatusError is an error with the exit status a command chose; an empty
// message prints nothing more.
type StatusError struct {
	Code int
	Msg  string
}

// Error is the message.
func (e *StatusError) Error() string { return e.Msg }

// Exitf returns a StatusError with a formatted message.
func Exitf(code int, format string, a ...any) error {
	return &StatusError{Code: code, Msg: fmt.Sprintf(format, a...)}
}

// Usagef returns a usage error (ExitUsage).
func Usagef(format string, a ...any) error { return Exitf(ExitUsage, format, a...) }

// Signal is the cause of a context cancelled by a signal.
type Signal struct{ os.Signal }

// Error names the signal.
func (s Signal) Error() string { return "interrupted by " + s.String() }

// SignalContext returns a context cancelled by SIGINT or SIGTERM, with
// the Signal as its cause.
func SignalContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			cancel(Signal{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(context.Canceled) }
}

// Code maps the error of a command run under ctx to its exit status.
func Code(ctx context.Context, err error) int {
	var ee *StatusError
	var sig Signal
	switch {
	case err == nil:
		return ExitOK
	case errors.As(context.Cause(ctx), &sig):
		if sig.Signal == syscall.SIGTERM {
			return ExitTerminated
		}
		return ExitInterrupted
	case errors.As(err, &ee):
		return ee.Code
	case isCobraUsage(err):
		return ExitUsage
	case errors.Is(err, pave.ErrValidation):
		return ExitValidation
	case errors.Is(err, pave.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, pave.ErrUnauthorized), errors.Is(err, pave.ErrInvalidCredentials):
		return ExitUnauthorized
	case errors.Is(err, pave.ErrNotReady):
		return ExitNotReady
	}
	return ExitError
}

// isCobraUsage recognises the argument errors cobra returns as plain
// errors (unknown command, wrong number of arguments).
func isCobraUsage(err error) bool {
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "unknown flag", "invalid argument"} {
		if strings.HasPrefix(err.Error(), p) {
			return true
		}
	}
	return false
}
