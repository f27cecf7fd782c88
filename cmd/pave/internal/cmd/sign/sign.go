// Package sign is pave sign: the signed headers of one request, and a
// curl command that sends it.
package sign

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// Output is what pave sign --json prints.
type Output struct {
	Headers map[string]string `json:"headers"`
	Curl    string            `json:"curl"`
}

// options are the options of pave sign.
type options struct {
	*cmdutil.Factory
	Method, Path, Body, Timestamp string
}

// New returns pave sign.
func New(f *cmdutil.Factory) *cobra.Command {
	opts := &options{Factory: f}
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Print the signed headers of one request, and a curl command that sends it",
		Long: `sign computes PAVE's three authentication headers for one request (API-Key,
API-Timestamp and API-Token, the HMAC-SHA256 of "username:api_key@timestamp"
keyed with the API secret) and prints them with a ready curl command, to try
a call by hand or to compare with another client's headers.

The timestamp is now, in the form PAVE documents (2006-01-02T15:04:05Z),
unless --timestamp gives one; --timestamp also takes the forms PAVE's
samples disagree on (milliseconds, an offset, Unix seconds, RFC 1123), which
PAVE may refuse. A token is valid for about five minutes. The API secret is
never printed; the token is derived from it and cannot be reversed.`,
		Example: `  pave sign
  pave sign --path /v1/sessions/NSA-7K2D5MZ8WP
  pave sign --method POST --path /v1/callbacks --body '{"event":"SESSION:COMPLETE","url":"https://crm.example/pave"}'
  pave sign --timestamp 2024-03-15T09:30:00Z --json
  eval "$(pave sign --path /v1/callbacks | tail -n 1)"   # send it`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Method, "method", "GET", "HTTP method: GET, POST, PUT, PATCH or DELETE")
	fl.StringVar(&opts.Path, "path", "/v1/callbacks", "request path, starting with /v1/ or /v2/ (a query is allowed)")
	fl.StringVar(&opts.Body, "body", "", "JSON request body (sent with Content-Type: application/json)")
	fl.StringVar(&opts.Timestamp, "timestamp", "", "API-Timestamp to sign (default now, as "+pave.TimestampLayout+")")
	_ = cmd.RegisterFlagCompletionFunc("method", cmdutil.Complete("GET", "POST", "PUT", "PATCH", "DELETE"))
	return cmd
}

func run(opts *options) error {
	m := strings.ToUpper(strings.TrimSpace(opts.Method))
	switch {
	case !strings.Contains(" GET POST PUT PATCH DELETE HEAD ", " "+m+" ") || m == "":
		return cmdutil.Usagef("--method %q: want GET, POST, PUT, PATCH or DELETE", opts.Method)
	case opts.Body != "" && !json.Valid([]byte(opts.Body)):
		return cmdutil.Usagef("--body: not valid JSON")
	case opts.Body != "" && (m == "GET" || m == "HEAD"):
		return cmdutil.Usagef("--body: a %s request has no body (use --method POST or PUT)", m)
	}
	if err := checkPath(opts.Path); err != nil {
		return err
	}
	ts := opts.Timestamp
	if ts == "" {
		ts = time.Now().UTC().Format(pave.TimestampLayout)
	} else if form, err := timestampForm(ts); err != nil {
		return err
	} else if form != "" {
		opts.IO.Notef("--timestamp is %s, not the form PAVE documents (%s); PAVE may refuse it", form, pave.TimestampLayout)
	}
	t, err := opts.Target()
	if err != nil {
		return err
	}
	headers := map[string]string{pave.HeaderAPIKey: t.Creds.APIKey, pave.HeaderAPITimestamp: ts,
		pave.HeaderAPIToken: t.Creds.Token(ts)}
	curl := curlCommand(m, strings.TrimRight(t.BaseURL, "/")+opts.Path, headers, opts.Body)
	return opts.IO.Result(nil, Output{Headers: headers, Curl: curl}, func() {
		for _, h := range headerOrder {
			opts.IO.Printf("%s: %s\n", h, headers[h])
		}
		opts.IO.Printf("\n%s\n", curl)
	})
}

var headerOrder = []string{pave.HeaderAPIKey, pave.HeaderAPITimestamp, pave.HeaderAPIToken}

// checkPath refuses a path that is not an API path.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/v1/") && !strings.HasPrefix(p, "/v2/") {
		return cmdutil.Usagef("--path %q: must start with /v1/ or /v2/ (e.g. /v1/callbacks)", p)
	}
	if strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return cmdutil.Usagef("--path %q: spaces and control characters must be percent-encoded", p)
	}
	if _, err := url.ParseRequestURI(p); err != nil {
		return cmdutil.Usagef("--path %q: %v", p, err)
	}
	return nil
}

// timestampForm accepts the canonical form (form "") and the other forms
// PAVE's samples show, naming the one it is.
func timestampForm(ts string) (form string, err error) {
	if t, err := time.Parse(pave.TimestampLayout, ts); err == nil && t.Format(pave.TimestampLayout) == ts {
		return "", nil
	}
	if _, err := time.Parse(time.RFC3339Nano, ts); err == nil {
		return "RFC 3339 with a fraction or an offset", nil
	}
	if n, err := strconv.ParseInt(ts, 10, 64); err == nil && n > 0 && !strings.HasPrefix(ts, "+") {
		return "Unix seconds", nil
	}
	if _, err := time.Parse(time.RFC1123, ts); err == nil {
		return "RFC 1123", nil
	}
	return "", cmdutil.Usagef("--timestamp %q: want %s (or RFC 3339, Unix seconds, RFC 1123)", ts, pave.TimestampLayout)
}

// curlCommand builds a curl command line, every argument shell-quoted.
func curlCommand(method, u string, headers map[string]string, body string) string {
	args := []string{"curl", "-sS", "-X", method}
	for _, h := range headerOrder {
		args = append(args, "-H", ShellQuote(h+": "+headers[h]))
	}
	if body != "" {
		args = append(args, "-H", ShellQuote("Content-Type: application/json"), "--data-raw", ShellQuote(body))
	}
	return strings.Join(append(args, ShellQuote(u)), " ")
}

// ShellQuote quotes s for a POSIX shell: as it is when it holds only safe
// characters, else in single quotes (a single quote written as '\”).
func ShellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,",
			r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
