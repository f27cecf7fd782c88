package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/internal/report"
)

func init() {
	commands = append(commands, sessionsCommand)
}

func sessionsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "Create, inspect, update and wait for inspection sessions",
		Long: `Inspection sessions: create one and send its capture link, follow its
status and photos, wait for it to complete, print its condition report.`,
		Example: `  pave sessions create --vin 1HGCV1F39LA012345 --sms-to +14165550199
  pave sessions get NSA-7K2D5MZ8WP
  pave sessions wait NSA-7K2D5MZ8WP --timeout 30m
  pave sessions results NSA-7K2D5MZ8WP --json`,
		Args: cobra.NoArgs, // an unknown subcommand is a usage error
		RunE: groupHelp,
	}
	cmd.AddCommand(
		sessionsCreateCommand(a),
		sessionsGetCommand(a),
		sessionsPhotosCommand(a),
		sessionsNotesCommand(a),
		sessionsResultsCommand(a),
		sessionsUpdateCommand(a),
		sessionsDeleteCommand(a),
		sessionsWaitCommand(a),
		sessionsResendCommand(a),
	)
	return cmd
}

// groupHelp is the action of a command group run without a subcommand.
func groupHelp(cmd *cobra.Command, _ []string) error { return cmd.Help() }

// sessionFlags are the settings create and update send.
type sessionFlags struct {
	vin, smsTo, smsToName, smsFrom, smsBy  string
	redirectURL, theme, language, clientID string
	references                             []string
	year, odometer                         int
	odometerUnit, make, model              string
}

// sessionFlagNames are the flags sessionFlags registers, to tell whether
// any was given.
var sessionFlagNames = []string{
	"vin", "sms-to", "sms-to-name", "sms-from", "sms-by", "redirect-url", "theme", "language",
	"client-id", "reference", "year", "make", "model", "odometer", "odometer-unit",
}

// sessionFieldFlags maps the SDK's and PAVE's field paths to the flag that
// sets the field, so a validation error says which flag to fix.
var sessionFieldFlags = map[string]string{
	"vehicle.vin":          "--vin",
	"vehicle.year":         "--year",
	"vehicle.make":         "--make",
	"vehicle.model":        "--model",
	"vehicle.odom_reading": "--odometer",
	"vehicle.odom_unit":    "--odometer-unit",
	"sms.to":               "--sms-to",
	"sms.to_name":          "--sms-to-name",
	"sms.from":             "--sms-from",
	"sms.by":               "--sms-by",
	"session.redirect_url": "--redirect-url",
	"session.theme":        "--theme",
	"session.language":     "--language",
	"session.client_id":    "--client-id",
	"session.reference":    "--reference",
	"session_key":          "KEY",
	"phone":                "--phone",
}

func (f *sessionFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.vin, "vin", "", "vehicle VIN (17 characters)")
	fl.StringVar(&f.smsTo, "sms-to", "", "text the capture link to this phone number")
	fl.StringVar(&f.smsToName, "sms-to-name", "", "name of the person the link is texted to")
	fl.StringVar(&f.smsFrom, "sms-from", "", "phone number that receives the results")
	fl.StringVar(&f.smsBy, "sms-by", "", "dealer name the SMS is sent by")
	fl.StringVar(&f.redirectURL, "redirect-url", "", "where the phone goes after the last photo (absolute URL)")
	fl.StringVar(&f.theme, "theme", "", "capture experience: LITE, PRO or CAPT")
	fl.StringVar(&f.language, "language", "", "capture UI language code (e.g. EN)")
	fl.StringVar(&f.clientID, "client-id", "", "your own ID for the session, echoed back by PAVE")
	fl.StringArrayVar(&f.references, "reference", nil, "pass-through data as KEY=VALUE (repeatable; never sensitive data)")
	fl.IntVar(&f.year, "year", 0, "vehicle model year (1900-2100)")
	fl.StringVar(&f.make, "make", "", "vehicle make")
	fl.StringVar(&f.model, "model", "", "vehicle model")
	fl.IntVar(&f.odometer, "odometer", 0, "odometer reading (0 or more)")
	fl.StringVar(&f.odometerUnit, "odometer-unit", "", "unit of --odometer: KILOMETRES (km) or MILES (mi)")
}

