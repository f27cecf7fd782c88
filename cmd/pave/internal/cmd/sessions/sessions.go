// Package sessions is pave sessions: create, inspect, update, wait for,
// compare and delete inspection sessions. The verbs that read a session
// are here; create and update in settings.go, wait in wait.go, compare in
// compare.go.
package sessions

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/cmd/pave/internal/output"
	"github.com/pave-go/pave/internal/report"
)

// New returns pave sessions.
func New(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.Group(&cobra.Command{
		Use:   "sessions",
		Short: "Create, inspect, update and wait for inspection sessions",
		Example: `  pave sessions create --vin 1HGCV1F39LA012345 --sms-to +14165550199
  pave sessions get NSA-7K2D5MZ8WP
  pave sessions wait NSA-7K2D5MZ8WP --timeout 30m
  pave sessions results NSA-7K2D5MZ8WP --json`,
	}, newCmdCreate(f), newCmdGet(f), newCmdPhotos(f), newCmdNotes(f), newCmdResults(f), newCmdUpdate(f),
		newCmdDelete(f), newCmdWait(f), newCmdResend(f), newCmdCompare(f))
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

// keyCmd completes c, a verb of the session KEY: run gets a client and
// the key.
func keyCmd(f *cmdutil.Factory, c *cobra.Command, run func(cl *pave.Client, key string) error) *cobra.Command {
	return f.API(c, fieldFlags, func(cl *pave.Client, args []string) error { return run(cl, args[0]) }, "KEY")
}

func newCmdGet(f *cmdutil.Factory) *cobra.Command {
	return keyCmd(f, &cobra.Command{
		Use:   "get KEY",
		Short: "Show a session: status, theme, capture link, vehicle",
		Long: `Show a session (GET /v1/sessions/{key}), with the customer's name and phone
number when it has them; --json prints it as PAVE returned it.`,
		Example: "  pave sessions get NSA-7K2D5MZ8WP\n  pave sessions get NSA-7K2D5MZ8WP --json | jq -r .status",
	}, func(c *pave.Client, key string) error {
		sess, err := c.Sessions.Get(f.Ctx, key)
		if err != nil {
			return err
		}
		return printSession(f, sess)
	})
}

// printSession prints a session (get, update).
func printSession(f *cmdutil.Factory, s *pave.Session) error {
	return f.IO.Result(s.Raw(), s, func() {
		v := pave.Vehicle{}
		if s.Vehicle != nil {
			v = *s.Vehicle
		}
		var refs []string
		for _, k := range slices.Sorted(maps.Keys(s.Reference)) {
			refs = append(refs, fmt.Sprintf("%s=%v", k, s.Reference[k]))
		}
		rows := [][2]string{{"Session key:", s.SessionKey}, {"Status:", report.Dash(string(s.Status))},
			{"Theme:", report.Dash(string(s.Theme))}, {"Capture link:", report.Dash(s.CaptureURL)},
			{"Created:", timeOrDash(s.CreatedAt)}, {"Updated:", timeOrDash(s.UpdatedAt)},
			{"Vehicle:", report.VehicleName(v)}, {"VIN:", report.Dash(v.VIN)}}
		if v.OdomReading > 0 {
			rows = append(rows, [2]string{"Odometer:", fmt.Sprintf("%d %s", int64(v.OdomReading), v.OdomUnit)})
		}
		rows = append(rows, [][2]string{{"Redirect URL:", s.RedirectURL}, {"Language:", string(s.Language)},
			{"Client ID:", s.ClientID}, {"Reference:", strings.Join(refs, ", ")}}...)
		if s.Contact != nil {
			rows = append(rows, [2]string{"Contact:", strings.TrimSpace(s.Contact.FirstName + " " + s.Contact.LastName)})
		}
		if s.Options != nil && s.Options.SMS != nil {
			rows = append(rows, [2]string{"SMS to:", s.Options.SMS.To})
		}
		t := f.IO.Table()
		for _, r := range rows {
			if r[1] != "" {
				t.Row(r[0], r[1])
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

func newCmdPhotos(f *cmdutil.Factory) *cobra.Command {
	return keyCmd(f, &cobra.Command{
		Use:   "photos KEY",
		Short: "List a session's photos with their quality-check verdicts",
		Long: `List the photos captured so far (GET /v1/sessions/{key}/photos), in
capture order, with the quality-check verdict of each.`,
		Example: "  pave sessions photos NSA-7K2D5MZ8WP\n  pave sessions photos NSA-7K2D5MZ8WP --json",
	}, func(c *pave.Client, key string) error {
		photos, err := c.Sessions.Photos(f.Ctx, key)
		if err != nil {
			return err
		}
		head := []string{"CODE", "LABEL", "VERDICT"}
		return output.List(f.IO, photos, photos, pave.Photo.Raw, "No photos yet.", head, func(p pave.Photo) []any {
			label := p.PhotoLabel
			if label == "" {
				label = p.PhotoCode.Label()
			}
			verdict := "accepted"
			switch {
			case p.Rejected():
				verdict = "rejected: " + report.Dash(p.RejectionReason())
			case !p.Approved:
				verdict = strings.TrimSuffix("pending: "+p.ApprovedMessage, ": ")
			}
			return []any{fmt.Sprintf("%02d", int(p.PhotoCode)), report.Dash(string(label)), verdict}
		})
	})
}

func newCmdNotes(f *cmdutil.Factory) *cobra.Command {
	return keyCmd(f, &cobra.Command{
		Use:     "notes KEY",
		Short:   "List the notes attached to a session (GET /v1/sessions/{key}/notes)",
		Example: "  pave sessions notes NSA-7K2D5MZ8WP\n  pave sessions notes NSA-7K2D5MZ8WP --json",
	}, func(c *pave.Client, key string) error {
		notes, err := c.Sessions.Notes(f.Ctx, key)
		if err != nil {
			return err
		}
		head := []string{"TITLE", "CREATED"}
		return output.List(f.IO, notes, notes, pave.Note.Raw, "No notes.", head, func(n pave.Note) []any {
			return []any{report.Dash(cmp.Or(n.Title, n.Description)), timeOrDash(n.CreatedAt)}
		})
	})
}

func newCmdResults(f *cmdutil.Factory) *cobra.Command {
	return keyCmd(f, &cobra.Command{
		Use:   "results KEY",
		Short: "Print the condition report of a completed session",
		Long: `Print the condition report of a COMPLETE session (GET
/v1/sessions/{key}/results): the vehicle, its grade, and the worst damage of
each damaged component; --json prints the whole document as PAVE returned
it. A session not complete yet exits with status 6 (see pave sessions wait).`,
		Example: "  pave sessions results NSA-7K2D5MZ8WP\n  pave sessions results NSA-7K2D5MZ8WP --json > results.json",
	}, func(c *pave.Client, key string) error {
		res, err := c.Sessions.Results(f.Ctx, key)
		if err != nil {
			return err
		}
		return printResults(f, res)
	})
}

// printResults prints a results document: the report, or the document.
func printResults(f *cmdutil.Factory, res *pave.Results) error {
	return f.IO.Result(res.Raw(), res, func() {
		var b strings.Builder
		report.Write(&b, res)
		f.IO.Text(b.String())
	})
}

func newCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return keyCmd(f, &cobra.Command{
		Use:     "delete KEY",
		Short:   "Delete a session whose capture has not started (DELETE /v1/sessions/{key})",
		Example: "  pave sessions delete NSA-7K2D5MZ8WP",
	}, func(c *pave.Client, key string) error {
		if err := c.Sessions.Delete(f.Ctx, key); err != nil {
			return err
		}
		if f.IO.JSON {
			return f.IO.JSONValue(map[string]any{"session_key": key, "deleted": true})
		}
		f.IO.Printf("Deleted session %s.\n", key)
		return nil
	})
}

func newCmdResend(f *cmdutil.Factory) *cobra.Command {
	var phone string
	cmd := &cobra.Command{
		Use:   "resend KEY",
		Short: "Text the capture link once more",
		Long: `Ask PAVE to text the capture link again (POST
/v2/capture/sessions/{key}/resend), to the original number or to --phone:
once per session, within 7 days, before the photos pass quality control.`,
		Example: "  pave sessions resend NSA-7K2D5MZ8WP\n  pave sessions resend NSA-7K2D5MZ8WP --phone +14165550199",
	}
	cmd.Flags().StringVar(&phone, "phone", "", "text this number instead of the original one")
	return keyCmd(f, cmd, func(c *pave.Client, key string) error {
		var req *pave.ResendSMSRequest
		if cmd.Flags().Changed("phone") {
			if req = (&pave.ResendSMSRequest{Phone: strings.TrimSpace(phone)}); req.Phone == "" {
				return cmdutil.Usagef("--phone: must not be empty")
			}
		}
		res, err := c.Sessions.ResendSMS(f.Ctx, key, req)
		if err != nil {
			return err
		}
		return f.IO.Result(res.Raw(), res, func() {
			msg := cmp.Or(res.Message, "SMS resend has been processed")
			f.IO.Printf("Session %s: %s.\n", key, strings.TrimSuffix(msg, "."))
		})
	})
}
