package pave_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

type signingVectors struct {
	Username  string `json:"username"`
	APIKey    string `json:"api_key"`
	APISecret string `json:"api_secret"`
	Vectors   []struct {
		Timestamp string `json:"timestamp"`
		Message   string `json:"message"`
		Token     string `json:"token"`
	} `json:"vectors"`
}

func loadVectors(t *testing.T) (signingVectors, pave.Credentials) {
	t.Helper()
	var v signingVectors
	require.NoError(t, json.Unmarshal(fixture(t, "signing_vectors.json"), &v))
	require.Len(t, v.Vectors, 2)
	return v, pave.Credentials{Username: v.Username, APIKey: v.APIKey, APISecret: v.APISecret}
}

func TestTokenMatchesReferenceVectors(t *testing.T) {
	t.Parallel()
	v, creds := loadVectors(t)
	for _, row := range v.Vectors {
		t.Run(row.Timestamp, func(t *testing.T) {
			t.Parallel()
			// The fixture's message documents what is signed.
			assert.Equal(t, v.Username+":"+v.APIKey+"@"+row.Timestamp, row.Message)
			assert.Equal(t, row.Token, creds.Token(row.Timestamp))
		})
	}
}

func TestSignedRequestMatchesReferenceVector(t *testing.T) {
	t.Parallel()
	v, creds := loadVectors(t)
	at := time.Date(2024, 3, 15, 9, 30, 0, 0, time.UTC)

	mt := pavetest.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, mockBase+"/v1/sessions/"+sessionKey,
		jsonResponder(200, `{"session_key":"`+sessionKey+`"}`))
	c, err := mt.NewClient(creds, pave.WithClock(func() time.Time { return at }))
	require.NoError(t, err)

	_, err = c.Sessions.Get(context.Background(), sessionKey)
	require.NoError(t, err)
	reqs := sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey)
	require.Len(t, reqs, 1)
	h := reqs[0].Header
	pavetest.AssertSigned(t, h, creds)
	assert.Equal(t, []string{"9f2c4e1a-7b3d-4c5e-8f6a-1b2c3d4e5f60"}, h.Values("API-Key"))
	assert.Equal(t, []string{"2024-03-15T09:30:00Z"}, h.Values("API-Timestamp"))
	assert.Equal(t, []string{v.Vectors[0].Token}, h.Values("API-Token"))
}

func TestFormatTimestamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"utc", time.Date(2024, 3, 15, 9, 30, 0, 0, time.UTC), "2024-03-15T09:30:00Z"},
		{"fraction dropped", time.Date(2024, 3, 15, 9, 30, 0, 999_999_999, time.UTC), "2024-03-15T09:30:00Z"},
		{"offset converted", time.Date(2024, 3, 15, 11, 30, 0, 0, time.FixedZone("CEST", 2*3600)), "2024-03-15T09:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, tt.in.UTC().Format(pave.TimestampLayout))
		})
	}
}

// steppingClock advances by step on every reading.
func steppingClock(start time.Time, step time.Duration) func() time.Time {
	var n atomic.Int64
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * step) }
}

func TestEveryAttemptIsSignedWithAFreshTimestamp(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t, pave.WithClock(steppingClock(time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC), time.Minute)))
	mt.RegisterResponder(http.MethodGet, mockBase+"/v1/sessions/"+sessionKey, sequence(
		jsonResponder(503, `{"message":"Service Unavailable"}`),
		jsonResponder(502, `{"message":"Bad Gateway"}`),
		jsonResponder(200, `{"session_key":"`+sessionKey+`"}`),
	))
	creds := mockCreds

	_, err := c.Sessions.Get(context.Background(), sessionKey)
	require.NoError(t, err)
	reqs := sentTo(mt, http.MethodGet, "/v1/sessions/"+sessionKey)
	require.Len(t, reqs, 3)
	seen := map[string]bool{}
	for i, r := range reqs {
		ts := r.Header.Get(pave.HeaderAPITimestamp)
		_, err := time.Parse(pave.TimestampLayout, ts)
		require.NoError(t, err, "attempt %d timestamp %q", i+1, ts)
		assert.False(t, seen[ts], "attempt %d reused timestamp %s", i+1, ts)
		seen[ts] = true
		pavetest.AssertSigned(t, r.Header, creds)
		assert.Equal(t, creds.Token(ts), r.Header.Get(pave.HeaderAPIToken), "attempt %d", i+1)
		assert.Equal(t, creds.APIKey, r.Header.Get(pave.HeaderAPIKey))
	}
	assert.NotEqual(t, reqs[0].Header.Get(pave.HeaderAPIToken), reqs[2].Header.Get(pave.HeaderAPIToken))
}

