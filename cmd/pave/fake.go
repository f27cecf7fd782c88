package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// envFakeControlToken is the control token of `pave fake serve` and of the
// commands that drive it.
const envFakeControlToken = "PAVE_FAKE_CONTROL_TOKEN"

// minControlToken is the shortest control token pavetest accepts.
const minControlToken = 16

func init() {
	commands = append(commands, newFakeCommand)
}

// fakeCmd holds the flags shared by the `pave fake` subcommands.
type fakeCmd struct {
	a            *app
	controlToken string
	showSecrets  bool
}

func newFakeCommand(a *app) *cobra.Command {
	f := &fakeCmd{a: a}
	cmd := &cobra.Command{
		Use:   "fake",
		Short: "Run a stateful fake PAVE, and drive its sessions from another process",
		Long: `pave fake serve runs the SDK's fake PAVE (package pavetest) as a process:
the whole API over HTTP, signed exactly like production, with sessions that
move through their lifecycle and webhooks delivered to the registered
callbacks. Tests written in any language point their PAVE client at it.

The other subcommands drive a fake running in another process through its
control endpoints (/_fake/...), as the capture app and PAVE's pipeline
would: start, capture, complete, expire, invalidate, note, sms. They find it
from --base-url or PAVE_BASE_URL, and send the control token
(--control-token or PAVE_FAKE_CONTROL_TOKEN) when one is set.`,
		Example: `  pave fake serve --addr 127.0.0.1:8080 &
  export PAVE_BASE_URL=http://127.0.0.1:8080
  pave fake complete NSA-7K2D5MZ8WP
  pave fake capture NSA-7K2D5MZ8WP --photo-code 4 --rejected`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("pave fake: unknown subcommand %q (see pave fake --help)", args[0])
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	cmd.PersistentFlags().StringVar(&f.controlToken, "control-token", "",
		"control token (default $"+envFakeControlToken+"): serve requires it of every control request (and needs one to listen on a non-loopback --addr); the other commands send it")
	cmd.AddCommand(f.serveCommand(), f.accountsCommand())
	for _, op := range fakeOps {
		cmd.AddCommand(f.opCommand(op))
	}
	return cmd
}

// token is the control token: the flag, else the environment.
func (f *fakeCmd) token() string {
	if t := strings.TrimSpace(f.controlToken); t != "" {
		return t
	}
	return strings.TrimSpace(f.a.getenv(envFakeControlToken))
}

// checkControlToken applies pavetest's rule for control tokens.
func checkControlToken(tok string) error {
	if len(tok) < minControlToken || strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return usagef("--control-token (or $%s): must be at least %d characters without spaces or control characters", envFakeControlToken, minControlToken)
	}
	return nil
}

// checkListenAddr checks a listen address given as flag, returning its host.
func checkListenAddr(flag, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", usagef("%s %q: want host:port, e.g. 127.0.0.1:8080 (%v)", flag, addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", usagef("%s %q: the port must be a number from 0 to 65535 (0 picks a free one)", flag, addr)
	}
	return host, nil
}

// fakeLoopbackHost reports whether a listen host is loopback only.
func fakeLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// listenAddrError turns a failure to listen on addr into a one-line error
// (exit 1).
func listenAddrError(flag, addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return exitCodeError{exitError, fmt.Sprintf("%s %s: address already in use (another process listens there; pick another port, or port 0 for a free one)", flag, addr)}
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	return exitCodeError{exitError, fmt.Sprintf("%s %s: cannot listen: %v", flag, addr, err)}
}

// fakeAccountJSON is an account as the fake lists it (GET /_fake/accounts)
// and as --accounts reads it: the fields pave.Credentials marshals to,
// plus the fake's own settings.
type fakeAccountJSON struct {
	Username     string `json:"username"`
	APIKey       string `json:"api_key"`
	APISecret    string `json:"api_secret,omitempty"`
	AccountName  string `json:"account_name,omitempty"`
	DefaultTheme string `json:"default_theme,omitempty"`
	APIName      string `json:"api_name,omitempty"`
	Default      bool   `json:"default,omitempty"`
}

