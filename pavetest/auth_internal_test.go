package pavetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

// The worked signing example of docs/pave-api.md.
var acme = Account{
	Username:  "acmemotors",
	APIKey:    "9f2c4e1a-7b3d-4c5e-8f6a-1b2c3d4e5f60",
	APISecret: "s3cr3t-EXAMPLE-only",
}

func TestAuthValidSignatureThroughClient(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	sess := createSession(t, srv.Client(), nil)
	assert.Equal(t, pave.StatusIdle, sess.Status)
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, srv.Credentials().APIKey, reqs[0].Header.Get(pave.HeaderAPIKey))
}

func TestAuthFailuresThroughClient(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	good := srv.Credentials()
	wrongSecret, wrongUser, unknownKey := good, good, good
	wrongSecret.APISecret = "not-the-secret"
	wrongUser.Username = "someone-else"
	unknownKey.APIKey = "00000000-0000-4000-8000-000000000000"
	tests := []struct {
		name    string
		creds   pave.Credentials
		clock   func() time.Time
		message string
	}{
		{"wrong secret", wrongSecret, nil, msgInvalidToken},
		{"wrong username", wrongUser, nil, msgInvalidToken},
		{"unknown key", unknownKey, nil, msgUnauthorized},
		{"stale timestamp", good, func() time.Time { return srv.Now().Add(-6 * time.Minute) }, msgExpiredToken},
		{"future timestamp", good, func() time.Time { return srv.Now().Add(6 * time.Minute) }, msgExpiredToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := []pave.Option{pave.WithMaxRetries(0)}
			if tc.clock != nil {
				// Without the SDK's correction, to see the server's answer.
				opts = append(opts, pave.WithClock(tc.clock), pave.WithClockSkewCorrection(false))
			}
			c, err := srv.NewClient(tc.creds, opts...)
			require.NoError(t, err)
			_, err = c.Sessions.Create(context.Background(), nil)
			require.ErrorIs(t, err, pave.ErrUnauthorized)
			var apiErr *pave.APIError
			require.True(t, errors.As(err, &apiErr))
			assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
			assert.Equal(t, tc.message, apiErr.Message)
		})
	}
}

func TestAuthMissingHeaders(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	creds := srv.Credentials()
	ts := srv.Now().UTC().Format(pave.TimestampLayout)
	full := signed(creds, ts)
	hc := plainClient(t)
	status, _ := call(t, hc, http.MethodGet, srv.URL+"/v1/callbacks", nil, full)
	require.Equal(t, http.StatusOK, status)
	for _, drop := range []string{pave.HeaderAPIKey, pave.HeaderAPITimestamp, pave.HeaderAPIToken} {
		h := full.Clone()
		h.Del(drop)
		status, body := call(t, hc, http.MethodGet, srv.URL+"/v1/callbacks", nil, h)
		assert.Equal(t, http.StatusUnauthorized, status, drop)
		assert.JSONEq(t, `{"message":"Unauthorized."}`, string(body), drop)
	}
}

// signed returns the three v1 headers for creds at the raw timestamp ts.
func signed(creds pave.Credentials, ts string) http.Header {
	h := http.Header{}
	h.Set(pave.HeaderAPIKey, creds.APIKey)
	h.Set(pave.HeaderAPITimestamp, ts)
	h.Set(pave.HeaderAPIToken, creds.Token(ts))
	return h
}

func TestAuthDocumentedVectors(t *testing.T) {
	t.Parallel()
	// The Unix-seconds vector is lenient mode's.
	srv := NewServer(t, WithAccounts(acme), WithTimestamps(Lenient), WithClock(func() time.Time { return fixedNow }))
	hc := plainClient(t)
	for ts, token := range map[string]string{
		"2024-03-15T09:30:00Z": "fa09a39c3af6f65e0f00076cf74ce7323627a3178f96c97cf0f52a160b1a69c2",
		"1710495000":           "f6580adea050219c71db4e8a36736c9438161b68feca7e1551273d572ef25269",
	} {
		h := signed(acme.Credentials(), ts)
		require.Equal(t, token, h.Get(pave.HeaderAPIToken))
		status, body := call(t, hc, http.MethodGet, srv.URL+"/v1/callbacks", nil, h)
		assert.Equal(t, http.StatusOK, status, "%s: %s", ts, body)
	}
}