func TestSigningTransportDoesNotMutateTheCallersRequest(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 6, 2, 14, 5, 9, 0, time.UTC)
	mt := pavetest.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, mockBase+"/v1/sessions", jsonResponder(201, `{}`))
	st, err := pave.NewSigningTransport(testCreds, mockBase, mt, func() time.Time { return at })
	require.NoError(t, err)

	req, err := http.NewRequest(http.MethodPost, mockBase+"/v1/sessions", strings.NewReader(`{"session":{}}`))
	require.NoError(t, err)
	req.Header.Set("X-Trace", "abc")
	before := req.Header.Clone()

	resp, err := st.RoundTrip(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	assert.Equal(t, before, req.Header, "caller's headers changed")
	assert.Empty(t, req.Header.Get(pave.HeaderAPIToken))
	reqs := sentTo(mt, http.MethodPost, "/v1/sessions")
	require.Len(t, reqs, 1)
	sent := reqs[0]
	assert.Equal(t, "abc", sent.Header.Get("X-Trace"))
	assert.Equal(t, at.UTC().Format(pave.TimestampLayout), sent.Header.Get(pave.HeaderAPITimestamp))
	assert.Equal(t, testCreds.Token(at.UTC().Format(pave.TimestampLayout)), sent.Header.Get(pave.HeaderAPIToken))
	assert.JSONEq(t, `{"session":{}}`, string(sent.Body))
	// The response points at the signed request, so the client can scrub
	// the token from an echoing error body.
	assert.NotNil(t, resp.Request)
}

func TestSigningTransportSignsARequestWithoutHeaders(t *testing.T) {
	t.Parallel()
	mt := pavetest.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, mockBase+"/v1/callbacks", jsonResponder(200, `[]`))
	st, err := pave.NewSigningTransport(testCreds, mockBase+"/", mt, nil)
	require.NoError(t, err)
	u, err := http.NewRequest(http.MethodGet, mockBase+"/v1/callbacks", nil)
	require.NoError(t, err)
	req := &http.Request{Method: http.MethodGet, URL: u.URL} // Header is nil
	resp, err := st.RoundTrip(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	reqs := sentTo(mt, http.MethodGet, "/v1/callbacks")
	require.Len(t, reqs, 1)
	h := reqs[0].Header
	pavetest.AssertSigned(t, h, testCreds)
	assert.Equal(t, testCreds.Token(h.Get(pave.HeaderAPITimestamp)), h.Get(pave.HeaderAPIToken))
	assert.Nil(t, req.Header)
}

func TestSigningTransportRefusesOtherHosts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
	}{
		{"other host", "https://evil.example.com/v1/sessions"},
		{"subdomain", "https://x.openapi.paveapi.com/v1/sessions"},
		{"plain http", "http://openapi.paveapi.com/v1/sessions"},
		{"other port", "https://openapi.paveapi.com:8443/v1/sessions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt := pavetest.NewMockTransport()
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				t.Errorf("request reached the transport: %s", r.URL)
				return jsonResponse(200, `{}`), nil
			})
			st, err := pave.NewSigningTransport(testCreds, mockBase, mt, nil)
			require.NoError(t, err)
			body := &trackedBody{Reader: strings.NewReader("{}")}
			req, err := http.NewRequest(http.MethodPost, tt.url, body)
			require.NoError(t, err)
			resp, err := st.RoundTrip(req)
			if resp != nil {
				_ = resp.Body.Close()
			}
			require.ErrorIs(t, err, pave.ErrForeignHost)
			assert.NotContains(t, err.Error(), testCreds.APISecret)
			assert.True(t, body.closed.Load(), "request body not closed")
			assert.Empty(t, pavetest.Sent(mt))
		})
	}
	t.Run("nil URL", func(t *testing.T) {
		t.Parallel()
		st, err := pave.NewSigningTransport(testCreds, mockBase, httpmock.NewMockTransport(), nil)
		require.NoError(t, err)
		_, err = st.RoundTrip(&http.Request{Method: http.MethodGet})
		require.ErrorIs(t, err, pave.ErrForeignHost)
	})
	t.Run("host case does not matter", func(t *testing.T) {
		t.Parallel()
		mt := pavetest.NewMockTransport()
		mt.RegisterNoResponder(jsonResponder(200, `{}`))
		st, err := pave.NewSigningTransport(testCreds, "https://OpenAPI.PaveAPI.com", mt, nil)
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodGet, "https://openapi.paveapi.com/v1/callbacks", nil)
		require.NoError(t, err)
		resp, err := st.RoundTrip(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, 1, mt.GetTotalCallCount())
		require.Len(t, pavetest.Sent(mt), 1)
		pavetest.AssertSigned(t, pavetest.Sent(mt)[0].Header, testCreds)
	})
}

