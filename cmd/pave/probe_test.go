package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/probe"
	"github.com/pave-go/pave/pavetest"
)

// The signing rows whose answer depends on how the server reads
// API-Timestamp and API-Token: a strict server refuses them, a lenient one
// accepts them. (The upper-case hex token belongs here: pavetest's strict
// mode accepts only lowercase hex, as PAVE's docs show it.)
var lenientOnlySteps = []string{"sign.millis", "sign.offset", "sign.python", "sign.rfc1123", "sign.unix",
	"sign.upper-hex"}

func parseProbe(t *testing.T, out string) probe.Report {
	t.Helper()
	var rep probe.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	return rep
}

func probeRowsByStep(rep probe.Report) map[string]probe.Row {
	m := map[string]probe.Row{}
	for _, r := range rep.Rows {
		m[r.Step] = r
	}
	return m
}

// deletedKeys are the session keys the server saw a DELETE for.
func probeDeletedKeys(srv *pavetest.Server) []string {
	var keys []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodDelete && strings.HasPrefix(r.Path, "/v1/sessions/") {
			keys = append(keys, strings.TrimPrefix(r.Path, "/v1/sessions/"))
		}
	}
	return keys
}

func probeCountRequests(srv *pavetest.Server, method, prefix string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// assertNoCredentials checks that nothing identifying the account is in out.
func probeAssertRedacted(t *testing.T, creds pave.Credentials, keys []string, out ...string) {
	t.Helper()
	for _, o := range out {
		assert.NotContains(t, o, creds.APISecret)
		assert.NotContains(t, o, creds.APIKey)
		assert.NotContains(t, o, creds.Username)
		for _, k := range keys {
			assert.NotContains(t, o, k)
		}
	}
}

// comparableRow is what must agree between two servers: what came back,
// not when.
func probeComparable(r probe.Row) string {
	b, _ := json.Marshal(struct {
		Status   int
		Accepted bool
		Message  string
		Shape    map[string][]string
		Error    string
	}{r.Status, r.Accepted, r.Message, r.Shape, r.Error})
	return string(b)
}

// diffSteps returns the steps whose rows differ between a and b.
func probeDiffSteps(t *testing.T, a, b probe.Report) []string {
	t.Helper()
	ra, rb := probeRowsByStep(a), probeRowsByStep(b)
	require.Len(t, rb, len(ra))
	var diff []string
	for step, r := range ra {
		other, ok := rb[step]
		require.True(t, ok, step)
		if probeComparable(r) != probeComparable(other) {
			diff = append(diff, step)
		}
	}
	sort.Strings(diff)
	return diff
}

// checkProbeReport checks a report from a fake in the given mode.
func checkProbeReport(t *testing.T, rep probe.Report, mode pavetest.TimestampMode) {
	t.Helper()
	rows := probeRowsByStep(rep)
	var steps []string
	for _, r := range rep.Rows {
		steps = append(steps, r.Step)
	}
	assert.Equal(t, []string{
		"sign.canonical", "sign.offset", "sign.millis", "sign.python", "sign.unix", "sign.rfc1123",
		"sign.upper-hex", "sign.lower-headers", "sign.age-4m30s", "sign.age-5m30s",
		"session.create", "session.get", "session.results", "session.delete", "session.get-deleted",
	}, steps)
	for _, s := range []string{"sign.canonical", "sign.lower-headers", "sign.age-4m30s"} {
		assert.Equal(t, http.StatusOK, rows[s].Status, s)
		assert.Equal(t, map[string][]string{"$": {"api_key", "data"}}, rows[s].Shape, s)
	}
	assert.Equal(t, http.StatusUnauthorized, rows["sign.age-5m30s"].Status)
	assert.Equal(t, "API-Token has expired.", rows["sign.age-5m30s"].Message)
	for _, s := range lenientOnlySteps {
		if mode == pavetest.Strict {
			assert.Equal(t, http.StatusUnauthorized, rows[s].Status, s)
			assert.Equal(t, "Invalid API-Token.", rows[s].Message, s)
			assert.False(t, rows[s].Accepted, s)
			assert.Equal(t, []string{"message"}, rows[s].Shape["$"], s)
		} else {
			assert.Equal(t, http.StatusOK, rows[s].Status, s)
			assert.True(t, rows[s].Accepted, s)
		}
	}
	assert.Equal(t, "POST /v1/sessions "+`{"session":{"client_id":"pave-probe"}}`, rows["session.create"].Request)
	assert.Equal(t, http.StatusCreated, rows["session.create"].Status)
	assert.Contains(t, rows["session.create"].Shape["$"], "session_key")
	assert.Equal(t, "GET /v1/sessions/{key}", rows["session.get"].Request)
	assert.Equal(t, http.StatusOK, rows["session.results"].Status)
	assert.Equal(t, "Session is not yet completed.", rows["session.results"].Message)
	assert.Equal(t, "DELETE /v1/sessions/{key}", rows["session.delete"].Request)
	assert.True(t, rows["session.delete"].Accepted)
	assert.Contains(t, rows["session.delete"].Message, "{key}")
	assert.Equal(t, http.StatusNotFound, rows["session.get-deleted"].Status)
	assert.Contains(t, rows["session.get-deleted"].Message, "{key}")
	assert.NotEmpty(t, rep.Refused)
}

// TestProbeStrictVersusLenient runs the probe against a strict and a
// lenient fake: the reports differ in exactly the rows of the forms
// PAVE's docs do not show, and each leaves no session behind.
func TestProbeStrictVersusLenient(t *testing.T) {
	t.Parallel()
	strict := pavetest.NewServer(t)
	lenient := pavetest.NewServer(t, pavetest.WithTimestamps(pavetest.Lenient))

	reports := map[pavetest.TimestampMode]probe.Report{}
	for mode, srv := range map[pavetest.TimestampMode]*pavetest.Server{pavetest.Strict: strict,
		pavetest.Lenient: lenient} {
		r := mustOK(t, cli(t, fakeEnv(srv), "probe", "--yes", "--json"))
		rep := parseProbe(t, r.stdout)
		checkProbeReport(t, rep, mode)
		reports[mode] = rep

		keys := probeDeletedKeys(srv)
		require.Len(t, keys, 1, "one session deleted")
		_, err := srv.Session(keys[0])
		assert.ErrorIs(t, err, pavetest.ErrSessionNotFound, "the probe's session is gone")
		assert.Equal(t, 1, probeCountRequests(srv, http.MethodPost, "/v1/"), "only the session create changes anything")
		for _, req := range srv.Requests() {
			assert.NotContains(t, string(req.Body), `"sms"`, "no SMS")
		}
		probeAssertRedacted(t, srv.Credentials(), keys, r.stdout, r.stderr)
		assert.Contains(t, r.stderr, "TEST API key")
		assert.Contains(t, r.stderr, "POST   /v1/sessions")

		text := mustOK(t, cli(t, fakeEnv(srv), "probe", "--yes"))
		probeAssertRedacted(t, srv.Credentials(), probeDeletedKeys(srv), text.stdout, text.stderr)
		assert.Contains(t, text.stdout, "PAVE probe report")
		assert.Contains(t, text.stdout, "signing accepted: sign.canonical")
		t.Logf("%s report:\n%s", mode, text.stdout)
	}
	assert.Equal(t, lenientOnlySteps, probeDiffSteps(t, reports[pavetest.Strict], reports[pavetest.Lenient]))
	assert.Equal(t, []string{"sign.canonical", "sign.lower-headers", "sign.age-4m30s"}, reports[pavetest.Strict].Accepted)
	assert.Equal(t, []string{"sign.canonical", "sign.offset", "sign.millis", "sign.python", "sign.unix",
		"sign.rfc1123", "sign.upper-hex", "sign.lower-headers", "sign.age-4m30s"}, reports[pavetest.Lenient].Accepted)
}

// TestProbeFakeServe runs the probe against pave fake serve processes,
// strict and lenient, signing as their default accounts.
func TestProbeFakeServe(t *testing.T) {
	t.Parallel()
	reports := map[string]probe.Report{}
	for _, mode := range []string{"--strict", "--lenient"} {
		base := probeStartFakeServe(t, mode)
		r := mustOK(t, cli(t, []string{"PAVE_BASE_URL=" + base}, "probe", "--yes", "--json"))
		assert.Contains(t, r.stderr, "signing as the fake server's account")
		reports[mode] = parseProbe(t, r.stdout)
	}
	checkProbeReport(t, reports["--strict"], pavetest.Strict)
	checkProbeReport(t, reports["--lenient"], pavetest.Lenient)
	assert.Equal(t, lenientOnlySteps, probeDiffSteps(t, reports["--strict"], reports["--lenient"]))
}

// probeStartFakeServe starts pave fake serve on a free port and returns
// its base URL; it is interrupted at the end of the test.
func probeStartFakeServe(t *testing.T, args ...string) string {
	t.Helper()
	_, st := startFake(t, nil, args...)
	return st.BaseURL
}

func TestProbeAsksFirst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		stdin []byte // nil: no stdin at all
		code  int
		sent  bool
		want  string // in stderr
	}{
		{"yes", []byte("y\n"), exitOK, true, "Proceed? [y/N]"},
		{"YES without newline", []byte("YES"), exitOK, true, "Proceed? [y/N]"},
		{"no", []byte("n\n"), exitError, false, "nothing was sent"},
		{"just enter", []byte("\n"), exitError, false, "nothing was sent"},
		{"empty stdin", []byte{}, exitUsage, false, "--yes"},
		{"no stdin", nil, exitUsage, false, "--yes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := pavetest.NewServer(t)
			r := cliIn(t, tt.stdin, fakeEnv(srv), "probe")
			assert.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			assert.Contains(t, r.stderr, "TEST API key")
			assert.Equal(t, tt.sent, len(srv.Requests()) > 0)
			if tt.sent {
				assert.Contains(t, r.stdout, "PAVE probe report")
			} else {
				assert.Empty(t, r.stdout)
			}
		})
	}
}

