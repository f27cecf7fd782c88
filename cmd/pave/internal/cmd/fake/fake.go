// Package fake is pave fake: run the SDK's stateful fake PAVE as a
// process (serve.go), and drive it from another one: the session
// operations here, the other controls in control.go.
package fake

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/pavetest"
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

// call is a control call on one session.
type call func(c *pavetest.ControlClient, ctx context.Context, key string) (*pave.Session, error)

// keyArg checks the KEY argument of a control command.
func keyArg(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return cmdutil.Usagef("%s: missing the session key (%s KEY)", cmdutil.Path(cmd), cmd.CommandPath())
	case len(args) > 1:
		return cmdutil.Usagef("%s: one session key only, got %d arguments", cmdutil.Path(cmd), len(args))
	case strings.TrimSpace(args[0]) == "" || strings.ContainsFunc(args[0],
		func(r rune) bool { return r <= ' ' || r == '/' || r == 0x7f }):
		return cmdutil.Usagef("%s: session key %q is not a session key", cmdutil.Path(cmd), args[0])
	}
	return nil
}

// opCmd is the control operation call on a session as a command.
func opCmd(f *cmdutil.Factory, name, short, example string, call call) *cobra.Command {
	return &cobra.Command{
		Use:   name + " KEY",
		Short: short,
		Long: short + `.

It drives a fake running in another process (pave fake serve) through its
control API, found from --base-url or PAVE_BASE_URL, and prints the
session's new status (--json: the session as the fake answers it). The fake
delivers the webhooks the change fires in the background, as PAVE does
(before it answers when it runs with --async-webhooks=false). Exit status 4: no such session; 1: the session's
status does not allow it, or no fake server at the URL.`,
		Example: example,
		Args:    keyArg,
		RunE:    func(_ *cobra.Command, args []string) error { return sessionCall(f, args[0], call) },
	}
}

// newOpCmds returns the control operations on a session.
func newOpCmds(f *cmdutil.Factory) []*cobra.Command {
	var code int
	var rejected bool
	capture := opCmd(f, "capture", "Capture one photo of a session, accepted or rejected",
		"  pave fake capture NSA-7K2D5MZ8WP --photo-code 4\n  pave fake capture NSA-7K2D5MZ8WP --photo-code 1 --rejected",
		func(c *pavetest.ControlClient, ctx context.Context, key string) (*pave.Session, error) {
			return c.Capture(ctx, key, pave.PhotoCode(code), !rejected)
		})
	var codes []string
	for c := pave.PhotoCode(1); c <= 13; c++ {
		codes = append(codes, fmt.Sprintf("%d %s", c, c.Label()))
	}
	capture.Flags().IntVar(&code, "photo-code", 0, "the view captured (required): "+strings.Join(codes, ", "))
	capture.Flags().BoolVar(&rejected, "rejected", false, "the photo fails the quality check (REJECTED: Wrong View)")
	capture.PreRunE = func(cmd *cobra.Command, _ []string) error {
		switch {
		case !cmd.Flags().Changed("photo-code"):
			return cmdutil.Usagef("fake capture: --photo-code is required (a view code 1-13)")
		case code < 1 || code > 13:
			return cmdutil.Usagef("--photo-code %d: out of range, want a view code from 1 to 13", code)
		}
		return nil
	}

	var title, desc string
	note := opCmd(f, "note", "Attach a note to a session (fires SESSION:NOTE_INSERT)",
		`  pave fake note NSA-7K2D5MZ8WP --title "Scratch on bumper" --description "Customer mentioned it"`,
		func(c *pavetest.ControlClient, ctx context.Context, key string) (*pave.Session, error) {
			return c.AddNote(ctx, key, title, desc)
		})
	note.Flags().StringVar(&title, "title", "", "the note's title (required)")
	note.Flags().StringVar(&desc, "description", "", "the note's text")
	note.PreRunE = func(*cobra.Command, []string) error {
		if strings.TrimSpace(title) == "" {
			return cmdutil.Usagef("fake note: --title is required and must not be blank")
		}
		return nil
	}

	var failed bool
	var message string
	sms := opCmd(f, "sms", "Report the capture-link SMS as delivered or failed (fires SESSION:SMS_PROCESS)",
		"  pave fake sms NSA-7K2D5MZ8WP\n  pave fake sms NSA-7K2D5MZ8WP --failed --message Undeliverable",
		func(c *pavetest.ControlClient, ctx context.Context, key string) (*pave.Session, error) {
			return c.SetSMSResult(ctx, key, !failed, message)
		})
	sms.Flags().BoolVar(&failed, "failed", false, "the SMS was not delivered")
	sms.Flags().StringVar(&message, "message", "", "the provider's message (e.g. Undeliverable)")
	sms.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if cmd.Flags().Changed("message") && strings.TrimSpace(message) == "" {
			return cmdutil.Usagef("--message: must not be blank")
		}
		return nil
	}

	return []*cobra.Command{
		opCmd(f, "start", "Start the capture of an IDLE session (the user opened the link)",
			"  pave fake start NSA-7K2D5MZ8WP", (*pavetest.ControlClient).Start),
		capture,
		opCmd(f, "complete", "Run the rest of a session's lifecycle up to COMPLETE, with results",
			"  pave fake complete NSA-7K2D5MZ8WP\n  pave fake complete NSA-7K2D5MZ8WP --json",
			(*pavetest.ControlClient).Complete),
		opCmd(f, "expire", "Expire an IDLE, STARTED or PROCESS session",
			"  pave fake expire NSA-7K2D5MZ8WP", (*pavetest.ControlClient).Expire),
		opCmd(f, "invalidate", "Mark a session INVALID (rejected during processing)",
			"  pave fake invalidate NSA-7K2D5MZ8WP", (*pavetest.ControlClient).Invalidate),
		note, sms,
	}
}

// sessionCall makes a control call on the session key and prints the
// session's new status.
func sessionCall(f *cmdutil.Factory, key string, call call) error {
	return fakeCall(f, key, func(c *pavetest.ControlClient, ctx context.Context) (*pave.Session, error) {
		return call(c, ctx, key)
	}, func(sess *pave.Session) error {
		return f.IO.Result(sess.Raw(), sess, func() { f.IO.Printf("%s: %s\n", sess.SessionKey, sess.Status) })
	})
}
