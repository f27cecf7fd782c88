package pave_test

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

func TestValidateVIN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vin    string
		ok     bool
		reason string
	}{
		{"2T1BURHE5JC074512", true, ""},
		{"1HGCV1F39LA012345", true, ""},
		{"00000000000000000", true, ""},
		{"", false, "17 characters, got 0"},
		{"2T1BURHE5JC07451", false, "17 characters, got 16"},
		{"2T1BURHE5JC0745123", false, "17 characters, got 18"},
		{"2T1BURHE5JC07451I", false, "must not contain I, O or Q (position 17)"},
		{"OT1BURHE5JC074512", false, "must not contain I, O or Q (position 1)"},
		{"2T1BURHEQJC074512", false, "must not contain I, O or Q (position 9)"},
		{"2t1burhe5jc074512", true, ""}, // VINs are case-insensitive
		{"2T1BURHE5JC07451i", false, "must not contain I, O or Q (position 17)"},
		{"2T1BURHE5JC07451o", false, "must not contain I, O or Q (position 17)"},
		{"2T1BURHE5JC07451-", false, "invalid character at position 17"},
		{"2T1BURHE5JC07 512", false, "invalid character at position 14"},
		{"2T1BURHE5JC0745é", false, "invalid character at position 16"},
	}
	for _, tt := range tests {
		t.Run(tt.vin, func(t *testing.T) {
			t.Parallel()
			ok, reason := pave.ValidateVIN(tt.vin)
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Empty(t, reason)
			} else {
				assert.Contains(t, reason, tt.reason)
			}
		})
	}
}

func TestPhoneDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		digits string
		ok     bool
	}{
		{"604-555-0142", "6045550142", true},
		{"+1 (604) 555.0142", "16045550142", true},
		{" +16045550142 ", "16045550142", true},
		{"5550142", "5550142", true},
		{"123456789012345", "123456789012345", true},
		{"555-014", "555014", false},
		{"1234567890123456", "1234567890123456", false},
		{"", "", false},
		{"604-555-O142", "", false},
		{"++16045550142", "", false},
		{"604 555 0142 ext 7", "", false},
		{"6045550142+", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			digits, ok := pave.PhoneDigits(tt.in)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.digits, digits)
		})
	}
}

