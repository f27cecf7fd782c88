// Package listen is pave listen: receive PAVE webhooks locally, print
// each delivery, verify its secret, forward it to your app, and, against a
// pave fake server, register and remove the callback settings that send
// them.
package listen

import (
	"cmp"
	"context"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// path is the path the listener receives deliveries on.
const path = "/pave"

// options are the options of pave listen.
type options struct {
	*cmdutil.Factory
	cmd                                                   *cobra.Command
	Addr, ForwardTo, Events, Secret, SecretEnv, PublicURL string
	Register, ShowBody                                    bool
}

// New returns pave listen.
func New(f *cmdutil.Factory) *cobra.Command {
	opts := &options{Factory: f}
	opts.cmd = &cobra.Command{
		Use:   "listen",
		Short: "Receive PAVE webhooks locally: print each delivery, verify its secret, forward it",
		Long: `listen receives webhooks at http://<addr>/pave until SIGINT or SIGTERM and
prints one line per delivery: time, event, session key and what matters for
the event (a photo's verdict, an SMS status, a status change, the grade and
damage count, a note's title), never a name or phone number. With --json
each is one JSON line; the body, which carries customer data, only with
--show-body.

Deliveries must carry "Authorization: Bearer <secret>" (what
pave.NewCallback registers): --secret, the variable --secret-env names, else
a secret made once and kept (0600) in the pave config directory and printed
at start. Others are answered 401 and reported on stderr. --events limits
what is printed and forwarded (the rest is acknowledged with 204).

--forward-to sends each delivery on unchanged to your app and answers PAVE
with your app's status and body (502 when it cannot be reached), so PAVE
delivers again when your app failed.

--register points the callback settings of the events at the listener
(Webhooks.Ensure; --public-url registers a tunnel's URL instead) and, on
exit, removes what it created and restores what it replaced. Against a pave
fake server it registers unless --register=false.`,
		Example: `  pave listen
  PAVE_BASE_URL=http://127.0.0.1:8080 pave listen --forward-to http://localhost:3000/pave   # registers with the fake
  pave listen --forward-to http://localhost:3000/pave --secret-env PAVE_WEBHOOK_SECRET
  pave listen --addr 127.0.0.1:9000 --register --public-url https://abc123.tunnel.example/pave
  pave listen --json --show-body > deliveries.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(opts) },
	}
	fl := opts.cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:0", "listen address host:port (port 0: a free one)")
	fl.StringVar(&opts.ForwardTo, "forward-to", "",
		"forward each delivery to this http(s) URL, answering PAVE with its status")
	fl.StringVar(&opts.Events, "events", "",
		"comma-separated events to print and forward, e.g. COMPLETE,STAGE_CHANGE (default all; SESSION: may be left out)")
	fl.StringVar(&opts.Secret, "secret", "",
		"the deliveries' secret (default: generated once and kept; a flag is visible to other users of the machine)")
	fl.StringVar(&opts.SecretEnv, "secret-env", "", "name of an environment variable holding the deliveries' secret")
	fl.BoolVar(&opts.Register, "register", false,
		"register the listener's URL for the events with the account's callback settings (default: against a fake)")
	fl.StringVar(&opts.PublicURL, "public-url", "",
		"with --register: the URL to register (a tunnel to this listener) instead of the local one")
	fl.BoolVar(&opts.ShowBody, "show-body", false, "also print each delivery's body (customer data: names, phone numbers)")
	_ = opts.cmd.RegisterFlagCompletionFunc("events", cmdutil.CompleteEvents)
	return opts.cmd
}

// Start is the start message of --json.
type Start struct {
	URL        string           `json:"url"`
	Secret     string           `json:"secret,omitempty"`
	Events     []pave.EventName `json:"events"`
	ForwardTo  string           `json:"forward_to,omitempty"`
	Registered []Registration   `json:"registered,omitempty"`
}

func run(opts *options) error {
	l, err := newListener(opts)
	if err != nil {
		return err
	}
	var public string // the URL to register, when not the listener's
	registering := opts.register()
	if opts.cmd.Flags().Changed("public-url") {
		if !registering {
			return cmdutil.Usagef("--public-url: only used with --register (it is the URL registered with PAVE)")
		}
		u, err := parseURL("--public-url", opts.PublicURL)
		if err != nil {
			return err
		}
		public = u.String()
	}
	if err := cmdutil.CheckListenAddr("--addr", opts.Addr); err != nil {
		return err
	}
	secret, shown, err := opts.secret()
	if err != nil {
		return err
	}
	l.secret = secret
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return cmdutil.ListenError("--addr", opts.Addr, err)
	}
	local := ln.Addr().String()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		local = net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	start := Start{URL: "http://" + local + path, Secret: shown, Events: l.events}
	mux := http.NewServeMux()
	mux.Handle(path, l)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()

	if registering {
		var undo func()
		start.Registered, undo, err = register(opts, l.events, cmp.Or(public, start.URL), secret)
		defer undo()
		if err != nil {
			return err
		}
	}
	if l.forward != nil {
		start.ForwardTo = l.forward.String()
	}
	l.printStart(start)
	<-opts.Ctx.Done()
	opts.IO.Notef("listener stopped")
	return nil
}

// register reports whether to register: --register, or by default
// against a pave fake server.
func (opts *options) register() bool {
	if opts.cmd.Flags().Changed("register") {
		return opts.Register
	}
	t, err := opts.Credentials()
	return err == nil && opts.IsFake(t)
}

// parseURL checks a URL flag.
func parseURL(flag, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, cmdutil.Usagef("%s %q: want an absolute http:// or https:// URL", flag, raw)
	}
	return u, nil
}

// parseEvents reads --events.
func parseEvents(s string) ([]pave.EventName, error) {
	var out []pave.EventName
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		ev, err := cmdutil.ParseEvent(part)
		if err != nil {
			return nil, cmdutil.Usagef("--events: %v", err)
		}
		if !slices.Contains(out, ev) {
			out = append(out, ev)
		}
	}
	if len(out) == 0 {
		return nil, cmdutil.Usagef("--events: no event given (leave the flag out for all five)")
	}
	return out, nil
}
