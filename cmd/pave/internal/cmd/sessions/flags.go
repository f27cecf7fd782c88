package sessions

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
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
func (s *settingsFlags) build(cmd *cobra.Command) (*pave.SessionSettings, *pave.Vehicle, *pave.SMS, error) {
	changed := cmd.Flags().Changed
	for _, f := range []struct{ name, v string }{{"vin", s.vin}, {"sms-to", s.smsTo}, {"sms-from", s.smsFrom},
		{"redirect-url", s.redirectURL}} {
		if changed(f.name) && strings.TrimSpace(f.v) == "" {
			return nil, nil, nil, cmdutil.Usagef("--%s: must not be empty", f.name)
		}
	}
	set := pave.SessionSettings{Theme: pave.Theme(strings.ToUpper(strings.TrimSpace(s.theme))),
		RedirectURL: strings.TrimSpace(s.redirectURL), ClientID: strings.TrimSpace(s.clientID)}
	if changed("language") {
		l := strings.TrimSpace(s.language)
		if l == "" || strings.ContainsFunc(l, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_')
		}) {
			return nil, nil, nil, cmdutil.Usagef("--language %q: must be a language code such as EN", s.language)
		}
		set.Language = pave.Language(l)
	}
	for _, kv := range s.references {
		k, v, err := cmdutil.SplitKeyValue("--reference", kv, "KEY=VALUE")
		if err != nil {
			return nil, nil, nil, err
		}
		if set.Reference == nil {
			set.Reference = map[string]any{}
		}
		set.Reference[k] = v
	}
	v := pave.Vehicle{VIN: strings.TrimSpace(s.vin), Make: strings.TrimSpace(s.make), Model: strings.TrimSpace(s.model)}
	if changed("year") {
		v.Year = pave.Int(s.year)
	}
	if changed("odometer") {
		v.OdomReading = pave.Int(s.odometer)
	}
	if changed("odometer-unit") {
		u, err := odometerUnit(s.odometerUnit, changed("odometer"))
		if err != nil {
			return nil, nil, nil, err
		}
		v.OdomUnit = u
	}
	sms := pave.SMS{To: strings.TrimSpace(s.smsTo), ToName: strings.TrimSpace(s.smsToName),
		From: strings.TrimSpace(s.smsFrom), By: strings.TrimSpace(s.smsBy)}
	return nonZero(set, func(s pave.SessionSettings) bool {
		return s.Theme == "" && s.Language == "" && s.RedirectURL == "" && s.ClientID == "" && s.Reference == nil
	}), nonZero(v, func(v pave.Vehicle) bool { return v == pave.Vehicle{} }), nonZero(sms, func(s pave.SMS) bool { return s == pave.SMS{} }), nil
}

// odometerUnit reads --odometer-unit, with the usual abbreviations.
func odometerUnit(arg string, withReading bool) (pave.OdometerUnit, error) {
	u := pave.OdometerUnit(strings.ToUpper(strings.TrimSpace(arg)))
	switch strings.ToLower(string(u)) {
	case "km", "kms", "kilometers", "kilometre", "kilometer":
		u = pave.Kilometres
	case "mi", "mile":
		u = pave.Miles
	}
	switch {
	case !u.Known():
		return "", cmdutil.Usagef("--odometer-unit %q: must be KILOMETRES or MILES", arg)
	case !withReading:
		return "", cmdutil.Usagef("--odometer-unit: needs --odometer")
	}
	return u, nil
}

// nonZero returns &v, or nil when zero says v is empty.
func nonZero[T any](v T, zero func(T) bool) *T {
	if zero(v) {
		return nil
	}
	return &v
}

// anyChanged reports whether any of the settings flags was given.
func anyChanged(cmd *cobra.Command) bool {
	return slices.ContainsFunc(settingsFlagNames, cmd.Flags().Changed)
}
