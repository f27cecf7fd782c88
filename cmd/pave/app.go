package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
)

// Exit statuses (see the package documentation).
const (
	exitOK           = 0
	exitError        = 1
	exitUsage        = 2
	exitValidation   = 3
	exitNotFound     = 4
	exitUnauthorized = 5
	exitNotReady     = 6
)

// app is one run of the command: its streams, environment and global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	// Global flags.
	jsonOut    bool
	baseURL    string
	profile    string
	configPath string
	username   string
	apiKey     string
	apiSecret  string
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error.
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitError carries an exit status chosen by a command, with its message
// (empty: nothing more to print).
type exitCodeError struct {
	code int
	msg  string
}

func (e exitCodeError) Error() string { return e.msg }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "pave",
		Short: "The PAVE vehicle-inspection API in a terminal, and a local stand-in for it",
		Long: `pave drives the PAVE API (sessions, callbacks, Hotspots) with the Go SDK's
signing, retries and error messages, and runs a stateful fake PAVE for tests
written in any language.

Credentials: --username/--api-key/--api-secret, else PAVE_USERNAME,
PAVE_API_KEY and PAVE_API_SECRET, else a profile of the config file
(--profile; the file must be readable by you alone). The API host:
--base-url, else PAVE_BASE_URL, else the profile's, else PAVE's.

Exit status: 0 ok, 1 API or network error, 2 usage, 3 validation,
4 not found, 5 unauthorized, 6 not ready.`,
		Example: `  pave fake serve --addr 127.0.0.1:8080
  export PAVE_BASE_URL=http://127.0.0.1:8080   # and the credentials it printed
  pave sessions create --vin 1HGCV1F39LA012345 --sms-to +14165550199
  pave doctor`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s: %w (see %s --help)", c.CommandPath(), err, c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.BoolVar(&a.jsonOut, "json", false, "print JSON (the API's own for API objects) instead of tables")
	pf.StringVar(&a.baseURL, "base-url", "", "API base URL (default $PAVE_BASE_URL, the profile's, or "+pave.DefaultBaseURL+")")
	pf.StringVar(&a.profile, "profile", "", `config-file profile (default $PAVE_PROFILE, else "default")`)
	pf.StringVar(&a.configPath, "config", "", "config file (default "+defaultConfigHint()+")")
	pf.StringVar(&a.username, "username", "", "account username (default $PAVE_USERNAME)")
	pf.StringVar(&a.apiKey, "api-key", "", "API key (default $PAVE_API_KEY)")
	pf.StringVar(&a.apiSecret, "api-secret", "", "API secret (default $PAVE_API_SECRET; a flag is visible to other users of the machine)")

	for _, add := range commands {
		root.AddCommand(add(a))
	}
	return root
}

// commands are the subcommands; each file adds its own in an init function.
var commands []func(*app) *cobra.Command

// exit prints err (one line to stderr) and returns the exit status.
func (a *app) exit(err error) int {
	if err == nil {
		return exitOK
	}
	var ce exitCodeError
	if errors.As(err, &ce) {
		if ce.msg != "" {
			fmt.Fprintln(a.stderr, "pave: "+ce.msg)
		}
		return ce.code
	}
	code := exitCode(err)
	msg := err.Error()
	if code == exitUsage && strings.HasPrefix(msg, "unknown command") {
		msg += " (see pave --help)"
	}
	fmt.Fprintln(a.stderr, "pave: "+strings.TrimPrefix(oneLine(msg), "pave: "))
	return code
}

// exitCode maps an error to the documented exit status.
func exitCode(err error) int {
	var ue usageError
	switch {
	case errors.As(err, &ue), isCobraUsage(err):
		return exitUsage
	case errors.Is(err, pave.ErrValidation):
		return exitValidation
	case errors.Is(err, pave.ErrNotFound):
		return exitNotFound
	case errors.Is(err, pave.ErrUnauthorized), errors.Is(err, pave.ErrInvalidCredentials):
		return exitUnauthorized
	case errors.Is(err, pave.ErrNotReady), errors.Is(err, context.DeadlineExceeded):
		return exitNotReady
	}
	return exitError
}

// isCobraUsage recognises the argument errors cobra returns as plain
// errors (unknown command, wrong number of arguments).
func isCobraUsage(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "unknown command") || strings.HasPrefix(m, "accepts ") ||
		strings.HasPrefix(m, "requires at least") || strings.HasPrefix(m, "unknown flag") ||
		strings.HasPrefix(m, "invalid argument")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// context returns a context cancelled by SIGINT or SIGTERM.
func (a *app) context() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// printJSON writes v as indented JSON.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printRaw writes an API object as PAVE returned it (indented), or v
// encoded when there is no raw form.
func (a *app) printRaw(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return a.printJSON(v)
	}
	var buf strings.Builder
	var anyv any
	if err := json.Unmarshal(raw, &anyv); err != nil {
		return a.printJSON(v)
	}
	b, err := json.MarshalIndent(anyv, "", "  ")
	if err != nil {
		return err
	}
	buf.Write(b)
	buf.WriteByte('\n')
	_, err = io.WriteString(a.stdout, buf.String())
	return err
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func defaultConfigHint() string {
	if dir, err := os.UserConfigDir(); err == nil {
		return filepath.Join(dir, "pave", "config.json")
	}
	return "$XDG_CONFIG_HOME/pave/config.json"
}