func TestAuthLenientFormats(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithAccounts(acme), WithTimestamps(Lenient), WithClock(func() time.Time { return fixedNow }))
	hc := plainClient(t)
	formats := []string{
		"2024-03-15T09:30:00Z",
		"2024-03-15T09:30:00.123Z",
		"2024-03-15T09:30:00.123456+00:00",
		"2024-03-15T11:30:00+02:00",
		strconv.FormatInt(fixedNow.Unix(), 10),
		"Fri, 15 Mar 2024 09:30:00 GMT",
	}
	for _, ts := range formats {
		status, body := call(t, hc, http.MethodGet, srv.URL+"/v1/callbacks", nil, signed(acme.Credentials(), ts))
		assert.Equal(t, http.StatusOK, status, "%s: %s", ts, body)
	}
	// Upper-case hex is accepted too in lenient mode (not in strict: see
	// TestAuthTimestampModes).
	h := signed(acme.Credentials(), formats[0])
	h.Set(pave.HeaderAPIToken, strings.ToUpper(h.Get(pave.HeaderAPIToken)))
	status, _ := call(t, hc, http.MethodGet, srv.URL+"/v1/callbacks", nil, h)
	assert.Equal(t, http.StatusOK, status)
	// Garbage is refused.
	status, body := call(t, hc, http.MethodGet, srv.URL+"/v1/callbacks", nil, signed(acme.Credentials(), "yesterday"))
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.JSONEq(t, `{"message":"Invalid API-Token."}`, string(body))
}

// The server reads API-Timestamp strictly by default, as the checkers do:
// only the form PAVE documents. Lenient also takes the forms PAVE's own
// samples send (which PAVE may refuse).
func TestAuthTimestampModes(t *testing.T) {
	t.Parallel()
	forms := []struct {
		ts      string
		lenient bool // accepted only in lenient mode
	}{
		{"2024-03-15T09:30:00Z", false},
		{"2024-03-15T09:30:00.000Z", true},  // JavaScript toJSON()
		{"2024-03-15T09:30:00+00:00", true}, // Python isoformat()
		{"2024-03-15T09:30:00.123456+00:00", true},
		{"1710495000", true},                    // the Hotspots samples' Unix seconds
		{"Fri, 15 Mar 2024 09:30:00 GMT", true}, // toUTCString()
	}
	for _, mode := range []TimestampMode{Strict, Lenient} {
		opts := []Option{WithAccounts(acme), WithClock(func() time.Time { return fixedNow })}
		if mode == Lenient {
			opts = append(opts, WithTimestamps(Lenient))
		}
		srv := NewServer(t, opts...)
		hc := plainClient(t)
		for _, f := range forms {
			t.Run(mode.String()+"/"+f.ts, func(t *testing.T) {
				h := signed(acme.Credentials(), f.ts)
				status, body := call(t, hc, http.MethodGet, srv.URL+"/v1/callbacks", nil, h)
				checked := CheckSignature(h, acme.Credentials(), mode, fixedNow, DefaultTimestampWindow)
				if f.lenient && mode == Strict {
					assert.Equal(t, http.StatusUnauthorized, status, string(body))
					assert.JSONEq(t, `{"message":"Invalid API-Token."}`, string(body))
					assert.ErrorIs(t, checked, ErrBadSignature, "the checker agrees with the server")
					return
				}
				assert.Equal(t, http.StatusOK, status, string(body))
				assert.NoError(t, checked, "the checker agrees with the server")
			})
		}
		upper := signed(acme.Credentials(), forms[0].ts)
		upper.Set(pave.HeaderAPIToken, strings.ToUpper(upper.Get(pave.HeaderAPIToken)))
		status, _ := call(t, hc, http.MethodGet, srv.URL+"/v1/callbacks", nil, upper)
		assert.Equal(t, map[TimestampMode]int{Strict: 401, Lenient: 200}[mode], status, "upper-case hex, %s", mode)
		// The SDK always sends the canonical form, so it works in both.
		_, err := srv.Client().Sessions.Create(context.Background(), nil)
		require.NoError(t, err)
	}
	_, err := Start(WithTimestamps(TimestampMode(7)))
	assert.ErrorContains(t, err, "unknown TimestampMode")
}

