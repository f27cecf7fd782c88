// Package crm stands for your own code: a small piece of a dealer CRM that
// starts a PAVE trade-in inspection for a sales lead and reads back its
// outcome. Its test, crm_test.go, shows how to unit-test such code without
// a network and without a PAVE account: the *pave.Client is built on an
// httpmock transport that answers with canned PAVE responses.
package crm

import (
	"context"
	"errors"
	"fmt"

	"github.com/pave-go/pave"
)

// RedirectURL is where the customer's phone goes after the last photo.
const RedirectURL = "https://crm.dealer.example/trade-in/thanks"

// Lead is a CRM sales lead whose customer wants a trade-in offer.
type Lead struct {
	// ID is the CRM's lead ID, sent to PAVE as client_id.
	ID        string
	FirstName string
	LastName  string
	// VIN is the vehicle's VIN if the customer typed it; optional.
	VIN string
}

// ErrBadVIN is returned by StartTradeIn when PAVE (or the SDK before
// sending) refuses the lead's VIN, so the CRM can ask the customer again.
var ErrBadVIN = errors.New("crm: the lead's VIN was refused")

// StartTradeIn creates a PAVE inspection session for lead and returns the
// capture link to send to the customer.
func StartTradeIn(ctx context.Context, client *pave.Client, lead Lead) (link string, err error) {
	req := &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{
			RedirectURL: RedirectURL,
			ClientID:    lead.ID,
		},
	}
	if lead.FirstName != "" && lead.LastName != "" {
		req.Session.Contact = &pave.Contact{FirstName: lead.FirstName, LastName: lead.LastName}
	}
	if lead.VIN != "" {
		req.Vehicle = &pave.Vehicle{VIN: lead.VIN}
	}
	sess, err := client.Sessions.Create(ctx, req)
	if err != nil {
		if len(pave.FieldErrors(err)["vehicle.vin"]) > 0 {
			return "", fmt.Errorf("start trade-in for lead %s: %w: %w", lead.ID, ErrBadVIN, err)
		}
		return "", fmt.Errorf("start trade-in for lead %s: %w", lead.ID, err)
	}
	return sess.CaptureURL, nil
}

// Outcome is what the CRM stores about a finished inspection.
type Outcome struct {
	// Ready is false while PAVE is still inspecting.
	Ready bool
	// Grade is the vehicle grade, 1 (poor) to 5 (excellent) in PAVE's
	// docs (0 is seen too); nil when PAVE did not report one.
	Grade *int
	// Damages is the number of damages found.
	Damages int
}

// TradeInOutcome fetches the results of a session. A session that is not
// complete yet is not an error: the outcome is simply not Ready.
func TradeInOutcome(ctx context.Context, client *pave.Client, sessionKey string) (Outcome, error) {
	res, err := client.Sessions.Results(ctx, sessionKey)
	switch {
	case errors.Is(err, pave.ErrNotReady):
		return Outcome{}, nil
	case err != nil:
		return Outcome{}, fmt.Errorf("trade-in outcome of %s: %w", sessionKey, err)
	}
	sum := res.Summary()
	out := Outcome{Ready: true, Damages: sum.DamageCount}
	if sum.Graded {
		out.Grade = &sum.Grade
	}
	return out, nil
}
