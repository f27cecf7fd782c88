package fake

import (
	"cmp"
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/cmd/pave/internal/output"
	"github.com/pave-go/pave/pavetest"
)

// fakeCall makes one control call, about the session key ("" for none),
// and prints its answer with print.
func fakeCall[T any](f *cmdutil.Factory, key string, call func(*pavetest.ControlClient, context.Context) (T, error),
	print func(T) error) error {
	c, err := f.FakeControl()
	if err != nil {
		return err
	}
	v, err := call(c.ControlClient, f.Ctx)
	if err != nil {
		return c.Err(err, key)
	}
	return print(v)
}

// fakeDo makes a control call without an answer and prints what it did
// ({"done": did} with --json).
func fakeDo(f *cmdutil.Factory, call func(*pavetest.ControlClient, context.Context) error, did string) error {
	return fakeCall(f, "", func(c *pavetest.ControlClient, ctx context.Context) (map[string]string, error) {
		return map[string]string{"done": did}, call(c, ctx)
	}, func(v map[string]string) error { return f.IO.Result(nil, v, func() { f.IO.Printf("%s\n", did) }) })
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
			return fakeDo(f, (*pavetest.ControlClient).Reset, "The fake server is back in its start state.")
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
			return fakeCall(f, "", (*pavetest.ControlClient).OpenAPI, func(doc []byte) error {
				return f.IO.Raw(doc, string(doc))
			})
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

func newCmdFault(f *cmdutil.Factory) *cobra.Command {
	var fault pavetest.Fault
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
			inject := func(c *pavetest.ControlClient, ctx context.Context) (int, error) { return c.Inject(ctx, fault) }
			return fakeCall(f, "", inject, func(id int) error {
				return f.IO.Result(nil, map[string]int{"id": id}, func() {
					f.IO.Printf("Added fault %d (pave fake fault rm %d removes it).\n", id, id)
				})
			})
		},
	}
	fl := add.Flags()
	fl.StringVar(&fault.Method, "method", "", "HTTP method matched (default any)")
	fl.StringVar(&fault.Path, "path", "", "path matched, exactly or as a pattern (* within a segment)")
	fl.StringVar(&fault.PathPrefix, "path-prefix", "", "path prefix matched")
	fl.IntVar(&fault.Status, "status", 0, "answer with this HTTP status")
	fl.StringVar(&fault.Body, "body", "", `body of the --status answer (default {"message": "<status text>."})`)
	fl.DurationVar(&fault.RetryAfter, "retry-after", 0, "add a Retry-After header")
	fl.DurationVar(&fault.Delay, "delay", 0, "wait this long before answering")
	fl.BoolVar(&fault.DropConnection, "drop", false, "close the connection without answering")
	fl.BoolVar(&fault.TruncateBody, "truncate", false, "send half the body, then close the connection")
	fl.IntVar(&fault.Times, "times", 0, "how many requests it applies to (default every one, until removed)")
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
			return fakeCall(f, "", (*pavetest.ControlClient).Faults, func(faults []pavetest.InjectedFault) error {
				out := make([]map[string]any, len(faults))
				for i, x := range faults {
					out[i] = map[string]any{"id": x.ID, "remaining": x.Remaining, "fault": x.Fault}
				}
				head := []string{"ID", "METHOD", "PATH", "DOES", "REMAINING"}
				return output.List(f.IO, faults, out, nil, "No faults.", head, func(x pavetest.InjectedFault) []any {
					remaining := strconv.Itoa(x.Remaining)
					if x.Remaining < 0 {
						remaining = "until removed"
					}
					return []any{x.ID, cmp.Or(x.Fault.Method, "any"), cmp.Or(x.Fault.Path, x.Fault.PathPrefix+"*"),
						does(x.Fault), remaining}
				})
			})
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
				return fakeDo(f, (*pavetest.ControlClient).ResetFaults, "Removed every fault.")
			}
			id, err := strconv.Atoi(args[0])
			if err != nil {
				return cmdutil.Usagef("fake fault rm %q: want a fault's numeric ID (see pave fake fault list)", args[0])
			}
			return fakeDo(f, func(c *pavetest.ControlClient, ctx context.Context) error { return c.RemoveFault(ctx, id) },
				"Removed fault "+args[0]+".")
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "remove every fault")
	return cmd
}
