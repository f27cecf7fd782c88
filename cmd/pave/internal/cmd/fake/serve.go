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
	cmd                        *cobra.Command
	o                          pavetest.Options
	AccountsFile               string
	Strict, Lenient, Show, Log bool
}

// controlEndpoints are the start message's list of control endpoints.
var controlEndpoints = []string{
	"GET    /_fake/sessions/{key}",
	"POST   /_fake/sessions/{key}/start | capture | complete | expire | invalidate | notes | sms",
	"POST   /_fake/hotspots/{key}/process",
	"GET    /_fake/requests, /_fake/deliveries (DELETE clears)",
	"POST   /_fake/faults (DELETE clears), GET/POST /_fake/clock",
	"GET    /_fake/accounts, /_fake/health, /_fake/openapi.json; POST /_fake/reset",
}

func newCmdServe(f *cmdutil.Factory) *cobra.Command {
	opts := &serveOptions{Factory: f}
	opts.cmd = &cobra.Command{
		Use:   "serve",
		Short: "Run the fake PAVE server until interrupted",
		Long: `serve runs a stateful fake PAVE on --addr until SIGINT or SIGTERM. It prints
its URL, its accounts (secrets only with --show-secrets), the timestamp mode,
its health and OpenAPI URLs and the control endpoints; with --json one JSON
object on one line. pave commands pointed at it (--base-url or
PAVE_BASE_URL) with no credentials sign as its default account.

--accounts reads a JSON list of accounts, each {"username", "api_key",
"api_secret"} and optionally "account_name" and "default_theme"; the first is
the default (what GET /_fake/accounts answers is accepted too). Without it,
one account is generated from --seed. The other flags choose how the fake
reads what PAVE leaves open (see each).

A non-loopback --addr (0.0.0.0:8080 in a container) needs a control token:
every control request must then carry "Authorization: Bearer <token>".`,
		Example: `  pave fake serve
  pave fake serve --addr 127.0.0.1:0 --json --show-secrets   # a free port, for scripts
  pave fake serve --accounts testdata/accounts.json --seed 42 --lenient
  PAVE_FAKE_CONTROL_TOKEN=$(openssl rand -hex 16) pave fake serve --addr 0.0.0.0:8080`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runServe(opts) },
	}
	fl, o := opts.cmd.Flags(), &opts.o
	fl.StringVar(&o.Addr, "addr", "127.0.0.1:8080",
		"listen address host:port (port 0: a free one); non-loopback needs --control-token")
	fl.StringVar(&opts.AccountsFile, "accounts", "", "JSON file listing the accounts (default: one generated from --seed)")
	fl.Int64Var(&o.Seed, "seed", 0,
		"seed of generated accounts, session keys and results: the same seed and calls give the same data")
	fl.BoolVar(&opts.Strict, "strict", false,
		"accept only the API-Timestamp form PAVE documents (2006-01-02T15:04:05Z; the default)")
	fl.BoolVar(&opts.Lenient, "lenient", false,
		"also accept API-Timestamp forms PAVE may refuse (RFC 3339 with fraction or offset, Unix seconds, RFC 1123)")
	fl.BoolVar(&opts.Show, "show-secrets", false, "print the accounts' API secrets in the start message")
	fl.IntVar(&o.NotReadyStatus, "not-ready-status", 200,
		`status of "Session is not yet completed." (results before COMPLETE): 200, as PAVE's sample, or 400`)
	fl.BoolVar(&o.ResultsVehicleInSession, "vehicle-in-session", false,
		`put the results' vehicle inside "session" (the other reading of PAVE's sample)`)
	fl.BoolVar(&o.RichWebhooks, "rich-webhooks", false,
		"add to deliveries the fields PAVE does not document (event, previous_status...)")
	fl.BoolVar(&o.HotspotsCroppedImages, "hotspots-cropped-images", false,
		"add a cropped_image_url to each Hotspots damage")
	fl.DurationVar(&o.ResultsDelay, "results-delay", 0,
		"hold results back this long in fake time (PAVE's queued results; advance the clock)")
	fl.BoolVar(&o.MaskPII, "mask-pii", false, "mask VINs, plates and phone numbers as PAVE's PII-mask keys do")
	fl.BoolVar(&o.AsyncWebhooks, "async-webhooks", true,
		"deliver webhooks in the background, in order per session, as PAVE does (--async-webhooks=false: before "+
			"answering the control call); POST /_fake/deliveries/flush waits for them")
	fl.BoolVar(&opts.Log, "log", false, "log each request and delivery attempt to standard error, one line each")
	fl.BoolVar(&o.LogJSON, "log-json", false, "the same log as JSON lines")
	return opts.cmd
}