// anyChanged reports whether any of the session flags was given.
func (f *sessionFlags) anyChanged(cmd *cobra.Command) bool {
	return slices.ContainsFunc(sessionFlagNames, cmd.Flags().Changed)
}

// build checks the flags and returns the parts of a create or update body
// they set (nil parts for nothing set).
func (f *sessionFlags) build(cmd *cobra.Command) (*pave.SessionSettings, *pave.Vehicle, *pave.SMS, error) {
	changed := cmd.Flags().Changed
	var s pave.SessionSettings
	if changed("theme") {
		t := pave.Theme(strings.ToUpper(strings.TrimSpace(f.theme)))
		if !t.Known() {
			return nil, nil, nil, usagef("--theme %q: must be LITE, PRO or CAPT", f.theme)
		}
		s.Theme = t
	}
	if changed("language") {
		l := strings.TrimSpace(f.language)
		if l == "" || strings.ContainsFunc(l, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') }) {
			return nil, nil, nil, usagef("--language %q: must be a language code such as EN", f.language)
		}
		s.Language = pave.Language(l)
	}
	s.RedirectURL = strings.TrimSpace(f.redirectURL)
	if changed("redirect-url") && s.RedirectURL == "" {
		return nil, nil, nil, usagef("--redirect-url: must not be empty")
	}
	s.ClientID = strings.TrimSpace(f.clientID)
	if len(f.references) > 0 {
		s.Reference = map[string]any{}
		for _, kv := range f.references {
			k, v, err := splitKeyValue("--reference", kv, "KEY=VALUE")
			if err != nil {
				return nil, nil, nil, err
			}
			s.Reference[k] = v
		}
	}

	var v pave.Vehicle
	v.VIN = strings.TrimSpace(f.vin)
	if changed("vin") && v.VIN == "" {
		return nil, nil, nil, usagef("--vin: must not be empty")
	}
	if changed("year") {
		if f.year < 1900 || f.year > 2100 {
			return nil, nil, nil, usagef("--year %d: must be between 1900 and 2100", f.year)
		}
		v.Year = pave.Int(f.year)
	}
	v.Make = strings.TrimSpace(f.make)
	v.Model = strings.TrimSpace(f.model)
	if changed("odometer") {
		if f.odometer < 0 {
			return nil, nil, nil, usagef("--odometer %d: must be 0 or more", f.odometer)
		}
		v.OdomReading = pave.Int(f.odometer)
	}
	if changed("odometer-unit") {
		u := pave.OdometerUnit(strings.ToUpper(strings.TrimSpace(f.odometerUnit)))
		switch strings.ToLower(string(u)) { // the usual abbreviations
		case "km", "kms", "kilometers", "kilometre", "kilometer":
			u = pave.Kilometres
		case "mi", "mile":
			u = pave.Miles
		}
		if !u.Known() {
			return nil, nil, nil, usagef("--odometer-unit %q: must be KILOMETRES or MILES", f.odometerUnit)
		}
		if !changed("odometer") {
			return nil, nil, nil, usagef("--odometer-unit: needs --odometer")
		}
		v.OdomUnit = u
	}

	var sms pave.SMS
	sms.To = strings.TrimSpace(f.smsTo)
	sms.ToName = strings.TrimSpace(f.smsToName)
	sms.From = strings.TrimSpace(f.smsFrom)
	sms.By = strings.TrimSpace(f.smsBy)
	for _, p := range []struct{ flag, v string }{{"sms-to", sms.To}, {"sms-from", sms.From}} {
		if changed(p.flag) && p.v == "" {
			return nil, nil, nil, usagef("--%s: must not be empty", p.flag)
		}
	}

	var sp *pave.SessionSettings
	if s.Theme != "" || s.Language != "" || s.RedirectURL != "" || s.ClientID != "" || s.Reference != nil {
		sp = &s
	}
	var vp *pave.Vehicle
	if v != (pave.Vehicle{}) {
		vp = &v
	}
	var smsp *pave.SMS
	if sms != (pave.SMS{}) {
		smsp = &sms
	}
	return sp, vp, smsp, nil
}

// splitKeyValue parses a flag's KEY=VALUE (KEY not empty).
func splitKeyValue(flag, kv, form string) (string, string, error) {
	k, v, ok := strings.Cut(kv, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return "", "", usagef("%s %q: want %s", flag, kv, form)
	}
	return k, v, nil
}

