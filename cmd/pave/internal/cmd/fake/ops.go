package fake

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// op is a control operation on a session.
type op struct {
	name, action, short, example string
	// flags adds the operation's flags and returns the request body
	// builder (nil: no body).
	flags func(cmd *cobra.Command) func(cmd *cobra.Command) (any, error)
}

var ops = []op{
	{name: "start", action: "start", short: "Start the capture of an IDLE session (the user opened the link)",
		example: "  pave fake start NSA-7K2D5MZ8WP"},
	{name: "capture", action: "capture", short: "Capture one photo of a session, accepted or rejected",
		example: "  pave fake capture NSA-7K2D5MZ8WP --photo-code 4\n  pave fake capture NSA-7K2D5MZ8WP --photo-code 1 --rejected",
		flags: func(cmd *cobra.Command) func(*cobra.Command) (any, error) {
			var codes []string
			for c := pave.PhotoCode(1); c <= 13; c++ {
				codes = append(codes, fmt.Sprintf("%d %s", c, c.Label()))
			}
			code := cmd.Flags().Int("photo-code", 0, "the view captured (required): "+strings.Join(codes, ", "))
			rejected := cmd.Flags().Bool("rejected", false, "the photo fails the quality check (REJECTED: Wrong View)")
			return func(cmd *cobra.Command) (any, error) {
				switch {
				case !cmd.Flags().Changed("photo-code"):
					return nil, cmdutil.Usagef("fake capture: --photo-code is required (a view code 1-13)")
				case *code < 1 || *code > 13:
					return nil, cmdutil.Usagef("--photo-code %d: out of range, want a view code from 1 to 13", *code)
				}
				return map[string]any{"photo_code": *code, "accepted": !*rejected}, nil
			}
		}},
	{name: "complete", action: "complete", short: "Run the rest of a session's lifecycle up to COMPLETE, with results",
		example: "  pave fake complete NSA-7K2D5MZ8WP\n  pave fake complete NSA-7K2D5MZ8WP --json"},
	{name: "expire", action: "expire", short: "Expire an IDLE, STARTED or PROCESS session",
		example: "  pave fake expire NSA-7K2D5MZ8WP"},
	{name: "invalidate", action: "invalidate", short: "Mark a session INVALID (rejected during processing)",
		example: "  pave fake invalidate NSA-7K2D5MZ8WP"},
	{name: "note", action: "notes", short: "Attach a note to a session (fires SESSION:NOTE_INSERT)",
		example: `  pave fake note NSA-7K2D5MZ8WP --title "Scratch on bumper" --description "Customer mentioned it"`,
		flags: func(cmd *cobra.Command) func(*cobra.Command) (any, error) {
			title := cmd.Flags().String("title", "", "the note's title (required)")
			desc := cmd.Flags().String("description", "", "the note's text")
			return func(*cobra.Command) (any, error) {
				if strings.TrimSpace(*title) == "" {
					return nil, cmdutil.Usagef("fake note: --title is required and must not be blank")
				}
				return map[string]string{"title": *title, "description": *desc}, nil
			}
		}},
	{name: "sms", action: "sms", short: "Report the capture-link SMS as delivered or failed (fires SESSION:SMS_PROCESS)",
		example: "  pave fake sms NSA-7K2D5MZ8WP\n  pave fake sms NSA-7K2D5MZ8WP --failed --message Undeliverable",
		flags: func(cmd *cobra.Command) func(*cobra.Command) (any, error) {
			failed := cmd.Flags().Bool("failed", false, "the SMS was not delivered")
			message := cmd.Flags().String("message", "", "the provider's message (e.g. Undeliverable)")
			return func(cmd *cobra.Command) (any, error) {
				if cmd.Flags().Changed("message") && strings.TrimSpace(*message) == "" {
					return nil, cmdutil.Usagef("--message: must not be blank")
				}
				return map[string]any{"success": !*failed, "message": *message}, nil
			}
		}},
}

// keyArg checks the KEY argument of a control command.
func keyArg(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return cmdutil.Usagef("%s: missing the session key (%s KEY)", cmdutil.Path(cmd), cmd.CommandPath())
	case len(args) > 1:
		return cmdutil.Usagef("%s: one session key only, got %d arguments", cmdutil.Path(cmd), len(args))
	case strings.TrimSpace(args[0]) == "" || strings.ContainsFunc(args[0], func(r rune) bool { return r <= ' ' || r == '/' || r == 0x7f }):
		return cmdutil.Usagef("%s: session key %q is not a session key", cmdutil.Path(cmd), args[0])
	}
	return nil
}

func newOpCmds(f *cmdutil.Factory) []*cobra.Command {
	var cmds []*cobra.Command
	for _, o := range ops {
		cmd := &cobra.Command{
			Use:   o.name + " KEY",
			Short: o.short,
			Long: o.short + `.

It drives a fake running in another process (pave fake serve) through
POST /_fake/sessions/{key}/` + o.action + `, found from --base-url or
PAVE_BASE_URL, and prints the session's new status (--json: the session as the
fake answers it). The fake delivers the webhooks the change fires before it
answers. Exit status 4: no such session; 1: the session's status does not
allow it, or no fake server at the URL.`,
			Example: o.example,
			Args:    keyArg,
		}
		var body func(*cobra.Command) (any, error)
		if o.flags != nil {
			body = o.flags(cmd)
		}
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			var payload any = struct{}{}
			if body != nil {
				var err error
				if payload, err = body(cmd); err != nil {
					return err
				}
			}
			c, err := f.FakeControl()
			if err != nil {
				return err
			}
			sess, err := c.Act(f.Ctx, args[0], o.action, payload)
			if err != nil {
				return err
			}
			return f.IO.Result(sess.Raw(), sess, func() { f.IO.Printf("%s: %s\n", sess.SessionKey, sess.Status) })
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}
