package cmdutil

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/pave-go/pave/internal/wire"
	"github.com/pave-go/pave/pavetest"
)

// EnvControlToken names the control token's environment variable: the
// token `pave fake serve` requires of control requests, and the one the
// commands that drive a fake send.
const EnvControlToken = "PAVE_FAKE_CONTROL_TOKEN"

// Control is pavetest's client of a fake server's control API, with what
// the command says of its errors.
type Control struct {
	*pavetest.ControlClient
	Base  string
	token bool
}

// ControlToken is --control-token, else $PAVE_FAKE_CONTROL_TOKEN.
func (f *Factory) ControlToken() string {
	return cmp.Or(strings.TrimSpace(f.ControlTokenFlag), strings.TrimSpace(f.Getenv(EnvControlToken)))
}

// FakeControl returns the control client of the fake server the base URL
// names; PAVE's own host is none.
func (f *Factory) FakeControl() (*Control, error) {
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
func (f *Factory) Control(base string) (*Control, error) {
	tok := f.ControlToken()
	if why := wire.CheckSecret(tok); tok != "" && why != "" {
		return nil, Usagef("--control-token (or $%s) %s: the fake needs at least %d characters without spaces or "+
			"control characters", EnvControlToken, why, wire.MinSecretLen)
	}
	c, err := pavetest.NewControlClient(base, tok, nil)
	if err != nil {
		return nil, Usagef("%s", strings.NewReplacer("pavetest: ", "", "the control token",
			"--control-token (or $"+EnvControlToken+")").Replace(err.Error()))
	}
	return &Control{ControlClient: c, Base: strings.TrimRight(base, "/"), token: tok != ""}, nil
}

// Err turns an error of the control client into the command's, with its
// exit status; key names the session the call was about ("" for none).
func (c *Control) Err(err error, key string) error {
	var ce *pavetest.ControlError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Exitf(ExitError, "no fake server at %s (connection refused; start one with pave fake serve)", c.Base)
	case !errors.As(err, &ce):
		return Exitf(ExitError, "reaching the fake server at %s: %s", c.Base, strings.TrimPrefix(err.Error(), "pavetest: "))
	case ce.StatusCode == http.StatusNotFound && strings.EqualFold(strings.TrimSuffix(ce.Message, "."), "not found"):
		return Exitf(ExitNotFound, "%s answered 404 (is %s a pave fake server?)", c.Base, c.Base)
	case ce.StatusCode == http.StatusNotFound:
		return Exitf(ExitNotFound, "%s", strings.TrimPrefix(key+": "+ce.Message, ": "))
	case ce.StatusCode == http.StatusUnauthorized && !c.token:
		return Exitf(ExitUnauthorized, "the fake server at %s requires its control token: set $%s or --control-token",
			c.Base, EnvControlToken)
	case ce.StatusCode == http.StatusUnauthorized:
		return Exitf(ExitUnauthorized, "the fake server at %s refused the control token (%s)", c.Base, ce.Message)
	case ce.StatusCode == http.StatusBadRequest:
		return Exitf(ExitUsage, "%s", strings.TrimPrefix(ce.Error(), "pavetest: "))
	}
	return Exitf(ExitError, "%s: %s", cmp.Or(key, c.Base), strings.TrimPrefix(ce.Error(),
		"pavetest: control request failed: "))
}
