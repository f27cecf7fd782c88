package pave_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/pave-go/pave"
)

// A webhook receiver: check the registered secret, decode the event, and
// answer 2xx once it is handled. PAVE does not sign deliveries, so the
// secret header is what authenticates them.
func ExampleNewWebhookHandler() {
	// In production: secret, _ := pave.NewWebhookSecret(), kept in a
	// secret manager and registered with pave.NewCallback.
	const secret = "example-secret-Vd3kQ9sLr2Xw7ZpT"

	handler, err := pave.NewWebhookHandler(pave.WebhookConfig{
		Secrets: []string{secret},
		Handler: func(ctx context.Context, ev *pave.WebhookEvent) error {
			switch ev.Name {
			case pave.EventStageChange:
				sc, err := ev.StageChange()
				if err != nil {
					return err
				}
				fmt.Println("photo", sc.PhotoLabel, sc.PhotoStatus, "for", sc.SessionKey)
			case pave.EventComplete:
				res, err := ev.Complete()
				if err != nil {
					return err
				}
				fmt.Println("complete:", res.Session.SessionKey)
			default:
				fmt.Println("ignoring", ev.Name)
			}
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/pave/webhooks", handler)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// What PAVE sends for a callback registered with pave.NewCallback.
	deliver := func(headers map[string]string, body string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/pave/webhooks", strings.NewReader(body))
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		_ = resp.Body.Close()
		fmt.Println("status", resp.StatusCode)
	}
	deliver(pave.WebhookAuthHeaders(secret), `{"event": "SESSION:STAGE_CHANGE", "session_key": "LKH-7Q2M9XK4TB",
		"photo_code": 4, "photo_label": "Left", "photo_url": "https://images.example/LKH_04.jpg", "photo_status": "ACCEPTED"}`)
	deliver(pave.WebhookAuthHeaders("a-wrong-secret-0000000000"), `{"event": "SESSION:COMPLETE"}`)
	// Output:
	// photo Left ACCEPTED for LKH-7Q2M9XK4TB
	// status 204
	// status 401
}

// Register a callback setting that a handler from NewWebhookHandler with
// the same secret accepts.
func ExampleWebhooksService_Create() {
	// A stand-in for PAVE that echoes the setting as PAVE does.
	api := exampleCallbackAPI()
	defer api.Close()
	client := exampleWebhookClient(api.URL)

	const secret = "example-secret-Vd3kQ9sLr2Xw7ZpT" // from NewWebhookSecret
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
	// pave.Callback{Event: "SESSION:COMPLETE", URL: "https://dealer.example.com/pave/webhooks", Method: "POST", Headers: {"Authorization": "[REDACTED]", "X-Pave-Event": "[REDACTED]"}, Payload: {"event": "SESSION:COMPLETE"}}
}

// Parse a delivery outside net/http, e.g. in a serverless function that
// hands over the body and headers.
func ExampleParseWebhook() {
	cfg := pave.WebhookConfig{Secrets: []string{"example-secret-Vd3kQ9sLr2Xw7ZpT"}}
	header := http.Header{"Authorization": {"Bearer example-secret-Vd3kQ9sLr2Xw7ZpT"}}
	body := []byte(`{"session_key": "LKH-7Q2M9XK4TB", "phone": "+14165550123", "status": "success"}`)

	if err := pave.VerifyWebhookSecret(header, cfg); err != nil {
		fmt.Println("401")
		return
	}
	ev, err := pave.ParseWebhook(body, header)
	if err != nil {
		fmt.Println("400")
		return
	}
	sms, _ := ev.SMSProcess()
	fmt.Println(ev.Name, ev.NameFrom, ev.SessionKey, sms.Status.OK())
	// Output:
	// SESSION:SMS_PROCESS shape LKH-7Q2M9XK4TB true
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
