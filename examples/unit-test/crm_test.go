package crm_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	crm "github.com/pave-go/pave/examples/unit-test"
	"github.com/pave-go/pave/pavetest"
)

// These tests run our CRM code on a real *pave.Client whose requests go to
// an httpmock transport: pavetest.NewMockClient builds both (it is
// pave.NewClient with pave.WithHTTPClient(&http.Client{Transport:
// httpmock.NewMockTransport()})). The SDK signs, validates, sends and
// decodes as in production, and nothing leaves the process. Each test has
// its own transport, so they run in parallel.

const key = pavetest.FixtureSessionKey

func TestStartTradeIn(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnCreateSession(mt, nil) // answer with the kit's fixture

	lead := crm.Lead{ID: "LEAD-88127", FirstName: "Maria", LastName: "Lopez", VIN: "1HGCV1F39LA012345"}
	link, err := crm.StartTradeIn(context.Background(), client, lead)
	require.NoError(t, err)
	assert.Equal(t, "https://northshoreauto.vehiclecapture.com/"+key, link)

	// What our code asked PAVE for, as it went over the wire.
	req, ok := pavetest.LastSent(mt, http.MethodPost, pavetest.PathSessions)
	require.True(t, ok)
	pavetest.AssertSigned(t, req.Header, pavetest.MockCredentials())
	var sent pave.CreateSessionRequest
	require.NoError(t, req.DecodeBody(&sent))
	require.NotNil(t, sent.Session)
	assert.Equal(t, "LEAD-88127", sent.Session.ClientID)
	assert.Equal(t, crm.RedirectURL, sent.Session.RedirectURL)
	assert.Equal(t, &pave.Contact{FirstName: "Maria", LastName: "Lopez"}, sent.Session.Contact)
	require.NotNil(t, sent.Vehicle)
	assert.Equal(t, "1HGCV1F39LA012345", sent.Vehicle.VIN)
	assert.Equal(t, 1, pavetest.Calls(mt, http.MethodPost, pavetest.PathSessions), "a session is created once")
}

func TestStartTradeInWithoutVIN(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnCreateSession(mt, nil)

	_, err := crm.StartTradeIn(context.Background(), client, crm.Lead{ID: "LEAD-1"})
	require.NoError(t, err)
	req, ok := pavetest.LastSent(mt, http.MethodPost, pavetest.PathSessions)
	require.True(t, ok)
	var raw map[string]any
	require.NoError(t, req.DecodeBody(&raw))
	assert.NotContains(t, raw, "vehicle", "no VIN, no vehicle object")
	assert.NotContains(t, raw["session"], "contact", "no name, no contact")
}

func TestStartTradeInBadVIN(t *testing.T) {
	t.Parallel()

	t.Run("refused by PAVE", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t)
		pavetest.OnValidationError(mt, http.MethodPost, pavetest.PathSessions,
			map[string][]string{"vehicle.vin": {"The VIN could not be decoded."}})

		_, err := crm.StartTradeIn(context.Background(), client, crm.Lead{ID: "LEAD-2", VIN: "1HGCV1F39LA099999"})
		require.ErrorIs(t, err, crm.ErrBadVIN)
		require.ErrorIs(t, err, pave.ErrValidation)
		var apiErr *pave.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
		assert.Equal(t, []string{"The VIN could not be decoded."}, apiErr.Errors["vehicle.vin"])
		assert.Equal(t, 1, pavetest.Calls(mt, http.MethodPost, pavetest.PathSessions), "a 400 is not retried")
	})

	t.Run("caught before sending", func(t *testing.T) {
		t.Parallel()
		client, mt := pavetest.NewMockClient(t) // nothing registered: a request would fail
		_, err := crm.StartTradeIn(context.Background(), client, crm.Lead{ID: "LEAD-3", VIN: "not-a-vin"})
		require.ErrorIs(t, err, crm.ErrBadVIN)
		var valErr *pave.ValidationError
		require.ErrorAs(t, err, &valErr)
		assert.Zero(t, mt.GetTotalCallCount())
	})
}

func TestStartTradeInUnauthorized(t *testing.T) {
	t.Parallel()
	client, mt := pavetest.NewMockClient(t)
	pavetest.OnError(mt, http.MethodPost, pavetest.PathSessions, http.StatusUnauthorized, "Invalid API-Token.")

	_, err := crm.StartTradeIn(context.Background(), client, crm.Lead{ID: "LEAD-4"})
	require.ErrorIs(t, err, pave.ErrUnauthorized)
	assert.NotErrorIs(t, err, crm.ErrBadVIN)
	assert.Contains(t, err.Error(), "LEAD-4")
	assert.Contains(t, err.Error(), "Invalid API-Token.")
}

func TestTradeInOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(mt *pavetest.MockTransport)
		want    crm.Outcome
		wantErr error
	}{
		{
			name:  "complete", // the kit's results.json: grade 3, two damages
			setup: func(mt *pavetest.MockTransport) { pavetest.OnResults(mt, key, nil) },
			want:  crm.Outcome{Ready: true, Grade: ptr(3), Damages: 2},
		},
		{
			name: "complete, no grade reported",
			setup: func(mt *pavetest.MockTransport) {
				pavetest.OnResults(mt, key, []byte(`{"session": {"session_key": "`+key+`", "status": "COMPLETE"}, "inspection": {"damages": []}}`))
			},
			want: crm.Outcome{Ready: true},
		},
		{
			name:  "still inspecting",
			setup: func(mt *pavetest.MockTransport) { pavetest.OnNotReady(mt, key) },
			want:  crm.Outcome{},
		},
		{
			name:    "unknown session",
			setup:   func(mt *pavetest.MockTransport) { pavetest.OnNotFound(mt, http.MethodGet, pavetest.PathResults(key)) },
			wantErr: pave.ErrNotFound,
		},
		{
			name: "PAVE down",
			setup: func(mt *pavetest.MockTransport) {
				pavetest.OnError(mt, http.MethodGet, pavetest.PathResults(key), http.StatusServiceUnavailable, "Service Unavailable.")
			},
			wantErr: pave.ErrServer,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, mt := pavetest.NewMockClient(t)
			tt.setup(mt)

			got, err := crm.TradeInOutcome(context.Background(), client, key)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func ptr[T any](v T) *T { return &v }
