package pavetest_test

import (
	"context"
	"testing"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// Use the fake server in a test: NewServer starts it and closes it when the
// test ends. (This example only compiles: it needs the *testing.T of a
// test, such as func TestTradeIn(t *testing.T).)
func ExampleNewServer() {
	var t *testing.T // the test's
	srv := pavetest.NewServer(t, pavetest.WithSeed(1))
	client := srv.Client() // signed with the fake's account, on its clock
	ctx := context.Background()

	sess, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Complete(sess.SessionKey); err != nil { // capture, inspect, COMPLETE, webhooks
		t.Fatal(err)
	}
	res, err := client.Sessions.Results(ctx, sess.SessionKey)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := res.Grade(); !ok || g == 0 {
		t.Errorf("no grade in %s", res.Raw())
	}
	if n := len(srv.Deliveries()); n != 0 {
		t.Errorf("%d webhooks delivered without a callback setting", n)
	}
}
