// Command quickstart runs a whole PAVE vehicle inspection on your machine,
// with no account, no credentials and nothing written to disk:
//
//	go run ./examples/quickstart
//
// It starts pavetest's fake PAVE server and a local webhook receiver,
// creates an inspection session, plays the customer taking the 13 photos,
// prints the webhooks PAVE sends along the way, then fetches the results
// from the API and prints a condition report.
//
// With PAVE_USERNAME, PAVE_API_KEY and PAVE_API_SECRET set (and optionally
// PAVE_BASE_URL), it talks to the real PAVE API instead: it creates one
// session and prints its capture link, which you open on a phone to run a
// real inspection. Use a Test API key to keep it out of your monthly usage.
//
// The pave command (cmd/pave) does the same steps one at a time from a
// terminal: pave fake serve, pave sessions create, pave fake complete KEY,
// pave sessions results KEY; see the README's "Command line".
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/webhook"
)

// fakeSeed makes the fake server's session key, vehicle and damages the
// same on every run.
const fakeSeed = 39

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run picks the mode from the environment (read through env) and writes
// everything it has to say to out.
func run(ctx context.Context, out io.Writer, env func(string) string) error {
	creds, baseURL, live, err := credentialsFrom(env)
	if err != nil {
		return err
	}
	if live {
		return runLive(ctx, out, creds, baseURL)
	}
	// The embedded run takes about a second; bound it anyway.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return runEmbedded(ctx, out)
}

// tradeInRequest is the session a dealer's website creates when a customer
// asks for a trade-in offer.
func tradeInRequest() *pave.CreateSessionRequest {
	return &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{
			// Where the customer's phone goes after the last photo.
			RedirectURL: "https://dealer.example.com/trade-in/done",
			// Your own ID for this inspection; PAVE echoes it back in the
			// session, the results and the webhooks.
			ClientID: "LEAD-88127",
			// The customer's name, shown in PAVE's dashboard and report.
			// It is personal data: this program never prints it.
			Contact: &pave.Contact{FirstName: "Maria", LastName: "Lopez"},
		},
		// Optional: PAVE decodes the VIN from the first photo anyway.
		Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345"},
	}
}

// runEmbedded plays a whole inspection against the fake server.
func runEmbedded(ctx context.Context, out io.Writer) error {
	// Webhooks arrive on the receiver's goroutines while this one prints
	// too, so share one writer that takes turns.
	w := &syncWriter{w: out}
	w.Printf("mode: embedded fake server (no credentials needed)\n\n")

	// Step 1: start a stand-in for PAVE on 127.0.0.1. It checks request
	// signatures like the real API, and it makes up the vehicle, the
	// photos and the damages.
	srv, err := pavetest.Start(pavetest.WithSeed(fakeSeed))
	if err != nil {
		return fmt.Errorf("start the fake PAVE server: %w", err)
	}
	defer srv.Close()

	// Step 2: a client with your account's credentials. Against the real
	// API this is pave.NewClient(creds); here the fake server made up an
	// account for us.
	client, err := srv.NewClient(srv.Credentials())
	if err != nil {
		return fmt.Errorf("create the PAVE client: %w", err)
	}

	// Step 3: your webhook receiver. PAVE does not sign its deliveries; it
	// sends back the headers you registered, so a random secret in the
	// Authorization header is what proves a delivery came from PAVE.
	secret, err := webhook.NewSecret()
	if err != nil {
		return fmt.Errorf("create a webhook secret: %w", err)
	}
	rcv, err := startReceiver(w, secret)
	if err != nil {
		return fmt.Errorf("start the webhook receiver: %w", err)
	}
	defer rcv.Close()

	// Step 4: tell PAVE where to send each event, with the secret.
	// (Registering is once per API key, not once per session.)
	for _, event := range []pave.EventName{pave.EventStatusChange, pave.EventStageChange, pave.EventComplete} {
		if _, err := client.Webhooks.Create(ctx, pave.NewCallback(event, rcv.URL, secret)); err != nil {
			return fmt.Errorf("register the %s webhook: %w", event, err)
		}
	}
	w.Printf("webhooks registered for status changes, photos and completion at %s\n", rcv.URL)

	// Step 5: create the inspection session and hand its capture link to
	// the customer (by e-mail, in your app, or let PAVE text it: see
	// pave.SMS).
	sess, err := client.Sessions.Create(ctx, tradeInRequest())
	if err != nil {
		return fmt.Errorf("create the session: %w", err)
	}
	w.Printf("session %s created (status %s)\n", sess.SessionKey, sess.Status)
	w.Printf("capture link: %s\n\n", sess.CaptureURL)
	rcv.Track(sess.SessionKey, sess.Status)

	// Step 6: the customer opens the link and photographs the car. PAVE
	// sends a webhook for every photo and every status change.
	w.Printf("the customer takes the photos:\n")
	if err := playCustomer(srv, sess.SessionKey); err != nil {
		return fmt.Errorf("play the customer's capture: %w", err)
	}

	// Step 7: SESSION:COMPLETE says the results are ready. Its body holds
	// them, but a webhook URL is public: fetch the results from the API
	// (a signed request) before acting on them.
	key, err := rcv.WaitComplete(ctx, 5*time.Second)
	if err != nil {
		return err
	}
	res, err := client.Sessions.Results(ctx, key)
	if err != nil {
		return fmt.Errorf("fetch the results of %s: %w", key, err)
	}
	w.Printf("\n")
	w.Report(res)
	w.Printf("\nThe same from a terminal, against a fake in its own process: go run ./cmd/pave fake serve\n")
	return nil
}

