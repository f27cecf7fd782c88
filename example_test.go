package pave_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/pave-go/pave"
)

// sessionsExampleAPI is a stand-in for PAVE answering fixed JSON bodies,
// keyed by "METHOD /path". Real code points the client at PAVE (the
// default) or at a pavetest server.
func sessionsExampleAPI(routes map[string]string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			body = `{"message":"Session cannot be found."}`
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
}

// Create an inspection session and hand the capture link to the customer.
func ExampleSessionsService_Create() {
	api := sessionsExampleAPI(map[string]string{
		"POST /v1/sessions": `{"session_key": "NSA-7K2D5MZ8WP", "status": "IDLE",
			"capture_url": "https://northshoreauto.vehiclecapture.com/NSA-7K2D5MZ8WP"}`,
	})
	defer api.Close()

	creds := pave.Credentials{Username: "northshoreauto", APIKey: "my-api-key", APISecret: "my-api-secret"}
	client, err := pave.NewClient(creds, pave.WithBaseURL(api.URL))
	if err != nil {
		log.Fatal(err)
	}
	sess, err := client.Sessions.Create(context.Background(), &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{RedirectURL: "https://crm.northshore.example/inspections/done"},
		Vehicle: &pave.Vehicle{VIN: "2T1BURHE5JC074512"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sess.SessionKey, sess.Status)
	fmt.Println(sess.CaptureURL)
	// Output:
	// NSA-7K2D5MZ8WP IDLE
	// https://northshoreauto.vehiclecapture.com/NSA-7K2D5MZ8WP
}

// Read the results of a completed inspection. Before completion the error
// matches ErrNotReady; WaitForResults polls until the session completes.
func ExampleSessionsService_Results() {
	api := sessionsExampleAPI(map[string]string{
		"GET /v1/sessions/NSA-7K2D5MZ8WP/results": `{"event": "SESSION:COMPLETE",
			"session": {"session_key": "NSA-7K2D5MZ8WP", "status": "COMPLETE"},
			"vehicle": {"year": 2018, "make": "Toyota", "model": "Corolla", "odom_reading": "41,250"},
			"inspection": {"grade": 3, "damages": [
				{"component": "BUMPER_REAR_UNIQUE", "damage_name": "SCRAPED_MINOR", "repair_method": "Refinish"}]}}`,
	})
	defer api.Close()

	creds := pave.Credentials{Username: "northshoreauto", APIKey: "my-api-key", APISecret: "my-api-secret"}
	client, err := pave.NewClient(creds, pave.WithBaseURL(api.URL))
	if err != nil {
		log.Fatal(err)
	}
	res, err := client.Sessions.Results(context.Background(), "NSA-7K2D5MZ8WP")
	if errors.Is(err, pave.ErrNotReady) {
		fmt.Println("not complete yet")
		return
	} else if err != nil {
		log.Fatal(err)
	}
	v := res.Vehicle
	fmt.Printf("%d %s %s, %d km, grade %d\n", v.Year, v.Make, v.Model, v.OdomReading, res.Inspection.Grade)
	for _, d := range res.Inspection.Damages {
		fmt.Println(d.Component, d.DamageName, "->", d.RepairMethod)
	}
	// Output:
	// 2018 Toyota Corolla, 41250 km, grade 3
	// BUMPER_REAR_UNIQUE SCRAPED_MINOR -> Refinish
}

// Invalid input is rejected before any network call, with the dotted field
// paths PAVE itself uses.
func ExampleValidationError() {
	client, err := pave.NewClient(pave.Credentials{Username: "northshoreauto", APIKey: "my-api-key", APISecret: "my-api-secret"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Sessions.Create(context.Background(), &pave.CreateSessionRequest{
		Vehicle: &pave.Vehicle{VIN: "2T1BURHE5JC07451"},
		SMS:     &pave.SMS{To: "555-01"},
	})
	fmt.Println(errors.Is(err, pave.ErrValidation))
	fmt.Println(pave.FieldErrors(err)["vehicle.vin"])
	fmt.Println(err)
	// Output:
	// true
	// [VIN must be 17 characters, got 16]
	// pave: Sessions.Create: invalid request [sms.to: phone number must have 7 to 15 digits; vehicle.vin: VIN must be 17 characters, got 16]
}