// PAVE's Hotspots pages list only API-Key: the fake accepts it alone, and
// checks a signature when one is sent.
func TestAuthHotspotsHeaders(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithAccounts(acme), WithClock(func() time.Time { return fixedNow }))
	sess := createSession(t, srv.Client(), nil)
	hc := plainClient(t)
	url := srv.URL + "/v1/hotspots/" + sess.SessionKey
	keyOnly := http.Header{}
	keyOnly.Set(pave.HeaderAPIKey, acme.APIKey)
	status, _ := call(t, hc, http.MethodGet, url, nil, keyOnly)
	assert.Equal(t, http.StatusOK, status)
	status, _ = call(t, hc, http.MethodGet, url, nil, signed(acme.Credentials(), "2024-03-15T09:30:00Z"))
	assert.Equal(t, http.StatusOK, status)
	bad := signed(acme.Credentials(), "2024-03-15T09:30:00Z")
	bad.Set(pave.HeaderAPIToken, strings.Repeat("0", 64))
	status, body := call(t, hc, http.MethodGet, url, nil, bad)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.JSONEq(t, `{"message":"Invalid API-Token."}`, string(body))
	status, _ = call(t, hc, http.MethodGet, url, nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
}

func TestAuthV2AccessToken(t *testing.T) {
	t.Parallel()
	other := Account{Username: "other", APIKey: "key-other", APISecret: "secret-other", AccessToken: "tok-other"}
	srv := NewServer(t, WithAccounts(acme, other), WithClock(func() time.Time { return fixedNow }))
	sess := createSession(t, srv.Client(), &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+14165550199"}})
	hc := plainClient(t)
	url := srv.URL + "/v2/capture/sessions/" + sess.SessionKey + "/resend"
	require.NoError(t, srv.SetSMSResult(sess.SessionKey, true, ""))

	status, body := call(t, hc, http.MethodPost, url, nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.JSONEq(t, `{"status":"error","message":"Unauthorized."}`, string(body))

	status, _ = call(t, hc, http.MethodPost, url, nil, http.Header{"Api-Access-Token": {"wrong"}})
	assert.Equal(t, http.StatusUnauthorized, status)

	// The other account's token authenticates, but the session is not its own.
	status, body = call(t, hc, http.MethodPost, url, nil, http.Header{"Api-Access-Token": {"tok-other"}})
	assert.Equal(t, http.StatusNotFound, status, string(body))

	// Token and v1 headers naming different accounts are refused.
	h := signed(acme.Credentials(), "2024-03-15T09:30:00Z")
	h.Set(headerAccessToken, "key-other")
	status, _ = call(t, hc, http.MethodPost, url, nil, h)
	assert.Equal(t, http.StatusUnauthorized, status)

	// The v1 headers alone authenticate.
	status, body = call(t, hc, http.MethodPost, url, nil, signed(acme.Credentials(), "2024-03-15T09:30:00Z"))
	assert.Equal(t, http.StatusOK, status, string(body))
}

func TestParseTimestamp(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"", "2024-13-01T00:00:00Z", "99999999999999999999", "x", strings.Repeat("1", 100)} {
		_, ok := parseTimestamp(v, Lenient)
		assert.False(t, ok, v)
	}
	_, ok := parseTimestamp("2024-03-15T09:30:00Z", Strict)
	assert.True(t, ok)
	_, ok = parseTimestamp("2024-03-15T09:30:00.5Z", Strict)
	assert.False(t, ok)
}

// Timestamps centuries away are outside the window in both modes: the
// skew is never computed by a subtraction that saturates and overflows.
func TestTimestampsFarAwayAreRefused(t *testing.T) {
	t.Parallel()
	for _, strict := range []bool{true, false} {
		opts := []Option{}
		if !strict {
			opts = append(opts, WithTimestamps(Lenient))
		}
		srv := NewServer(t, opts...)
		creds := srv.Credentials()
		now := srv.Now()
		cases := map[string]string{
			"9999-12-31T23:59:59Z":    "9999-12-31T23:59:59Z",
			"client 300 years ahead":  now.AddDate(300, 0, 0).UTC().Format(pave.TimestampLayout),
			"client 300 years behind": now.AddDate(-300, 0, 0).UTC().Format(pave.TimestampLayout),
			"0001-01-01T00:00:00Z":    "0001-01-01T00:00:00Z",
		}
		for name, ts := range cases {
			t.Run(fmt.Sprintf("strict=%v/%s", strict, name), func(t *testing.T) {
				status, body := call(t, plainClient(t), http.MethodGet, srv.URL+"/v1/callbacks", nil, signed(creds, ts))
				assert.Equal(t, http.StatusUnauthorized, status, string(body))
				assert.Contains(t, string(body), msgExpiredToken)
				req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
				req.Header = signed(creds, ts)
				assert.ErrorIs(t, CheckSignature(req.Header, creds, Strict, now, DefaultTimestampWindow), ErrBadSignature)
			})
		}
	}
}
