package fake

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/pavetest"
)

// control makes a control call without a session, do, and prints what
// it did, or with --json the value it answered (nil: {"done": did}).
func control(f *cmdutil.Factory, do func(c *pavetest.ControlClient) (v any, did string, err error)) error {
	c, err := f.FakeControl()
	if err != nil {
		return err
	}
	v, done, err := do(c.ControlClient)
	switch {
	case err != nil:
		return c.Err(err, "")
	case f.IO.JSON && v == nil:
		return f.IO.JSONValue(map[string]string{"done": done})
	case f.IO.JSON:
		return f.IO.JSONValue(v)
	}
	f.IO.Printf("%s\n", done)
	return nil
}

func newCmdReset(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "reset",
		Short: "Return a running fake server to its start state",
		Long: `reset forgets every session, callback setting, fault, recorded request and
delivery of the fake at --base-url or PAVE_BASE_URL, and resets its clock;
accounts and seed stay, so the same calls give the same session keys again
(POST /_fake/reset). Run it between tests.`,
		Example: "  pave fake reset",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return control(f, func(c *pavetest.ControlClient) (any, string, error) {
				return nil, "The fake server is back in its start state.", c.Reset(f.Ctx)
			})
		},
	}
}

func newCmdOpenAPI(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "openapi",
		Short: "Print the OpenAPI document a running fake server serves",
		Long: `openapi prints the OpenAPI 3.1 document of the control API of the fake at
--base-url or PAVE_BASE_URL (GET /_fake/openapi.json), to generate a client
in any language.`,
		Example: "  pave fake openapi > pave-fake.json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := f.FakeControl()
			if err != nil {
				return err
			}
			doc, err := c.OpenAPI(f.Ctx)
			if err != nil {
				return c.Err(err, "")
			}
			return f.IO.Raw(doc, string(doc))
		},
	}
}

func newCmdHotspots(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.Group(&cobra.Command{
		Use:     "hotspots",
		Short:   "Drive the Hotspots analysis of a running fake server",
		Example: "  pave fake hotspots process NSA-7K2D5MZ8WP",
	}, &cobra.Command{
		Use:   "process KEY",
		Short: "Finish the Hotspots analysis of a session's photos",
		Long: `process makes the fake finish analysing the photos uploaded to a Hotspots
session (POST /_fake/hotspots/{key}/process), as PAVE does later: its
results are then ready (pave hotspots results KEY).`,
		Example: "  pave fake hotspots process NSA-7K2D5MZ8WP",
		Args:    keyArg,
		RunE: func(_ *cobra.Command, args []string) error {
			return sessionCall(f, args[0], (*pavetest.ControlClient).ProcessHotspots)
		},
	})
}

// faultOptions are the options of pave fake fault add.
type faultOptions struct {
	pavetest.Fault
	RetryAfter, Delay time.Duration
}

