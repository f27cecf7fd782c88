package listen

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/wire"
	"github.com/pave-go/pave/webhook"
)

// Registration is one callback setting the listener registered.
type Registration struct {
	Event pave.EventName `json:"event"`
	URL   string         `json:"url"`
}

// secret resolves the deliveries' secret, and the one to print (not one
// the user gave): --secret, --secret-env, else the one kept in the config
// directory, made on first use.
func (opts *options) secret() (secret, shown string, err error) {
	fromFlag, fromEnv := opts.cmd.Flags().Changed("secret"), opts.cmd.Flags().Changed("secret-env")
	what := "--secret"
	switch {
	case fromFlag && fromEnv:
		return "", "", cmdutil.Usagef("listen: --secret and --secret-env exclude each other")
	case fromEnv:
		name := strings.TrimSpace(opts.SecretEnv)
		if name == "" {
			return "", "", cmdutil.Usagef("--secret-env: give the name of an environment variable")
		}
		if secret = strings.TrimSpace(opts.Getenv(name)); secret == "" {
			return "", "", cmdutil.Usagef("--secret-env %s: the variable is not set or empty", name)
		}
		what = "--secret-env " + name
	case fromFlag:
		secret = strings.TrimSpace(opts.Secret)
	default:
		secret, err = opts.keptSecret()
		return secret, secret, err
	}
	if why := wire.CheckSecret(secret); why != "" {
		return "", "", cmdutil.Usagef("%s: the secret %s (it needs at least %d characters without spaces or control "+
			"characters; leave it out for a generated one)", what, why, wire.MinSecretLen)
	}
	return secret, "", nil
}

// keptSecret reads the secret kept in the config directory, or makes and
// keeps one (mode 0600); one that cannot be kept serves this run.
func (opts *options) keptSecret() (string, error) {
	path := filepath.Join(opts.ConfigDir(), "listen-secret")
	if b, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(b)); len(s) >= webhook.MinSecretLen {
			return s, nil
		}
	}
	s, err := webhook.NewSecret()
	if err != nil {
		return "", err
	}
	if os.MkdirAll(filepath.Dir(path), 0o700) == nil {
		_ = os.WriteFile(path, []byte(s+"\n"), 0o600)
	}
	return s, nil
}

// register points the callback settings of events at url with secret,
// and returns what it registered and an undo, to call on exit whatever
// happened, that removes what it created and restores what it replaced.
func register(opts *options, events []pave.EventName, url, secret string) ([]Registration, func(), error) {
	c, t, err := opts.Client()
	if err != nil {
		return nil, func() {}, err
	}
	if !opts.IsFake(t) && opts.PublicURL == "" {
		opts.IO.Notef("warning: registering this machine's address with %s, which cannot reach it; use --public-url "+
			"with a tunnel", t.BaseURL)
	}
	var undos []func(context.Context) error
	undo := func() {
		defer c.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var failed []string
		for _, u := range undos {
			if err := u(ctx); err != nil {
				failed = append(failed, err.Error())
			}
		}
		if len(failed) > 0 {
			opts.IO.Notef("could not remove every callback setting it registered: %s", strings.Join(failed, "; "))
		} else if len(undos) > 0 {
			opts.IO.Notef("removed the callback settings it registered")
		}
	}
	var out []Registration
	for _, ev := range events {
		ctx, cancel := context.WithTimeout(opts.Ctx, time.Minute)
		prev, err := c.Webhooks.Get(ctx, ev)
		if errors.Is(err, pave.ErrNotFound) {
			err = nil
		}
		var did pave.EnsureOutcome
		if err == nil {
			_, did, err = c.Webhooks.Ensure(ctx, pave.NewCallback(ev, url, secret))
		}
		cancel()
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "pave: ")
			return nil, undo, cmdutil.Exitf(cmdutil.Code(opts.Ctx, err), "--register %s: %s", ev, msg)
		}
		switch did {
		case pave.EnsureCreated:
			undos = append(undos, func(ctx context.Context) error { return c.Webhooks.Delete(ctx, ev) })
		case pave.EnsureUpdated:
			undos = append(undos, func(ctx context.Context) error {
				_, _, err := c.Webhooks.Ensure(ctx, prev)
				return err
			})
		}
		out = append(out, Registration{Event: ev, URL: url})
	}
	return out, undo, nil
}