func runServe(opts *serveOptions) error {
	o := opts.o
	if opts.Strict && opts.Lenient {
		return cmdutil.Usagef("fake serve: --strict and --lenient exclude each other")
	}
	if err := cmdutil.CheckListenAddr("--addr", o.Addr); err != nil {
		return err
	}
	o.ControlToken = opts.ControlToken()
	if opts.Lenient {
		o.Timestamps = pavetest.Lenient
	}
	if opts.Log || o.LogJSON {
		o.Log = opts.IO.Writer(true)
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
		return cmdutil.ListenError("--addr", o.Addr, err)
	case err != nil: // the options pavetest refused, named as flags
		return cmdutil.Usagef("%s", strings.NewReplacer("pavetest: ", "", `Addr "`+o.Addr+`"`, "--addr "+o.Addr,
			"ControlToken", "--control-token (or $"+cmdutil.EnvControlToken+")", "NotReadyStatus", "--not-ready-status",
			"ResultsDelay", "--results-delay").Replace(err.Error()))
	}
	printStart(opts, srv, o)
	<-opts.Ctx.Done()
	srv.Close()
	opts.IO.Notef("fake server stopped")
	return nil
}

// Start is the start message of --json.
type Start struct {
	BaseURL       string    `json:"base_url"`
	HealthURL     string    `json:"health_url"`
	OpenAPIURL    string    `json:"openapi_url"`
	AccountsURL   string    `json:"accounts_url"`
	Accounts      []Account `json:"accounts"`
	Control       []string  `json:"control_endpoints"`
	TokenRequired bool      `json:"control_token_required"`
	Timestamps    string    `json:"timestamps"`
	Seed          int64     `json:"seed"`
}

func printStart(opts *serveOptions, srv *pavetest.Server, o pavetest.Options) {
	st := Start{BaseURL: srv.URL, HealthURL: srv.URL + "/_fake/health", OpenAPIURL: srv.URL + "/_fake/openapi.json",
		AccountsURL: srv.URL + "/_fake/accounts", Accounts: listed(srv.Accounts(), opts.Show), Control: controlEndpoints,
		TokenRequired: o.ControlToken != "", Timestamps: strings.ToLower(o.Timestamps.String()), Seed: o.Seed}
	io := opts.IO
	if io.JSON {
		_ = io.JSONLine(st)
		return
	}
	io.Printf("pave fake server listening on %s\n", st.BaseURL)
	io.Printf("timestamps %s; health %s; OpenAPI document %s\n", st.Timestamps, st.HealthURL, st.OpenAPIURL)
	printAccounts(opts.Factory, st.Accounts, opts.Show)
	secrets, token := "secrets not shown (--show-secrets prints them); ", "loopback only"
	if opts.Show {
		secrets = ""
	}
	if st.TokenRequired {
		token = `each needs "Authorization: Bearer <control token>"`
	}
	io.Printf("%spave commands with PAVE_BASE_URL=%s and no credentials sign as the default account automatically; "+
		"GET %s lists every account with its secret\ncontrol endpoints (%s):\n", secrets, st.BaseURL, st.AccountsURL, token)
	for _, c := range controlEndpoints {
		io.Printf("  %s\n", c)
	}
	io.Printf("  or: pave fake start|capture|complete|expire|invalidate|note|sms KEY, fault, reset\n"+
		"seed %d; Ctrl-C stops the server\n", st.Seed)
}