func newCmdFault(f *cmdutil.Factory) *cobra.Command {
	var opts faultOptions
	add := &cobra.Command{
		Use:   "add",
		Short: "Make matching API requests misbehave",
		Long: `add injects a fault: the API requests it matches (--method, --path as a
pattern where * does not cross /, --path-prefix) are answered with --status
(and --body, --retry-after), delayed, cut short or dropped, --times times or
until removed. It prints the fault's id, for pave fake fault rm.`,
		Example: `  pave fake fault add --path '/v1/sessions/*/results' --status 503 --times 2 --retry-after 1s
  pave fake fault add --method POST --path /v1/sessions --drop
  pave fake fault add --path-prefix /v1/ --delay 3s`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			opts.Fault.RetryAfter, opts.Fault.Delay = opts.RetryAfter, opts.Delay
			return control(f, func(c *pavetest.ControlClient) (any, string, error) {
				id, err := c.Inject(f.Ctx, opts.Fault)
				return map[string]int{"id": id}, fmt.Sprintf("Added fault %d (pave fake fault rm %d removes it).", id, id), err
			})
		},
	}
	fl := add.Flags()
	fl.StringVar(&opts.Method, "method", "", "HTTP method matched (default any)")
	fl.StringVar(&opts.Path, "path", "", "path matched, exactly or as a pattern (* within a segment)")
	fl.StringVar(&opts.PathPrefix, "path-prefix", "", "path prefix matched")
	fl.IntVar(&opts.Status, "status", 0, "answer with this HTTP status")
	fl.StringVar(&opts.Body, "body", "", `body of the --status answer (default {"message": "<status text>."})`)
	fl.DurationVar(&opts.RetryAfter, "retry-after", 0, "add a Retry-After header")
	fl.DurationVar(&opts.Delay, "delay", 0, "wait this long before answering")
	fl.BoolVar(&opts.DropConnection, "drop", false, "close the connection without answering")
	fl.BoolVar(&opts.TruncateBody, "truncate", false, "send half the body, then close the connection")
	fl.IntVar(&opts.Times, "times", 0, "how many requests it applies to (default every one, until removed)")
	return cmdutil.Group(&cobra.Command{
		Use:   "fault",
		Short: "Add, list and remove the faults of a running fake server",
		Example: `  pave fake fault add --path /v1/callbacks --status 500 --times 1
  pave fake fault list
  pave fake fault rm 1`,
	}, add, newCmdFaultList(f), newCmdFaultRm(f))
}

func newCmdFaultList(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the active faults",
		Example: "  pave fake fault list --json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := f.FakeControl()
			if err != nil {
				return err
			}
			faults, err := c.Faults(f.Ctx)
			switch {
			case err != nil:
				return c.Err(err, "")
			case f.IO.JSON:
				out := make([]map[string]any, len(faults))
				for i, x := range faults {
					out[i] = map[string]any{"id": x.ID, "remaining": x.Remaining, "fault": x.Fault}
				}
				return f.IO.JSONValue(out)
			case len(faults) == 0:
				f.IO.Printf("No faults.\n")
				return nil
			}
			t := f.IO.Table("ID", "METHOD", "PATH", "DOES", "REMAINING")
			for _, x := range faults {
				t.Row(x.ID, cmp(x.Fault.Method, "any"), cmp(x.Fault.Path, x.Fault.PathPrefix+"*"), does(x.Fault),
					cmp(strconv.Itoa(x.Remaining), "until removed", x.Remaining < 0))
			}
			t.Print()
			return nil
		},
	}
}

// does says what a fault does.
func does(x pavetest.Fault) string {
	var what []string
	for _, d := range []struct {
		on   bool
		what string
	}{{x.Delay > 0, "delay " + x.Delay.String()}, {x.Status != 0, "answer " + strconv.Itoa(x.Status)},
		{x.DropConnection, "drop"}, {x.TruncateBody, "truncate"}, {x.ResetMidBody, "reset"}} {
		if d.on {
			what = append(what, d.what)
		}
	}
	return strings.Join(what, ", ")
}

// cmp is v, or alt when v is empty or when is set.
func cmp(v, alt string, when ...bool) string {
	if v == "" || len(when) > 0 && when[0] {
		return alt
	}
	return v
}

func newCmdFaultRm(f *cmdutil.Factory) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:     "rm [ID]",
		Short:   "Remove a fault (--all: every one)",
		Example: "  pave fake fault rm 1\n  pave fake fault rm --all",
		Args: func(cmd *cobra.Command, args []string) error {
			if all != (len(args) == 0) {
				return cmdutil.Usagef("%s: give a fault's ID (see pave fake fault list) or --all", cmdutil.Path(cmd))
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if all {
				return control(f, func(c *pavetest.ControlClient) (any, string, error) {
					return nil, "Removed every fault.", c.ResetFaults(f.Ctx)
				})
			}
			id, err := strconv.Atoi(args[0])
			if err != nil {
				return cmdutil.Usagef("fake fault rm %q: want a fault's numeric ID (see pave fake fault list)", args[0])
			}
			return control(f, func(c *pavetest.ControlClient) (any, string, error) {
				return nil, "Removed fault " + args[0] + ".", c.RemoveFault(f.Ctx, id)
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "remove every fault")
	return cmd
}