func TestProbeProductionWarning(t *testing.T) {
	t.Parallel()
	// Nothing is sent: there is no answer to the question.
	r := cli(t, []string{
		pave.EnvUsername + "=acmemotors",
		pave.EnvAPIKey + "=9f2c4e1a-7b3d-4c5e-8f6a-1b2c3d4e5f60",
		pave.EnvAPISecret + "=s3cr3t-EXAMPLE-only",
	}, "probe", "--base-url", pave.DefaultBaseURL)
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "WARNING: "+pave.DefaultBaseURL+" is PAVE's production API. Use a TEST API key")
	assert.Contains(t, r.stderr, "9f2c...5f60")
	assert.NotContains(t, r.stderr, "s3cr3t-EXAMPLE-only")
	assert.NotContains(t, r.stderr, "9f2c4e1a-7b3d-4c5e-8f6a-1b2c3d4e5f60")
}

func TestProbeOut(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		json bool
	}{{"report.txt", false}, {"report.json", true}} {
		out := filepath.Join(dir, tt.name)
		args := []string{"probe", "--yes", "--out", out}
		if tt.json {
			args = append(args, "--json")
		}
		r := mustOK(t, cli(t, fakeEnv(srv), args...))
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "wrote the probe report to "+out)
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		if tt.json {
			checkProbeReport(t, parseProbe(t, string(b)), pavetest.Strict)
		} else {
			assert.Contains(t, string(b), "PAVE probe report")
		}
		probeAssertRedacted(t, srv.Credentials(), probeDeletedKeys(srv), string(b))
	}
}

