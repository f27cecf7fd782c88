package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// Customer data in the test deliveries: no listener output may show it.
const (
	listenCustomerFirst = "Jeanne"
	listenCustomerLast  = "Customerova"
	listenCustomerPhone = "4165550199"
)

// listenStart is the JSON start message of pave listen --json.
type listenStart struct {
	URL        string               `json:"url"`
	Secret     string               `json:"secret"`
	Events     []string             `json:"events"`
	ForwardTo  string               `json:"forward_to"`
	Registered []listenRegistration `json:"registered"`
}

// startListen runs pave listen --json with the extra args.
func startListen(t *testing.T, env []string, args ...string) (*longProc, listenStart) {
	t.Helper()
	p := startLong(t, env, append([]string{"listen", "--json"}, args...)...)
	var st listenStart
	line := p.waitLine(t, 30*time.Second, "the start message", func(l string) bool { return strings.HasPrefix(l, "{") })
	require.NoError(t, json.Unmarshal([]byte(line), &st), line)
	require.True(t, strings.HasPrefix(st.URL, "http://127.0.0.1:"), st.URL)
	require.True(t, strings.HasSuffix(st.URL, "/pave"), st.URL)
	return p, st
}

// listenTestDelivery is a webhook body of one event.
type listenTestDelivery struct {
	event pave.EventName
	body  string
}

// listenTestDeliveries returns one body of each event, with customer data
// in them where PAVE puts some.
func listenTestDeliveries(t *testing.T, key string) []listenTestDelivery {
	complete := pavetest.GenerateResults(3, key, pavetest.GenerateOptions{Damages: 2,
		Contact: &pave.Contact{FirstName: listenCustomerFirst, LastName: listenCustomerLast}})
	var doc map[string]any
	require.NoError(t, json.Unmarshal(complete, &doc))
	doc["event"] = string(pave.EventComplete)
	completeBody, err := json.Marshal(doc)
	require.NoError(t, err)
	return []listenTestDelivery{
		{pave.EventSMSProcess,
			`{"event": "SESSION:SMS_PROCESS", "phone": "+1` + listenCustomerPhone +
				`", "status": "error", "message": "Undeliverable"}`},
		{pave.EventStatusChange,
			`{"event": "SESSION:STATUS_CHANGE", "session_key": "` + key +
				`", "status": "PROCESS", "previous_status": "STARTED"}`},
		{pave.EventStageChange,
			`{"event": "SESSION:STAGE_CHANGE", "session_key": "` + key + `", "photo_url": "https://images.example/` +
				key + `_04_ABC.jpg", "photo_status": "REJECTED", "message": "Wrong View"}`},
		{pave.EventNoteInsert,
			`{"event": "SESSION:NOTE_INSERT", "session_key": "` + key + `", "note": {"title": "Scratch on bumper", ` +
				`"description": "` + listenCustomerFirst + ` says so"}}`},
		{pave.EventComplete, string(completeBody)},
	}
}

