package pave_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/webhook"
)

// Credentials never appear in any printed form, in any encoding a server
// may echo them in, at any length.

// rdSecret holds the characters JSON encoders escape (/ for PHP's \/,
// <>& for Go's \u003c...), so an echo of it is never byte-equal to it.
const rdSecret = "sk/<SECRET>&9f86d081884c7d659a2f"

// rdForms are the forms of a credential an echo may use.
func rdForms(secret string) []string {
	b := []byte(secret)
	return []string{secret, strings.ToUpper(secret), strings.ToLower(secret),
		url.QueryEscape(secret), url.PathEscape(secret),
		base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b), hex.EncodeToString(b)}
}

// rdAssertNoForm fails when text holds any form of any secret.
func rdAssertNoForm(t *testing.T, text string, secrets []string, where string) {
	t.Helper()
	lower := strings.ToLower(text)
	for _, s := range secrets {
		for _, f := range rdForms(s) {
			if strings.Contains(lower, strings.ToLower(f)) {
				i := strings.Index(lower, strings.ToLower(f))
				t.Errorf("%s holds a form of a credential (%q): ...%s...", where, f, text[max(0, i-30):min(len(text), i+len(f)+10)])
				return
			}
		}
	}
}

// rdUnicodeEscape writes s as a JSON string with every character \u-escaped.
func rdUnicodeEscape(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	b.WriteByte('"')
	return b.String()
}

// rdPHPEscape writes s as PHP's json_encode does: "/" as "\/".
func rdPHPEscape(s string) string {
	b, _ := json.Marshal(s)
	return strings.ReplaceAll(string(b), "/", `\/`)
}

// rdEncodings echo a value in one way each.
var rdEncodings = []struct {
	name string
	enc  func(string) string // returns a JSON string literal
}{
	{"\\u-escaped", rdUnicodeEscape},
	{"PHP \\/-escaped", rdPHPEscape},
	{"HTML-escaped by Go", func(s string) string { b, _ := json.Marshal(s); return string(b) }},
	{"upper case", func(s string) string { b, _ := json.Marshal(strings.ToUpper(s)); return string(b) }},
	{"URL-encoded", func(s string) string { b, _ := json.Marshal(url.QueryEscape(s)); return string(b) }},
	{"base64", func(s string) string {
		b, _ := json.Marshal(base64.StdEncoding.EncodeToString([]byte(s)))
		return string(b)
	}},
}

// rdOps are the operations whose errors quote the server's message,
// including the 200 refusals of Hotspots and the v2 resend.
var rdOps = []struct {
	name string
	run  func(context.Context, *pave.Client) error
}{
	{"Sessions.Get", func(ctx context.Context, c *pave.Client) error { _, err := c.Sessions.Get(ctx, sessionKey); return err }},
	{"Hotspots.Results", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Hotspots.Results(ctx, sessionKey)
		return err
	}},
	{"Hotspots.UploadPhotos", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Hotspots.UploadPhotos(ctx, sessionKey, []pave.HotspotPhoto{{PhotoLabel: pave.LabelVIN, URL: "https://cdn.example.com/v.jpg"}})
		return err
	}},
	{"Sessions.ResendSMS", func(ctx context.Context, c *pave.Client) error {
		_, err := c.Sessions.ResendSMS(ctx, sessionKey, nil)
		return err
	}},
}

// rdEchoClient returns a client for creds (and opts) on a
// pavetest.MockTransport that answers every request with status and a
// refusal whose message and body quote the token and the secrets in one
// encoding, and a func returning the tokens the client sent plus extra.
func rdEchoClient(t *testing.T, creds pave.Credentials, opts []pave.Option, status int, enc func(string) string, secrets ...string) (*pave.Client, func(extra ...string) []string) {
	t.Helper()
	mt := pavetest.NewMockTransport()
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		quoted := []string{enc("token " + r.Header.Get(pave.HeaderAPIToken))}
		for _, s := range secrets {
			quoted = append(quoted, enc("secret "+s))
		}
		return jsonResponse(status, fmt.Sprintf(`{"success": false, "status": "error", "message": %s, "errors": {"x": [%s]}, "echo": [%s]}`,
			quoted[0], strings.Join(quoted, ","), strings.Join(quoted, ","))), nil
	})
	c, err := mt.NewClient(creds, opts...)
	require.NoError(t, err)
	sent := func(extra ...string) []string {
		return append(secValues(pavetest.Sent(mt), pave.HeaderAPIToken), extra...)
	}
	return c, sent
}