func TestNewSigningTransportValidates(t *testing.T) {
	t.Parallel()
	_, err := pave.NewSigningTransport(pave.Credentials{Username: "u", APIKey: "k"}, mockBase, nil, nil)
	require.ErrorContains(t, err, "APISecret")
	_, err = pave.NewSigningTransport(testCreds, "http://openapi.paveapi.com", nil, nil)
	require.ErrorContains(t, err, "loopback")
}

func TestSigningTransportDefaultsToNetHTTP(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts := r.Header.Get(pave.HeaderAPITimestamp)
		if r.Header.Get(pave.HeaderAPIToken) != testCreds.Token(ts) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	st, err := pave.NewSigningTransport(testCreds, srv.URL, nil, nil) // http.DefaultTransport, time.Now
	require.NoError(t, err)
	resp, err := (&http.Client{Transport: st}).Get(srv.URL + "/v1/callbacks")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
}

// A redirect to another host (here: another port of the API host) must fail
// with ErrForeignHost, and the other host must never see the request.
// A GET follows a redirect only to its own host. (Other methods never
// follow one: see TestRedirectInAnswerToAWriteIsNotFollowed.) The
// redirect runs on the mock transport: net/http follows it through the
// same transport, which records every hop.
func TestRedirectToAnotherHostIsRefused(t *testing.T) {
	t.Parallel()
	const other = "https://openapi.paveapi.com:8443"
	path := "/v1/sessions/" + sessionKey
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
		for _, method := range []string{http.MethodGet} {
			t.Run(fmt.Sprintf("%d %s", status, method), func(t *testing.T) {
				t.Parallel()
				c, mt := pavetest.NewMockClient(t)
				mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
					if r.URL.Host != "openapi.paveapi.com" {
						return jsonResponse(http.StatusOK, `{}`), nil // the other host
					}
					resp := httpmock.NewStringResponse(status, "")
					resp.Header.Set("Location", other+r.URL.Path)
					return resp, nil
				})

				var err error
				if method == http.MethodGet {
					_, err = c.Sessions.Get(context.Background(), sessionKey)
				} else {
					_, err = c.Sessions.Create(context.Background(), &pave.CreateSessionRequest{})
				}
				require.ErrorIs(t, err, pave.ErrForeignHost)
				var re *pave.RequestError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, 1, re.Attempts, "a refused redirect is not retried")
				reqs := pavetest.Sent(mt)
				require.NotEmpty(t, reqs)
				origin, foreign := reqs[:1], reqs[1:]
				assert.Equal(t, method, origin[0].Method)
				assert.Equal(t, path, origin[0].Path)
				assert.Empty(t, foreign, "credentials followed the redirect")
				for _, r := range foreign {
					assert.Empty(t, r.Header.Get(pave.HeaderAPIToken))
				}
			})
		}
	}
}

