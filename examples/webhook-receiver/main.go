// Command webhook-receiver is a small service that receives PAVE's webhooks
// and, when an inspection completes, fetches its results from the API
// before acting on them.
//
//	export PAVE_USERNAME=... PAVE_API_KEY=... PAVE_API_SECRET=...
//	export PAVE_WEBHOOK_SECRET=...   # optional: one is generated if unset
//	export PAVE_BASE_URL=...         # optional: another API host
//	go run ./examples/webhook-receiver -addr :8080
//
// PAVE does not sign deliveries: it sends back the headers registered with
// each callback setting. Register "Authorization: Bearer <secret>" for your
// URL (pave.NewCallback does it) and keep the secret in PAVE_WEBHOOK_SECRET;
// deliveries without it are answered 401. Without PAVE_WEBHOOK_SECRET the
// service generates a secret and prints the header to register.
//
// It logs the event name and the session key of each delivery, never a body:
// deliveries carry customers' names and phone numbers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/webhook"
)

// EnvWebhookSecret holds the secret PAVE sends back with each delivery.
const EnvWebhookSecret = "PAVE_WEBHOOK_SECRET"

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	path := flag.String("path", "/pave/webhooks", "URL path of the webhook endpoint")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), `Usage: webhook-receiver [-addr :8080] [-path /pave/webhooks]

Receives PAVE webhooks and fetches completed inspections from the API.
Environment:
  %s, %s, %s   API credentials (required)
  %s   secret expected in "Authorization: Bearer <secret>" (generated if unset)
  %s   API host (default %s)

`, pave.EnvUsername, pave.EnvAPIKey, pave.EnvAPISecret, EnvWebhookSecret, "PAVE_BASE_URL", pave.DefaultBaseURL)
		flag.PrintDefaults()
	}
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, *path, logger); err != nil {
		logger.Error("webhook-receiver stopped", "err", err)
		if errors.Is(err, errUsage) {
			flag.Usage()
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errUsage marks a configuration problem worth showing the usage for.
var errUsage = errors.New("configuration")

func run(addr, path string, logger *slog.Logger) error {
	creds, err := pave.CredentialsFromEnv()
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	opts := []pave.Option{pave.WithLogger(logger)}
	if base := os.Getenv("PAVE_BASE_URL"); base != "" {
		opts = append(opts, pave.WithBaseURL(base))
	}
	client, err := pave.NewClient(creds, opts...)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}

	secret := os.Getenv(EnvWebhookSecret)
	if secret == "" {
		if secret, err = webhook.NewSecret(); err != nil {
			return err
		}
		// Shown once, on the terminal of whoever starts the service, so it
		// can be registered and stored; a real deployment reads it from a
		// secret manager instead.
		fmt.Fprintf(os.Stderr, "%s is not set; generated a secret for this run.\n"+
			"Register your callbacks with the header\n\n  Authorization: Bearer %s\n\n"+
			"(pave.NewCallback(event, url, secret) does it) and set %s to keep it.\n\n",
			EnvWebhookSecret, secret, EnvWebhookSecret)
	}

	r := &receiver{client: client, logger: logger}
	handler, err := webhook.NewHandler(webhook.Config{
		Secrets:     []string{secret},
		Handler:     r.handle,
		DedupWindow: 10 * time.Minute, // PAVE may deliver an event more than once
		Logger:      logger,           // event name, session key and outcome only
	})
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errUsage, EnvWebhookSecret, err)
	}

	mux := http.NewServeMux()
	mux.Handle(path, handler)
	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // handling COMPLETE calls the API
		IdleTimeout:       2 * time.Minute,
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	logger.Info("listening for PAVE webhooks", "addr", addr, "path", path)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// receiver acts on deliveries.
type receiver struct {
	client *pave.Client
	logger *slog.Logger
}

// handle is called once per authentic delivery. An error answers 500, so
// PAVE may deliver the event again; keep personal data out of its text.
func (r *receiver) handle(ctx context.Context, ev *webhook.Event) error {
	switch ev.Name {
	case pave.EventComplete:
		return r.completed(ctx, ev.SessionKey)
	case pave.EventStageChange, pave.EventStatusChange, pave.EventSMSProcess, pave.EventNoteInsert:
		r.logger.Info("webhook", "event", ev.Name, "session_key", ev.SessionKey)
		return nil
	default:
		// Unknown events are acknowledged, so PAVE does not retry them.
		r.logger.Warn("webhook with an unknown event", "event", ev.Name, "session_key", ev.SessionKey)
		return nil
	}
}

// completed fetches the session from the API and acts on its results. The
// delivery only says "look at this session": anyone who learns the URL and
// the secret could forge one, but not the signed API's answer.
func (r *receiver) completed(ctx context.Context, key string) error {
	if key == "" {
		r.logger.Warn("SESSION:COMPLETE without a session key: ignored")
		return nil
	}
	sess, err := r.client.Sessions.Get(ctx, key)
	if errors.Is(err, pave.ErrNotFound) {
		// Not a session of this API key: nothing to do, and no retry.
		r.logger.Warn("SESSION:COMPLETE for an unknown session", "session_key", key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("get session %s: %w", key, err)
	}
	if sess.Status != pave.StatusComplete {
		r.logger.Warn("SESSION:COMPLETE but the session is not complete", "session_key", key, "status", sess.Status)
		return nil
	}
	res, err := r.client.Sessions.Results(ctx, key)
	if err != nil {
		return fmt.Errorf("get results of %s: %w", key, err)
	}
	recordOutcome(sess, res.Summary())
	r.logger.Info("inspection complete", "event", pave.EventComplete, "session_key", key)
	return nil
}

// recordOutcome is where your code acts on verified results: find the CRM
// lead sess.ClientID, store sum.Grade and sum.DamageCount, price the
// trade-in. Make it idempotent: PAVE may deliver an event twice.
func recordOutcome(sess *pave.Session, sum pave.ResultsSummary) {
	_, _ = sess, sum
}
