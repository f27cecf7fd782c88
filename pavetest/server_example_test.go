package pavetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// Start a fake server, create a session through the SDK, drive it to
// COMPLETE and read the results.
func ExampleStart() {
	srv, err := pavetest.Start(pavetest.WithSeed(1))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	client := srv.Client()
	ctx := context.Background()
	sess, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{RedirectURL: "https://dealer.example.com/done", ClientID: "LEAD-1"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sess.Status, sess.Theme)

	// The customer takes the photos and PAVE inspects them.
	if err := srv.Complete(sess.SessionKey); err != nil {
		log.Fatal(err)
	}
	res, err := client.Sessions.Results(ctx, sess.SessionKey)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Session.Status, len(res.Photos), res.Session.ClientID)
	// Output:
	// IDLE PRO
	// COMPLETE 13 LEAD-1
}

// Build a large results document for a benchmark.
func ExampleGenerateResults() {
	doc := pavetest.GenerateResults(42, "LKH-7Q2M9XK4TB", pavetest.GenerateOptions{Damages: 200})
	var res pave.Results
	if err := json.Unmarshal(doc, &res); err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Event, len(res.Photos), len(res.Inspection.Damages), res.Inspection.Grade)
	// Output: SESSION:COMPLETE 13 200 1
}
