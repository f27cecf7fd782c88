// Package webhook receives PAVE's webhook deliveries: it checks the secret
// registered with the callback setting, parses the delivery into an Event
// with typed views, and suppresses duplicates.
//
// PAVE does not sign deliveries. It sends back, with every delivery, the
// static headers registered with the callback setting, so a delivery is
// authenticated by a secret in one of those headers, compared in constant
// time, and the receiver fails closed: no secret is a construction error.
// Register the setting with pave.NewCallback, which puts the secret in an
// "Authorization: Bearer" header and the event name in the payload:
//
//	secret, err := webhook.NewSecret() // keep it in your secret manager
//	_, _, err = client.Webhooks.Ensure(ctx, pave.NewCallback(pave.EventComplete, "https://crm.example.com/pave", secret))
//	h, err := webhook.NewHandler(webhook.Config{
//		Secrets: []string{secret},
//		Handler: func(ctx context.Context, ev *webhook.Event) error {
//			if ev.Name != pave.EventComplete {
//				return nil
//			}
//			// A delivery is a hint: fetch the results before acting on them.
//			res, err := client.Sessions.Results(ctx, ev.SessionKey)
//			...
//		},
//	})
//	http.Handle("/pave", h)
//
// The secret header proves only that the sender knows the secret, not that
// the body is true or current: treat a delivery as a notification and fetch
// the session from the API with a signed client before acting on it.
//
// PAVE documents the bodies of two events besides COMPLETE (the results
// document): SMS_PROCESS is {phone, status, message}, with no session key,
// and STAGE_CHANGE {session_key, photo_url, photo_status, message}, with no
// photo code (StageChange reads it from the _NN_ of photo_url). To route an
// SMS_PROCESS delivery, put your own correlation (the dealer an API key
// belongs to) in the setting's payload or URL query, and match the phone to
// the session you created for it (see the SMSProcess example). The bodies
// of STATUS_CHANGE and NOTE_INSERT are undocumented: their views read the
// most likely fields, and Body keeps the rest.
//
// One endpoint can receive the deliveries of several dealers (several API
// keys, each with its own callback settings) and tell them apart: give
// each dealer its own secret under a name in Config.NamedSecrets, and the
// handler sets Event.Secret to the name whose secret a delivery carried.
// Every secret is compared whichever matches, so the time taken tells
// neither whether nor which one did; a secret under two names is a
// configuration error.
//
// For frameworks other than net/http, check the headers with Verify (or
// VerifyNamed, which returns the name) and parse the body with Parse or
// ParseRequest.
//
// The package imports only the standard library and package pave.
package webhook