// On the same host the redirect is followed, and the new hop is signed
// afresh.
func TestRedirectOnTheSameHostIsSignedAgain(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	creds := mockCreds
	mt.RegisterResponder(http.MethodGet, mockBase+"/v1/sessions/OLD-KEY", func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(http.StatusTemporaryRedirect, "")
		resp.Header.Set("Location", "/v1/sessions/"+sessionKey)
		return resp, nil
	})
	mt.RegisterResponder(http.MethodGet, mockBase+"/v1/sessions/"+sessionKey, jsonResponder(http.StatusOK, `{"session_key":"`+sessionKey+`"}`))
	s, err := c.Sessions.Get(context.Background(), "OLD-KEY")
	require.NoError(t, err)
	assert.Equal(t, sessionKey, s.SessionKey)
	reqs := pavetest.Sent(mt)
	require.Len(t, reqs, 2)
	assert.Equal(t, "/v1/sessions/OLD-KEY", reqs[0].Path)
	assert.Equal(t, "/v1/sessions/"+sessionKey, reqs[1].Path)
	for i, r := range reqs {
		pavetest.AssertSigned(t, r.Header, creds)
		assert.Equal(t, creds.Token(r.Header.Get(pave.HeaderAPITimestamp)), r.Header.Get(pave.HeaderAPIToken), "hop %d", i+1)
	}
	assert.NotEmpty(t, reqs[1].Header.Get(pave.HeaderAPIToken))
}

func TestConcurrentSigning(t *testing.T) {
	t.Parallel()
	var bad atomic.Int32
	c, _ := newServerClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts := r.Header.Get(pave.HeaderAPITimestamp)
		if r.Header.Get(pave.HeaderAPIToken) != testCreds.Token(ts) || r.Header.Get(pave.HeaderAPIKey) != testCreds.APIKey {
			bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `{"session_key":"`+sessionKey+`"}`)
	}), pave.WithClock(steppingClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Second)))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 8 {
				_, err := c.Sessions.Get(context.Background(), sessionKey)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, bad.Load())
}

type withCreds struct {
	Name  string
	Creds pave.Credentials
	Ptr   *pave.Credentials
}

func TestCredentialsNeverPrintTheSecret(t *testing.T) {
	t.Parallel()
	creds := testCreds
	nested := withCreds{Name: "dealer", Creds: creds, Ptr: &creds}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%10v"} {
		for name, arg := range map[string]any{"value": creds, "pointer": &creds, "nested": nested} {
			t.Run(verb+" "+name, func(t *testing.T) {
				t.Parallel()
				out := fmt.Sprintf(verb, arg)
				assert.NotContains(t, out, creds.APISecret)
				assert.Contains(t, out, "REDACTED")
			})
		}
	}
	t.Run("String names the account", func(t *testing.T) {
		t.Parallel()
		s := creds.String()
		assert.Contains(t, s, creds.Username)
		assert.Contains(t, s, creds.APIKey)
		assert.Equal(t, s, creds.GoString())
		assert.Equal(t, fmt.Sprintf("%q", s), fmt.Sprintf("%q", creds))
	})
	t.Run("empty secret is shown as empty", func(t *testing.T) {
		t.Parallel()
		assert.Contains(t, pave.Credentials{Username: "u"}.String(), `APISecret: ""`)
	})
	t.Run("slog JSON", func(t *testing.T) {
		t.Parallel()
		log, buf := debugLogger()
		log.Info("creds", "value", creds, "pointer", &creds, "nested", nested)
		log.Debug("any", slog.Any("c", creds))
		out := buf.String()
		assert.NotContains(t, out, creds.APISecret)
		assert.Contains(t, out, `"api_secret":"[REDACTED]"`)
		assert.Contains(t, out, `"username":"northshoreauto"`)
	})
	t.Run("slog text", func(t *testing.T) {
		t.Parallel()
		var buf syncBuffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("creds", "c", creds, "nested", nested)
		assert.NotContains(t, buf.String(), creds.APISecret)
	})
}

func TestClientNeverPrintsACredential(t *testing.T) {
	t.Parallel()
	c, err := pave.NewClient(testCreds, pave.WithAccessToken("v2-access-token-4471"))
	require.NoError(t, err)
	holder := struct{ Client *pave.Client }{c}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		for _, arg := range []any{c, holder} {
			out := fmt.Sprintf(verb, arg)
			assert.NotContains(t, out, testCreds.APISecret, verb)
			assert.NotContains(t, out, "v2-access-token-4471", verb)
			assert.Contains(t, out, "openapi.paveapi.com", verb)
		}
	}
	log, buf := debugLogger()
	log.Info("client", "c", c)
	assert.NotContains(t, buf.String(), testCreds.APISecret)
	assert.Contains(t, buf.String(), `"base_url":"https://openapi.paveapi.com"`)

	var nilClient *pave.Client
	assert.Equal(t, "pave.Client(nil)", fmt.Sprint(nilClient))
	log.Info("nil", "c", nilClient)
	assert.Contains(t, buf.String(), "pave.Client(nil)")
}