func rdErrorTexts(err error) map[string]string {
	texts := map[string]string{
		"Error()": err.Error(), "%v": fmt.Sprintf("%v", err), "%+v": fmt.Sprintf("%+v", err),
		"%#v": fmt.Sprintf("%#v", err), "%q": fmt.Sprintf("%q", err),
	}
	var apiErr *pave.APIError
	if errors.As(err, &apiErr) {
		texts["Message"] = apiErr.Message
		texts["Errors"] = fmt.Sprint(apiErr.Errors)
		texts["Body"] = string(apiErr.Body)
		j, _ := json.Marshal(apiErr)
		texts["json"] = string(j)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Error("failed", "err", err)
	slog.New(slog.NewTextHandler(&buf, nil)).Error("failed", "err", err)
	texts["slog"] = buf.String()
	return texts
}

func TestEchoedCredentialsAreRedactedInEveryEncoding(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized} {
		for _, e := range rdEncodings {
			t.Run(fmt.Sprintf("%d %s", status, e.name), func(t *testing.T) {
				t.Parallel()
				creds := pave.Credentials{Username: "acme", APIKey: "key-rd", APISecret: rdSecret}
				c, sent := rdEchoClient(t, creds, []pave.Option{pave.WithAccessToken(secAccessToken), pave.WithMaxRetries(0)},
					status, e.enc, rdSecret, secAccessToken)
				for _, op := range rdOps {
					err := op.run(context.Background(), c)
					if status == http.StatusOK && op.name == "Sessions.Get" {
						continue // a 200 without a session key: nothing is quoted
					}
					require.Error(t, err, op.name)
					for where, text := range rdErrorTexts(err) {
						rdAssertNoForm(t, text, sent(rdSecret, secAccessToken), op.name+" "+where)
					}
				}
			})
		}
	}
}

// Credentials shorter than 12 bytes are redacted from diagnostics too.
func TestShortCredentialsAreRedactedFromErrors(t *testing.T) {
	t.Parallel()
	const short, shortToken = "k9Zq2/x", "at7Qv"
	for _, status := range []int{http.StatusOK, http.StatusBadRequest} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			c, sent := rdEchoClient(t, pave.Credentials{Username: "acme", APIKey: "key-rd", APISecret: short},
				[]pave.Option{pave.WithAccessToken(shortToken), pave.WithMaxRetries(0)},
				status, rdEncodings[2].enc, short, shortToken)
			for _, op := range rdOps[1:] {
				err := op.run(context.Background(), c)
				require.Error(t, err)
				for where, text := range rdErrorTexts(err) {
					rdAssertNoForm(t, text, sent(short, shortToken), op.name+" "+where)
				}
			}
		})
	}
}

// A webhook secret sent in a callback's headers is redacted from an error
// that quotes the request.
func TestWebhookSecretsSentAreRedactedFromErrors(t *testing.T) {
	t.Parallel()
	const secret = "whsec-0123456789abcdefQRST"
	for _, e := range rdEncodings {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t, pave.WithMaxRetries(0))
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				var cb struct {
					Headers map[string]string `json:"headers"`
				}
				_ = json.NewDecoder(r.Body).Decode(&cb)
				return jsonResponse(http.StatusBadRequest,
					fmt.Sprintf(`{"message": %s}`, e.enc("The value "+cb.Headers["Authorization"]+" is not allowed"))), nil
			})
			cb := pave.NewCallback(pave.EventComplete, "https://crm.example.com/pave", secret)
			_, err := c.Webhooks.Create(context.Background(), cb)
			require.Error(t, err)
			for where, text := range rdErrorTexts(err) {
				rdAssertNoForm(t, text, []string{secret}, "Create "+where)
			}
			_, err = c.Webhooks.Update(context.Background(), pave.EventComplete, cb)
			require.Error(t, err)
			for where, text := range rdErrorTexts(err) {
				rdAssertNoForm(t, text, []string{secret}, "Update "+where)
			}
		})
	}
}