// withFlagHint adds to a validation error the flags that set the fields it
// names; any other error is returned as is.
func withFlagHint(err error, fields map[string]string) error {
	if !errors.Is(err, pave.ErrValidation) {
		return err
	}
	var flags []string
	for path := range pave.FieldErrors(err) {
		path = strings.TrimPrefix(path, "options.")
		if f, ok := fields[path]; ok && !slices.Contains(flags, f) {
			flags = append(flags, f)
		}
	}
	if len(flags) == 0 {
		return err
	}
	slices.Sort(flags)
	return fmt.Errorf("%w (check %s)", err, strings.Join(flags, ", "))
}

// argsNamed requires exactly the positional arguments names, and says
// which are missing or extra as a usage error.
func argsNamed(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usagef("%s: missing %s (see %s --help)", cmd.CommandPath(), strings.Join(names[len(args):], " "), cmd.CommandPath())
		case len(args) > len(names):
			return usagef("%s: unexpected argument %q (want %s; see %s --help)", cmd.CommandPath(), args[len(names)], strings.Join(names, " "), cmd.CommandPath())
		}
		for i, arg := range args {
			if strings.TrimSpace(arg) == "" {
				return usagef("%s: %s must not be empty", cmd.CommandPath(), names[i])
			}
		}
		return nil
	}
}

// printRawList writes a list of API objects as PAVE returned them, or v
// encoded when one of them has no raw form.
func (a *app) printRawList(raws []json.RawMessage, v any) error {
	var b strings.Builder
	b.WriteByte('[')
	for i, r := range raws {
		if len(r) == 0 {
			return a.printJSON(v)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(r)
	}
	b.WriteByte(']')
	return a.printRaw(json.RawMessage(b.String()), v)
}

// withClient runs fn with a client and a context cancelled by a signal.
func (a *app) withClient(fn func(ctx context.Context, c *pave.Client) error) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()
	ctx, cancel := a.context()
	defer cancel()
	return fn(ctx, c)
}

