// Package pavetest is a test kit for code that uses the PAVE API: a
// stateful fake PAVE server that serves the whole API over real HTTP on
// loopback, checks request signatures exactly like production, drives the
// session lifecycle, delivers webhooks and injects faults.
//
// It is a separate package so that nothing a production binary links
// depends on it; package pave never imports pavetest.
//
// # Starting a server
//
// In tests, NewServer starts a server and closes it with t.Cleanup; Client
// returns a *pave.Client already pointed at it (and following its clock):
//
//	func TestTradeIn(t *testing.T) {
//		srv := pavetest.NewServer(t)
//		client := srv.Client()
//		sess, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{
//			Session: &pave.SessionSettings{RedirectURL: "https://dealer.example/done"},
//		})
//		// ...
//		_ = srv.Complete(sess.SessionKey) // capture all photos, inspect, COMPLETE
//		res, err := client.Sessions.Results(ctx, sess.SessionKey)
//	}
//
// Programs (for example a fake for tests written in another language) use
// Start(opts...) and Close; both take the same options. The listen address must be loopback unless Options.ControlToken is set.
//
// # Accounts and authentication
//
// Options.Accounts lists the known API keys (username, key, secret,
// account name for the capture link, default theme); with none, one
// account is generated from Options.Seed and returned by Credentials.
// Sessions and callback settings belong to one API key: another key gets
// the documented 404.
//
// Every /v1 request needs API-Key, API-Timestamp and API-Token. Unknown key
// or missing header: 401 {"message": "Unauthorized."}; bad token or
// unparseable timestamp: 401 {"message": "Invalid API-Token."}; timestamp
// more than Options.TimestampWindow (default 300 s) away from the server
// clock: 401 {"message": "API-Token has expired."}. The HMAC is recomputed
// over the raw header string and compared in constant time (upper- or
// lower-case hex). By default (Strict) the timestamp must be
// 2006-01-02T15:04:05Z, the form PAVE's docs show; WithTimestamps(Lenient)
// also accepts RFC 3339 with a fraction or an offset, Unix seconds and RFC
// 1123, which PAVE's own samples send but PAVE may refuse. CheckSignature,
// AssertSigned and SignedBy read timestamps the same way, with the same
// default. Hotspots endpoints need API-Key, as PAVE's pages list, and
// verify the token when present. The v2 resend
// endpoint accepts API-Access-Token (the account's API key, or
// Account.AccessToken) and/or the v1 headers.
//
// # Driving the lifecycle
//
// StartCapture, CapturePhoto, Complete, Expire, Invalidate, AddNote and
// SetSMSResult change a session as the capture app and PAVE's pipeline
// would, and fire the webhooks registered for their events with the
// setting's method and headers. Each body has the shape PAVE documents for
// its event (SMS_PROCESS: phone, status, message; STAGE_CHANGE:
// session_key, photo_url, photo_status, message; COMPLETE: the results
// document with "event"), and the setting's payload keys are added at the
// top level (an event's own fields win on a clash). A failed delivery (transport error or non-2xx) is
// retried Options.WebhookRetries times (default 2) after
// Options.WebhookRetryWait (default 10 ms). Deliveries are synchronous: the
// method returns after they are done, so a test can assert right away.
// With Options.AsyncWebhooks (what pave fake serve uses) they are queued
// per receiver and sent in order in the background; FlushDeliveries waits
// for them. Deliveries records every attempt and lists the pending ones.
// Close cancels deliveries in progress. Options.Chaos drops, duplicates
// and reorders deliveries and holds results back, from the seed;
// Options.ResultsDelay holds every session's results back, as PAVE's
// queued results may be; CompleteRepeat completes a repeat inspection of
// an earlier session's vehicle.
//
// Hotspots uploads are analysed when ProcessHotspots is called; until then
// GET /v1/hotspots/{key} answers "Session is not yet completed.", as
// production processes photos later. Options.HotspotsAutoProcess analyses
// every upload at once.
//
// # No more certain than PAVE's docs
//
// Where PAVE's docs leave a shape open, the fake emits only what the docs
// show, so a test that passes against it does not lean on anything PAVE
// never promised. The other readings are behind options, each documented as
// such: Options.RichWebhooks (fields PAVE does not show in deliveries),
// Options.ResultsVehicleInSession (the results' vehicle nested in
// "session", as the sample prints it), Options.NotReadyStatus (the status
// of "Session is not yet completed.", 200 by default as documented),
// Options.HotspotsCroppedImages (a cropped-image field PAVE promises
// without naming) and WithTimestamps(Lenient). Options.MaskPII masks VINs,
// plates and phones as PAVE's PII-mask key setting does.
//
// # Control endpoints
//
// The same controls are served over HTTP for tools written in other
// languages (and ControlClient drives them from Go in another process).
// They are described, with their bodies' JSON schemas and examples, by the
// OpenAPI 3.1 document at GET /_fake/openapi.json (tag fake-control, beside
// PAVE's own API), are never faulted nor recorded, and answer a session as
// GET /v1/sessions/{key} shows it (404 for an unknown key, 409 for an
// operation the status does not allow). Their bodies are checked strictly:
// an unknown field, a wrong type, a missing required field or a number out
// of range is a 400 in PAVE's shape naming the JSON field, e.g.
// {"message": "Required fields are missing or invalid.", "errors":
// {"photo_code": ["photo_code is required"]}}.
//
// They show every account's sessions, phone numbers, recorded tokens and
// webhook secrets, so a web page must not reach them: a request is
// refused (403) unless its Host names the server's loopback address
// (against DNS rebinding), when it carries an Origin of another host or a
// Sec-Fetch-Site other than same-origin or none, and (415) when its body is
// not application/json (a form or a text/plain post). With
// Options.ControlToken set, every control request must also carry
// "Authorization: Bearer <token>" (401 otherwise), the Host check gives
// way to the token, and the server may listen on a non-loopback address.
// GET /_fake/health alone needs neither: it answers {"status": "ok"}.
//
//	GET    /_fake/health, /_fake/openapi.json, /_fake/accounts (secrets included)
//	GET    /_fake/sessions/{key}
//	POST   /_fake/sessions/{key}/start | complete | expire | invalidate
//	POST   /_fake/sessions/{key}/capture        {"photo_code": 4, "accepted": true}
//	POST   /_fake/sessions/{key}/notes          {"title": "...", "description": "..."}
//	POST   /_fake/sessions/{key}/sms            {"success": false, "message": "Undeliverable"}
//	POST   /_fake/sessions/{key}/repeat         {"previous_session_key": "...", "new_damages": [...], ...}
//	POST   /_fake/hotspots/{key}/process
//	GET    /_fake/requests, DELETE to clear     recorded API requests, with status and refusal reason
//	GET    /_fake/deliveries, DELETE to clear   delivery attempts and pending deliveries, with their state
//	POST   /_fake/deliveries/flush              wait until none is pending
//	GET    /_fake/faults, POST one, DELETE all; DELETE /_fake/faults/{id}
//	GET    /_fake/clock, POST {"advance_seconds": 691200}
//	GET    /_fake/chaos, PUT {"drop": 0.1, "duplicate": 0.1, "reorder": true, ...}
//	POST   /_fake/reset                         back to the start state (accounts and seed kept)
//
// Every answer carries the fake's clock in its Date header, so a client in
// another language may sign with the Date of the last answer and follow
// the clock as POST /_fake/clock moves it. Every refusal of a signed
// request carries the fake's reason in a Pave-Fake-Reason header (and in
// the request log), while its body stays exactly PAVE's.
//
// # Faults and recorded requests
//
// Inject makes matching requests (method and exact, glob or prefix path)
// answer a status with Retry-After, wait, drop the connection, or send a
// truncated body, a number of times. Faults apply before authentication,
// like a proxy in front of PAVE. Requests returns every API request
// received (method, path, headers, body, time).
//
// # Generated data
//
// Session keys, photo URLs, vehicles (with a valid VIN check digit),
// damages, grades and locations come from a seeded generator: the same
// Options.Seed and the same calls give the same data. GenerateResults
// builds a standalone results document, e.g. a large one for benchmarks.
//
// Options.Log writes one line per request and per delivery attempt (text
// or JSON lines), never a secret, token, phone, name or body.
//
// # Unit tests with httpmock
//
// For pure unit tests without a server, NewMockClient returns a
// *pave.Client over a fresh per-test httpmock.MockTransport (never the
// global one) with short retry waits. One helper per endpoint answers from
// the embedded fixtures, with the requested session key or event
// substituted, so tests never type URLs:
//
//	client, mt := pavetest.NewMockClient(t)
//	pavetest.OnCreateSession(mt, nil)                    // fixture session_created.json
//	pavetest.OnResults(mt, pavetest.FixtureSessionKey, nil)
//	pavetest.OnValidationError(mt, http.MethodPost, pavetest.PathSessions,
//		map[string][]string{"vehicle.vin": {"VIN is too short"}})
//	pavetest.OnRateLimited(mt, http.MethodGet, pavetest.PathSession(""), time.Second)
//
// Every operation of PAVE's API is mockable the same way, from the one
// table of operations the SDK and the fake use: OnOperation(mt,
// "Sessions.Notes", nil) answers its fixture, PathOf("Sessions.Get", key)
// builds its route. Fixture and FixtureNames expose the JSON documents;
// Path* build the routes; Calls counts what was received and Sent/LastSent return it, with
// bodies, to check what the code under test asked for; SignedBy is an
// httpmock.Matcher,
// and CheckSignature and AssertSigned check a request's HMAC signature.
package pavetest
