package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/report"
)

func init() {
	commands = append(commands, callbacksCommand)
}

// redactedValue replaces secret values in what the callbacks commands print.
const redactedValue = "[REDACTED]"

func callbacksCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
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
		Args: cobra.NoArgs, // an unknown subcommand is a usage error
		RunE: groupHelp,
	}
	cmd.AddCommand(callbacksListCommand(a), callbacksGetCommand(a), callbacksEnsureCommand(a), callbacksRmCommand(a))
	return cmd
}

// parseEvent reads an EVENT argument: a documented event's full name or
// its short name (without "SESSION:", '-' for '_'), in any case.
func parseEvent(arg string) (pave.EventName, error) {
	want := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(arg), "-", "_"))
	for _, e := range pave.Events() {
		if want == string(e) || "SESSION:"+want == string(e) {
			return e, nil
		}
	}
	names := make([]string, 0, len(pave.Events()))
	for _, e := range pave.Events() {
		names = append(names, fmt.Sprintf("%s (%s)", e, strings.ToLower(strings.TrimPrefix(string(e), "SESSION:"))))
	}
	return "", usagef("unknown event %q: use one of %s", arg, strings.Join(names, ", "))
}

// callbackFieldFlags maps a setting's field paths to the flag or argument
// that sets them.
var callbackFieldFlags = map[string]string{
	"event":   "EVENT",
	"url":     "URL",
	"method":  "--method",
	"headers": "--header",
}

// callbackHint is withFlagHint for callback settings, whose header paths
// (headers.Authorization) name the header.
func callbackHint(err error) error {
	fields := maps.Clone(callbackFieldFlags)
	for path := range pave.FieldErrors(err) {
		if name, ok := strings.CutPrefix(path, "headers."); ok {
			fields[path] = "--header"
			if strings.EqualFold(name, "Authorization") {
				fields[path] = "--secret-env"
			}
		}
	}
	return withFlagHint(err, fields)
}

// redactedURL is the setting's URL as the SDK prints it: passwords and
// query values (but "event") hidden.
func redactedURL(cb pave.Callback) string {
	for _, at := range cb.LogValue().Group() {
		if at.Key == "url" {
			// The marker reads better unescaped in a query.
			return strings.ReplaceAll(at.Value.String(), url.QueryEscape(redactedValue), redactedValue)
		}
	}
	return redactedValue
}

// redactCallbackJSON returns a setting's object as PAVE returned it, with
// header values, payload values (but "event") and URL query values
// replaced by [REDACTED].
func redactCallbackJSON(cb pave.Callback) any {
	var obj map[string]any
	if raw := cb.Raw(); len(raw) == 0 || json.Unmarshal(raw, &obj) != nil || obj == nil {
		// No object as received: what the SDK decoded.
		obj = map[string]any{"event": cb.Event, "url": cb.URL, "method": cb.Method}
		if cb.Headers != nil {
			obj["headers"] = callbackHeadersAny(cb.Headers)
		}
		if cb.Payload != nil {
			obj["payload"] = cb.Payload
		}
	}
	redactAll := func(v any, keepEvent bool) any {
		switch m := v.(type) {
		case map[string]any:
			out := make(map[string]any, len(m))
			for k, val := range m {
				out[k] = redactedValue
				if keepEvent && k == "event" {
					out[k] = val
				}
			}
			return out
		case nil:
			return nil
		}
		return redactedValue
	}
	for _, field := range []string{"headers", "payload"} {
		v, ok := obj[field]
		if !ok {
			continue
		}
		keepEvent := field == "payload"
		if s, isString := v.(string); isString {
			// Sent as JSON text in a string: keep it so.
			var inner map[string]any
			if json.Unmarshal([]byte(s), &inner) == nil {
				b, _ := json.Marshal(redactAll(inner, keepEvent))
				obj[field] = string(b)
			} else if s != "" {
				obj[field] = redactedValue
			}
			continue
		}
		obj[field] = redactAll(v, keepEvent)
	}
	if u, ok := obj["url"].(string); ok {
		obj["url"] = redactedURL(pave.Callback{URL: u})
	}
	return obj
}

func callbackHeadersAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func methodOrPost(m string) string {
	if m == "" {
		return http.MethodPost
	}
	return strings.ToUpper(m)
}

func callbackNames[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// printCallback prints one setting, values redacted.
func (a *app) printCallback(cb *pave.Callback) error {
	tw := report.Table(a.stdout)
	fmt.Fprintf(tw, "Event:\t%s\n", cb.Event)
	fmt.Fprintf(tw, "URL:\t%s\n", report.Dash(redactedURL(*cb)))
	fmt.Fprintf(tw, "Method:\t%s\n", methodOrPost(cb.Method))
	if len(cb.Headers) > 0 {
		fmt.Fprintf(tw, "Headers:\t%s (values hidden)\n", strings.Join(callbackNames(cb.Headers), ", "))
	} else {
		fmt.Fprintf(tw, "Headers:\t-\n")
	}
	if len(cb.Payload) > 0 {
		fmt.Fprintf(tw, "Payload:\t%s\n", strings.Join(callbackNames(cb.Payload), ", "))
	}
	return tw.Flush()
}

func callbacksListCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the callback settings of the API key",
		Long: `List the callback settings of the API key (GET /v1/callbacks), with
header names only. --json prints the settings as PAVE returned them, values
redacted.`,
		Example: `  pave callbacks list
  pave callbacks list --json | jq -r '.[].event'`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				cbs, err := c.Webhooks.List(ctx)
				if err != nil {
					return err
				}
				if a.jsonOut {
					out := make([]any, len(cbs))
					for i, cb := range cbs {
						out[i] = redactCallbackJSON(cb)
					}
					return a.printJSON(out)
				}
				if len(cbs) == 0 {
					_, err := fmt.Fprintln(a.stdout, "No callback settings.")
					return err
				}
				tw := report.Table(a.stdout)
				fmt.Fprintln(tw, "EVENT\tMETHOD\tURL\tHEADERS")
				for _, cb := range cbs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cb.Event, methodOrPost(cb.Method), report.Dash(redactedURL(cb)),
						report.Dash(strings.Join(callbackNames(cb.Headers), ", ")))
				}
				return tw.Flush()
			})
		},
	}
}

func callbacksGetCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "get EVENT",
		Short: "Show the callback setting of one event",
		Long: `Show the callback setting of one event (GET /v1/callbacks/{event}),
with header names only; --json prints it as PAVE returned it, values
redacted. An event without a setting exits with status 4.`,
		Example: `  pave callbacks get complete
  pave callbacks get SESSION:STAGE_CHANGE --json`,
		Args: argsNamed("EVENT"),
		RunE: func(_ *cobra.Command, args []string) error {
			event, err := parseEvent(args[0])
			if err != nil {
				return err
			}
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				cb, err := c.Webhooks.Get(ctx, event)
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(redactCallbackJSON(*cb))
				}
				return a.printCallback(cb)
			})
		},
	}
}

var callbackMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func callbacksEnsureCommand(a *app) *cobra.Command {
	var headers []string
	var secretEnv, method string
	cmd := &cobra.Command{
		Use:   "ensure EVENT URL",
		Short: "Make the callback setting of an event be exactly this one",
		Long: `Make PAVE's callback setting for EVENT send to URL with these headers,
creating or replacing it, and leave it alone when it already matches (safe
to run at every deployment). It prints whether the setting was created,
updated or already matched, read from the setting before and after.

--secret-env names an environment variable holding the webhook secret
(at least 16 characters, e.g. openssl rand -hex 32): PAVE then sends
"Authorization: Bearer <secret>", which package webhook checks, plus
X-Pave-Event and {"event": EVENT} in the body. The secret is never printed.`,
		Example: `  export PAVE_WEBHOOK_SECRET=$(openssl rand -hex 32)
  pave callbacks ensure complete https://crm.example/pave --secret-env PAVE_WEBHOOK_SECRET
  pave callbacks ensure SESSION:STATUS_CHANGE https://crm.example/pave --header X-Tenant=north --method PUT`,
		Args: argsNamed("EVENT", "URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			event, err := parseEvent(args[0])
			if err != nil {
				return err
			}
			target := strings.TrimSpace(args[1])
			cb := &pave.Callback{Event: event, URL: target}
			if cmd.Flags().Changed("secret-env") {
				name := strings.TrimSpace(secretEnv)
				if name == "" {
					return usagef("--secret-env: name an environment variable holding the webhook secret")
				}
				secret := strings.TrimSpace(a.getenv(name))
				if secret == "" {
					return usagef("--secret-env %s: the variable is not set or empty", name)
				}
				cb = pave.NewCallback(event, target, secret)
			}
			for _, h := range headers {
				k, v, err := splitKeyValue("--header", h, "NAME=VALUE")
				if err != nil {
					return err
				}
				if cmd.Flags().Changed("secret-env") && strings.EqualFold(k, "Authorization") {
					return usagef("--header %s: the secret from --secret-env is sent as Authorization already", k)
				}
				if cb.Headers == nil {
					cb.Headers = map[string]string{}
				}
				for old := range cb.Headers {
					if strings.EqualFold(old, k) {
						delete(cb.Headers, old)
					}
				}
				cb.Headers[k] = v
			}
			if cmd.Flags().Changed("method") {
				m := strings.ToUpper(strings.TrimSpace(method))
				if !slices.Contains(callbackMethods, m) {
					return usagef("--method %q: must be one of %s", method, strings.Join(callbackMethods, ", "))
				}
				cb.Method = m
			}
			if err := cb.Validate(); err != nil {
				return callbackHint(err)
			}
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				after, did, err := c.Webhooks.Ensure(ctx, cb)
				if err != nil {
					return callbackHint(err)
				}
				outcome := string(did)
				if a.jsonOut {
					return a.printJSON(map[string]any{"outcome": outcome, "callback": redactCallbackJSON(*after)})
				}
				say := map[string]string{
					"created":   "Created the %s setting.\n",
					"updated":   "Updated the %s setting.\n",
					"unchanged": "The %s setting already matched; nothing written.\n",
				}[outcome]
				fmt.Fprintf(a.stdout, say, event)
				return a.printCallback(after)
			})
		},
	}
	cmd.Flags().StringArrayVar(&headers, "header", nil, "extra header PAVE sends, as NAME=VALUE (repeatable)")
	cmd.Flags().StringVar(&secretEnv, "secret-env", "", "environment variable holding the webhook secret (sent as Authorization: Bearer)")
	cmd.Flags().StringVar(&method, "method", "", "HTTP method PAVE calls URL with (default POST)")
	return cmd
}

// sameCallback reports whether two settings read from PAVE are equal in
// what a setting sets.
func sameCallback(x, y *pave.Callback) bool {
	if x.URL != y.URL || methodOrPost(x.Method) != methodOrPost(y.Method) || len(x.Headers) != len(y.Headers) {
		return false
	}
	for k, v := range x.Headers {
		if y.Headers[k] != v {
			return false
		}
	}
	jx, errx := json.Marshal(x.Payload)
	jy, erry := json.Marshal(y.Payload)
	if errx != nil || erry != nil {
		return reflect.DeepEqual(x.Payload, y.Payload)
	}
	return string(jx) == string(jy) || len(x.Payload) == 0 && len(y.Payload) == 0
}

func callbacksRmCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "rm EVENT",
		Aliases: []string{"delete"},
		Short:   "Delete the callback setting of an event",
		Long: `Delete the callback setting of an event (DELETE /v1/callbacks/{event}).
An event without a setting exits with status 4.`,
		Example: `  pave callbacks rm stage_change`,
		Args:    argsNamed("EVENT"),
		RunE: func(_ *cobra.Command, args []string) error {
			event, err := parseEvent(args[0])
			if err != nil {
				return err
			}
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				if err := c.Webhooks.Delete(ctx, event); err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(map[string]any{"event": event, "deleted": true})
				}
				_, err := fmt.Fprintf(a.stdout, "Deleted the %s setting.\n", event)
				return err
			})
		},
	}
}
