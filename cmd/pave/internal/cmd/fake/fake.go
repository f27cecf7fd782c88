// Package fake is pave fake: run the SDK's stateful fake PAVE as a
// process, and drive it from another one.
package fake

import (
	"github.com/spf13/cobra"

	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// New returns pave fake.
func New(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "fake",
		Short: "Run a stateful fake PAVE, and drive its sessions from another process",
		Long: `pave fake serve runs the SDK's fake PAVE (package pavetest) as a process:
the whole API over HTTP, signed exactly like production, with sessions that
move through their lifecycle and webhooks delivered to the registered
callbacks. Tests written in any language point their PAVE client at it.

The other subcommands drive a fake running in another process through its
control API (/_fake/..., described by its OpenAPI document), as the capture
app and PAVE's pipeline would: start, capture, complete, expire, invalidate,
note, sms, hotspots process; fault add|list|rm and reset. They find it
from --base-url or PAVE_BASE_URL, and send the control token
(--control-token or PAVE_FAKE_CONTROL_TOKEN) when one is set.`,
		Example: `  pave fake serve --addr 127.0.0.1:8080 &
  export PAVE_BASE_URL=http://127.0.0.1:8080
  pave fake complete NSA-7K2D5MZ8WP
  pave fake capture NSA-7K2D5MZ8WP --photo-code 4 --rejected`,
	}, append([]*cobra.Command{newCmdServe(f), newCmdAccounts(f), newCmdReset(f), newCmdFault(f), newCmdHotspots(f),
		newCmdOpenAPI(f)}, newOpCmds(f)...)...)
	cmd.PersistentFlags().StringVar(&f.ControlTokenFlag, "control-token", "",
		"control token (default $"+cmdutil.EnvControlToken+"): serve requires it of every control request "+
			"(and needs one to listen on a non-loopback --addr); the other commands send it")
	return cmd
}