// playCustomer does what the customer's phone and PAVE's pipeline do. In
// production none of this is your code: it happens in the capture app.
func playCustomer(srv *pavetest.Server, key string) error {
	// The customer opens the link and presses GET STARTED.
	if err := srv.StartCapture(key); err != nil {
		return err
	}
	for _, code := range pave.CaptureOrder() {
		if code == pave.PhotoFrontLeft {
			// A photo of the wrong view: quality control rejects it at
			// once and the app asks for that view again.
			if err := srv.CapturePhoto(key, code, false); err != nil {
				return err
			}
		}
		if err := srv.CapturePhoto(key, code, true); err != nil {
			return err
		}
	}
	// The customer confirms; PAVE inspects the photos, grades the vehicle
	// and completes the session (in production, 10 to 20 minutes later).
	return srv.Complete(key)
}

// runLive creates one session on the real PAVE API and prints its link.
func runLive(ctx context.Context, out io.Writer, creds pave.Credentials, baseURL string) error {
	fmt.Fprintf(out, "mode: live PAVE API at %s\n", baseURL)
	client, err := pave.NewClient(creds, pave.WithBaseURL(baseURL))
	if err != nil {
		return fmt.Errorf("create the PAVE client: %w", err)
	}
	sess, err := client.Sessions.Create(ctx, tradeInRequest())
	if err != nil {
		return fmt.Errorf("create the session: %w", err)
	}
	fmt.Fprintf(out, "session %s created (status %s)\n", sess.SessionKey, sess.Status)
	fmt.Fprintf(out, "capture link: %s\n", sess.CaptureURL)
	fmt.Fprintln(out, "Open the link on a phone to inspect a vehicle; then fetch the results with client.Sessions.Results.")
	return nil
}

// credentialsFrom reads the credentials from the environment. With none
// of the variables set, live is false: run against the fake server. With
// some but not all, the error names the missing ones.
func credentialsFrom(env func(string) string) (creds pave.Credentials, baseURL string, live bool, err error) {
	baseURL = strings.TrimSpace(env("PAVE_BASE_URL"))
	unset := func(name string) bool { return strings.TrimSpace(env(name)) == "" }
	if baseURL == "" && unset(pave.EnvUsername) && unset(pave.EnvAPIKey) && unset(pave.EnvAPISecret) {
		return pave.Credentials{}, "", false, nil
	}
	creds, err = pave.CredentialsFromLookup(env, "")
	if err != nil {
		return pave.Credentials{}, "", false, fmt.Errorf("live mode needs %s, %s and %s (unset them all to use the embedded fake server): %w",
			pave.EnvUsername, pave.EnvAPIKey, pave.EnvAPISecret, err)
	}
	if baseURL == "" {
		baseURL = pave.DefaultBaseURL
	}
	return creds, baseURL, true, nil
}
