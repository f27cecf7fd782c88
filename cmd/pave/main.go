// Command pave is the PAVE API in a terminal, and a stateful stand-in for
// PAVE that tests in any language can drive.
//
//	go install ./cmd/pave                       # from a clone of the repository
//	pave fake serve                             # the whole API, stateful, signed, delivering webhooks
//	pave sessions create --vin 1HGCV1F39LA012345 --sms-to +14165550199 --redirect-url https://crm.example/done
//	pave listen --forward-to http://localhost:3000/pave   # prints each delivery, verifies its secret
//	pave doctor                                 # why does my call fail? (credentials, clock, reachability)
//
// Credentials come from flags (--username, --api-key, --api-secret), the
// environment (PAVE_USERNAME, PAVE_API_KEY, PAVE_API_SECRET) or a profile
// of the config file (--profile, default "default"), in that order; the
// API host from --base-url, PAVE_BASE_URL or the profile. Every command
// takes --json for scripts and --help for an example.
//
// Exit status: 0 success; 1 an API or network error, or a timeout; 2 a
// usage error; 3 a validation error; 4 not found; 5 unauthorized
// (credentials or clock); 6 not ready (results before COMPLETE, or a wait
// that gave up at its --timeout); 130 interrupted (SIGINT); 143 terminated
// (SIGTERM).
package main

import (
	"context"
	"io"
	"os"

	"github.com/pave-go/pave/cmd/pave/internal/cmd/root"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run is the whole command: it parses args, runs the command and returns
// the exit status, reading and writing only the streams and environment it
// is given.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	ctx, stop := cmdutil.SignalContext(context.Background())
	defer stop()
	return runContext(ctx, args, stdin, stdout, stderr, getenv)
}

// runContext is run under ctx, which tests cancel as a signal would.
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer,
	getenv func(string) string) int {
	return root.Run(cmdutil.New(ctx, stdin, stdout, stderr, getenv), args)
}
