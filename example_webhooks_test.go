package pave_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// Register a callback setting whose deliveries a webhook.Handler with the
// same secret accepts.
func ExampleWebhooksService_Create() {
	// A stand-in for PAVE that echoes the setting as PAVE does.
	api := exampleCallbackAPI()
	defer api.Close()
	client := exampleWebhookClient(api.URL)

	const secret = "example-secret-Vd3kQ9sLr2Xw7ZpT" // from webhook.NewSecret
	// Authorization: Bearer <secret>, X-Pave-Event and payload {"event": ...}.
	setting := pave.NewCallback(pave.EventComplete, "https://dealer.example.com/pave/webhooks", secret)
	created, err := client.Webhooks.Create(context.Background(), setting)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(created.Event, created.URL)
	fmt.Println(created) // header values print redacted
	// Output:
	// SESSION:COMPLETE https://dealer.example.com/pave/webhooks
	// pave.Callback{Event: "SESSION:COMPLETE", URL: "https://dealer.example.com/pave/webhooks", Method: "POST", Headers: {"Authorization": "[REDACTED]", "X-Pave-Event": "SESSION:COMPLETE"}, Payload: {"event": "SESSION:COMPLETE"}}
}

// Make the callback settings what this release of the program wants, at
// every start-up and from every replica: a setting that already matches is
// only read. Here the fake PAVE server stands in for PAVE.
func ExampleWebhooksService_Ensure() {
	srv, err := pavetest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	const secret = "example-secret-Vd3kQ9sLr2Xw7ZpT" // from webhook.NewSecret, kept in a secret manager
	for _, event := range []pave.EventName{pave.EventComplete, pave.EventStatusChange} {
		setting := pave.NewCallback(event, "https://dealer.example.com/pave/webhooks", secret)
		if _, _, err := client.Webhooks.Ensure(ctx, setting); err != nil {
			// A *ValidationError (an unset secret, say) comes before any
			// request; anything else is safe to retry with Ensure.
			log.Fatal(err)
		}
	}
	first := len(srv.Requests())

	// The next start-up: both settings already match, so only GETs.
	for _, event := range []pave.EventName{pave.EventComplete, pave.EventStatusChange} {
		setting := pave.NewCallback(event, "https://dealer.example.com/pave/webhooks", secret)
		if _, _, err := client.Webhooks.Ensure(ctx, setting); err != nil {
			log.Fatal(err)
		}
	}
	for _, r := range srv.Requests()[first:] {
		fmt.Println(r.Method, r.Path)
	}

	// An empty secret never reaches PAVE.
	_, _, err = client.Webhooks.Ensure(ctx, pave.NewCallback(pave.EventComplete, "https://dealer.example.com/pave/webhooks", ""))
	fmt.Println(errors.Is(err, pave.ErrValidation), pave.FieldErrors(err)["headers.Authorization"])
	// Output:
	// GET /v1/callbacks/SESSION:COMPLETE
	// GET /v1/callbacks/SESSION:STATUS_CHANGE
	// true [Bearer token is empty (webhook.NewHandler refuses such a secret; create one with webhook.NewSecret)]
}

// exampleCallbackAPI answers POST /v1/callbacks with the flat setting plus
// api_key, as PAVE documents.
func exampleCallbackAPI() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/callbacks" {
			http.NotFound(w, r)
			return
		}
		var setting map[string]any
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &setting) != nil {
			http.Error(w, `{"message": "Missing required fields."}`, http.StatusBadRequest)
			return
		}
		setting["api_key"] = r.Header.Get(pave.HeaderAPIKey)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(setting)
	}))
}

func exampleWebhookClient(baseURL string) *pave.Client {
	creds := pave.Credentials{Username: "lakesidehonda", APIKey: "9f2c4e1a-7b3d-4c5e-8f6a-1b2c3d4e5f60", APISecret: "example-api-secret"}
	client, err := pave.NewClient(creds, pave.WithBaseURL(baseURL))
	if err != nil {
		log.Fatal(err)
	}
	return client
}