func keysOf(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestCreateValidationHappensBeforeAnyNetworkCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *pave.CreateSessionRequest
		want []string // field paths with errors; nil means valid
	}{
		{"nil request", nil, nil},
		{"empty request", &pave.CreateSessionRequest{}, nil},
		{"short VIN", &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: "2T1BURHE5JC0745"}}, []string{"vehicle.vin"}},
		{"VIN with O", &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: "2T1BURHE5JC0745O2"}}, []string{"vehicle.vin"}},
		{"lower-case VIN", &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{VIN: "2t1burhe5jc074512"}}, nil},
		{"unknown odom unit", &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{OdomUnit: "FURLONGS"}}, nil},
		{"lower-case odom unit", &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{OdomUnit: "kilometres"}}, nil},
		{"miles", &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{OdomUnit: pave.Miles, OdomReading: 52000}}, nil},
		{"negative odometer", &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{OdomReading: -1}}, []string{"vehicle.odom_reading"}},
		{"year out of range", &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{Year: 18}}, []string{"vehicle.year"}},
		{"unknown theme", &pave.CreateSessionRequest{Session: &pave.SessionSettings{Theme: "DARK"}}, []string{"session.theme"}},
		{"lower-case theme", &pave.CreateSessionRequest{Session: &pave.SessionSettings{Theme: "pro"}}, nil},
		{"every theme", &pave.CreateSessionRequest{Session: &pave.SessionSettings{Theme: pave.ThemeCapt}}, nil},
		{"https redirect", &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "https://crm.northshore.example/done?lead=7"}}, nil},
		{"app scheme redirect", &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "myapp://done"}}, nil},
		{"app scheme path redirect", &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "myapp:/inspection/done"}}, nil},
		{"javascript redirect", &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "javascript:alert(1)"}}, []string{"session.redirect_url"}},
		{"data redirect", &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "DATA:text/html,hi"}}, []string{"session.redirect_url"}},
		{"relative redirect", &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "/trade-in/done"}}, []string{"session.redirect_url"}},
		{"hostless https redirect", &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "https:///done"}}, []string{"session.redirect_url"}},
		{"bare scheme redirect", &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "myapp:"}}, []string{"session.redirect_url"}},
		{"redirect with space", &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "https://a.example/x y"}}, []string{"session.redirect_url"}},
		{"redirect with padding", &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: " https://a.example/"}}, []string{"session.redirect_url"}},
		{"unparseable redirect", &pave.CreateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "https://a.example/%zz"}}, []string{"session.redirect_url"}},
		{"session contact without last name", &pave.CreateSessionRequest{Session: &pave.SessionSettings{
			Contact: &pave.Contact{FirstName: "Priya"}}}, []string{"session.contact.last_name"}},
		{"session contact blank", &pave.CreateSessionRequest{Session: &pave.SessionSettings{
			Contact: &pave.Contact{FirstName: " ", LastName: ""}}}, []string{"session.contact.first_name", "session.contact.last_name"}},
		{"options contact without first name", &pave.CreateSessionRequest{Options: &pave.SessionOptions{
			Contact: &pave.Contact{LastName: "Natarajan"}}}, []string{"options.contact.first_name"}},
		{"full contacts", &pave.CreateSessionRequest{
			Session: &pave.SessionSettings{Contact: &pave.Contact{FirstName: "Priya", LastName: "Natarajan"}},
			Options: &pave.SessionOptions{Contact: &pave.Contact{FirstName: "Priya", LastName: "Natarajan"}}}, nil},
		{"sms bad to", &pave.CreateSessionRequest{SMS: &pave.SMS{To: "555-01"}}, []string{"sms.to"}},
		{"sms bad from", &pave.CreateSessionRequest{SMS: &pave.SMS{From: "call me"}}, []string{"sms.from"}},
		{"sms both bad", &pave.CreateSessionRequest{SMS: &pave.SMS{To: "1", From: "2"}}, []string{"sms.from", "sms.to"}},
		{"sms formatted numbers", &pave.CreateSessionRequest{SMS: &pave.SMS{To: "+1 (604) 555-0142", From: "604.555.0100"}}, nil},
		{"sms every field optional", &pave.CreateSessionRequest{SMS: &pave.SMS{}}, nil},
		{"sms only from", &pave.CreateSessionRequest{SMS: &pave.SMS{From: "604-555-0100"}}, nil},
		{"sms only by", &pave.CreateSessionRequest{SMS: &pave.SMS{By: "North Shore Auto", ToName: "Priya"}}, nil},
		{"options sms", &pave.CreateSessionRequest{Options: &pave.SessionOptions{SMS: &pave.SMS{To: "12"}}}, []string{"options.sms.to"}},
		{"everything wrong", &pave.CreateSessionRequest{
			Session: &pave.SessionSettings{Theme: "X", RedirectURL: "done", Contact: &pave.Contact{}},
			Vehicle: &pave.Vehicle{VIN: "short", OdomUnit: "LEAGUES"},
			SMS:     &pave.SMS{To: "x"},
		}, []string{"session.contact.first_name", "session.contact.last_name", "session.redirect_url",
			"session.theme", "sms.to", "vehicle.vin"}},
		{"an unknown odometer unit is PAVE's to judge", &pave.CreateSessionRequest{Vehicle: &pave.Vehicle{OdomUnit: "LEAGUES"}}, nil},
		{"case alone is never wrong", &pave.CreateSessionRequest{
			Session: &pave.SessionSettings{Theme: "lite"},
			Vehicle: &pave.Vehicle{VIN: "2t1burhe5jc074512", OdomUnit: "miles"},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.req.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, pave.ErrValidation)
			var ve *pave.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "Sessions.Create", ve.Op)
			assert.Equal(t, tt.want, keysOf(ve.Errors))
			for k, msgs := range ve.Errors {
				assert.NotEmpty(t, msgs, k)
			}

			c, mt := noNetworkClient(t)
			_, cerr := c.Sessions.Create(context.Background(), tt.req)
			require.ErrorAs(t, cerr, &ve)
			assert.Equal(t, tt.want, keysOf(ve.Errors))
			assert.Empty(t, pavetest.Sent(mt))
		})
	}
}