func sessionsCreateCommand(a *app) *cobra.Command {
	var f sessionFlags
	var noQR bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an inspection session and print its capture link",
		Long: `Create an inspection session (POST /v1/sessions) and print its key and
capture link. On a terminal the link is also drawn as a QR code, to open it
with a phone's camera (--no-qr to leave it out; never when piped or with
--json). --json prints the session as PAVE returned it.

With --sms-to, PAVE texts the link to that number. Validation errors (a bad
VIN or phone number) exit with status 3 before anything is sent.`,
		Example: `  pave sessions create
  pave sessions create --vin 1HGCV1F39LA012345 --sms-to +14165550199 --sms-by "Lakeside Honda"
  pave sessions create --theme PRO --redirect-url https://crm.example/done --reference lead=88127
  pave sessions create --year 2020 --make Honda --model Accord --odometer 42000 --odometer-unit km --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, v, sms, err := f.build(cmd)
			if err != nil {
				return err
			}
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				sess, err := c.Sessions.Create(ctx, &pave.CreateSessionRequest{Session: s, Vehicle: v, SMS: sms})
				if err != nil {
					return withFlagHint(err, sessionFieldFlags)
				}
				if a.jsonOut {
					return a.printRaw(sess.Raw(), sess)
				}
				tw := report.Table(a.stdout)
				fmt.Fprintf(tw, "Session key:\t%s\n", sess.SessionKey)
				fmt.Fprintf(tw, "Capture link:\t%s\n", report.Dash(sess.CaptureURL))
				if err := tw.Flush(); err != nil {
					return err
				}
				if noQR || sess.CaptureURL == "" || !isTerminal(a.stdout) {
					return nil
				}
				qr, err := captureQR(sess.CaptureURL)
				if err != nil {
					return nil // the link is printed; a QR code is a convenience
				}
				_, err = fmt.Fprintf(a.stdout, "\n%s\nScan with a phone to open the capture link.\n", qr)
				return err
			})
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&noQR, "no-qr", false, "do not draw the capture link as a QR code on a terminal")
	return cmd
}

func sessionsGetCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "get KEY",
		Short: "Show a session: status, theme, capture link, vehicle",
		Long: `Show a session's current state (GET /v1/sessions/{key}). The output
includes the customer's name and phone number when the session has them.
--json prints the session as PAVE returned it.`,
		Example: `  pave sessions get NSA-7K2D5MZ8WP
  pave sessions get NSA-7K2D5MZ8WP --json | jq -r .status`,
		Args: argsNamed("KEY"),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				sess, err := c.Sessions.Get(ctx, args[0])
				if err != nil {
					return withFlagHint(err, sessionFieldFlags)
				}
				return a.printSession(sess)
			})
		},
	}
}

// printSession prints a session (get, update).
func (a *app) printSession(sess *pave.Session) error {
	if a.jsonOut {
		return a.printRaw(sess.Raw(), sess)
	}
	tw := report.Table(a.stdout)
	fmt.Fprintf(tw, "Session key:\t%s\n", sess.SessionKey)
	fmt.Fprintf(tw, "Status:\t%s\n", report.Dash(string(sess.Status)))
	fmt.Fprintf(tw, "Theme:\t%s\n", report.Dash(string(sess.Theme)))
	fmt.Fprintf(tw, "Capture link:\t%s\n", report.Dash(sess.CaptureURL))
	fmt.Fprintf(tw, "Created:\t%s\n", timeOrDash(sess.CreatedAt))
	fmt.Fprintf(tw, "Updated:\t%s\n", timeOrDash(sess.UpdatedAt))
	var v pave.Vehicle
	if sess.Vehicle != nil {
		v = *sess.Vehicle
	}
	fmt.Fprintf(tw, "Vehicle:\t%s\n", report.VehicleName(v))
	fmt.Fprintf(tw, "VIN:\t%s\n", report.Dash(v.VIN))
	if v.OdomReading > 0 {
		fmt.Fprintf(tw, "Odometer:\t%d %s\n", int64(v.OdomReading), v.OdomUnit)
	}
	if sess.RedirectURL != "" {
		fmt.Fprintf(tw, "Redirect URL:\t%s\n", sess.RedirectURL)
	}
	if sess.Language != "" {
		fmt.Fprintf(tw, "Language:\t%s\n", sess.Language)
	}
	if sess.ClientID != "" {
		fmt.Fprintf(tw, "Client ID:\t%s\n", sess.ClientID)
	}
	if sess.Contact != nil {
		fmt.Fprintf(tw, "Contact:\t%s\n", strings.TrimSpace(sess.Contact.FirstName+" "+sess.Contact.LastName))
	}
	if sess.Options != nil && sess.Options.SMS != nil && sess.Options.SMS.To != "" {
		fmt.Fprintf(tw, "SMS to:\t%s\n", sess.Options.SMS.To)
	}
	if len(sess.Reference) > 0 {
		keys := make([]string, 0, len(sess.Reference))
		for k := range sess.Reference {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%v", k, sess.Reference[k])
		}
		fmt.Fprintf(tw, "Reference:\t%s\n", strings.Join(parts, ", "))
	}
	return tw.Flush()
}

func timeOrDash(t pave.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func sessionsPhotosCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "photos KEY",
		Short: "List a session's photos with their quality-check verdicts",
		Long: `List the photos captured so far (GET /v1/sessions/{key}/photos), in
capture order, with the quality-check verdict of each. --json prints the
photos as PAVE returned them.`,
		Example: `  pave sessions photos NSA-7K2D5MZ8WP
  pave sessions photos NSA-7K2D5MZ8WP --json`,
		Args: argsNamed("KEY"),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				photos, err := c.Sessions.Photos(ctx, args[0])
				if err != nil {
					return withFlagHint(err, sessionFieldFlags)
				}
				if a.jsonOut {
					raws := make([]json.RawMessage, len(photos))
					for i, p := range photos {
						raws[i] = p.Raw()
					}
					return a.printRawList(raws, photos)
				}
				if len(photos) == 0 {
					_, err := fmt.Fprintln(a.stdout, "No photos yet.")
					return err
				}
				tw := report.Table(a.stdout)
				fmt.Fprintln(tw, "CODE\tLABEL\tVERDICT")
				for _, p := range photos {
					label := p.PhotoLabel
					if label == "" {
						label = p.PhotoCode.Label()
					}
					verdict := "accepted"
					switch {
					case p.Rejected():
						verdict = "rejected: " + report.Dash(p.RejectionReason())
					case !p.Approved:
						verdict = "pending"
						if p.ApprovedMessage != "" {
							verdict += ": " + p.ApprovedMessage
						}
					}
					fmt.Fprintf(tw, "%02d\t%s\t%s\n", int(p.PhotoCode), report.Dash(string(label)), verdict)
				}
				return tw.Flush()
			})
		},
	}
}

func sessionsNotesCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "notes KEY",
		Short: "List the notes attached to a session",
		Long: `List the notes attached to a session (GET /v1/sessions/{key}/notes).
--json prints the notes as PAVE returned them.`,
		Example: `  pave sessions notes NSA-7K2D5MZ8WP
  pave sessions notes NSA-7K2D5MZ8WP --json`,
		Args: argsNamed("KEY"),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				notes, err := c.Sessions.Notes(ctx, args[0])
				if err != nil {
					return withFlagHint(err, sessionFieldFlags)
				}
				if a.jsonOut {
					raws := make([]json.RawMessage, len(notes))
					for i, n := range notes {
						raws[i] = n.Raw()
					}
					return a.printRawList(raws, notes)
				}
				if len(notes) == 0 {
					_, err := fmt.Fprintln(a.stdout, "No notes.")
					return err
				}
				tw := report.Table(a.stdout)
				fmt.Fprintln(tw, "TITLE\tCREATED")
				for _, n := range notes {
					title := n.Title
					if title == "" {
						title = n.Description
					}
					fmt.Fprintf(tw, "%s\t%s\n", report.Dash(oneLine(title)), timeOrDash(n.CreatedAt))
				}
				return tw.Flush()
			})
		},
	}
}

func sessionsResultsCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "results KEY",
		Short: "Print the condition report of a completed session",
		Long: `Print the condition report of a COMPLETE session (GET
/v1/sessions/{key}/results): the vehicle, its grade, and the worst damage of
each damaged component. --json prints the whole results document as PAVE
returned it. A session that is not complete yet exits with status 6; see
"pave sessions wait".`,
		Example: `  pave sessions results NSA-7K2D5MZ8WP
  pave sessions results NSA-7K2D5MZ8WP --json > results.json`,
		Args: argsNamed("KEY"),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				res, err := c.Sessions.Results(ctx, args[0])
				if err != nil {
					return withFlagHint(err, sessionFieldFlags)
				}
				return a.printResults(res)
			})
		},
	}
}

// printResults prints a results document: the report, or the document.
func (a *app) printResults(res *pave.Results) error {
	if a.jsonOut {
		return a.printRaw(res.Raw(), res)
	}
	report.Write(a.stdout, res)
	return nil
}

func sessionsUpdateCommand(a *app) *cobra.Command {
	var f sessionFlags
	cmd := &cobra.Command{
		Use:   "update KEY",
		Short: "Change a session's settings",
		Long: `Change a session's settings (PUT /v1/sessions/{key}); only the flags
given are sent. PAVE allows a theme change only while the session is IDLE,
redirect URL and language before COMPLETE, and --sms-to only before start
after a failed SMS. Prints the session as it now is.`,
		Example: `  pave sessions update NSA-7K2D5MZ8WP --redirect-url https://crm.example/done
  pave sessions update NSA-7K2D5MZ8WP --theme PRO --language EN --json`,
		Args: argsNamed("KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !f.anyChanged(cmd) {
				return usagef("%s: nothing to change: give at least one of --%s", cmd.CommandPath(), strings.Join(sessionFlagNames, ", --"))
			}
			s, v, sms, err := f.build(cmd)
			if err != nil {
				return err
			}
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				sess, err := c.Sessions.Update(ctx, args[0], &pave.UpdateSessionRequest{Session: s, Vehicle: v, SMS: sms})
				if err != nil {
					return withFlagHint(err, sessionFieldFlags)
				}
				return a.printSession(sess)
			})
		},
	}
	f.register(cmd)
	return cmd
}

func sessionsDeleteCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "delete KEY",
		Short: "Delete a session that has not started",
		Long: `Delete a session whose capture has not started (DELETE
/v1/sessions/{key}). A started session cannot be deleted.`,
		Example: `  pave sessions delete NSA-7K2D5MZ8WP`,
		Args:    argsNamed("KEY"),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				if err := c.Sessions.Delete(ctx, args[0]); err != nil {
					return withFlagHint(err, sessionFieldFlags)
				}
				if a.jsonOut {
					return a.printJSON(map[string]any{"session_key": args[0], "deleted": true})
				}
				_, err := fmt.Fprintf(a.stdout, "Deleted session %s.\n", args[0])
				return err
			})
		},
	}
}

func sessionsWaitCommand(a *app) *cobra.Command {
	var interval, timeout time.Duration
	cmd := &cobra.Command{
		Use:   "wait KEY",
		Short: "Wait for a session to complete and print its condition report",
		Long: `Poll a session until it is COMPLETE, then print its condition report
(--json: the results document as PAVE returned it). On a terminal a status
line shows the session's progress (not with --json); piped, nothing but the
result is printed.

Exit status 6 when --timeout passes first; 1 when the session expires or is
invalidated.`,
		Example: `  pave sessions wait NSA-7K2D5MZ8WP
  pave sessions wait NSA-7K2D5MZ8WP --interval 10s --timeout 45m --json > results.json`,
		Args: argsNamed("KEY"),
		RunE: func(_ *cobra.Command, args []string) error {
			if interval < 10*time.Millisecond {
				return usagef("--interval %s: must be at least 10ms", interval)
			}
			if timeout <= 0 {
				return usagef("--timeout %s: must be more than 0", timeout)
			}
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				ctx, cancel := context.WithTimeout(ctx, timeout)
				defer cancel()
				key := args[0]
				stop := func() {}
				if isTerminal(a.stdout) && !a.jsonOut {
					stop = liveStatus(ctx, a.stdout, interval, func(ctx context.Context) (pave.SessionStatus, error) {
						s, err := c.Sessions.Get(ctx, key)
						if err != nil {
							return "", err
						}
						return s.Status, nil
					}, key)
				}
				res, err := c.Sessions.WaitForResults(ctx, key, pave.PollFirstAfter(0), pave.PollInterval(interval, interval))
				stop()
				if err != nil {
					return withFlagHint(err, sessionFieldFlags)
				}
				return a.printResults(res)
			})
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", 5*time.Second, "time between polls (at least 10ms)")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long (exit status 6)")
	return cmd
}

// liveStatus rewrites one line of w with the session's status every
// interval until the returned stop is called, which erases the line.
func liveStatus(ctx context.Context, w io.Writer, interval time.Duration,
	status func(context.Context) (pave.SessionStatus, error), key string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		last := pave.SessionStatus("")
		for {
			st, err := status(ctx)
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				last = st
			}
			fmt.Fprint(w, statusLine(key, last, err, time.Since(start)))
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
		fmt.Fprint(w, "\r\033[K")
	}
}

// statusLine is one rewrite of the live status line.
func statusLine(key string, st pave.SessionStatus, err error, elapsed time.Duration) string {
	s := report.Dash(string(st))
	if st == "" && err != nil {
		s = "status unavailable"
	}
	return fmt.Sprintf("\r\033[KWaiting for session %s: %s (%s)", key, s, elapsed.Round(time.Second))
}

func sessionsResendCommand(a *app) *cobra.Command {
	var phone string
	cmd := &cobra.Command{
		Use:   "resend KEY",
		Short: "Text the capture link once more",
		Long: `Ask PAVE to text the capture link again (POST
/v2/capture/sessions/{key}/resend), to the original number or to --phone.
PAVE allows one resend per session, within 7 days, before the photos pass
quality control.`,
		Example: `  pave sessions resend NSA-7K2D5MZ8WP
  pave sessions resend NSA-7K2D5MZ8WP --phone +14165550199`,
		Args: argsNamed("KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req *pave.ResendSMSRequest
			if cmd.Flags().Changed("phone") {
				p := strings.TrimSpace(phone)
				if p == "" {
					return usagef("--phone: must not be empty")
				}
				req = &pave.ResendSMSRequest{Phone: p}
			}
			return a.withClient(func(ctx context.Context, c *pave.Client) error {
				res, err := c.Sessions.ResendSMS(ctx, args[0], req)
				if err != nil {
					return withFlagHint(err, sessionFieldFlags)
				}
				if a.jsonOut {
					return a.printRaw(res.Raw(), res)
				}
				msg := res.Message
				if msg == "" {
					msg = "SMS resend has been processed"
				}
				_, err = fmt.Fprintf(a.stdout, "Session %s: %s.\n", args[0], strings.TrimSuffix(msg, "."))
				return err
			})
		},
	}
	cmd.Flags().StringVar(&phone, "phone", "", "text this number instead of the original one")
	return cmd
}
