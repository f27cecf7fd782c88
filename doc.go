// Package pave is a Go client for the PAVE vehicle-inspection API.
//
// docs/pave-api.md in the module says, for each part of the API, what
// PAVE documents, what it leaves open, and which reading this package takes.
//
// PAVE turns photos taken with a phone into a vehicle condition report. A
// typical integration creates an inspection session, sends the customer the
// capture link, and fetches the results once the session is COMPLETE:
//
//	creds, err := pave.CredentialsFromEnv() // PAVE_USERNAME, PAVE_API_KEY, PAVE_API_SECRET
//	client, err := pave.NewClient(creds)
//	sess, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{
//		Session: &pave.SessionSettings{RedirectURL: "https://dealer.example.com/done"},
//		Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345"},
//	})
//	fmt.Println(sess.CaptureURL)
//	res, err := client.Sessions.WaitForResults(ctx, sess.SessionKey)
//
// # Authentication
//
// Every request is signed by a SigningTransport: API-Key, API-Timestamp (the
// current UTC time as 2006-01-02T15:04:05Z) and API-Token, the lowercase hex
// HMAC-SHA256 of "username:apikey@timestamp" keyed with the API secret. A
// fresh timestamp is computed for every attempt, because PAVE rejects tokens
// older than five minutes; keep the machine's clock synchronised. Credentials
// are sent only to the configured base URL, never to a redirect target on
// another host, and they print redacted.
//
// # Errors
//
// A non-2xx response is an *APIError with the status, PAVE's message and
// field errors; errors.Is matches ErrNotFound, ErrUnauthorized,
// ErrValidation, ErrNotReady, ErrRateLimited and ErrServer. Invalid input is
// caught before any network call as a *ValidationError (also ErrValidation)
// with the same dotted field paths PAVE uses ("vehicle.vin", "sms.to").
// Network failures, timeouts and undecodable responses are *RequestError.
//
// # Retries
//
// GET, PUT and DELETE are retried (twice by default, with jittered
// exponential backoff) on network errors, timeouts, 408, 429, 500, 502, 503
// and 504, honouring Retry-After up to a cap. POST, which can text a
// customer, is retried only when PAVE provably did not act on it: connection
// refused, or 429. Every wait ends as soon as the context does.
//
// # Webhooks, Hotspots and results
//
// Client.Webhooks manages callback settings; package
// github.com/pave-go/pave/webhook serves the deliveries, checking the
// secret header registered with NewCallback in constant time (PAVE does not
// sign deliveries, so fetch the session from the API before acting on one).
// Client.Hotspots submits photos you already have and returns damages with
// their position in each image.
// Sessions.ResendSMS re-sends the capture link once. Results keeps the
// whole document (Raw) beside its typed parts and offers Summary,
// DamagesByComponent and friends.
//
// # Testing
//
// Package github.com/pave-go/pave/pavetest holds a stateful fake PAVE
// server and an httpmock kit with fixtures, so code using this package can
// be tested without PAVE.
//
// # Concurrency
//
// A *Client is immutable and safe for concurrent use. Create one per set of
// credentials and share it.
package pave
