package webhook_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/webhook"
)

// A webhook receiver: check the registered secret, decode the event, and
// answer 2xx once it is handled. PAVE does not sign deliveries, so the
// secret header is what authenticates them.
func ExampleNewHandler() {
	// In production: secret, _ := webhook.NewSecret(), kept in a
	// secret manager and registered with pave.NewCallback.
	const secret = "example-secret-Vd3kQ9sLr2Xw7ZpT"

	handler, err := webhook.NewHandler(webhook.Config{
		Secrets: []string{secret},
		Handler: func(ctx context.Context, ev *webhook.Event) error {
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
	deliver(map[string]string{"Authorization": "Bearer " + secret}, `{"event": "SESSION:STAGE_CHANGE", "session_key": "LKH-7Q2M9XK4TB",
		"photo_code": 4, "photo_label": "Left", "photo_url": "https://images.example/LKH_04.jpg", "photo_status": "ACCEPTED"}`)
	deliver(map[string]string{"Authorization": "Bearer a-wrong-secret-0000000000"}, `{"event": "SESSION:COMPLETE"}`)
	// Output:
	// photo Left ACCEPTED for LKH-7Q2M9XK4TB
	// status 204
	// status 401
}

// Parse a delivery outside net/http, e.g. in a serverless function that
// hands over the body and headers.
func ExampleParse() {
	secret := "example-secret-Vd3kQ9sLr2Xw7ZpT"
	header := http.Header{"Authorization": {"Bearer example-secret-Vd3kQ9sLr2Xw7ZpT"}}
	body := []byte(`{"session_key": "LKH-7Q2M9XK4TB", "phone": "+14165550123", "status": "success"}`)

	if err := webhook.Verify(header, secret); err != nil {
		fmt.Println("401")
		return
	}
	ev, err := webhook.Parse(body, header)
	if err != nil {
		fmt.Println("400")
		return
	}
	sms, _ := ev.SMSProcess()
	fmt.Println(ev.Name, ev.NameFrom, ev.SessionKey, sms.Status.OK())
	// Output:
	// SESSION:SMS_PROCESS shape LKH-7Q2M9XK4TB true
}

// PAVE documents SMS_PROCESS as {phone, status, message}: no session key.
// A callback setting belongs to one API key, so the setting's payload (or
// its URL's query) can carry your own correlation, such as the dealer the
// key belongs to; PAVE merges the payload into every delivery. Then match
// the phone to the session you created for it in your own records.
func ExampleEvent_SMSProcess() {
	const secret = "example-secret-Vd3kQ9sLr2Xw7ZpT"
	cb := pave.NewCallback(pave.EventSMSProcess, "https://crm.example.com/pave/sms", secret)
	cb.Payload["dealer"] = "d-17" // registered once per dealer's API key

	h, err := webhook.NewHandler(webhook.Config{
		Secrets: []string{secret},
		Handler: func(ctx context.Context, ev *webhook.Event) error {
			sms, err := ev.SMSProcess()
			if err != nil {
				return err
			}
			var mine struct {
				Dealer string `json:"dealer"`
			}
			if err := ev.Decode(&mine); err != nil {
				return err
			}
			// The phone is personal data: look it up, do not log it.
			fmt.Println("dealer", mine.Dealer, "SMS", sms.Status, "session key absent:", ev.SessionKey == "")
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	// The documented body, with the setting's payload merged in.
	body := `{"phone": "+14165550123", "status": "error", "message": "Unreachable destination handset",
		"event": "SESSION:SMS_PROCESS", "dealer": "d-17"}`
	req := httptest.NewRequest(http.MethodPost, "/pave/sms", strings.NewReader(body))
	for k, v := range cb.Headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	fmt.Println(w.Code)
	// Output:
	// dealer d-17 SMS error session key absent: true
	// 204
}