func TestCredentialsFromEnv(t *testing.T) {
	// t.Setenv forbids t.Parallel.
	tests := []struct {
		name             string
		user, key, sec   string
		wantErr          bool
		missing, present []string
	}{
		{name: "all set", user: " northshoreauto ", key: "k-1", sec: "s-1"},
		{name: "secret from a file, with its newline", user: "northshoreauto", key: "k-1", sec: "s-1\n"},
		{name: "none set", wantErr: true, missing: []string{pave.EnvUsername, pave.EnvAPIKey, pave.EnvAPISecret}},
		{name: "blank secret", user: "u", key: "k", sec: "  ", wantErr: true,
			missing: []string{pave.EnvAPISecret}, present: []string{pave.EnvUsername, pave.EnvAPIKey}},
		{name: "missing key", user: "u", sec: "env-secret-77", wantErr: true,
			missing: []string{pave.EnvAPIKey}, present: []string{pave.EnvUsername, pave.EnvAPISecret}},
		{name: "missing username", key: "k", sec: "env-secret-77", wantErr: true,
			missing: []string{pave.EnvUsername}, present: []string{pave.EnvAPIKey, pave.EnvAPISecret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(pave.EnvUsername, tt.user)
			t.Setenv(pave.EnvAPIKey, tt.key)
			t.Setenv(pave.EnvAPISecret, tt.sec)
			creds, err := pave.CredentialsFromEnv()
			if !tt.wantErr {
				require.NoError(t, err)
				assert.Equal(t, pave.Credentials{Username: "northshoreauto", APIKey: "k-1", APISecret: "s-1"}, creds)
				return
			}
			require.ErrorIs(t, err, pave.ErrInvalidCredentials)
			assert.Zero(t, creds)
			for _, name := range tt.missing {
				assert.Contains(t, err.Error(), name)
			}
			for _, name := range tt.present {
				assert.NotContains(t, err.Error(), name)
			}
			if tt.sec != "" {
				assert.NotContains(t, err.Error(), tt.sec)
			}
		})
	}
}

func TestCredentialsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		creds   pave.Credentials
		missing []string
	}{
		{"complete", testCreds, nil},
		{"no username", pave.Credentials{APIKey: "k", APISecret: "s"}, []string{"Username"}},
		{"blank key", pave.Credentials{Username: "u", APIKey: " \t", APISecret: "s"}, []string{"APIKey"}},
		{"blank secret", pave.Credentials{Username: "u", APIKey: "k", APISecret: "   "}, []string{"APISecret"}},
		{"empty", pave.Credentials{}, []string{"Username", "APIKey", "APISecret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.creds.Validate()
			_, cerr := pave.NewClient(tt.creds)
			if tt.missing == nil {
				require.NoError(t, err)
				require.NoError(t, cerr)
				return
			}
			require.ErrorIs(t, err, pave.ErrInvalidCredentials)
			require.ErrorIs(t, cerr, pave.ErrInvalidCredentials, "NewClient accepted incomplete credentials")
			for _, m := range tt.missing {
				assert.Contains(t, err.Error(), m)
				assert.Contains(t, cerr.Error(), m)
			}
		})
	}
}