// loadAccountsFile reads --accounts: a JSON list of accounts, or the object
// GET /_fake/accounts answers ({"accounts": [...]}).
func loadAccountsFile(path string) ([]pavetest.Account, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--accounts %s: cannot read it: %v", path, errors.Unwrap(err))
	}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var wrapped struct {
			Accounts json.RawMessage `json:"accounts"`
		}
		if err := json.Unmarshal(b, &wrapped); err != nil || len(wrapped.Accounts) == 0 {
			return nil, usagef("--accounts %s: want a JSON list of accounts (or {\"accounts\": [...]}): %v", path, accountsJSONProblem(err))
		}
		b = wrapped.Accounts
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var list []fakeAccountJSON
	if err := dec.Decode(&list); err != nil {
		return nil, usagef("--accounts %s: not a JSON list of accounts {username, api_key, api_secret, account_name, default_theme}: %v", path, accountsJSONProblem(err))
	}
	if dec.More() {
		return nil, usagef("--accounts %s: unexpected data after the list", path)
	}
	if len(list) == 0 {
		return nil, usagef("--accounts %s: the list is empty (give at least one account, or leave --accounts out for a generated one)", path)
	}
	seen := map[string]int{}
	out := make([]pavetest.Account, 0, len(list))
	for i, a := range list {
		n := i + 1
		var missing []string
		for _, f := range []struct{ name, v string }{{"username", a.Username}, {"api_key", a.APIKey}, {"api_secret", a.APISecret}} {
			if strings.TrimSpace(f.v) == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return nil, usagef("--accounts %s: account %d: missing %s", path, n, strings.Join(missing, ", "))
		}
		if prev, dup := seen[a.APIKey]; dup {
			return nil, usagef("--accounts %s: account %d has the same api_key as account %d (each API key must be unique)", path, n, prev)
		}
		seen[a.APIKey] = n
		theme := pave.Theme(strings.ToUpper(strings.TrimSpace(a.DefaultTheme)))
		if theme != "" && !theme.Known() {
			return nil, usagef("--accounts %s: account %d: default_theme %q is not one of LITE, PRO, CAPT", path, n, a.DefaultTheme)
		}
		if a.Default {
			return nil, usagef("--accounts %s: account %d: \"default\" is not read from the file; the first account is the default", path, n)
		}
		out = append(out, pavetest.Account{Username: a.Username, APIKey: a.APIKey, APISecret: a.APISecret,
			AccountName: a.AccountName, DefaultTheme: theme, APIName: a.APIName})
	}
	return out, nil
}