func TestProbeBadInput(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"out is a directory", []string{"--yes", "--out", dir}, "--out"},
		{"out in no directory", []string{"--yes", "--out", filepath.Join(dir, "missing", "r.txt")}, "--out"},
		{"yes with a value", []string{"--yes=maybe"}, "--yes"},
		{"unknown flag", []string{"--sms"}, "--sms"},
		{"argument", []string{"--yes", "now"}, "unknown command"},
		{"base URL", []string{"--yes", "--base-url", "http://pave.example.com"}, "--base-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, fakeEnv(srv), append([]string{"probe"}, tt.args...)...)
			assert.Equal(t, exitUsage, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, tt.want)
		})
	}
	assert.Empty(t, srv.Requests(), "nothing sent on bad input")
}

// TestProbeFailures: a refused canonical signature creates nothing; a
// failure after the create still deletes the session.
func TestProbeFailures(t *testing.T) {
	t.Parallel()
	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		srv := pavetest.NewServer(t)
		r := cli(t, doctorWithEnv(fakeEnv(srv), pave.EnvAPISecret, "not-the-secret-of-this-key"), "probe", "--yes", "--json")
		assert.Equal(t, exitUnauthorized, r.code, r.stderr)
		assert.Contains(t, r.stderr, "run pave doctor")
		rep := parseProbe(t, r.stdout)
		assert.Len(t, rep.Rows, len(probe.Variants), "no session steps")
		assert.Zero(t, probeCountRequests(srv, http.MethodPost, "/"))
		assert.NotContains(t, r.stdout+r.stderr, "not-the-secret-of-this-key")
	})
	t.Run("create refused", func(t *testing.T) {
		t.Parallel()
		srv := pavetest.NewServer(t)
		srv.Inject(pavetest.Fault{Method: http.MethodPost, Path: "/v1/sessions", Status: http.StatusInternalServerError})
		r := cli(t, fakeEnv(srv), "probe", "--yes", "--json")
		assert.Equal(t, exitError, r.code, r.stderr)
		assert.Contains(t, r.stderr, "nothing to delete")
		rows := probeRowsByStep(parseProbe(t, r.stdout))
		assert.Equal(t, http.StatusInternalServerError, rows["session.create"].Status)
		assert.NotContains(t, rows, "session.delete")
	})
	t.Run("connection dropped after the create", func(t *testing.T) {
		t.Parallel()
		srv := pavetest.NewServer(t)
		srv.Inject(pavetest.Fault{Method: http.MethodGet, Path: "/v1/sessions/*", DropConnection: true})
		r := cli(t, fakeEnv(srv), "probe", "--yes", "--json")
		assert.Equal(t, exitError, r.code, r.stderr)
		assert.Contains(t, r.stderr, "session.get failed")
		rows := probeRowsByStep(parseProbe(t, r.stdout))
		assert.NotEmpty(t, rows["session.get"].Error)
		assert.NotContains(t, rows, "session.results", "the sequence stopped")
		assert.True(t, rows["session.delete"].Accepted, "but the session was deleted")
		keys := probeDeletedKeys(srv)
		require.Len(t, keys, 1)
		_, err := srv.Session(keys[0])
		assert.ErrorIs(t, err, pavetest.ErrSessionNotFound)
	})
	t.Run("delete refused", func(t *testing.T) {
		t.Parallel()
		srv := pavetest.NewServer(t)
		srv.Inject(pavetest.Fault{Method: http.MethodDelete, Path: "/v1/sessions/*", Status: http.StatusServiceUnavailable})
		r := cli(t, fakeEnv(srv), "probe", "--yes", "--json")
		assert.Equal(t, exitError, r.code, r.stderr)
		keys := probeDeletedKeys(srv)
		require.Len(t, keys, 1)
		// The key is printed on stderr so the session can be deleted by hand.
		assert.Contains(t, r.stderr, "could not delete session "+keys[0])
		assert.NotContains(t, r.stdout, keys[0], "the report keeps it redacted")
	})
}

func TestProbeShapeOf(t *testing.T) {
	t.Parallel()
	var v any
	require.NoError(t, json.Unmarshal([]byte(`{"b":1,"a":{"y":[{"q":1},{"p":"secret value"}],"x":null},"c":[1,2]}`), &v))
	got := map[string][]string{}
	probe.ShapeOf(v, "$", 0, got)
	assert.Equal(t, map[string][]string{
		"$":       {"a", "b", "c"},
		"$.a":     {"x", "y"},
		"$.a.y[]": {"p", "q"},
	}, got)
}
