package fake

import (
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/pavetest"
)

// serveOptions are the options of pave fake serve.
type serveOptions struct {
	*cmdutil.Factory
	cmd                   *cobra.Command
	Addr, AccountsFile    string
	Seed                  int64
	Strict, Lenient, Show bool
}

// controlEndpoints are the start message's list of control endpoints.
var controlEndpoints = []string{
	"GET    /_fake/sessions/{key}",
	"POST   /_fake/sessions/{key}/start | capture | complete | expire | invalidate | notes | sms",
	"POST   /_fake/hotspots/{key}/process",
	"GET    /_fake/requests, /_fake/deliveries (DELETE clears)",
	"POST   /_fake/faults (DELETE clears), GET/POST /_fake/clock",
	"GET    /_fake/accounts",
}

func newCmdServe(f *cmdutil.Factory) *cobra.Command {
	opts := &serveOptions{Factory: f}
	opts.cmd = &cobra.Command{
		Use:   "serve",
		Short: "Run the fake PAVE server until interrupted",
		Long: `serve runs a stateful fake PAVE on --addr until SIGINT or SIGTERM.

It prints its base URL, its accounts (usernames and API keys; the secrets only
with --show-secrets), the timestamp mode and the control endpoints. pave
commands pointed at the URL (--base-url or PAVE_BASE_URL) with no
credentials set sign as its default account automatically; GET
<url>/_fake/accounts lists every account with its secret. With --json the
start message is one JSON object on one line: {"base_url": ..., "accounts":
[...], "timestamps": ..., ...}.

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
		RunE: func(*cobra.Command, []string) error { return runServe(opts) },
	}
	fl := opts.cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "listen address host:port (port 0: a free one); non-loopback needs --control-token")
	fl.StringVar(&opts.AccountsFile, "accounts", "", "JSON file listing the accounts (default: one generated from --seed)")
	fl.Int64Var(&opts.Seed, "seed", 0, "seed of generated accounts, session keys and results: the same seed and calls give the same data")
	fl.BoolVar(&opts.Strict, "strict", false, "accept only the API-Timestamp form PAVE documents (2006-01-02T15:04:05Z; the default)")
	fl.BoolVar(&opts.Lenient, "lenient", false,
		"also accept API-Timestamp forms PAVE may refuse (RFC 3339 with fraction or offset, Unix seconds, RFC 1123)")
	fl.BoolVar(&opts.Show, "show-secrets", false, "print the accounts' API secrets in the start message")
	return opts.cmd
}

func runServe(opts *serveOptions) error {
	if opts.Strict && opts.Lenient {
		return cmdutil.Usagef("fake serve: --strict and --lenient exclude each other")
	}
	if err := cmdutil.CheckListenAddr("--addr", opts.Addr); err != nil {
		return err
	}
	o := pavetest.Options{Addr: opts.Addr, ControlToken: opts.ControlToken(), Seed: opts.Seed}
	if opts.Lenient {
		o.Timestamps = pavetest.Lenient
	}
	if opts.cmd.Flags().Changed("accounts") {
		var err error
		if o.Accounts, err = loadAccounts(opts.AccountsFile); err != nil {
			return err
		}
	}
	srv, err := pavetest.Start(pavetest.WithOptions(o))
	var oe *net.OpError
	switch {
	case errors.As(err, &oe) || errors.Is(err, syscall.EADDRINUSE):
		return cmdutil.ListenError("--addr", opts.Addr, err)
	case err != nil: // the options pavetest refused, named as flags
		return cmdutil.Usagef("%s", strings.NewReplacer("pavetest: ", "", `Addr "`+opts.Addr+`"`, "--addr "+opts.Addr,
			"ControlToken", "--control-token (or $"+cmdutil.EnvControlToken+")").Replace(err.Error()))
	}
	defer srv.Close()
	printStart(opts, srv, o)
	<-opts.Ctx.Done()
	srv.Close()
	opts.IO.Notef("fake server stopped")
	return nil
}

// Start is the start message of --json.
type Start struct {
	BaseURL       string    `json:"base_url"`
	Accounts      []Account `json:"accounts"`
	Control       []string  `json:"control_endpoints"`
	TokenRequired bool      `json:"control_token_required"`
	Timestamps    string    `json:"timestamps"`
	Seed          int64     `json:"seed"`
}

func printStart(opts *serveOptions, srv *pavetest.Server, o pavetest.Options) {
	st := Start{BaseURL: srv.URL, Accounts: listed(srv.Accounts(), opts.Show), Control: controlEndpoints,
		TokenRequired: o.ControlToken != "", Timestamps: strings.ToLower(o.Timestamps.String()), Seed: o.Seed}
	io := opts.IO
	if io.JSON {
		_ = io.JSONLine(st)
		return
	}
	io.Printf("pave fake server listening on %s\n", st.BaseURL)
	io.Printf("accounts (the first is the default):\n")
	t := io.Table()
	for _, a := range st.Accounts {
		row := []any{"  " + a.Username, "api key " + a.APIKey, "theme " + a.DefaultTheme}
		if opts.Show {
			row = []any{row[0], row[1], "api secret " + a.APISecret, row[2]}
		}
		t.Row(row...)
	}
	t.Print()
	list := "GET " + st.BaseURL + "/_fake/accounts"
	if st.TokenRequired {
		list += " (with the control token)"
	}
	if opts.Show {
		io.Printf("export PAVE_BASE_URL=%s (pave commands then sign as the default account); %s lists the accounts\n",
			st.BaseURL, list)
	} else {
		io.Printf("secrets are not shown (--show-secrets prints them): pave commands with PAVE_BASE_URL=%s and no "+
			"credentials sign as the default account automatically; %s lists every account with its secret\n", st.BaseURL, list)
	}
	if st.TokenRequired {
		io.Printf("control endpoints (each needs \"Authorization: Bearer <control token>\"):\n")
	} else {
		io.Printf("control endpoints (loopback only):\n")
	}
	for _, c := range controlEndpoints {
		io.Printf("  %s\n", c)
	}
	io.Printf("  or: pave fake start|capture|complete|expire|invalidate|note|sms KEY\n")
	io.Printf("timestamps %s, seed %d; Ctrl-C stops the server\n", st.Timestamps, st.Seed)
}
