package pave_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// Build a client with options. Each option checks its argument, so a bad
// value fails here rather than on the first request.
func ExampleNewClient() {
	creds := pave.Credentials{Username: "northshoreauto", APIKey: "my-api-key", APISecret: "my-api-secret"}
	client, err := pave.NewClient(creds,
		pave.WithTimeout(20*time.Second),      // per attempt
		pave.WithMaxRetries(3),                // GET, PUT, DELETE; a POST only when PAVE provably did not act
		pave.WithUserAgent("dealercrm/2.1"),   // in front of the SDK's own
		pave.WithLogger(slog.Default()),       // method, path, status, attempt; never bodies or credentials
		pave.WithHTTPClient(&http.Client{}),   // a client without Transport gets the SDK's tuned one
		pave.WithBaseURL(pave.DefaultBaseURL), // or a pavetest server, or a gateway with a path prefix
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client)

	_, err = pave.NewClient(creds, pave.WithTimeout(0))
	fmt.Println(errors.Is(err, pave.ErrInvalidOption), err)
	// Output:
	// pave.Client{BaseURL: "https://openapi.paveapi.com", Username: "northshoreauto"}
	// true pave: invalid option: WithTimeout: 0s is not positive
}

// Read the credentials from PAVE_USERNAME, PAVE_API_KEY and PAVE_API_SECRET.
// A missing variable is named in the error.
func ExampleCredentialsFromEnv() {
	os.Setenv(pave.EnvUsername, "northshoreauto")
	os.Setenv(pave.EnvAPIKey, "my-api-key")
	os.Unsetenv(pave.EnvAPISecret)
	defer os.Unsetenv(pave.EnvUsername)
	defer os.Unsetenv(pave.EnvAPIKey)

	_, err := pave.CredentialsFromEnv()
	fmt.Println(err)

	os.Setenv(pave.EnvAPISecret, "my-api-secret")
	defer os.Unsetenv(pave.EnvAPISecret)
	creds, err := pave.CredentialsFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(creds) // the secret prints redacted
	// Output:
	// pave: invalid credentials: PAVE_API_SECRET not set or blank
	// pave.Credentials{Username: "northshoreauto", APIKey: "my-api-key", APISecret: [REDACTED]}
}

// Poll a session until its results are ready. Against PAVE an inspection
// takes minutes: give the context a deadline, or prefer the
// SESSION:COMPLETE webhook. Here the fake server completes it at once.
func ExampleSessionsService_WaitForResults() {
	srv, err := pavetest.Start(pavetest.WithSeed(7))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	sess, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: "2T1BURHE5JC074512"}})
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Complete(sess.SessionKey); err != nil { // the customer shoots, PAVE inspects
		log.Fatal(err)
	}
	res, err := client.Sessions.WaitForResults(ctx, sess.SessionKey,
		pave.PollFirstAfter(0), pave.PollInterval(time.Second, time.Minute))
	switch {
	case errors.Is(err, pave.ErrSessionEnded):
		fmt.Println("expired or invalid: create a new session")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println(res.Session.Status, res.Vehicle.VIN)
	}
	// Output:
	// COMPLETE 2T1BURHE5JC074512
}

// Handle the errors an operation can return, most specific first.
func ExampleAPIError() {
	api := sessionsExampleAPI(nil) // answers 404 to everything
	defer api.Close()
	client, err := pave.NewClient(pave.Credentials{Username: "northshoreauto", APIKey: "k", APISecret: "s"},
		pave.WithBaseURL(api.URL))
	if err != nil {
		log.Fatal(err)
	}

	_, err = client.Sessions.Get(context.Background(), "NSA-7K2D5MZ8WP")
	var apiErr *pave.APIError
	var reqErr *pave.RequestError
	switch {
	case errors.Is(err, pave.ErrValidation):
		fmt.Println("fix the request:", pave.FieldErrors(err))
	case errors.Is(err, pave.ErrNotFound):
		fmt.Println("no such session for this API key")
	case errors.Is(err, pave.ErrUnauthorized):
		fmt.Println("check the credentials and the clock")
	case errors.As(err, &apiErr):
		fmt.Println("PAVE answered", apiErr.StatusCode, apiErr.Message)
	case errors.As(err, &reqErr):
		fmt.Println("no usable answer after", reqErr.Attempts, "attempts:", reqErr.Err)
	case err != nil:
		log.Fatal(err)
	}
	// Output:
	// no such session for this API key
}

// A machine whose clock is minutes off gets "API-Token has expired." from
// PAVE. The client reads PAVE's clock from the 401's Date header, sends the
// request once more with the timestamp corrected, keeps the correction, and
// says so at warn level.
func ExampleWithClockSkewCorrection() {
	paveNow := time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC)
	srv, err := pavetest.Start(pavetest.WithClock(func() time.Time { return paveNow }))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	logs := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // keep the output stable
			}
			return a
		},
	}))
	slowClock := func() time.Time { return paveNow.Add(-(6*time.Minute + 12*time.Second)) }
	client, err := pave.NewClient(srv.Credentials(), pave.WithBaseURL(srv.URL),
		pave.WithClock(slowClock), pave.WithLogger(logs))
	if err != nil {
		log.Fatal(err)
	}
	sess, err := client.Sessions.Create(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", sess.Status)

	// Turned off, the error names the skew.
	strict, _ := pave.NewClient(srv.Credentials(), pave.WithBaseURL(srv.URL),
		pave.WithClock(slowClock), pave.WithClockSkewCorrection(false))
	_, err = strict.Sessions.Get(context.Background(), sess.SessionKey)
	var apiErr *pave.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Message, apiErr.ClockSkew)
	}
	// Output:
	// level=WARN msg="pave clock skew corrected: your clock is 6m12s behind PAVE's; fix the machine's clock (NTP)" method=POST path=/v1/sessions clock_ahead_by=-6m12s
	// created: IDLE
	// API-Token has expired. -6m12s
}

// Clients of several dealers share one connection pool by sharing one
// transport; each still signs with its own credentials. The transport is a
// plain *http.Transport: set TLS roots or a proxy on it before use.
func ExampleNewTransport() {
	srv, err := pavetest.Start(pavetest.WithAccounts(
		pavetest.Account{Username: "lakesidehonda", APIKey: "lakeside-key", APISecret: "lakeside-secret"},
		pavetest.Account{Username: "northshoreauto", APIKey: "northshore-key", APISecret: "northshore-secret"},
	))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	transport := pave.NewTransport()
	// transport.TLSClientConfig = &tls.Config{RootCAs: corporatePool}
	// transport.Proxy = http.ProxyURL(proxyURL)
	shared := &http.Client{Transport: transport}
	for _, acct := range srv.Accounts() {
		client, err := pave.NewClient(acct.Credentials(), pave.WithBaseURL(srv.URL), pave.WithHTTPClient(shared))
		if err != nil {
			log.Fatal(err)
		}
		sess, err := client.Sessions.Create(context.Background(), nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(acct.Username, sess.Status)
	}
	// Output:
	// lakesidehonda IDLE
	// northshoreauto IDLE
}
