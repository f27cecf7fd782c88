// Command pave is the PAVE API in a terminal, and a stateful stand-in for
// PAVE that tests in any language can drive.
//
//	go install github.com/pave-go/pave/cmd/pave@latest
//	pave fake serve --addr 127.0.0.1:8080       # the whole API, stateful, signed, delivering webhooks
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
// Exit status: 0 success; 1 an API or network error; 2 a usage error (a
// missing, malformed or out-of-range flag or argument); 3 a validation
// error (the SDK's or PAVE's field errors); 4 not found; 5 unauthorized
// (credentials or clock); 6 not ready (results before COMPLETE, or a wait
// that gave up).
package main

import (
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run is the whole command: it parses args, runs the command and returns
// the exit status, reading and writing only the streams and environment it
// is given.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := newApp(stdin, stdout, stderr, getenv)
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.Execute()
	return a.exit(err)
}
