package pavetest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// TradeInDesk is the code under test: a CRM's trade-in desk that starts an
// inspection for a vehicle and later reads the grade of the finished one.
type TradeInDesk struct {
	PAVE *pave.Client
}

// Start creates an inspection session and returns the link to text the
// customer.
func (d *TradeInDesk) Start(ctx context.Context, vin string) (string, error) {
	sess, err := d.PAVE.Sessions.Create(ctx, &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{RedirectURL: "https://crm.example.com/trade-in/done"},
		Vehicle: &pave.Vehicle{VIN: vin},
	})
	if err != nil {
		return "", fmt.Errorf("starting inspection: %w", err)
	}
	return sess.CaptureURL, nil
}

// Grade returns the vehicle grade of a finished inspection, or 0 while the
// inspection is still running.
func (d *TradeInDesk) Grade(ctx context.Context, sessionKey string) (int, error) {
	res, err := d.PAVE.Sessions.Results(ctx, sessionKey)
	if errors.Is(err, pave.ErrNotReady) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading results: %w", err)
	}
	grade, _ := res.Grade()
	return grade, nil
}

// A unit test of TradeInDesk against canned PAVE answers, without a
// network or a server. In a test function, pass its t to NewMockClient.
func ExampleNewMockClient() {
	t := new(testing.T) // in a test: func TestTradeInDesk(t *testing.T)

	client, mt := pavetest.NewMockClient(t)
	pavetest.OnCreateSession(mt, nil)     // the session_created.json fixture
	pavetest.OnNotReady(mt, "RUNNING-1")  // "Session is not yet completed."
	pavetest.OnResults(mt, "DONE-1", nil) // the results.json fixture: grade 3

	desk := &TradeInDesk{PAVE: client}
	ctx := context.Background()

	link, err := desk.Start(ctx, "2T1BURHE5JC074512")
	fmt.Println(link, err)

	grade, err := desk.Grade(ctx, "RUNNING-1")
	fmt.Println(grade, err)

	grade, err = desk.Grade(ctx, "DONE-1")
	fmt.Println(grade, err)

	fmt.Println("sessions created:", pavetest.Calls(mt, http.MethodPost, pavetest.PathSessions))
	// Output:
	// https://northshoreauto.vehiclecapture.com/NSA-7K2D5MZ8WP <nil>
	// 0 <nil>
	// 3 <nil>
	// sessions created: 1
}
