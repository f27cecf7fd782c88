package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

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

// One endpoint for every dealer: each dealer's callback settings carry its
// own secret, and the handler tells which dealer a delivery is for by the
// secret it carries (Event.Secret). Dealer d-22 is rotating, so both of its
// secrets are accepted until the old one is dropped.
func ExampleConfig_namedSecrets() {
	// In production: one webhook.NewSecret per dealer, kept in a secret
	// manager and registered with that dealer's API key.
	dealers := map[string][]string{
		"d-17": {"example-secret-d17-Vd3kQ9sLr2Xw"},
		"d-22": {"example-secret-d22-old-Hq8Wm2Lp", "example-secret-d22-new-Tz4Qe9Rk"},
		"d-35": {"example-secret-d35-Ns1Kd6VxB7Jc"},
	}
	handler, err := webhook.NewHandler(webhook.Config{
		NamedSecrets: dealers,
		Handler: func(ctx context.Context, ev *webhook.Event) error {
			// ev.Secret is the dealer whose secret the delivery carried.
			fmt.Println("dealer", ev.Secret, ev.Name, ev.SessionKey)
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	deliver := func(secret, body string) {
		req, err := http.NewRequest(http.MethodPost, "https://crm.example.com/pave", strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		fmt.Println("status", w.Code)
	}
	const body = `{"event": "SESSION:STATUS_CHANGE", "session_key": "%s", "status": "STARTED"}`
	deliver("example-secret-d17-Vd3kQ9sLr2Xw", fmt.Sprintf(body, "LKH-7Q2M9XK4TB"))
	deliver("example-secret-d22-old-Hq8Wm2Lp", fmt.Sprintf(body, "MRT-3J8P5VN2QA"))
	deliver("example-secret-d22-new-Tz4Qe9Rk", fmt.Sprintf(body, "MRT-6W1C4ZT8LE"))
	deliver("example-secret-d35-Ns1Kd6VxB7Jc", fmt.Sprintf(body, "PQS-9F2H7RB5MD"))
	deliver("a-secret-no-dealer-has-00000000", fmt.Sprintf(body, "XXX-0000000000"))
	// Output:
	// dealer d-17 SESSION:STATUS_CHANGE LKH-7Q2M9XK4TB
	// status 204
	// dealer d-22 SESSION:STATUS_CHANGE MRT-3J8P5VN2QA
	// status 204
	// dealer d-22 SESSION:STATUS_CHANGE MRT-6W1C4ZT8LE
	// status 204
	// dealer d-35 SESSION:STATUS_CHANGE PQS-9F2H7RB5MD
	// status 204
	// status 401
}

// Outside net/http, VerifyNamed checks the headers against every dealer's
// secrets and says whose matched.
func ExampleVerifyNamed() {
	dealers := map[string][]string{
		"d-17": {"example-secret-d17-Vd3kQ9sLr2Xw"},
		"d-22": {"example-secret-d22-new-Tz4Qe9Rk"},
	}
	header := http.Header{"Authorization": {"Bearer example-secret-d22-new-Tz4Qe9Rk"}}
	dealer, err := webhook.VerifyNamed(header, dealers)
	if err != nil {
		fmt.Println("401")
		return
	}
	fmt.Println("delivery for", dealer)

	_, err = webhook.VerifyNamed(http.Header{"Authorization": {"Bearer not-a-dealer-secret-000000"}}, dealers)
	fmt.Println(errors.Is(err, webhook.ErrUnauthorized))
	// Output:
	// delivery for d-22
	// true
}

// A SecretMap lets one endpoint serve dealers added and removed while it
// runs, and the handler reach the request for checks of its own (here: the
// dealer id in the URL must be the dealer whose secret the delivery
// carried).
func ExampleSecretMap() {
	dealers, err := webhook.NewSecretMap(map[string][]string{"d-17": {"secret-of-dealer-17-0123456789"}})
	if err != nil {
		log.Fatal(err)
	}
	h, err := webhook.NewHandler(webhook.Config{
		SecretLookup: dealers,
		DedupWindow:  10 * time.Minute,
		DedupStore:   webhook.NewMemoryStore(0, nil), // keep it to rebuild the handler without forgetting
		Handler: func(ctx context.Context, ev *webhook.Event) error {
			if ev.Request.PathValue("dealer") != ev.Secret {
				return fmt.Errorf("delivery for %s carried the secret of %s", ev.Request.PathValue("dealer"), ev.Secret)
			}
			fmt.Println("delivery for", ev.Secret, ev.Name)
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /pave/{dealer}", h)

	// Onboarding a dealer needs no new handler.
	if err := dealers.Set("d-22", "secret-of-dealer-22-0123456789"); err != nil {
		log.Fatal(err)
	}
	body := `{"event": "SESSION:STATUS_CHANGE", "session_key": "HBM-4R7T2KQ9XZ", "status": "STARTED"}`
	req := httptest.NewRequest(http.MethodPost, "/pave/d-22", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer secret-of-dealer-22-0123456789")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	fmt.Println(w.Code)
	// Output:
	// delivery for d-22 SESSION:STATUS_CHANGE
	// 204
}