// TestCaseIsNormalisedOnACopy: values PAVE documents in one case are sent
// in it, an unknown unit is sent as given, and the caller's request is
// left as it was.
func TestCaseIsNormalisedOnACopy(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	pavetest.OnCreateSession(mt, nil)
	pavetest.OnUpdateSession(mt, "", nil)
	settings := &pave.SessionSettings{Theme: "lite"}
	vehicle := &pave.Vehicle{VIN: " 2t1burhe5jc074512", OdomUnit: "miles", OdomReading: 52000}
	req := &pave.CreateSessionRequest{Session: settings, Vehicle: vehicle}
	_, err := c.Sessions.Create(context.Background(), req)
	require.NoError(t, err)
	_, err = c.Sessions.Update(context.Background(), sessionKey, &pave.UpdateSessionRequest{
		Session: settings, Vehicle: &pave.Vehicle{OdomUnit: "leagues"}})
	require.NoError(t, err)

	sent := pavetest.Sent(mt)
	require.Len(t, sent, 2)
	assert.JSONEq(t, `{"session": {"theme": "LITE"}, "vehicle": {"vin": "2T1BURHE5JC074512", "odom_unit": "MILES", "odom_reading": 52000}}`, string(sent[0].Body))
	assert.JSONEq(t, `{"session": {"theme": "LITE"}, "vehicle": {"odom_unit": "leagues"}}`, string(sent[1].Body))
	assert.Equal(t, pave.Theme("lite"), settings.Theme, "the caller's request is not modified")
	assert.Equal(t, " 2t1burhe5jc074512", vehicle.VIN)
	assert.Equal(t, pave.OdometerUnit("miles"), vehicle.OdomUnit)
}

func TestValidationMessagesQuoteBadValuesSafely(t *testing.T) {
	t.Parallel()
	err := (&pave.CreateSessionRequest{
		Session: &pave.SessionSettings{Theme: pave.Theme(strings.Repeat("P", 60))},
		Vehicle: &pave.Vehicle{VIN: "2T1BURHE5JC07\n\x00512"},
	}).Validate()
	fe := pave.FieldErrors(err)
	require.Len(t, fe["session.theme"], 1)
	assert.Equal(t, `theme must be LITE, PRO or CAPT, got "`+strings.Repeat("P", 40)+`..."`, fe["session.theme"][0])
	require.Len(t, fe["session.theme"], 1)
	assert.Equal(t, []string{`theme must be LITE, PRO or CAPT, got "X??"`}, pave.FieldErrors((&pave.CreateSessionRequest{
		Session: &pave.SessionSettings{Theme: "X\n\x00"}}).Validate())["session.theme"])
	assert.NotContains(t, err.Error(), "\n")
}

func TestUnencodableRequestFailsBeforeSending(t *testing.T) {
	t.Parallel()
	c, mt := noNetworkClient(t)
	_, err := c.Sessions.Create(context.Background(), &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{Reference: map[string]any{"callback": func() {}}},
	})
	require.ErrorContains(t, err, "encoding request")
	assert.Empty(t, pavetest.Sent(mt))
}

func TestUpdateValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *pave.UpdateSessionRequest
		want []string
	}{
		{"nil request", nil, []string{""}},
		{"bad redirect", &pave.UpdateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "trade-in/done"}}, []string{"session.redirect_url"}},
		{"bad theme", &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Theme: "lite-ish"}}, []string{"session.theme"}},
		{"bad sms", &pave.UpdateSessionRequest{SMS: &pave.SMS{To: "604"}}, []string{"sms.to"}},
		{"bad vin", &pave.UpdateSessionRequest{Vehicle: &pave.Vehicle{VIN: "2T1BURHE5JC07451q"}}, []string{"vehicle.vin"}},
		{"contact", &pave.UpdateSessionRequest{Session: &pave.SessionSettings{Contact: &pave.Contact{FirstName: "P"}}}, []string{"session.contact.last_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := noNetworkClient(t)
			_, err := c.Sessions.Update(context.Background(), sessionKey, tt.req)
			var ve *pave.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "Sessions.Update", ve.Op)
			assert.Equal(t, tt.want, keysOf(ve.Errors))
			assert.Empty(t, pavetest.Sent(mt))
		})
	}
	assert.NoError(t, (*pave.UpdateSessionRequest)(nil).Validate())
	assert.NoError(t, (&pave.UpdateSessionRequest{Session: &pave.SessionSettings{RedirectURL: "myapp://done"}}).Validate())
}