func TestCredentialsFromLookup(t *testing.T) {
	t.Parallel()
	env := map[string]string{pave.EnvUsername: " acmemotors ", pave.EnvAPIKey: "key-1"}
	_, err := pave.CredentialsFromLookup(func(k string) string { return env[k] }, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), pave.EnvAPISecret)
	assert.NotContains(t, err.Error(), pave.EnvAPIKey+",")

	env[pave.EnvAPISecret] = "s3cret-value"
	c, err := pave.CredentialsFromLookup(func(k string) string { return env[k] }, "")
	require.NoError(t, err)
	assert.Equal(t, pave.Credentials{Username: "acmemotors", APIKey: "key-1", APISecret: "s3cret-value"}, c)

	// One set per dealer, under a prefix: the error names the keys looked up.
	dealers := map[string]string{"NORTHSHORE_PAVE_USERNAME": "northshoreauto", "NORTHSHORE_PAVE_API_SECRET": "ns-secret-value\r\n"}
	_, err = pave.CredentialsFromLookup(func(k string) string { return dealers[k] }, "NORTHSHORE_PAVE")
	require.ErrorIs(t, err, pave.ErrInvalidCredentials)
	assert.Equal(t, "pave: invalid credentials: NORTHSHORE_PAVE_API_KEY not set or blank", err.Error())
	dealers["NORTHSHORE_PAVE_API_KEY"] = "ns-key"
	c, err = pave.CredentialsFromLookup(func(k string) string { return dealers[k] }, "NORTHSHORE_PAVE_")
	require.NoError(t, err)
	assert.Equal(t, pave.Credentials{Username: "northshoreauto", APIKey: "ns-key", APISecret: "ns-secret-value"}, c, "the secret is trimmed too")
}

func TestCredentialsJSONRoundTrip(t *testing.T) {
	t.Parallel()
	var c pave.Credentials
	require.NoError(t, json.Unmarshal([]byte(`{"username": "northshoreauto", "api_key": "ns-key", "api_secret": "ns-secret-value"}`), &c))
	assert.Equal(t, pave.Credentials{Username: "northshoreauto", APIKey: "ns-key", APISecret: "ns-secret-value"}, c)

	// The Go field names work too.
	var g pave.Credentials
	require.NoError(t, json.Unmarshal([]byte(`{"Username": "u", "APIKey": "k", "APISecret": "s"}`), &g))
	assert.Equal(t, pave.Credentials{Username: "u", APIKey: "k", APISecret: "s"}, g)

	// What MarshalJSON writes has the secret redacted: decoding it back is
	// refused rather than signing with "[REDACTED]".
	b, err := json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, `{"username": "northshoreauto", "api_key": "ns-key", "api_secret": "[REDACTED]"}`, string(b))
	var back pave.Credentials
	err = json.Unmarshal(b, &back)
	require.ErrorIs(t, err, pave.ErrInvalidCredentials)
	assert.Zero(t, back)

	var list []pave.Credentials
	require.NoError(t, json.Unmarshal([]byte(`[{"username": "a", "api_key": "k1", "api_secret": "s1"}, {"username": "b", "api_key": "k2", "api_secret": "s2"}]`), &list))
	assert.Len(t, list, 2)
	require.ErrorIs(t, json.Unmarshal([]byte(`{"username": 5}`), &back), pave.ErrInvalidCredentials)
}

// TestNeverSignsAsAnotherAccount: a client given another dealer's
// SigningTransport must not send its requests signed as that dealer,
// whether the transport is given as it is or wrapped by another layer.
func TestNeverSignsAsAnotherAccount(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t, pavetest.WithAccounts(
		pavetest.Account{Username: "dealer-a", APIKey: "key-a", APISecret: "secret-a-0123456789"},
		pavetest.Account{Username: "dealer-b", APIKey: "key-b", APISecret: "secret-b-0123456789"}))
	credsA, credsB := srv.Accounts()[0].Credentials(), srv.Accounts()[1].Credentials()
	stA, err := pave.NewSigningTransport(credsA, srv.URL, pave.NewTransport(), nil)
	require.NoError(t, err)

	_, err = pave.NewClient(credsB, pave.WithBaseURL(srv.URL), pave.WithHTTPClient(&http.Client{Transport: stA}))
	require.ErrorIs(t, err, pave.ErrInvalidOption, "a SigningTransport given as the transport is refused")

	wrapped := roundTripFunc(stA.RoundTrip) // a logging or tracing layer over A's signer
	b, err := pave.NewClient(credsB, pave.WithBaseURL(srv.URL), pave.WithHTTPClient(&http.Client{Transport: wrapped}))
	require.NoError(t, err)
	_, err = b.Webhooks.List(context.Background())
	require.Error(t, err, "dealer B's request is never sent signed as dealer A")
	assert.Contains(t, err.Error(), "another API key")
	for _, r := range srv.Requests() {
		assert.NotEqual(t, "key-a", r.Header.Get(pave.HeaderAPIKey), "nothing reached PAVE as dealer A")
	}
}
