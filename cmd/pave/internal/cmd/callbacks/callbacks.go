// Package callbacks is pave callbacks: list, show, ensure (ensure.go) and
// remove the callback settings that tell PAVE where to send webhooks.
package callbacks

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/cmd/pave/internal/output"
	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/internal/report"
)

// New returns pave callbacks.
func New(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.Group(&cobra.Command{
		Use:   "callbacks",
		Short: "Manage where PAVE sends webhooks (callback settings)",
		Long: `Callback settings tell PAVE where to send each webhook event for the API
key; the event names the setting, so a key has at most one per event.
EVENT is a full name (SESSION:COMPLETE) or a short one (complete,
stage_change, status_change, sms_process, note_insert), in any case.

Header values (which carry the webhook secret), payload values and URL query
values are always printed redacted, --json included.`,
		Example: `  pave callbacks list
  export PAVE_WEBHOOK_SECRET=$(openssl rand -hex 32)
  pave callbacks ensure complete https://crm.example/pave --secret-env PAVE_WEBHOOK_SECRET
  pave callbacks rm stage_change`,
	}, newCmdList(f), newCmdGet(f), newCmdEnsure(f), newCmdRm(f))
}

// eventArg makes c read its first argument, an EVENT, into ev before it
// runs, then run check (nil: none); the EVENT completes with the short
// names.
func eventArg(c *cobra.Command, ev *pave.EventName, check func(args []string) error) *cobra.Command {
	c.PreRunE = func(_ *cobra.Command, args []string) (err error) {
		if *ev, err = cmdutil.ParseEvent(args[0]); err == nil && check != nil {
			err = check(args)
		}
		return err
	}
	c.ValidArgsFunction = func(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveDefault
		}
		return cmdutil.CompleteEvents(cmd, args, s)
	}
	return c
}

// redacted is a setting as PAVE returned it, values redacted.
func redacted(cb pave.Callback) json.RawMessage {
	raw := cb.Raw()
	if len(raw) == 0 {
		raw, _ = json.Marshal(cb)
	}
	return redact.CallbackJSON(raw)
}

// printCallback prints one setting, values redacted.
func printCallback(f *cmdutil.Factory, cb *pave.Callback) {
	t := f.IO.Table()
	t.Row("Event:", cb.Event)
	t.Row("URL:", report.Dash(redact.URL(cb.URL)))
	t.Row("Method:", method(cb.Method))
	headers := "-"
	if len(cb.Headers) > 0 {
		headers = strings.Join(slices.Sorted(maps.Keys(cb.Headers)), ", ") + " (values hidden)"
	}
	t.Row("Headers:", headers)
	if len(cb.Payload) > 0 {
		t.Row("Payload:", strings.Join(slices.Sorted(maps.Keys(cb.Payload)), ", "))
	}
	t.Print()
}

// method is the HTTP method PAVE calls a setting's URL with.
func method(m string) string { return strings.ToUpper(cmp.Or(m, http.MethodPost)) }

func newCmdList(f *cmdutil.Factory) *cobra.Command {
	return f.API(&cobra.Command{
		Use:   "list",
		Short: "List the callback settings of the API key",
		Long: `List the callback settings of the API key (GET /v1/callbacks), with
header names only; --json prints them as PAVE returned them, values redacted.`,
		Example: "  pave callbacks list\n  pave callbacks list --json | jq -r '.[].event'",
	}, nil, func(c *pave.Client, _ []string) error {
		cbs, err := c.Webhooks.List(f.Ctx)
		if err != nil {
			return err
		}
		head := []string{"EVENT", "METHOD", "URL", "HEADERS"}
		return output.List(f.IO, cbs, []any{}, redacted, "No callback settings.", head, func(cb pave.Callback) []any {
			return []any{cb.Event, method(cb.Method), report.Dash(redact.URL(cb.URL)),
				report.Dash(strings.Join(slices.Sorted(maps.Keys(cb.Headers)), ", "))}
		})
	})
}

func newCmdGet(f *cmdutil.Factory) *cobra.Command {
	var ev pave.EventName
	return f.API(eventArg(&cobra.Command{
		Use:   "get EVENT",
		Short: "Show the callback setting of one event",
		Long: `Show the callback setting of one event (GET /v1/callbacks/{event}), with
header names only; --json prints it as PAVE returned it, values redacted.
An event without a setting exits with status 4.`,
		Example: "  pave callbacks get complete\n  pave callbacks get SESSION:STAGE_CHANGE --json",
	}, &ev, nil), nil, func(c *pave.Client, _ []string) error {
		cb, err := c.Webhooks.Get(f.Ctx, ev)
		if err != nil {
			return err
		}
		return f.IO.Result(redacted(*cb), nil, func() { printCallback(f, cb) })
	}, "EVENT")
}

func newCmdRm(f *cmdutil.Factory) *cobra.Command {
	var ev pave.EventName
	return f.API(eventArg(&cobra.Command{
		Use:     "rm EVENT",
		Aliases: []string{"delete"},
		Short:   "Delete the callback setting of an event",
		Long: `Delete the callback setting of an event (DELETE /v1/callbacks/{event}).
An event without a setting exits with status 4.`,
		Example: "  pave callbacks rm stage_change",
	}, &ev, nil), nil, func(c *pave.Client, _ []string) error {
		if err := c.Webhooks.Delete(f.Ctx, ev); err != nil {
			return err
		}
		return f.IO.Result(nil, map[string]any{"event": ev, "deleted": true}, func() {
			f.IO.Printf("Deleted the %s setting.\n", ev)
		})
	}, "EVENT")
}
