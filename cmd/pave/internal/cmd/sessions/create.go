package sessions

import (
	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
)

// createOptions are the options of pave sessions create.
type createOptions struct {
	*cmdutil.Factory
	settings settingsFlags
	NoQR     bool
}

func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	opts := &createOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an inspection session and print its capture link",
		Long: `Create an inspection session (POST /v1/sessions) and print its key and
capture link. On a terminal the link is also drawn as a QR code, to open it
with a phone's camera (--no-qr to leave it out; never when piped or with
--json). --json prints the session as PAVE returned it. Against a pave fake
server the link opens nothing: pave fake start|capture|complete KEY drive
the session instead, as the capture app would.

With --sms-to, PAVE texts the link to that number. Validation errors (a bad
VIN or phone number) exit with status 3 before anything is sent.`,
		Example: `  pave sessions create
  pave sessions create --vin 1HGCV1F39LA012345 --sms-to +14165550199 --sms-by "Lakeside Honda"
  pave sessions create --theme PRO --redirect-url https://crm.example/done --reference lead=88127
  pave sessions create --year 2020 --make Honda --model Accord --odometer 42000 --odometer-unit km --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCreate(cmd, opts) },
	}
	opts.settings.register(cmd)
	cmd.Flags().BoolVar(&opts.NoQR, "no-qr", false, "do not draw the capture link as a QR code on a terminal")
	f.AddTimeoutFlag(cmd)
	return cmd
}

func runCreate(cmd *cobra.Command, opts *createOptions) error {
	s, v, sms, err := opts.settings.build(cmd)
	if err != nil {
		return err
	}
	c, target, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()
	sess, err := c.Sessions.Create(opts.Ctx, &pave.CreateSessionRequest{Session: s, Vehicle: v, SMS: sms})
	if err != nil {
		return hint(cmd, err)
	}
	return opts.IO.Result(sess.Raw(), sess, func() {
		t := opts.IO.Table()
		t.Row("Session key:", sess.SessionKey)
		t.Row("Capture link:", report.Dash(sess.CaptureURL))
		t.Print()
		if opts.IsFake(target) {
			opts.IO.Notef("%s is a pave fake server: the link opens nothing; drive the session with "+
				"pave fake start|capture|complete %s", target.BaseURL, sess.SessionKey)
		}
		if opts.NoQR || sess.CaptureURL == "" || !opts.IO.IsTerminal() {
			return
		}
		if qr, err := CaptureQR(sess.CaptureURL); err == nil { // the link is printed; a QR code is a convenience
			opts.IO.Text("\n" + qr + "\nScan with a phone to open the capture link.\n")
		}
	})
}
