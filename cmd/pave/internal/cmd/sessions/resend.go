package sessions

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// resendOptions are the options of pave sessions resend.
type resendOptions struct {
	keyOptions
	Phone string
}

func newCmdResend(f *cmdutil.Factory) *cobra.Command {
	opts := &resendOptions{keyOptions: keyOptions{Factory: f}}
	cmd := &cobra.Command{
		Use:   "resend KEY",
		Short: "Text the capture link once more",
		Long: `Ask PAVE to text the capture link again (POST
/v2/capture/sessions/{key}/resend), to the original number or to --phone.
PAVE allows one resend per session, within 7 days, before the photos pass
quality control.`,
		Example: `  pave sessions resend NSA-7K2D5MZ8WP
  pave sessions resend NSA-7K2D5MZ8WP --phone +14165550199`,
	}
	cmd.Flags().StringVar(&opts.Phone, "phone", "", "text this number instead of the original one")
	return newKeyCmd(&opts.keyOptions, cmd, func(*keyOptions) error { return runResend(opts) })
}

func runResend(opts *resendOptions) error {
	var req *pave.ResendSMSRequest
	if opts.cmd.Flags().Changed("phone") {
		if strings.TrimSpace(opts.Phone) == "" {
			return cmdutil.Usagef("--phone: must not be empty")
		}
		req = &pave.ResendSMSRequest{Phone: strings.TrimSpace(opts.Phone)}
	}
	return opts.WithClient(func(c *pave.Client) error {
		res, err := c.Sessions.ResendSMS(opts.Ctx, opts.Key, req)
		if err != nil {
			return hint(opts.cmd, err)
		}
		return opts.IO.Result(res.Raw(), res, func() {
			msg := res.Message
			if msg == "" {
				msg = "SMS resend has been processed"
			}
			opts.IO.Printf("Session %s: %s.\n", opts.Key, strings.TrimSuffix(msg, "."))
		})
	})
}
