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
//	_, err = client.Webhooks.Ensure(ctx, pave.NewCallback(pave.EventComplete, "https://crm.example.com/pave", secret))
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
// For frameworks other than net/http, check the headers with Verify and
// parse the body with Parse or ParseRequest.
//
// The package imports only the standard library and package pave.
package webhook
