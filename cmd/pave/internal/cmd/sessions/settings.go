package sessions

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
)

// settingsFlags are the settings create and update send. What the SDK
// validates (theme, year, odometer, VIN, phones, URLs) it validates, with
// exit status 3 and the flag named; the flags check only what it cannot
// see (a blank value, a unit without a reading).
type settingsFlags struct {
	vin, smsTo, smsToName, smsFrom, smsBy  string
	redirectURL, theme, language, clientID string
	references                             []string
	year, odometer                         int
	odometerUnit, make, model              string
}

// settingsFlagNames are the flags settingsFlags registers.
var settingsFlagNames = []string{"vin", "sms-to", "sms-to-name", "sms-from", "sms-by", "redirect-url", "theme",
	"language", "client-id", "reference", "year", "make", "model", "odometer", "odometer-unit"}

func (s *settingsFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&s.vin, "vin", "", "vehicle VIN (17 characters)")
	fl.StringVar(&s.smsTo, "sms-to", "", "text the capture link to this phone number")
	fl.StringVar(&s.smsToName, "sms-to-name", "", "name of the person the link is texted to")
	fl.StringVar(&s.smsFrom, "sms-from", "", "phone number that receives the results")
	fl.StringVar(&s.smsBy, "sms-by", "", "dealer name the SMS is sent by")
	fl.StringVar(&s.redirectURL, "redirect-url", "", "where the phone goes after the last photo (absolute URL)")
	fl.StringVar(&s.theme, "theme", "", "capture experience: LITE, PRO or CAPT")
	fl.StringVar(&s.language, "language", "", "capture UI language code (e.g. EN)")
	fl.StringVar(&s.clientID, "client-id", "", "your own ID for the session, echoed back by PAVE")
	fl.StringArrayVar(&s.references, "reference", nil, "pass-through data as KEY=VALUE (repeatable; never sensitive data)")
	fl.IntVar(&s.year, "year", 0, "vehicle model year (1900-2100)")
	fl.StringVar(&s.make, "make", "", "vehicle make")
	fl.StringVar(&s.model, "model", "", "vehicle model")
	fl.IntVar(&s.odometer, "odometer", 0, "odometer reading (0 or more)")
	fl.StringVar(&s.odometerUnit, "odometer-unit", "", "unit of --odometer: KILOMETRES (km) or MILES (mi)")
	_ = cmd.RegisterFlagCompletionFunc("theme", cmdutil.Complete("LITE", "PRO", "CAPT"))
	_ = cmd.RegisterFlagCompletionFunc("odometer-unit", cmdutil.Complete("KILOMETRES", "MILES"))
}

// build returns the parts of a create or update body the flags set (nil
// parts for nothing set).
func (s *settingsFlags) build(cmd *cobra.Command) (*pave.UpdateSessionRequest, error) {
	changed := cmd.Flags().Changed
	for _, f := range [][2]string{{"vin", s.vin}, {"sms-to", s.smsTo}, {"sms-from", s.smsFrom},
		{"redirect-url", s.redirectURL}} {
		if changed(f[0]) && strings.TrimSpace(f[1]) == "" {
			return nil, cmdutil.Usagef("--%s: must not be empty", f[0])
		}
	}
	set := pave.SessionSettings{Theme: pave.Theme(strings.ToUpper(strings.TrimSpace(s.theme))),
		RedirectURL: strings.TrimSpace(s.redirectURL), ClientID: strings.TrimSpace(s.clientID)}
	if l := strings.TrimSpace(s.language); changed("language") && (l == "" || strings.ContainsFunc(l, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_')
	})) {
		return nil, cmdutil.Usagef("--language %q: must be a language code such as EN", s.language)
	}
	set.Language = pave.Language(strings.TrimSpace(s.language))
	var err error
	if set.Reference, err = cmdutil.References(s.references); err != nil {
		return nil, err
	}
	v := pave.Vehicle{VIN: strings.TrimSpace(s.vin), Make: strings.TrimSpace(s.make), Model: strings.TrimSpace(s.model)}
	if changed("year") {
		v.Year = pave.Int(s.year)
	}
	if changed("odometer") {
		v.OdomReading = pave.Int(s.odometer)
	}
	if changed("odometer-unit") {
		u := pave.OdometerUnit(strings.ToUpper(strings.TrimSpace(s.odometerUnit)))
		switch strings.ToLower(string(u)) { // the usual abbreviations
		case "km", "kms", "kilometers", "kilometre", "kilometer":
			u = pave.Kilometres
		case "mi", "mile":
			u = pave.Miles
		}
		switch v.OdomUnit = u; {
		case !u.Known():
			return nil, cmdutil.Usagef("--odometer-unit %q: must be KILOMETRES or MILES", s.odometerUnit)
		case !changed("odometer"):
			return nil, cmdutil.Usagef("--odometer-unit: needs --odometer")
		}
	}
	sms := pave.SMS{To: strings.TrimSpace(s.smsTo), ToName: strings.TrimSpace(s.smsToName),
		From: strings.TrimSpace(s.smsFrom), By: strings.TrimSpace(s.smsBy)}
	req := &pave.UpdateSessionRequest{Vehicle: nonZero(v), SMS: nonZero(sms)}
	if set.Theme != "" || set.Language != "" || set.RedirectURL != "" || set.ClientID != "" || set.Reference != nil {
		req.Session = &set
	}
	return req, nil
}