// accountsJSONProblem describes a JSON decoding error without quoting the input.
func accountsJSONProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return "no accounts"
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("field %s must be a %s", te.Field, te.Type)
		}
		return fmt.Sprintf("found a JSON %s", te.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the file is empty or cut short"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// fakeControlList is the start message's list of control endpoints.
var fakeControlList = []string{
	"GET    /_fake/sessions/{key}",
	"POST   /_fake/sessions/{key}/start | capture | complete | expire | invalidate | notes | sms",
	"POST   /_fake/hotspots/{key}/process",
	"GET    /_fake/requests, /_fake/deliveries (DELETE clears)",
	"POST   /_fake/faults (DELETE clears), GET/POST /_fake/clock",
	"GET    /_fake/accounts",
}

func (f *fakeCmd) serveCommand() *cobra.Command {
	var (
		addr, accountsFile string
		seed               int64
		strict, lenient    bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the fake PAVE server until interrupted",
		Long: `serve runs a stateful fake PAVE on --addr until SIGINT or SIGTERM.

It prints its base URL, its accounts (usernames and API keys; the secrets only
with --show-secrets) and the control endpoints. pave commands pointed at the
URL (--base-url or PAVE_BASE_URL) with no credentials set sign as its default
account automatically; GET <url>/_fake/accounts lists every account with its
secret. With --json the start message is one JSON object on one line:
{"base_url": ..., "accounts": [...], ...}.

--accounts reads a JSON list of accounts, each {"username", "api_key",
"api_secret"} (the fields pave.Credentials uses) and optionally
"account_name" (the capture-link subdomain) and "default_theme" (LITE, PRO or
CAPT); the first is the default account. What GET /_fake/accounts answers is
accepted too. Without it, one account is generated from --seed.

A non-loopback --addr (0.0.0.0:8080 in a container) needs a control token:
every control request must then carry "Authorization: Bearer <token>".`,
		Example: `  pave fake serve
  pave fake serve --addr 127.0.0.1:0 --json --show-secrets   # a free port, for scripts
  pave fake serve --accounts testdata/accounts.json --seed 42 --lenient
  PAVE_FAKE_CONTROL_TOKEN=$(openssl rand -hex 16) pave fake serve --addr 0.0.0.0:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strict && lenient {
				return usagef("pave fake serve: --strict and --lenient exclude each other")
			}
			mode := pavetest.Strict
			if lenient {
				mode = pavetest.Lenient
			}
			host, err := checkListenAddr("--addr", addr)
			if err != nil {
				return err
			}
			tok := f.token()
			if tok != "" {
				if err := checkControlToken(tok); err != nil {
					return err
				}
			} else if !fakeLoopbackHost(host) {
				return usagef("--addr %s is not a loopback address: anyone who can reach it could drive the fake and read its secrets; set --control-token or $%s (at least %d characters) to require a token of every control request",
					addr, envFakeControlToken, minControlToken)
			}
			var accounts []pavetest.Account
			if cmd.Flags().Changed("accounts") {
				if accounts, err = loadAccountsFile(accountsFile); err != nil {
					return err
				}
			}
			ctx, stop := f.a.context()
			defer stop()
			opts := []pavetest.Option{pavetest.WithSeed(seed), pavetest.WithTimestamps(mode),
				func(o *pavetest.Options) { o.Addr, o.ControlToken = addr, tok }}
			if len(accounts) > 0 {
				opts = append(opts, pavetest.WithAccounts(accounts...))
			}
			srv, err := pavetest.Start(opts...)
			if err != nil {
				var oe *net.OpError
				if errors.As(err, &oe) || errors.Is(err, syscall.EADDRINUSE) {
					return listenAddrError("--addr", addr, err)
				}
				return fmt.Errorf("starting the fake server: %w", err)
			}
			defer srv.Close()
			if err := f.printStart(srv, mode, seed, tok != ""); err != nil {
				return err
			}
			<-ctx.Done()
			srv.Close()
			fmt.Fprintln(f.a.stderr, "pave: fake server stopped")
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", "listen address host:port (port 0: a free one); non-loopback needs --control-token")
	fl.StringVar(&accountsFile, "accounts", "", "JSON file listing the accounts (default: one generated from --seed)")
	fl.Int64Var(&seed, "seed", 0, "seed of generated accounts, session keys and results: the same seed and calls give the same data")
	fl.BoolVar(&strict, "strict", false, "accept only the API-Timestamp form PAVE documents (2006-01-02T15:04:05Z; the default)")
	fl.BoolVar(&lenient, "lenient", false, "also accept API-Timestamp forms PAVE may refuse (RFC 3339 with fraction or offset, Unix seconds, RFC 1123)")
	fl.BoolVar(&f.showSecrets, "show-secrets", false, "print the accounts' API secrets in the start message")
	return cmd
}

// printStart prints the start message.
func (f *fakeCmd) printStart(srv *pavetest.Server, mode pavetest.TimestampMode, seed int64, tokenRequired bool) error {
	var accts []fakeAccountJSON
	for i, a := range srv.Accounts() {
		j := fakeAccountJSON{Username: a.Username, APIKey: a.APIKey, AccountName: a.AccountName,
			DefaultTheme: string(a.DefaultTheme), Default: i == 0}
		if f.showSecrets {
			j.APISecret = a.APISecret
		}
		accts = append(accts, j)
	}
	if f.a.jsonOut {
		enc := json.NewEncoder(f.a.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(struct {
			BaseURL       string            `json:"base_url"`
			Accounts      []fakeAccountJSON `json:"accounts"`
			Control       []string          `json:"control_endpoints"`
			TokenRequired bool              `json:"control_token_required"`
			Timestamps    string            `json:"timestamps"`
			Seed          int64             `json:"seed"`
		}{srv.URL, accts, fakeControlList, tokenRequired, strings.ToLower(mode.String()), seed})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pave fake server listening on %s\n", srv.URL)
	fmt.Fprintf(&b, "accounts (the first is the default):\n")
	tw := tabwriter.NewWriter(&b, 2, 8, 2, ' ', 0)
	for _, a := range accts {
		line := "  " + a.Username + "\tapi key " + a.APIKey
		if f.showSecrets {
			line += "\tapi secret " + a.APISecret
		}
		fmt.Fprintln(tw, line+"\ttheme "+a.DefaultTheme)
	}
	_ = tw.Flush()
	accountsHint := "GET " + srv.URL + "/_fake/accounts"
	if tokenRequired {
		accountsHint += " (with the control token)"
	}
	if !f.showSecrets {
		fmt.Fprintf(&b, "secrets are not shown (--show-secrets prints them): pave commands with PAVE_BASE_URL=%s and no credentials sign as the default account automatically; %s lists every account with its secret\n",
			srv.URL, accountsHint)
	} else {
		fmt.Fprintf(&b, "export PAVE_BASE_URL=%s (pave commands then sign as the default account); %s lists the accounts\n", srv.URL, accountsHint)
	}
	if tokenRequired {
		fmt.Fprintf(&b, "control endpoints (each needs \"Authorization: Bearer <control token>\"):\n")
	} else {
		fmt.Fprintf(&b, "control endpoints (loopback only):\n")
	}
	for _, c := range fakeControlList {
		fmt.Fprintf(&b, "  %s\n", c)
	}
	fmt.Fprintf(&b, "  or: pave fake start|capture|complete|expire|invalidate|note|sms KEY\n")
	fmt.Fprintf(&b, "timestamps %s, seed %d; Ctrl-C stops the server\n", strings.ToLower(mode.String()), seed)
	_, err := io.WriteString(f.a.stdout, b.String())
	return err
}

// fakeOp is a control operation on a session.
type fakeOp struct {
	name, action, short, example string
	// flags adds the operation's flags and returns the request body
	// builder (nil: no body).
	flags func(cmd *cobra.Command) func(cmd *cobra.Command) (any, error)
}

var fakeOps = []fakeOp{
	{name: "start", action: "start", short: "Start the capture of an IDLE session (the user opened the link)",
		example: "  pave fake start NSA-7K2D5MZ8WP"},
	{name: "capture", action: "capture", short: "Capture one photo of a session, accepted or rejected",
		example: "  pave fake capture NSA-7K2D5MZ8WP --photo-code 4\n  pave fake capture NSA-7K2D5MZ8WP --photo-code 1 --rejected",
		flags: func(cmd *cobra.Command) func(*cobra.Command) (any, error) {
			code := cmd.Flags().Int("photo-code", 0, "the view captured (required): "+fakePhotoCodeList())
			rejected := cmd.Flags().Bool("rejected", false, "the photo fails the quality check (REJECTED: Wrong View)")
			return func(cmd *cobra.Command) (any, error) {
				if !cmd.Flags().Changed("photo-code") {
					return nil, usagef("pave fake capture: --photo-code is required (a view code 1-13)")
				}
				if *code < 1 || *code > 13 {
					return nil, usagef("--photo-code %d: out of range, want a view code from 1 to 13", *code)
				}
				return map[string]any{"photo_code": *code, "accepted": !*rejected}, nil
			}
		}},
	{name: "complete", action: "complete", short: "Run the rest of a session's lifecycle up to COMPLETE, with results",
		example: "  pave fake complete NSA-7K2D5MZ8WP\n  pave fake complete NSA-7K2D5MZ8WP --json"},
	{name: "expire", action: "expire", short: "Expire an IDLE, STARTED or PROCESS session",
		example: "  pave fake expire NSA-7K2D5MZ8WP"},
	{name: "invalidate", action: "invalidate", short: "Mark a session INVALID (rejected during processing)",
		example: "  pave fake invalidate NSA-7K2D5MZ8WP"},
	{name: "note", action: "notes", short: "Attach a note to a session (fires SESSION:NOTE_INSERT)",
		example: `  pave fake note NSA-7K2D5MZ8WP --title "Scratch on bumper" --description "Customer mentioned it"`,
		flags: func(cmd *cobra.Command) func(*cobra.Command) (any, error) {
			title := cmd.Flags().String("title", "", "the note's title (required)")
			desc := cmd.Flags().String("description", "", "the note's text")
			return func(*cobra.Command) (any, error) {
				if strings.TrimSpace(*title) == "" {
					return nil, usagef("pave fake note: --title is required and must not be blank")
				}
				return map[string]string{"title": *title, "description": *desc}, nil
			}
		}},
	{name: "sms", action: "sms", short: "Report the capture-link SMS as delivered or failed (fires SESSION:SMS_PROCESS)",
		example: "  pave fake sms NSA-7K2D5MZ8WP\n  pave fake sms NSA-7K2D5MZ8WP --failed --message Undeliverable",
		flags: func(cmd *cobra.Command) func(*cobra.Command) (any, error) {
			failed := cmd.Flags().Bool("failed", false, "the SMS was not delivered")
			message := cmd.Flags().String("message", "", "the provider's message (e.g. Undeliverable)")
			return func(cmd *cobra.Command) (any, error) {
				if cmd.Flags().Changed("message") && strings.TrimSpace(*message) == "" {
					return nil, usagef("--message: must not be blank")
				}
				return map[string]any{"success": !*failed, "message": *message}, nil
			}
		}},
}

// fakePhotoCodeList lists the view codes with their labels.
func fakePhotoCodeList() string {
	var parts []string
	for c := pave.PhotoCode(1); c <= 13; c++ {
		parts = append(parts, fmt.Sprintf("%d %s", c, c.Label()))
	}
	return strings.Join(parts, ", ")
}

// fakeSessionKeyArg checks the KEY argument of cmd.
func fakeSessionKeyArg(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return usagef("%s: missing the session key (%s KEY)", cmd.CommandPath(), cmd.CommandPath())
	case len(args) > 1:
		return usagef("%s: one session key only, got %d arguments", cmd.CommandPath(), len(args))
	case strings.TrimSpace(args[0]) == "" || strings.ContainsFunc(args[0], func(r rune) bool { return r <= ' ' || r == '/' || r == 0x7f }):
		return usagef("%s: session key %q is not a session key", cmd.CommandPath(), args[0])
	}
	return nil
}

func (f *fakeCmd) opCommand(op fakeOp) *cobra.Command {
	cmd := &cobra.Command{
		Use:   op.name + " KEY",
		Short: op.short,
		Long: op.short + `.

It drives a fake running in another process (pave fake serve) through
POST /_fake/sessions/{key}/` + op.action + `, found from --base-url or
PAVE_BASE_URL, and prints the session's new status (--json: the session as the
fake answers it). The fake delivers the webhooks the change fires before it
answers. Exit status 4: no such session; 1: the session's status does not
allow it, or no fake server at the URL.`,
		Example: op.example,
		Args:    fakeSessionKeyArg,
	}
	var body func(*cobra.Command) (any, error)
	if op.flags != nil {
		body = op.flags(cmd)
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var payload any = struct{}{}
		if body != nil {
			var err error
			if payload, err = body(cmd); err != nil {
				return err
			}
		}
		key := args[0]
		raw, err := f.control(http.MethodPost, "/_fake/sessions/"+url.PathEscape(key)+"/"+op.action, payload, key)
		if err != nil {
			return err
		}
		var sess pave.Session
		if err := json.Unmarshal(raw, &sess); err != nil {
			return fmt.Errorf("the fake server's answer is not a session: %w", err)
		}
		if f.a.jsonOut {
			return f.a.printRaw(raw, sess)
		}
		_, err = fmt.Fprintf(f.a.stdout, "%s: %s\n", sess.SessionKey, sess.Status)
		return err
	}
	return cmd
}

func (f *fakeCmd) accountsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "List the accounts of a running fake server",
		Long: `accounts lists the accounts of the fake at --base-url or PAVE_BASE_URL
(GET /_fake/accounts), the default one first. The API secrets are printed
only with --show-secrets.`,
		Example: "  pave fake accounts\n  pave fake accounts --json --show-secrets",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			raw, err := f.control(http.MethodGet, "/_fake/accounts", nil, "")
			if err != nil {
				return err
			}
			var out struct {
				Accounts []fakeAccountJSON `json:"accounts"`
			}
			if err := json.Unmarshal(raw, &out); err != nil {
				return fmt.Errorf("the fake server's answer is not a list of accounts: %w", err)
			}
			for i := range out.Accounts {
				out.Accounts[i].Default = i == 0
				if !f.showSecrets {
					out.Accounts[i].APISecret = ""
				}
			}
			if f.a.jsonOut {
				return f.a.printJSON(out)
			}
			tw := tabwriter.NewWriter(f.a.stdout, 2, 8, 2, ' ', 0)
			head := "USERNAME\tAPI KEY"
			if f.showSecrets {
				head += "\tAPI SECRET"
			}
			fmt.Fprintln(tw, head+"\tACCOUNT NAME\tTHEME\tDEFAULT")
			for _, a := range out.Accounts {
				line := a.Username + "\t" + a.APIKey
				if f.showSecrets {
					line += "\t" + a.APISecret
				}
				def := ""
				if a.Default {
					def = "yes"
				}
				fmt.Fprintln(tw, line+"\t"+a.AccountName+"\t"+a.DefaultTheme+"\t"+def)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&f.showSecrets, "show-secrets", false, "print the API secrets")
	return cmd
}

// control sends a control request to the fake at the resolved base URL
// and returns the body of a 200 answer; key names the session in errors.
func (f *fakeCmd) control(method, path string, body any, key string) (json.RawMessage, error) {
	base, err := f.a.resolvedBaseURL()
	if err != nil {
		return nil, err
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--base-url %q (or PAVE_BASE_URL): want the fake server's http:// URL, e.g. http://127.0.0.1:8080", base)
	}
	tok := f.token()
	if tok != "" {
		if err := checkControlToken(tok); err != nil {
			return nil, err
		}
	}
	ctx, stop := f.a.context()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return nil, usagef("--base-url %q: %v", base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pave-cli/"+pave.Version)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, exitCodeError{exitError, "no fake server at " + base + " (connection refused; start one with pave fake serve)"}
		}
		return nil, exitCodeError{exitError, fmt.Sprintf("reaching the fake server at %s: %v", base, errors.Unwrap(err))}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the fake server's answer: %w", err)
	}
	if resp.StatusCode == http.StatusOK {
		return raw, nil
	}
	var m struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &m)
	msg := m.Message
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	subject := base
	if key != "" {
		subject = key
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		if key == "" || msg == "Not found." {
			return nil, exitCodeError{exitNotFound, fmt.Sprintf("%s%s: not found (is %s a pave fake server?)", base, path, base)}
		}
		return nil, exitCodeError{exitNotFound, fmt.Sprintf("%s: %s", key, msg)}
	case http.StatusConflict:
		return nil, exitCodeError{exitError, fmt.Sprintf("%s: %s", key, strings.TrimPrefix(msg, "pavetest: "))}
	case http.StatusUnauthorized:
		if tok == "" {
			return nil, exitCodeError{exitUnauthorized, fmt.Sprintf("the fake server at %s requires its control token: set $%s or --control-token", base, envFakeControlToken)}
		}
		return nil, exitCodeError{exitUnauthorized, fmt.Sprintf("the fake server at %s refused the control token (%s)", base, msg)}
	}
	return nil, exitCodeError{exitError, fmt.Sprintf("%s: the fake server answered %d: %s", subject, resp.StatusCode, strings.TrimPrefix(msg, "pavetest: "))}
}
