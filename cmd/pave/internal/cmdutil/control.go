package cmdutil

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/internal/wire"
	"github.com/pave-go/pave/pavetest"
)

// EnvControlToken names the control token's environment variable: the
// token `pave fake serve` requires of control requests, and the one the
// commands that drive a fake send.
const EnvControlToken = "PAVE_FAKE_CONTROL_TOKEN"

// Control drives a pave fake server from another process through its
// control endpoints (/_fake/...). Its errors are StatusErrors, free of the
// control token. Only this file knows how the calls are made.
type Control interface {
	Accounts(ctx context.Context) ([]pavetest.Account, error)
	// Act runs a lifecycle action (start, capture, complete, expire,
	// invalidate, notes, sms) on a session, with body as its JSON.
	Act(ctx context.Context, key, action string, body any) (*pave.Session, error)
}

// ControlToken is --control-token, else $PAVE_FAKE_CONTROL_TOKEN.
func (f *Factory) ControlToken() string {
	return pick(f.ControlTokenFlag, f.Getenv(EnvControlToken))
}

// FakeControl returns the control client of the fake server the base URL
// names; PAVE's own host is none.
func (f *Factory) FakeControl() (Control, error) {
	p, _, err := f.LoadProfile()
	if err != nil {
		return nil, err
	}
	base, from := f.rawBase(p)
	if from == "" {
		return nil, Usagef("no base URL: set --base-url or %s to the fake server's URL", EnvBaseURL)
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, Usagef("%s %q: want the fake server's http:// URL, e.g. http://127.0.0.1:8080", from, base)
	}
	return f.Control(base)
}

// Control returns the control client of the fake server at base.
func (f *Factory) Control(base string) (Control, error) {
	tok := f.ControlToken()
	if why := wire.CheckSecret(tok); tok != "" && why != "" {
		return nil, Usagef("--control-token (or $%s) %s: it needs at least %d characters without spaces or control characters",
			EnvControlToken, why, wire.MinSecretLen)
	}
	return &httpControl{base: strings.TrimRight(base, "/"), token: tok, hc: &http.Client{Timeout: 5 * time.Minute}}, nil
}

// maxControlAnswer bounds a control answer.
const maxControlAnswer = 16 << 20

type httpControl struct {
	base, token string
	hc          *http.Client
}

func (c *httpControl) Accounts(ctx context.Context) ([]pavetest.Account, error) {
	var out struct {
		Accounts []struct {
			Username     string     `json:"username"`
			APIKey       string     `json:"api_key"`
			APISecret    string     `json:"api_secret"`
			AccountName  string     `json:"account_name"`
			DefaultTheme pave.Theme `json:"default_theme"`
		} `json:"accounts"`
	}
	raw, err := c.do(ctx, http.MethodGet, "/_fake/accounts", nil, "")
	if err == nil {
		err = c.decode(raw, &out, "a list of accounts")
	}
	accts := make([]pavetest.Account, len(out.Accounts))
	for i, a := range out.Accounts {
		accts[i] = pavetest.Account{Username: a.Username, APIKey: a.APIKey, APISecret: a.APISecret,
			AccountName: a.AccountName, DefaultTheme: a.DefaultTheme}
	}
	return accts, err
}

func (c *httpControl) Act(ctx context.Context, key, action string, body any) (*pave.Session, error) {
	raw, err := c.do(ctx, http.MethodPost, "/_fake/sessions/"+url.PathEscape(key)+"/"+action, body, key)
	if err != nil {
		return nil, err
	}
	var s pave.Session
	return &s, c.decode(raw, &s, "a session")
}

func (c *httpControl) decode(raw []byte, v any, what string) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return Exitf(ExitError, "the fake server at %s answered something else than %s: %v", c.base, what, err)
	}
	return nil
}

// do sends a control request and returns the body of a 200 answer; key
// names the session in errors.
func (c *httpControl) do(ctx context.Context, method, path string, body any, key string) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, Usagef("base URL %q: %v", c.base, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pave-cli/"+pave.Version)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("no fake server at %s (connection refused; start one with pave fake serve): %w",
				c.base, syscall.ECONNREFUSED)
		}
		return nil, Exitf(ExitError, "reaching the fake server at %s: %s", c.base, c.scrub(errors.Unwrap(err).Error()))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxControlAnswer+1))
	switch {
	case err != nil:
		return nil, Exitf(ExitError, "reading the fake server's answer: %s", c.scrub(err.Error()))
	case len(raw) > maxControlAnswer:
		return nil, Exitf(ExitError, "the fake server's answer is too large (over %d MiB)", maxControlAnswer>>20)
	case resp.StatusCode == http.StatusOK:
		return raw, nil
	}
	var m struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &m)
	msg := c.scrub(strings.TrimPrefix(cmp.Or(m.Message, http.StatusText(resp.StatusCode)), "pavetest: "))
	switch resp.StatusCode {
	case http.StatusNotFound:
		if key == "" || msg == "Not found." {
			return nil, Exitf(ExitNotFound, "%s%s: not found (is %s a pave fake server?)", c.base, path, c.base)
		}
		return nil, Exitf(ExitNotFound, "%s: %s", key, msg)
	case http.StatusConflict:
		return nil, Exitf(ExitError, "%s: %s", key, msg)
	case http.StatusUnauthorized:
		if c.token == "" {
			return nil, Exitf(ExitUnauthorized, "the fake server at %s requires its control token: set $%s or --control-token",
				c.base, EnvControlToken)
		}
		return nil, Exitf(ExitUnauthorized, "the fake server at %s refused the control token (%s)", c.base, msg)
	}
	return nil, Exitf(ExitError, "%s: the fake server answered %d: %s", cmp.Or(key, c.base), resp.StatusCode, msg)
}

// scrub removes every form of the control token from s.
func (c *httpControl) scrub(s string) string { return redact.New(c.token).Text(s) }