// Every hop of a followed redirect is signed afresh: the final error is
// scrubbed of every hop's token.
func TestEveryRedirectHopsTokenIsRedacted(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t, pave.WithMaxRetries(0), pave.WithClock(func() time.Time {
		// A clock that moves, so each hop's timestamp and token differ.
		return time.Now().Add(time.Duration(time.Now().UnixNano()%1000) * time.Second)
	}))
	// The redirect is followed through the mock transport, which records
	// every hop: the second one answers with the tokens of both.
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		if !strings.HasSuffix(r.URL.Path, "/moved") {
			resp := httpmock.NewStringResponse(http.StatusTemporaryRedirect, "")
			resp.Header.Set("Location", r.URL.Path+"/moved")
			return resp, nil
		}
		tokens := secValues(pavetest.Sent(mt), pave.HeaderAPIToken)
		return jsonResponse(http.StatusBadRequest, fmt.Sprintf(`{"message": "tokens %s"}`, strings.Join(tokens, " "))), nil
	})
	_, err := c.Sessions.Get(context.Background(), sessionKey)
	require.Error(t, err)
	reqs := pavetest.Sent(mt)
	require.Len(t, reqs, 2)
	tokens := secValues(reqs, pave.HeaderAPIToken)
	for where, text := range rdErrorTexts(err) {
		rdAssertNoForm(t, text, tokens, where)
	}
}

// failureRecorder is an assert.TestingT that keeps what a failure prints.
type failureRecorder struct{ bytes.Buffer }

func (f *failureRecorder) Errorf(format string, args ...any) { fmt.Fprintf(&f.Buffer, format, args...) }

// No printed form of a client, its services, a webhook configuration or
// credentials shows a secret: not fmt (any verb), slog, encoding/json,
// encoding/xml, nor a testify failure diff (go-spew, which reads
// unexported fields and ignores Format).
func TestNoPrintedFormShowsASecret(t *testing.T) {
	t.Parallel()
	const whsec = "whsec-printed-0123456789abcdef"
	creds := pave.Credentials{Username: "acme", APIKey: "key-rd", APISecret: rdSecret}
	a, err := pave.NewClient(creds, pave.WithAccessToken(secAccessToken))
	require.NoError(t, err)
	b, err := pave.NewClient(pave.Credentials{Username: "acme", APIKey: "key-rd", APISecret: "other-" + rdSecret}, pave.WithAccessToken("x"+secAccessToken))
	require.NoError(t, err)
	cfg := webhook.Config{Secrets: []string{whsec}, Handler: func(context.Context, *webhook.Event) error { return nil }}

	var out bytes.Buffer
	for _, v := range []any{a, *a, a.Sessions, a.Webhooks, a.Hotspots, *a.Sessions, cfg, &cfg, creds} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		j, _ := json.Marshal(v)
		out.Write(j)
		x, _ := xml.Marshal(v)
		out.Write(x)
	}
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	logger.Info("x", "client", a, "cfg", cfg, "creds", creds, "sessions", a.Sessions)
	slog.New(slog.NewTextHandler(&out, nil)).Info("x", "client", a, "cfg", cfg, "creds", creds, "sessions", a.Sessions)

	diff := &failureRecorder{}
	assert.Equal(diff, a, b)
	assert.Equal(diff, *a, *b)
	// (A WebhookConfig's Secrets, like Credentials.APISecret, is an
	// exported field holding what the caller gave it: a diff of two
	// configurations shows it, as it shows any field.)
	require.NotEmpty(t, diff.String(), "the comparisons fail, printing both sides")
	out.Write(diff.Bytes())

	rdAssertNoForm(t, out.String(), []string{rdSecret, "other-" + rdSecret, secAccessToken, whsec}, "printed forms")
}
