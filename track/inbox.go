package track

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/webhook"
)

// InboxConfig configures Inbox.
type InboxConfig struct {
	// Secrets maps account names (of Config.Accounts) to the secrets their
	// callback settings carry; give two for an account while rotating. A
	// delivery is credited to the account whose secret it carries. At
	// least one is required.
	Secrets map[string][]string
	// Header is the header carrying the secret (see webhook.Config.Header);
	// default "Authorization: Bearer <secret>", as pave.NewCallback
	// registers.
	Header string
	// MaxBodyBytes bounds a delivery (default webhook.DefaultMaxBodyBytes).
	MaxBodyBytes int64
}

// Inbox returns the http.Handler for PAVE's deliveries, for every account
// (register pave.NewCallback(event, url, secret) with each account's secret
// for SESSION:COMPLETE and SESSION:STATUS_CHANGE at least). It checks the
// secret with package webhook (401 without one it knows), commits what the
// delivery says to the store, and only then answers 204: a 500 when the
// store fails, so that PAVE may deliver again. What the delivery means is
// worked out afterwards, from the store, by Run.
//
// A delivery is identified by its event, session key, body and account (PAVE
// sends no id): a repeat is acknowledged without a second entry. The inbox
// keeps the event, the session key and the status a delivery reports,
// never its body (an SMS_PROCESS body holds a phone number); a delivery that
// names no session (SMS_PROCESS, as documented) is acknowledged and not
// kept.
func (l *Ledger) Inbox(cfg InboxConfig) (http.Handler, error) {
	if len(cfg.Secrets) == 0 {
		return nil, fmt.Errorf("track: InboxConfig.Secrets is empty: deliveries cannot be checked")
	}
	for name := range cfg.Secrets {
		if _, err := l.client(name); err != nil {
			return nil, fmt.Errorf("track: InboxConfig.Secrets: %w (not in Config.Accounts)", err)
		}
	}
	return webhook.NewHandler(webhook.Config{NamedSecrets: cfg.Secrets, Header: cfg.Header,
		MaxBodyBytes: cfg.MaxBodyBytes, Logger: l.log, Handler: l.commit})
}

// commit records a verified delivery in the inbox.
func (l *Ledger) commit(ctx context.Context, ev *webhook.Event) error {
	if ev.SessionKey == "" {
		return nil
	}
	now := l.nowMS()
	n, err := l.store.exec(ctx, `INSERT INTO track_inbox (id, account, event, session_key, status, received_at, next_at)
VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING`,
		deliveryID(ev), ev.Secret, string(ev.Name), ev.SessionKey, string(deliveryStatus(ev)), now)
	if err != nil {
		return fmt.Errorf("track: committing the delivery: %w", err)
	}
	if n == 0 {
		l.stats.duplicates.Add(1)
		return nil
	}
	l.stats.deliveries.Add(1)
	l.notify()
	return nil
}

// deliveryID derives an id from the event, the session key, the body's
// hash and the account, each length-prefixed.
func deliveryID(ev *webhook.Event) string {
	body := sha256.Sum256(ev.Body)
	h := sha256.New()
	for _, part := range [][]byte{[]byte(ev.Name), []byte(ev.SessionKey), body[:], []byte(ev.Secret)} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// deliveryStatus is the status a delivery shows the session reached: a
// COMPLETE event COMPLETE, a STATUS_CHANGE its status, a STAGE_CHANGE (a
// photo taken) PROCESS; "" for others.
func deliveryStatus(ev *webhook.Event) pave.SessionStatus {
	switch ev.Name {
	case pave.EventComplete:
		return pave.StatusComplete
	case pave.EventStageChange:
		return pave.StatusProcess
	case pave.EventStatusChange:
		if sc, err := ev.StatusChange(); err == nil {
			return sc.Status
		}
	}
	return ""
}

// delivery is an inbox row claimed for processing.
type delivery struct {
	id, account, event, sessionKey, status, token string
	attempts                                      int
}

// processDelivery applies a delivery to its session's record: it moves the
// status forward, or adopts a session the ledger does not know. It returns
// an error when it should be tried again.
func (l *Ledger) processDelivery(ctx context.Context, d *delivery) error {
	if err := l.delivered(ctx, d.account); err != nil {
		return err
	}
	rec, err := l.store.recordWhere(ctx, "account = $1 AND session_key = $2", d.account, d.sessionKey)
	switch {
	case err != nil:
		return err
	case rec == nil:
		if err := l.adopt(ctx, d.account, d.sessionKey); err != nil {
			return err
		}
		if rec, err = l.store.recordWhere(ctx, "account = $1 AND session_key = $2", d.account, d.sessionKey); rec == nil {
			return err // PAVE does not know the session: nothing to apply
		}
	}
	return l.advance(ctx, rec, pave.SessionStatus(d.status), "webhook")
}

// finishDelivery marks a delivery processed, or due again after a backoff.
func (l *Ledger) finishDelivery(ctx context.Context, d *delivery, err error) {
	if err == nil {
		_, err = l.store.exec(ctx, `UPDATE track_inbox SET next_at = NULL, lease_owner = '', lease_until = 0
WHERE id = $1 AND lease_owner = $2`, d.id, d.token)
	} else {
		l.log.LogAttrs(ctx, slog.LevelWarn, "track: delivery not yet applied", slog.String("account", d.account),
			slog.String("session_key", d.sessionKey), slog.String("event", d.event), errAttr(err))
		_, err = l.store.exec(ctx, `UPDATE track_inbox SET next_at = $1, attempts = attempts + 1, lease_owner = '',
  lease_until = 0 WHERE id = $2 AND lease_owner = $3`, ms(l.now().Add(l.retryIn(err, d.attempts))), d.id, d.token)
	}
	if err != nil {
		l.stats.storeErrors.Add(1)
	}
}