// nonZero returns &v, or nil for the zero value.
func nonZero[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	var settings settingsFlags
	var noQR bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an inspection session and print its capture link",
		Long: `Create an inspection session (POST /v1/sessions) and print its key and
capture link, on a terminal also as a QR code to open with a phone's camera
(not with --no-qr or --json). --json prints the session as PAVE returned it.
Against a pave fake server the link opens nothing: pave fake
start|capture|complete KEY drive the session, as the capture app would.

With --sms-to, PAVE texts the link to that number. Validation errors (a bad
VIN or phone number) exit with status 3 before anything is sent.`,
		Example: `  pave sessions create
  pave sessions create --vin 1HGCV1F39LA012345 --sms-to +14165550199 --sms-by "Lakeside Honda"
  pave sessions create --theme PRO --redirect-url https://crm.example/done --reference lead=88127
  pave sessions create --year 2020 --make Honda --model Accord --odometer 42000 --odometer-unit km --json`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		r, err := settings.build(cmd)
		if err != nil {
			return err
		}
		c, target, err := f.Client()
		if err != nil {
			return err
		}
		defer c.CloseIdleConnections()
		sess, err := c.Sessions.Create(f.Ctx, &pave.CreateSessionRequest{Session: r.Session, Vehicle: r.Vehicle, SMS: r.SMS})
		if err != nil {
			return cmdutil.FlagHint(cmd, err, fieldFlags)
		}
		return f.IO.Result(sess.Raw(), sess, func() {
			t := f.IO.Table()
			t.Row("Session key:", sess.SessionKey)
			t.Row("Capture link:", report.Dash(sess.CaptureURL))
			t.Print()
			if f.IsFake(target) {
				f.IO.Notef("%s is a pave fake server: the link opens nothing; drive the session with "+
					"pave fake start|capture|complete %s", target.BaseURL, sess.SessionKey)
			}
			if noQR || sess.CaptureURL == "" || !f.IO.IsTerminal() {
				return
			}
			if qr, err := CaptureQR(sess.CaptureURL); err == nil { // the link is printed; a QR code is a convenience
				f.IO.Text("\n" + qr + "\nScan with a phone to open the capture link.\n")
			}
		})
	}
	settings.register(cmd)
	cmd.Flags().BoolVar(&noQR, "no-qr", false, "do not draw the capture link as a QR code on a terminal")
	f.AddTimeoutFlag(cmd)
	return cmd
}

func newCmdUpdate(f *cmdutil.Factory) *cobra.Command {
	var settings settingsFlags
	cmd := &cobra.Command{
		Use:   "update KEY",
		Short: "Change a session's settings",
		Long: `Change a session's settings (PUT /v1/sessions/{key}); only the flags
given are sent. PAVE allows a theme change only while the session is IDLE,
redirect URL and language before COMPLETE, and --sms-to only before start
after a failed SMS. Prints the session as it now is.`,
		Example: `  pave sessions update NSA-7K2D5MZ8WP --redirect-url https://crm.example/done
  pave sessions update NSA-7K2D5MZ8WP --theme PRO --language EN --json`,
	}
	settings.register(cmd)
	return keyCmd(f, cmd, func(c *pave.Client, key string) error {
		if !slices.ContainsFunc(settingsFlagNames, cmd.Flags().Changed) {
			return cmdutil.Usagef("%s: nothing to change: give at least one of --%s", cmdutil.Path(cmd),
				strings.Join(settingsFlagNames, ", --"))
		}
		r, err := settings.build(cmd)
		if err != nil {
			return err
		}
		sess, err := c.Sessions.Update(f.Ctx, key, r)
		if err != nil {
			return err
		}
		return printSession(f, sess)
	})
}
