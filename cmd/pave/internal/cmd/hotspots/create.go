package hotspots

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// createOptions are the options of pave hotspots create.
type createOptions struct {
	*cmdutil.Factory
	VIN, ClientID string
	References    []string
}

func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	opts := &createOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a session to submit photos to",
		Long: `Create the session Hotspots photos are submitted to (POST /v1/sessions)
and print its key. --json prints the session as PAVE returned it.`,
		Example: `  pave hotspots create
  pave hotspots create --vin 1HGCV1F39LA012345 --client-id STOCK-4411 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCreate(cmd, opts) },
	}
	cmd.Flags().StringVar(&opts.VIN, "vin", "", "vehicle VIN (optional)")
	cmd.Flags().StringVar(&opts.ClientID, "client-id", "", "your own ID for the session")
	cmd.Flags().StringArrayVar(&opts.References, "reference", nil, "pass-through data as KEY=VALUE (repeatable)")
	f.AddTimeoutFlag(cmd)
	return cmd
}

func runCreate(cmd *cobra.Command, opts *createOptions) error {
	var req pave.CreateSessionRequest
	if v := strings.TrimSpace(opts.VIN); v != "" {
		req.Vehicle = &pave.Vehicle{VIN: v}
	} else if cmd.Flags().Changed("vin") {
		return cmdutil.Usagef("--vin: must not be empty")
	}
	s := pave.SessionSettings{ClientID: strings.TrimSpace(opts.ClientID)}
	for _, kv := range opts.References {
		k, v, err := cmdutil.SplitKeyValue("--reference", kv, "KEY=VALUE")
		if err != nil {
			return err
		}
		if s.Reference == nil {
			s.Reference = map[string]any{}
		}
		s.Reference[k] = v
	}
	if s.ClientID != "" || s.Reference != nil {
		req.Session = &s
	}
	return opts.WithClient(func(c *pave.Client) error {
		sess, err := c.Hotspots.CreateSession(opts.Ctx, &req)
		if err != nil {
			return cmdutil.FlagHint(cmd, err, map[string]string{"vehicle.vin": "--vin", "session.client_id": "--client-id",
				"session.reference": "--reference"})
		}
		return opts.IO.Result(sess.Raw(), sess, func() { opts.IO.Printf("Session key: %s\n", sess.SessionKey) })
	})
}