// listenDeliver posts body to url as PAVE does with a pave.NewCallback setting.
func listenDeliver(t *testing.T, url, secret string, ev pave.EventName, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if ev != "" {
		req.Header.Set("X-Pave-Event", string(ev))
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func assertListenNoPII(t *testing.T, out ...string) {
	t.Helper()
	for _, o := range out {
		for _, pii := range []string{listenCustomerFirst, listenCustomerLast, listenCustomerPhone} {
			assert.NotContains(t, o, pii, "customer data printed")
		}
	}
}

func TestListenPrintsDeliveries(t *testing.T) {
	t.Parallel()
	const key = "NSA-LISTEN0001"
	p := startLong(t, nil, "listen")
	line := p.waitLine(t, 30*time.Second, "the start line", func(l string) bool {
		return strings.Contains(l,
			"listening for PAVE webhooks on")
	})
	url := line[strings.Index(line, "http://"):]
	secretLine := p.waitLine(t, 30*time.Second, "the secret", func(l string) bool {
		return strings.Contains(l,
			"secret ")
	})
	secret := strings.Fields(secretLine)[1]
	require.GreaterOrEqual(t, len(secret), 32)
	p.waitLine(t, 30*time.Second, "the end of the start message", func(l string) bool {
		return strings.Contains(l,
			"Ctrl-C")
	})

	want := map[pave.EventName]string{
		pave.EventSMSProcess:   `SESSION:SMS_PROCESS\s+-\s+sms error \(Undeliverable\)$`,
		pave.EventStatusChange: `SESSION:STATUS_CHANGE\s+` + key + `\s+status STARTED -> PROCESS$`,
		pave.EventStageChange:  `SESSION:STAGE_CHANGE\s+` + key + `\s+photo 04 \S+ REJECTED \(Wrong View\)$`,
		pave.EventNoteInsert:   `SESSION:NOTE_INSERT\s+` + key + `\s+note "Scratch on bumper"$`,
	}
	res := new(pave.Results)
	require.NoError(t, json.Unmarshal(pavetest.GenerateResults(3, key, pavetest.GenerateOptions{Damages: 2}), res))
	grade, ok := res.Grade()
	require.True(t, ok)
	want[pave.EventComplete] = `SESSION:COMPLETE\s+` + key + `\s+grade ` + listenItoa(grade) + `, 2 damages$`

	for _, d := range listenTestDeliveries(t, key) {
		code, _ := listenDeliver(t, url, secret, d.event, d.body)
		assert.Equal(t, http.StatusNoContent, code, d.event)
		got := p.waitLine(t, 30*time.Second, string(d.event)+" line", func(l string) bool {
			return strings.Contains(l,
				string(d.event))
		})
		assert.Regexp(t, `^\d\d:\d\d:\d\d  `+want[d.event], got)
	}

	// An event this SDK does not know, and a COMPLETE body that is not a
	// results document, are printed without failing.
	code, _ := listenDeliver(t, url, secret, "SESSION:RECALLED",
		`{"event": "SESSION:RECALLED", "session_key": "`+key+`", "phone": "+1`+listenCustomerPhone+`"}`)
	assert.Equal(t, http.StatusNoContent, code)
	got := p.waitLine(t, 30*time.Second, "the unknown event", func(l string) bool {
		return strings.Contains(l,
			"SESSION:RECALLED")
	})
	assert.Regexp(t, `SESSION:RECALLED\s+`+key+`\s+\(\d+ bytes\)$`, got)
	code, _ = listenDeliver(t, url, secret, pave.EventComplete,
		`{"event": "SESSION:COMPLETE", "session": "not an object"}`)
	assert.Equal(t, http.StatusNoContent, code)
	got = p.waitLine(t, 30*time.Second, "the unreadable COMPLETE", func(l string) bool {
		return strings.Contains(l,
			"SESSION:COMPLETE")
	})
	assert.Contains(t, got, "body not readable as SESSION:COMPLETE")

	// A wrong or missing secret is refused and reported on stderr.
	code, _ = listenDeliver(t, url, "wrong-secret-0123456789abcdef", pave.EventComplete, `{"event": "SESSION:COMPLETE"}`)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = listenDeliver(t, url, "", pave.EventComplete, `{"event": "SESSION:COMPLETE"}`)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = listenDeliver(t, url, secret, pave.EventComplete, `not json`)
	assert.Equal(t, http.StatusBadRequest, code)
	resp, err := http.Get(url)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	resp, err = http.Post(strings.TrimSuffix(url, "/pave")+"/other", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	p.stop(t)
	stderr := p.stderr.String()
	assert.Equal(t, 2, strings.Count(stderr, "refused a delivery: secret missing or wrong (answered 401)"), stderr)
	assert.Contains(t, stderr, "refused a delivery: body is not a JSON object (answered 400)")
	assert.Contains(t, stderr, "listener stopped")
	assertListenNoPII(t, p.stdout(), stderr)
}

func listenItoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestListenJSON(t *testing.T) {
	t.Parallel()
	const key = "NSA-LISTEN0002"
	for _, showBody := range []bool{false, true} {
		t.Run(map[bool]string{false: "without body", true: "show-body"}[showBody], func(t *testing.T) {
			t.Parallel()
			var args []string
			if showBody {
				args = append(args, "--show-body")
			}
			p, st := startListen(t, nil, args...)
			require.NotEmpty(t, st.Secret, "a generated secret is printed")
			assert.Len(t, st.Events, 5)
			for _, d := range listenTestDeliveries(t, key) {
				code, _ := listenDeliver(t, st.URL, st.Secret, d.event, d.body)
				require.Equal(t, http.StatusNoContent, code)
				got := p.waitJSON(t, 30*time.Second, string(d.event),
					func(m map[string]any) bool { return m["event"] == string(d.event) })
				assert.Equal(t, true, got["secret_ok"])
				assert.Equal(t, float64(http.StatusNoContent), got["answered"])
				_, err := time.Parse(time.RFC3339, got["time"].(string))
				assert.NoError(t, err)
				assert.Contains(t, got, "session_key")
				switch d.event {
				case pave.EventSMSProcess:
					assert.Equal(t, "", got["session_key"])
					assert.Equal(t, "error", got["status"])
					assert.Equal(t, "Undeliverable", got["message"])
				case pave.EventStageChange:
					assert.Equal(t, key, got["session_key"])
					assert.Equal(t, float64(4), got["photo_code"])
					assert.NotEmpty(t, got["photo_label"])
					assert.Equal(t, "REJECTED", got["photo_status"])
				case pave.EventStatusChange:
					assert.Equal(t, "PROCESS", got["status"])
					assert.Equal(t, "STARTED", got["previous_status"])
				case pave.EventNoteInsert:
					assert.Equal(t, "Scratch on bumper", got["note_title"])
				case pave.EventComplete:
					assert.Equal(t, key, got["session_key"])
					assert.NotNil(t, got["grade"])
					assert.Equal(t, float64(2), got["damages"])
				}
				if showBody {
					body, err := json.Marshal(got["body"])
					require.NoError(t, err)
					assert.JSONEq(t, d.body, string(body))
				} else {
					assert.NotContains(t, got, "body")
					assert.Equal(t, float64(len(d.body)), got["body_bytes"])
				}
			}
			code, _ := listenDeliver(t, st.URL, "wrong-secret-0123456789abcdef", pave.EventComplete, `{}`)
			require.Equal(t, http.StatusUnauthorized, code)
			got := p.waitJSON(t, 30*time.Second, "the refusal", func(m map[string]any) bool { return m["secret_ok"] == false })
			assert.Equal(t, float64(http.StatusUnauthorized), got["answered"])
			p.stop(t)
			if !showBody {
				assertListenNoPII(t, p.stdout(), p.stderr.String())
			} else {
				assert.Contains(t, p.stdout(), listenCustomerPhone, "--show-body prints the bodies as received")
			}
		})
	}
}

// listenRecordingApp is the user's app --forward-to sends deliveries to.
type listenRecordingApp struct {
	mu     sync.Mutex
	got    []*http.Request
	bodies []string
	status int
}

func (a *listenRecordingApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.got = append(a.got, r)
	a.bodies = append(a.bodies, string(b))
	status := a.status
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"app": "answered"}`)
}

func (a *listenRecordingApp) setStatus(s int) { a.mu.Lock(); a.status = s; a.mu.Unlock() }

func (a *listenRecordingApp) count() int { a.mu.Lock(); defer a.mu.Unlock(); return len(a.got) }

func TestListenForwards(t *testing.T) {
	t.Parallel()
	const key = "NSA-FORWARD001"
	app := &listenRecordingApp{status: http.StatusAccepted}
	appSrv := httptest.NewServer(app)
	t.Cleanup(appSrv.Close)

	const secret = "my-own-webhook-secret-0123456789"
	p := startLong(t, []string{"MY_SECRET=" + secret}, "listen", "--forward-to", appSrv.URL+"/hooks/pave?tenant=7",
		"--secret-env", "MY_SECRET", "--events", "stage_change,SESSION:COMPLETE")
	line := p.waitLine(t, 30*time.Second, "the start line", func(l string) bool {
		return strings.Contains(l,
			"listening for PAVE webhooks on")
	})
	url := line[strings.Index(line, "http://"):]
	p.waitLine(t, 30*time.Second, "the end of the start message", func(l string) bool {
		return strings.Contains(l,
			"Ctrl-C")
	})
	out := p.stdout()
	assert.NotContains(t, out, secret, "a given secret is never printed")
	assert.Contains(t, out, "forwarding to "+appSrv.URL)
	assert.Contains(t, out, "events SESSION:STAGE_CHANGE, SESSION:COMPLETE")

	ds := listenTestDeliveries(t, key)
	stage, complete, status := ds[2], ds[4], ds[1]

	// Forwarded unchanged; PAVE gets the app's answer.
	code, body := listenDeliver(t, url+"?event=SESSION:STAGE_CHANGE", secret, stage.event, stage.body)
	assert.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, `{"app": "answered"}`, body)
	require.Equal(t, 1, app.count())
	r := app.got[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/hooks/pave", r.URL.Path)
	assert.Equal(t, "tenant=7&event=SESSION:STAGE_CHANGE", r.URL.RawQuery)
	assert.Equal(t, "Bearer "+secret, r.Header.Get("Authorization"))
	assert.Equal(t, string(pave.EventStageChange), r.Header.Get("X-Pave-Event"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Equal(t, stage.body, app.bodies[0])
	got := p.waitLine(t, 30*time.Second, "the STAGE_CHANGE line", func(l string) bool {
		return strings.Contains(l,
			"SESSION:STAGE_CHANGE")
	})
	assert.True(t, strings.HasSuffix(got, "-> app 202"), got)

	// The app fails: PAVE is told so, and delivers again.
	app.setStatus(http.StatusServiceUnavailable)
	code, _ = listenDeliver(t, url, secret, complete.event, complete.body)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	got = p.waitLine(t, 30*time.Second, "the COMPLETE line", func(l string) bool {
		return strings.Contains(l,
			"SESSION:COMPLETE")
	})
	assert.Contains(t, got, "grade ")
	assert.True(t, strings.HasSuffix(got, "-> app 503"), got)
	assert.Equal(t, complete.body, app.bodies[1])

	// An event outside --events is acknowledged, neither printed nor
	// forwarded.
	code, _ = listenDeliver(t, url, secret, status.event, status.body)
	assert.Equal(t, http.StatusNoContent, code)
	assert.Equal(t, 2, app.count())

	// A wrong secret never reaches the app.
	code, _ = listenDeliver(t, url, "wrong-secret-0123456789abcdef", stage.event, stage.body)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, 2, app.count())

	// The app is down: 502, and a line saying so.
	appSrv.Close()
	code, _ = listenDeliver(t, url, secret, stage.event, stage.body)
	assert.Equal(t, http.StatusBadGateway, code)
	got = p.waitLine(t, 30*time.Second, "the unreachable line", func(l string) bool {
		return strings.Contains(l,
			"SESSION:STAGE_CHANGE")
	})
	assert.True(t, strings.HasSuffix(got, "-> app unreachable"), got)
	got = p.waitLine(t, 30*time.Second, "the forwarding failure", func(l string) bool {
		return strings.Contains(l,
			"forwarding to")
	})
	assert.Contains(t, got, "answered PAVE 502")

	p.stop(t)
	assert.NotContains(t, p.stdout(), "SESSION:STATUS_CHANGE")
	assertListenNoPII(t, p.stdout(), p.stderr.String())
	assert.NotContains(t, p.stdout()+p.stderr.String(), secret)
}

func TestListenBadFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		want []string
	}{
		{"addr without port", nil, []string{"--addr", "localhost"}, exitUsage, []string{"--addr", "host:port"}},
		{"addr port out of range", nil, []string{"--addr", "127.0.0.1:70000"}, exitUsage, []string{"--addr", "0 to 65535"}},
		{"addr missing value", nil, []string{"--addr"}, exitUsage, []string{"--addr"}},
		{"forward-to not a URL", nil, []string{"--forward-to", "localhost:3000"}, exitUsage, []string{"--forward-to",
			"http://"}},
		{"forward-to ftp", nil, []string{"--forward-to", "ftp://example.com/x"}, exitUsage, []string{"--forward-to"}},
		{"forward-to empty", nil, []string{"--forward-to", ""}, exitUsage, []string{"--forward-to"}},
		{"unknown event", nil, []string{"--events", "COMPLETE,EXPLODED"}, exitUsage, []string{"--events", "EXPLODED",
			"STAGE_CHANGE"}},
		{"no event", nil, []string{"--events", " , "}, exitUsage, []string{"--events", "no event"}},
		{"short secret", nil, []string{"--secret", "short"}, exitUsage, []string{"--secret", "at least"}},
		{"secret with a space", nil, []string{"--secret", "a secret with spaces inside it"}, exitUsage, []string{"--secret"}},
		{"secret and secret-env", []string{"S=0123456789abcdef0123"}, []string{"--secret", "0123456789abcdef0123",
			"--secret-env", "S"}, exitUsage, []string{"--secret and --secret-env"}},
		{"secret-env unset", nil, []string{"--secret-env", "NO_SUCH_VARIABLE"}, exitUsage,
			[]string{"--secret-env NO_SUCH_VARIABLE", "not set"}},
		{"secret-env empty name", nil, []string{"--secret-env", ""}, exitUsage, []string{"--secret-env"}},
		{"secret-env short", []string{"S=short"}, []string{"--secret-env", "S"}, exitUsage, []string{"--secret-env S",
			"at least"}},
		{"public-url without register", nil, []string{"--public-url", "https://tunnel.example/pave"}, exitUsage,
			[]string{"--public-url", "--register"}},
		{"public-url malformed", nil, []string{"--register", "--public-url", "tunnel.example"}, exitUsage,
			[]string{"--public-url", "http"}},
		{"register not a bool", nil, []string{"--register=sure"}, exitUsage, []string{"--register"}},
		{"extra argument", nil, []string{"now"}, exitUsage, []string{"now"}},
		{"register without credentials", nil, []string{"--register"}, exitUnauthorized, []string{"--username",
			"PAVE_API_SECRET"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tc.env, append([]string{"listen"}, tc.args...)...)
			assert.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.Empty(t, r.stdout)
		})
	}
}

func TestListenPortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	r := cli(t, nil, "listen", "--addr", ln.Addr().String())
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "--addr "+ln.Addr().String()+": address already in use")
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"))
}

func TestListenRegister(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	client := srv.Client()

	// The local URL, for two events, with the account's credentials.
	p, st := startListen(t, fakeEnv(srv), "--register", "--events", "COMPLETE,NOTE_INSERT")
	require.Len(t, st.Registered, 2)
	assert.Equal(t, []string{string(pave.EventComplete), string(pave.EventNoteInsert)}, st.Events)
	for _, r := range st.Registered {
		assert.Equal(t, st.URL, r.URL)
		cb, err := client.Webhooks.Get(context.Background(), r.Event)
		require.NoError(t, err)
		assert.Equal(t, st.URL, cb.URL)
		assert.Equal(t, "Bearer "+st.Secret, cb.Headers["Authorization"])
	}
	_, err := client.Webhooks.Get(context.Background(), pave.EventStageChange)
	assert.ErrorIs(t, err, pave.ErrNotFound, "only the chosen events")

	// A note fires NOTE_INSERT, delivered to the listener.
	key := sdkNewSession(t, client)
	require.NoError(t, srv.AddNote(key, "Dent", "rear door"))
	got := p.waitJSON(t, 30*time.Second, "the NOTE_INSERT delivery",
		func(m map[string]any) bool { return m["event"] == string(pave.EventNoteInsert) })
	assert.Equal(t, key, got["session_key"])
	assert.Equal(t, "Dent", got["note_title"])
	p.stop(t)

	// A tunnel's URL instead, with a given secret (not printed).
	const secret = "tunnel-secret-0123456789abcdef"
	p, st = startListen(t, fakeEnv(srv), "--register", "--public-url", "https://abc123.tunnel.example/pave", "--secret",
		secret)
	assert.Empty(t, st.Secret)
	require.Len(t, st.Registered, 5)
	for _, ev := range pave.Events() {
		cb, err := client.Webhooks.Get(context.Background(), ev)
		require.NoError(t, err)
		assert.Equal(t, "https://abc123.tunnel.example/pave", cb.URL)
		assert.Equal(t, "Bearer "+secret, cb.Headers["Authorization"])
	}
	p.stopWith(t, syscall.SIGTERM)
	assert.NotContains(t, p.stdout()+p.stderr.String(), secret)
	assert.NotContains(t, p.stdout()+p.stderr.String(), srv.Credentials().APISecret)
}

// TestCrossProcessFlow: pave fake serve in one process, pave listen
// --register in another (credentials found from the fake itself), a
// session created with the SDK, pave fake complete in a third process, and
// the listener prints the COMPLETE delivery.
func TestCrossProcessFlow(t *testing.T) {
	t.Parallel()
	fake, fs := startFake(t, nil)
	env := []string{"PAVE_BASE_URL=" + fs.BaseURL}

	// Text output, to check what a person sees.
	lst := startLong(t, env, "listen", "--register")
	line := lst.waitLine(t, 30*time.Second, "the start line", func(l string) bool {
		return strings.Contains(l,
			"listening for PAVE webhooks on")
	})
	url := line[strings.Index(line, "http://"):]
	lst.waitLine(t, 30*time.Second, "the end of the start message", func(l string) bool {
		return strings.Contains(l,
			"Ctrl-C")
	})
	// stderr is copied on its own pipe: it may trail stdout a little.
	assert.Eventually(t, func() bool {
		return strings.Contains(lst.stderr.String(), "signing as the fake server's account "+fs.Accounts[0].Username)
	}, 10*time.Second, 5*time.Millisecond, lst.stderr.String())
	assert.Equal(t, 5, strings.Count(lst.stdout(), "registered SESSION:"), lst.stdout())
	assert.Contains(t, lst.stdout(), "registered SESSION:COMPLETE -> "+url)

	creds := fakeAccounts(t, fs.BaseURL, "")[0]
	client := sdkClientAt(t, fs.BaseURL, creds)
	key := sdkNewSession(t, client)

	r := mustOK(t, cli(t, env, "fake", "complete", key))
	assert.Equal(t, key+": COMPLETE\n", r.stdout)

	res, err := client.Sessions.Results(context.Background(), key)
	require.NoError(t, err)
	grade, ok := res.Grade()
	require.True(t, ok)
	got := lst.waitLine(t, 30*time.Second, "the COMPLETE delivery", func(l string) bool {
		return strings.Contains(l,
			"SESSION:COMPLETE")
	})
	assert.Regexp(t, `SESSION:COMPLETE\s+`+key+`\s+grade `+listenItoa(grade)+`, `+listenItoa(res.DamageCount())+
		` damages$`, got)
	out := lst.stdout()
	assert.Contains(t, out, "SESSION:STATUS_CHANGE")
	assert.Contains(t, out, "SESSION:STAGE_CHANGE")

	// Deliveries were all answered 2xx by the listener.
	resp, err := http.Get(fs.BaseURL + "/_fake/deliveries")
	require.NoError(t, err)
	var deliveries []struct {
		Event     string `json:"event"`
		Delivered bool   `json:"delivered"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&deliveries))
	resp.Body.Close()
	require.NotEmpty(t, deliveries)
	for _, d := range deliveries {
		assert.True(t, d.Delivered, d.Event)
	}

	lst.stop(t)
	fake.stop(t)
	assertListenNoPII(t, lst.stdout(), lst.stderr.String(), fake.stdout(), fake.stderr.String())
	assert.NotContains(t, lst.stdout()+lst.stderr.String()+fake.stdout(), creds.APISecret)
}
