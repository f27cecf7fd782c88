package track_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/track"
)

func TestInboxAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noRun: true, accounts: 2})
	body := `{"event":"SESSION:STATUS_CHANGE","session_key":"ABC-0000000001","status":"STARTED"}`
	post := func(auth, body string) int {
		req, err := http.NewRequest(http.MethodPost, e.inbox.URL, strings.NewReader(body))
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, post("", body))
	assert.Equal(t, http.StatusUnauthorized, post("whsec-wrong-0123456789abcdef0123456789", body))
	assert.Equal(t, http.StatusBadRequest, post(e.secrets["dealer1"], "not json"))
	assert.Equal(t, http.StatusNoContent, post(e.secrets["dealer1"], body))
	assert.Equal(t, http.StatusNoContent, post(e.secrets["dealer1"], body), "a repeat is acknowledged")
	assert.Equal(t, http.StatusNoContent, post(e.secrets["dealer2"], body),
		"the same body for another account is another delivery")
	sms := `{"event":"SESSION:SMS_PROCESS","phone":"416-555-0199","status":"success"}`
	assert.Equal(t, http.StatusNoContent, post(e.secrets["dealer1"], sms), "a delivery naming no session is acknowledged")
	s, err := e.ledger.Summary(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, s.Inbox)
	assert.Equal(t, 2, s.InboxPending)
	st := e.ledger.Stats()
	assert.Equal(t, int64(2), st.Deliveries)
	assert.Equal(t, int64(1), st.Duplicates)

	require.NoError(t, e.store.DB().Close()) // the store fails: PAVE must deliver again
	assert.Equal(t, http.StatusInternalServerError, post(e.secrets["dealer1"],
		`{"event":"SESSION:COMPLETE","session":{"session_key":"ABC-0000000002"}}`))
}

// TestNothingPersonalIsLoggedOrKept creates a session with a phone number
// and names, drives it through every event, and looks for them in the logs
// and in every column the ledger keeps but the results.
func TestNothingPersonalIsLoggedOrKept(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{kind: kind})
			ctx := context.Background()
			for _, ev := range []pave.EventName{pave.EventSMSProcess, pave.EventStageChange, pave.EventNoteInsert} {
				_, _, err := e.clients["dealer1"].Webhooks.Ensure(ctx, pave.NewCallback(ev, e.inbox.URL, e.secrets["dealer1"]))
				require.NoError(t, err)
			}
			req := &pave.CreateSessionRequest{
				Session: &pave.SessionSettings{RedirectURL: "https://dealer.example/done",
					Contact: &pave.Contact{FirstName: "Marisol", LastName: "Quintanilla"}},
				SMS: &pave.SMS{To: "416-555-0199", ToName: "Marisol Quintanilla", From: "416-555-0100", By: "Lakeside"},
			}
			rec, err := e.ledger.Create(ctx, "dealer1", "lead-1", req)
			require.NoError(t, err)
			require.NoError(t, e.srv.SetSMSResult(rec.SessionKey, false, "undeliverable to 416-555-0199"))
			require.NoError(t, e.srv.AddNote(rec.SessionKey, "Marisol", "call 416-555-0199"))
			require.NoError(t, e.srv.Complete(rec.SessionKey))
			e.waitPhase(track.Key{Ref: "lead-1"}, track.PhaseDone)

			secrets := []string{e.secrets["dealer1"], e.srv.Accounts()[0].APISecret}
			for _, bad := range append([]string{"416-555-0199", "5550199", "Marisol", "Quintanilla"}, secrets...) {
				assert.NotContains(t, e.logs.String(), bad)
				for _, q := range []string{
					`SELECT account || ref || session_key || phase || status || source || capture_url || learned_by ||
  last_error || lease_owner FROM track_records`,
					`SELECT id || account || event || session_key || status FROM track_inbox`,
				} {
					assert.NotContains(t, dump(t, e.store.DB(), q), bad, q)
				}
			}
		})
	}
}

func dump(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(q)
	require.NoError(t, err)
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var s sql.NullString
		require.NoError(t, rows.Scan(&s))
		fmt.Fprintln(&b, s.String)
	}
	require.NoError(t, rows.Err())
	return b.String()
}
