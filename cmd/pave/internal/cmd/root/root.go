// Package root is the pave command: its global flags and, registered
// explicitly, its command groups.
package root

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave/cmd/pave/internal/cmd/callbacks"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/doctor"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/fake"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/hotspots"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/listen"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/probe"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/sessions"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/sign"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/track"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/version"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// New returns the root command of one run.
func New(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "pave",
		Short: "The PAVE vehicle-inspection API in a terminal, and a local stand-in for it",
		Long: `pave drives the PAVE API (sessions, callbacks, Hotspots) with the Go SDK's
signing, retries and error messages, and runs a stateful fake PAVE for tests
written in any language.

Credentials: --username/--api-key/--api-secret, else PAVE_USERNAME,
PAVE_API_KEY and PAVE_API_SECRET, else a profile of the config file
(--profile; the file must be readable by you alone). The API host:
--base-url, else PAVE_BASE_URL, else the profile's, else PAVE's. With no
credentials and a pave fake server as the host, its default account.

Exit status: 0 ok; 1 API or network error, or a timeout; 2 usage;
3 validation; 4 not found; 5 unauthorized (credentials or clock); 6 not
ready (results before COMPLETE, or a wait that gave up at its --timeout);
130 interrupted (Ctrl-C), 143 terminated.`,
		Example: `  pave fake serve &
  export PAVE_BASE_URL=http://127.0.0.1:8080   # commands sign as the fake's default account
  pave sessions create --vin 1HGCV1F39LA012345 --sms-to +14165550199
  pave doctor`,
		Version:       version.Line(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(f.In)
	root.SetOut(f.IO.Writer(false))
	root.SetErr(f.IO.Writer(true))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cmdutil.Usagef("%s: %v (see %s --help)", cmdutil.Path(c), err, c.CommandPath())
	})
	f.AddGlobalFlags(root)
	root.AddCommand(sessions.New(f), callbacks.New(f), hotspots.New(f), fake.New(f), listen.New(f),
		track.New(f), doctor.New(f), probe.New(f), sign.New(f), version.New(f))
	return root
}

// Run runs the command with args and returns the exit status, printing
// an error as one line on standard error.
func Run(f *cmdutil.Factory, args []string) int {
	root := New(f)
	root.SetArgs(args)
	err := root.ExecuteContext(f.Ctx)
	code := cmdutil.Code(f.Ctx, err)
	if err != nil && err.Error() != "" && code < cmdutil.ExitInterrupted {
		msg := err.Error()
		if strings.HasPrefix(msg, "unknown command") {
			msg += " (see pave --help)"
		}
		var se *cmdutil.StatusError // a message the command chose is complete
		if errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &se) {
			msg += " (a timeout: --timeout sets the bound of each attempt)"
		}
		f.IO.Notef("%s", msg)
	}
	return code
}
