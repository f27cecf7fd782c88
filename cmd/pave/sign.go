package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
)

func init() {
	commands = append(commands, newSignCommand)
}

// signOutput is what `pave sign --json` prints.
type signOutput struct {
	Headers map[string]string `json:"headers"`
	Curl    string            `json:"curl"`
}

func newSignCommand(a *app) *cobra.Command {
	var method, path, body, timestamp string
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
		RunE: func(*cobra.Command, []string) error {
			m, err := checkSignMethod(method)
			if err != nil {
				return err
			}
			if err := checkSignPath(path); err != nil {
				return err
			}
			if body != "" && !json.Valid([]byte(body)) {
				return usagef("--body: not valid JSON")
			}
			if body != "" && (m == "GET" || m == "HEAD") {
				return usagef("--body: a %s request has no body (use --method POST or PUT)", m)
			}
			ts := timestamp
			if ts == "" {
				ts = time.Now().UTC().Format(pave.TimestampLayout)
			} else if form, err := checkSignTimestamp(ts); err != nil {
				return err
			} else if form != "" {
				fmt.Fprintf(a.stderr, "pave: --timestamp is %s, not the form PAVE documents (%s); PAVE may refuse it\n", form, pave.TimestampLayout)
			}
			creds, base, err := a.credentials()
			if err != nil {
				return err
			}
			if err := checkBaseURL(base); err != nil {
				return usagef("%s %q: %v", a.baseURLSource(), base, err)
			}
			headers := map[string]string{
				pave.HeaderAPIKey:       creds.APIKey,
				pave.HeaderAPITimestamp: ts,
				pave.HeaderAPIToken:     creds.Token(ts),
			}
			curl := curlCommand(m, strings.TrimRight(base, "/")+path, headers, body)
			if a.jsonOut {
				return a.printJSON(signOutput{Headers: headers, Curl: curl})
			}
			for _, h := range []string{pave.HeaderAPIKey, pave.HeaderAPITimestamp, pave.HeaderAPIToken} {
				fmt.Fprintf(a.stdout, "%s: %s\n", h, headers[h])
			}
			_, err = fmt.Fprintf(a.stdout, "\n%s\n", curl)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&method, "method", "GET", "HTTP method: GET, POST, PUT, PATCH or DELETE")
	f.StringVar(&path, "path", "/v1/callbacks", "request path, starting with /v1/ or /v2/ (a query is allowed)")
	f.StringVar(&body, "body", "", "JSON request body (sent with Content-Type: application/json)")
	f.StringVar(&timestamp, "timestamp", "", "API-Timestamp to sign (default now, as "+pave.TimestampLayout+")")
	return cmd
}

// checkSignMethod returns the method in upper case, or a usage error.
func checkSignMethod(m string) (string, error) {
	up := strings.ToUpper(strings.TrimSpace(m))
	switch up {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD":
		return up, nil
	}
	return "", usagef("--method %q: want GET, POST, PUT, PATCH or DELETE", m)
}

// checkSignPath refuses a path that is not an API path.
func checkSignPath(p string) error {
	if !strings.HasPrefix(p, "/v1/") && !strings.HasPrefix(p, "/v2/") {
		return usagef("--path %q: must start with /v1/ or /v2/ (e.g. /v1/callbacks)", p)
	}
	for _, r := range p {
		if r <= ' ' || r == 0x7f {
			return usagef("--path %q: spaces and control characters must be percent-encoded", p)
		}
	}
	if _, err := url.ParseRequestURI(p); err != nil {
		return usagef("--path %q: %v", p, err)
	}
	return nil
}

// Timestamp forms PAVE's pages and samples use (docs/pave-api.md, section 2).
const (
	tsLayoutOffset = "2006-01-02T15:04:05+00:00"
	tsLayoutMillis = "2006-01-02T15:04:05.000Z"
)

// checkSignTimestamp accepts the canonical form (form "") and the other
// forms PAVE's samples show, naming the one it is; anything else is a
// usage error.
func checkSignTimestamp(ts string) (form string, err error) {
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
	return "", usagef("--timestamp %q: want %s (or RFC 3339, Unix seconds, RFC 1123)", ts, pave.TimestampLayout)
}

// checkBaseURL applies the SDK's own rules to a base URL (https, or
// http for a loopback host).
func checkBaseURL(base string) error {
	_, err := pave.NewClient(pave.Credentials{Username: "x", APIKey: "x", APISecret: "x"}, pave.WithBaseURL(base))
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), "pave: ")
	if i := strings.Index(msg, "WithBaseURL: "); i >= 0 {
		msg = msg[i+len("WithBaseURL: "):]
	}
	return errors.New(msg)
}

// baseURLSource names where the base URL came from, for messages.
func (a *app) baseURLSource() string {
	switch {
	case strings.TrimSpace(a.baseURL) != "":
		return "--base-url"
	case strings.TrimSpace(a.getenv("PAVE_BASE_URL")) != "":
		return "PAVE_BASE_URL"
	}
	return "base URL"
}

// curlCommand builds a curl command line, every argument shell-quoted.
func curlCommand(method, u string, headers map[string]string, body string) string {
	args := []string{"curl", "-sS", "-X", method}
	for _, h := range []string{pave.HeaderAPIKey, pave.HeaderAPITimestamp, pave.HeaderAPIToken} {
		args = append(args, "-H", signShellQuote(h+": "+headers[h]))
	}
	if body != "" {
		args = append(args, "-H", signShellQuote("Content-Type: application/json"), "--data-raw", signShellQuote(body))
	}
	args = append(args, signShellQuote(u))
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell: as it is when it holds only safe
// characters, else in single quotes (a single quote written as '\”).
func signShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