// sessionCalls runs every method that takes a session key.
var sessionCalls = map[string]func(*pave.Client, string) error{
	"Get": func(c *pave.Client, k string) error { _, err := c.Sessions.Get(context.Background(), k); return err },
	"Photos": func(c *pave.Client, k string) error {
		_, err := c.Sessions.Photos(context.Background(), k)
		return err
	},
	"Notes": func(c *pave.Client, k string) error { _, err := c.Sessions.Notes(context.Background(), k); return err },
	"Results": func(c *pave.Client, k string) error {
		_, err := c.Sessions.Results(context.Background(), k)
		return err
	},
	"Update": func(c *pave.Client, k string) error {
		_, err := c.Sessions.Update(context.Background(), k, &pave.UpdateSessionRequest{})
		return err
	},
	"Delete": func(c *pave.Client, k string) error { return c.Sessions.Delete(context.Background(), k) },
	"WaitForResults": func(c *pave.Client, k string) error {
		// Validation comes first; the ended context keeps a key that slips
		// through from polling forever.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Sessions.WaitForResults(ctx, k, pave.PollFirstAfter(0))
		return err
	},
}

func TestBadSessionKeysAreRejected(t *testing.T) {
	t.Parallel()
	keys := map[string]string{
		"empty":      "",
		"blank":      "   ",
		"slash":      "NSA/7K2D5MZ8WP",
		"traversal":  "../callbacks",
		"dot":        ".",
		"dot dot":    "..",
		"newline":    "NSA-7K2D\n5MZ8WP",
		"nul":        "NSA-\x007K2D5MZ8WP",
		"del":        "NSA-7K2D5MZ8WP\x7f",
		"C1 control": "NSA-7K2D5MZ8WP\u0085",
		"too long":   strings.Repeat("A", 257),
	}
	for op, call := range sessionCalls {
		for name, key := range keys {
			t.Run(op+" "+name, func(t *testing.T) {
				t.Parallel()
				c, mt := noNetworkClient(t)
				err := call(c, key)
				require.ErrorIs(t, err, pave.ErrValidation)
				var ve *pave.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, "Sessions."+op, ve.Op)
				assert.Equal(t, []string{"session_key"}, keysOf(ve.Errors))
				assert.Empty(t, pavetest.Sent(mt))
			})
		}
	}
}

func TestSessionKeysAreEscaped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key         string
		escapedPath string
	}{
		{"NSA-7K2D5MZ8WP", "/v1/sessions/NSA-7K2D5MZ8WP"},
		{"NSA 7K2D", "/v1/sessions/NSA%207K2D"},
		{"NSA?x=1", "/v1/sessions/NSA%3Fx=1"},
		{"NSA%2F..", "/v1/sessions/NSA%252F.."},
		{"NSA#frag", "/v1/sessions/NSA%23frag"},
		{`NSA\..`, "/v1/sessions/NSA%5C.."},
		{"NSA-ÄÖ", "/v1/sessions/NSA-%C3%84%C3%96"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			c, mt := pavetest.NewMockClient(t)
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				// The one part of the URL pavetest.Request does not keep.
				assert.Empty(t, r.URL.Fragment)
				return jsonResponse(200, `{"session_key":"x"}`), nil
			})
			_, err := c.Sessions.Get(context.Background(), tt.key)
			require.NoError(t, err)
			reqs := pavetest.Sent(mt)
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.escapedPath, reqs[0].EscapedPath)
			assert.Equal(t, "/v1/sessions/"+tt.key, reqs[0].Path, "the key must reach the server intact")
			assert.Empty(t, reqs[0].RawQuery)
		})
	}
}

// Over a real connection the escaped key is what goes on the wire.
func TestSessionKeyEscapingOnTheWire(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var saw []pavetest.Request
	c, _ := newServerClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		saw = append(saw, serverSaw(r))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	require.NoError(t, c.Sessions.Delete(context.Background(), "A B?C%D"))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, saw, 1)
	assert.Equal(t, "/v1/sessions/A%20B%3FC%25D", requestURI(saw[0]))
	assert.Equal(t, "/v1/sessions/A B?C%D", saw[0].Path, "the key reaches the server intact")
}

// Validation errors and network calls: a client-side error is returned
// before the transport is touched even when the mock would answer.
func TestValidationNeverReachesTheTransport(t *testing.T) {
	t.Parallel()
	c, mt := pavetest.NewMockClient(t)
	mt.RegisterNoResponder(httpmock.NewStringResponder(201, `{}`))
	_, err := c.Sessions.Create(context.Background(), &pave.CreateSessionRequest{SMS: &pave.SMS{To: "abc"}})
	require.True(t, errors.Is(err, pave.ErrValidation))
	assert.Zero(t, mt.GetTotalCallCount())
}
