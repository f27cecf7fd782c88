// Package sessions is pave sessions: create, inspect, update, wait for
// and delete inspection sessions. One file per verb.
package sessions

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/report"
)

// New returns pave sessions.
func New(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.Group(&cobra.Command{
		Use:   "sessions",
		Short: "Create, inspect, update and wait for inspection sessions",
		Long: `Inspection sessions: create one and send its capture link, follow its
status and photos, wait for it to complete, print its condition report.`,
		Example: `  pave sessions create --vin 1HGCV1F39LA012345 --sms-to +14165550199
  pave sessions get NSA-7K2D5MZ8WP
  pave sessions wait NSA-7K2D5MZ8WP --timeout 30m
  pave sessions results NSA-7K2D5MZ8WP --json`,
	}, newCmdCreate(f), newCmdGet(f), newCmdPhotos(f), newCmdNotes(f), newCmdResults(f), newCmdUpdate(f),
		newCmdDelete(f), newCmdWait(f), newCmdResend(f))
}

// fieldFlags maps the SDK's and PAVE's field paths to the flag or argument
// that sets the field, so a validation error says which to fix.
var fieldFlags = map[string]string{
	"vehicle.vin": "--vin", "vehicle.year": "--year", "vehicle.make": "--make", "vehicle.model": "--model",
	"vehicle.odom_reading": "--odometer", "vehicle.odom_unit": "--odometer-unit",
	"sms.to": "--sms-to", "sms.to_name": "--sms-to-name", "sms.from": "--sms-from", "sms.by": "--sms-by",
	"session.redirect_url": "--redirect-url", "session.theme": "--theme", "session.language": "--language",
	"session.client_id": "--client-id", "session.reference": "--reference", "session_key": "KEY", "phone": "--phone",
}

// keyOptions are the options of a verb whose one argument is a session key.
type keyOptions struct {
	*cmdutil.Factory
	cmd *cobra.Command
	Key string
}

// newKeyCmd makes c a verb taking KEY, running run with opts.
func newKeyCmd(opts *keyOptions, c *cobra.Command, run func(*keyOptions) error) *cobra.Command {
	opts.cmd = c
	c.Args = cmdutil.ArgsNamed("KEY")
	c.RunE = func(_ *cobra.Command, args []string) error {
		opts.Key = args[0]
		return run(opts)
	}
	if c.Flags().Lookup("timeout") == nil { // wait's is its own
		opts.AddTimeoutFlag(c)
	}
	return c
}

// hint is cmdutil.FlagHint with the session fields.
func hint(cmd *cobra.Command, err error) error { return cmdutil.FlagHint(cmd, err, fieldFlags) }

// printSession prints a session (get, update).
func printSession(f *cmdutil.Factory, s *pave.Session) error {
	return f.IO.Result(s.Raw(), s, func() {
		var v pave.Vehicle
		if s.Vehicle != nil {
			v = *s.Vehicle
		}
		t := f.IO.Table()
		t.Row("Session key:", s.SessionKey)
		t.Row("Status:", report.Dash(string(s.Status)))
		t.Row("Theme:", report.Dash(string(s.Theme)))
		t.Row("Capture link:", report.Dash(s.CaptureURL))
		t.Row("Created:", timeOrDash(s.CreatedAt))
		t.Row("Updated:", timeOrDash(s.UpdatedAt))
		t.Row("Vehicle:", report.VehicleName(v))
		t.Row("VIN:", report.Dash(v.VIN))
		var optional [][2]string
		if v.OdomReading > 0 {
			optional = append(optional, [2]string{"Odometer:", fmt.Sprintf("%d %s", int64(v.OdomReading), v.OdomUnit)})
		}
		optional = append(optional, [][2]string{{"Redirect URL:", s.RedirectURL}, {"Language:", string(s.Language)},
			{"Client ID:", s.ClientID}}...)
		if s.Contact != nil {
			optional = append(optional, [2]string{"Contact:", strings.TrimSpace(s.Contact.FirstName + " " + s.Contact.LastName)})
		}
		if s.Options != nil && s.Options.SMS != nil {
			optional = append(optional, [2]string{"SMS to:", s.Options.SMS.To})
		}
		var refs []string
		for _, k := range slices.Sorted(maps.Keys(s.Reference)) {
			refs = append(refs, fmt.Sprintf("%s=%v", k, s.Reference[k]))
		}
		optional = append(optional, [2]string{"Reference:", strings.Join(refs, ", ")})
		for _, o := range optional {
			if o[1] != "" {
				t.Row(o[0], o[1])
			}
		}
		t.Print()
	})
}

func timeOrDash(t pave.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}
