package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/sessions"
	"github.com/pave-go/pave/internal/report"
	"github.com/pave-go/pave/pavetest"
)

// cliCreateSession runs `pave sessions create --json` and returns the key.
func cliCreateSession(t *testing.T, env []string, args ...string) string {
	t.Helper()
	r := mustOK(t, cli(t, env, append([]string{"sessions", "create", "--json"}, args...)...))
	var s struct {
		SessionKey string `json:"session_key"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s), r.stdout)
	require.NotEmpty(t, s.SessionKey)
	return s.SessionKey
}

// lastRequestTo returns the newest recorded request with method whose path
// starts with prefix.
func lastRequestTo(t *testing.T, srv *pavetest.Server, method, prefix string) pavetest.Request {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && strings.HasPrefix(reqs[i].Path, prefix) {
			return reqs[i]
		}
	}
	t.Fatalf("no %s %s* request recorded", method, prefix)
	return pavetest.Request{}
}

func TestSessionsCreate(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)

	t.Run("human output, piped: key and link, no QR code", func(t *testing.T) {
		t.Parallel()
		r := mustOK(t, cli(t, env, "sessions", "create"))
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		require.Len(t, lines, 2, r.stdout)
		key := strings.TrimSpace(strings.TrimPrefix(lines[0], "Session key:"))
		sess, err := srv.Session(key)
		require.NoError(t, err)
		assert.Contains(t, lines[1], sess.CaptureURL)
		assert.NotContains(t, r.stdout, "█")
		assert.NotContains(t, r.stdout, "▀")
		assert.NotContains(t, r.stdout, "Scan with a phone")
	})

	t.Run("--no-qr is accepted", func(t *testing.T) {
		t.Parallel()
		r := mustOK(t, cli(t, env, "sessions", "create", "--no-qr"))
		assert.Contains(t, r.stdout, "Capture link:")
		assert.NotContains(t, r.stdout, "█")
	})

	t.Run("--json is the session as the fake holds it", func(t *testing.T) {
		t.Parallel()
		r := mustOK(t, cli(t, env, "sessions", "create", "--json", "--vin", "1HGCV1F39LA012345"))
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
		key, _ := got["session_key"].(string)
		sess, err := srv.Session(key)
		require.NoError(t, err)
		assert.Equal(t, sess.CaptureURL, got["capture_url"])
		assert.Equal(t, string(sess.Status), got["status"])
		assert.NotContains(t, r.stdout, "█")
	})

	t.Run("every flag is sent", func(t *testing.T) {
		t.Parallel()
		srv := pavetest.NewServer(t) // its own, to find the request
		cliCreateSession(t, fakeEnv(srv),
			"--vin", "1hgcv1f39la012345", "--sms-to", "+1 416 555 0199", "--sms-to-name", "Maria Lopez",
			"--sms-from", "+14165550100", "--sms-by", "Lakeside Honda", "--redirect-url", "https://crm.example/done",
			"--theme", "pro", "--language", "EN", "--client-id", "LEAD-88127",
			"--reference", "lead=88127", "--reference", "source=web=form",
			"--year", "2020", "--make", "Honda", "--model", "Accord", "--odometer", "42000", "--odometer-unit", "km")
		var body pave.CreateSessionRequest
		require.NoError(t, lastRequestTo(t, srv, http.MethodPost, "/v1/sessions").DecodeBody(&body))
		require.NotNil(t, body.Session)
		require.NotNil(t, body.Vehicle)
		require.NotNil(t, body.SMS)
		assert.Equal(t, pave.ThemePro, body.Session.Theme)
		assert.Equal(t, "https://crm.example/done", body.Session.RedirectURL)
		assert.Equal(t, pave.LanguageEN, body.Session.Language)
		assert.Equal(t, "LEAD-88127", body.Session.ClientID)
		assert.Equal(t, map[string]any{"lead": "88127", "source": "web=form"}, body.Session.Reference)
		assert.Equal(t, "1HGCV1F39LA012345", body.Vehicle.VIN)
		assert.Equal(t, pave.Int(2020), body.Vehicle.Year)
		assert.Equal(t, "Honda", body.Vehicle.Make)
		assert.Equal(t, "Accord", body.Vehicle.Model)
		assert.Equal(t, pave.Int(42000), body.Vehicle.OdomReading)
		assert.Equal(t, pave.Kilometres, body.Vehicle.OdomUnit)
		assert.Equal(t, pave.SMS{To: "+1 416 555 0199", ToName: "Maria Lopez", From: "+14165550100", By: "Lakeside Honda"},
			*body.SMS)
	})

	t.Run("no flags sends no settings", func(t *testing.T) {
		t.Parallel()
		srv := pavetest.NewServer(t)
		cliCreateSession(t, fakeEnv(srv))
		body := lastRequestTo(t, srv, http.MethodPost, "/v1/sessions").Body
		assert.True(t, len(body) == 0 || string(body) == "{}" || string(body) == "null", "%s", body)
	})
}

func TestSessionsUsageErrors(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)
	key := cliCreateSession(t, env)
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"sessions", "create", "--theme"}, "--theme"},
		{[]string{"sessions", "create", "--odometer", "many"}, "--odometer"},
		{[]string{"sessions", "create", "--odometer-unit", "MILES"}, "--odometer-unit"},
		{[]string{"sessions", "create", "--odometer", "5", "--odometer-unit", "furlongs"}, "--odometer-unit"},
		{[]string{"sessions", "create", "--reference", "lead"}, "--reference"},
		{[]string{"sessions", "create", "--reference", "=88127"}, "--reference"},
		{[]string{"sessions", "create", "--language", "e n"}, "--language"},
		{[]string{"sessions", "create", "--language", ""}, "--language"},
		{[]string{"sessions", "create", "--vin", " "}, "--vin"},
		{[]string{"sessions", "create", "--sms-to", ""}, "--sms-to"},
		{[]string{"sessions", "create", "--sms-from", ""}, "--sms-from"},
		{[]string{"sessions", "create", "--redirect-url", ""}, "--redirect-url"},
		{[]string{"sessions", "create", "extra"}, "extra"},
		{[]string{"sessions", "get"}, "KEY"},
		{[]string{"sessions", "get", ""}, "KEY"},
		{[]string{"sessions", "get", key, "other"}, "other"},
		{[]string{"sessions", "photos"}, "KEY"},
		{[]string{"sessions", "notes"}, "KEY"},
		{[]string{"sessions", "results"}, "KEY"},
		{[]string{"sessions", "delete"}, "KEY"},
		{[]string{"sessions", "resend"}, "KEY"},
		{[]string{"sessions", "resend", key, "--phone", ""}, "--phone"},
		{[]string{"sessions", "update", key}, "nothing to change"},
		{[]string{"sessions", "update", "--theme", "PRO"}, "KEY"},
		{[]string{"sessions", "wait", key, "--interval", "0"}, "--interval"},
		{[]string{"sessions", "wait", key, "--interval", "1ms"}, "--interval"},
		{[]string{"sessions", "wait", key, "--interval", "soon"}, "--interval"},
		{[]string{"sessions", "wait", key, "--timeout", "0s"}, "--timeout"},
		{[]string{"sessions", "wait", key, "--timeout", "-5m"}, "--timeout"},
		{[]string{"sessions", "wait"}, "KEY"},
		{[]string{"sessions", "frobnicate"}, "frobnicate"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			r := cli(t, env, tc.args...)
			assert.Equal(t, exitUsage, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.True(t, strings.HasPrefix(r.stderr, "pave: "), r.stderr)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
	// Nothing reached the API but the first create and the usage-free
	// ones: no session was changed.
	sess, err := srv.Session(key)
	require.NoError(t, err)
	assert.Equal(t, pave.StatusIdle, sess.Status)
}

func TestSessionsValidationErrors(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)
	key := cliCreateSession(t, env)
	for _, tc := range []struct {
		args []string
		want []string // in stderr
	}{
		{[]string{"sessions", "create", "--vin", "1HGCV1F39LA01234"}, []string{"vehicle.vin", "--vin"}},
		{[]string{"sessions", "create", "--vin", "1HGCV1F39LA01234O"}, []string{"vehicle.vin", "--vin"}},
		{[]string{"sessions", "create", "--sms-to", "12"}, []string{"sms.to", "--sms-to"}},
		{[]string{"sessions", "create", "--vin", "SHORT", "--sms-from", "abc"}, []string{"vehicle.vin", "sms.from",
			"--sms-from, --vin"}},
		{[]string{"sessions", "create", "--redirect-url", "not a url"}, []string{"session.redirect_url", "--redirect-url"}},
		{[]string{"sessions", "update", key, "--sms-to", "1"}, []string{"sms.to", "--sms-to"}},
		{[]string{"sessions", "resend", key, "--phone", "12"}, []string{"phone", "--phone"}},
		{[]string{"sessions", "get", ".."}, []string{"session_key", "KEY"}},
		// What the SDK validates, it validates (exit 3), naming the flag.
		{[]string{"sessions", "create", "--theme", "DARK"}, []string{"session.theme", "--theme"}},
		{[]string{"sessions", "create", "--odometer", "-1"}, []string{"vehicle.odom_reading", "--odometer"}},
		{[]string{"sessions", "create", "--year", "1850"}, []string{"vehicle.year", "--year"}},
		{[]string{"sessions", "create", "--year", "2200"}, []string{"vehicle.year", "--year"}},
		{[]string{"sessions", "update", key, "--theme", "neon"}, []string{"session.theme", "--theme"}},
		{[]string{"sessions", "update", key, "--odometer", "-1"}, []string{"vehicle.odom_reading", "--odometer"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			r := cli(t, env, tc.args...)
			assert.Equal(t, exitValidation, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
	for _, r := range srv.Requests() {
		assert.False(t, r.Method == http.MethodPut || r.Path == "/v2/capture/sessions/"+key+"/resend",
			"a request failing validation was sent: %s %s", r.Method, r.Path)
	}
}

func TestSessionsNotFound(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)
	const key = "NSA-NOSUCHKEY1"
	for _, args := range [][]string{
		{"sessions", "get", key},
		{"sessions", "get", key, "--json"},
		{"sessions", "photos", key},
		{"sessions", "notes", key},
		{"sessions", "results", key},
		{"sessions", "update", key, "--redirect-url", "https://crm.example/done"},
		{"sessions", "delete", key},
		{"sessions", "wait", key, "--interval", "20ms", "--timeout", "5s"},
		{"sessions", "resend", key},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := cli(t, env, args...)
			assert.Equal(t, exitNotFound, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, "pave: ")
			assert.Empty(t, r.stdout)
		})
	}
}

func TestSessionsUnauthorized(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)
	env = append(env, "PAVE_API_SECRET=not-the-secret")
	r := cli(t, env, "sessions", "create")
	assert.Equal(t, exitUnauthorized, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "not-the-secret")
}

func TestSessionsLifecycle(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t, pavetest.WithSeed(7))
	env := fakeEnv(srv)
	key := cliCreateSession(t, env, "--vin", "1HGCV1F39LA012345", "--client-id", "LEAD-1", "--reference", "lead=1")

	// get: the table and the JSON.
	r := mustOK(t, cli(t, env, "sessions", "get", key))
	sess, err := srv.Session(key)
	require.NoError(t, err)
	for _, want := range []string{"Session key:", key, "Status:", "IDLE", "Theme:", "Capture link:", sess.CaptureURL,
		"Created:", "Updated:", "Vehicle:", "VIN:", "1HGCV1F39LA012345", "Client ID:", "LEAD-1", "Reference:", "lead=1"} {
		assert.Contains(t, r.stdout, want)
	}
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, env, "sessions", "get", key, "--json")).stdout), &got))
	assert.Equal(t, key, got["session_key"])
	assert.Equal(t, "IDLE", got["status"])

	// Before capture: no photos, no notes, results not ready (6).
	assert.Contains(t, mustOK(t, cli(t, env, "sessions", "photos", key)).stdout, "No photos yet.")
	assert.Contains(t, mustOK(t, cli(t, env, "sessions", "notes", key)).stdout, "No notes.")
	assert.Equal(t, "[]\n", mustOK(t, cli(t, env, "sessions", "photos", key, "--json")).stdout)
	r = cli(t, env, "sessions", "results", key)
	assert.Equal(t, exitNotReady, r.code, r.stderr)
	assert.Contains(t, r.stderr, "not yet completed")
	assert.Equal(t, exitNotReady, cli(t, env, "sessions", "results", key, "--json").code)

	// A rejected photo shows its verdict.
	require.NoError(t, srv.CapturePhoto(key, pave.PhotoFrontLeft, false))
	r = mustOK(t, cli(t, env, "sessions", "photos", key))
	assert.Regexp(t, `CODE\s+LABEL\s+VERDICT`, r.stdout)
	assert.Regexp(t, `10\s+Front_Left\s+rejected: Wrong View`, r.stdout)

	require.NoError(t, srv.Complete(key))
	require.NoError(t, srv.AddNote(key, "Scratch on the rear bumper", "seen at the lot"))

	// Results: the condition report with the grade.
	res, err := srv.Client().Sessions.Results(t.Context(), key)
	require.NoError(t, err)
	sum := res.Summary()
	require.True(t, sum.Graded)
	r = mustOK(t, cli(t, env, "sessions", "results", key))
	assert.Contains(t, r.stdout, "Condition report for session "+key)
	assert.Regexp(t, `Grade:\s+\d/5, `+sum.GradeLabel, r.stdout)
	assert.Regexp(t, `Damages:\s+`+strconv.Itoa(sum.DamageCount), r.stdout)
	if sum.DamageCount > 0 {
		assert.Regexp(t, `COMPONENT\s+N\s+REPAIR\s+WORST DAMAGE`, r.stdout)
		for c := range sum.WorstByComponent {
			assert.Contains(t, r.stdout, c)
		}
	}
	var buf strings.Builder
	report.Write(&buf, res)
	assert.Equal(t, buf.String(), r.stdout, "the report the command prints is the report of the document")

	// --json: the document as PAVE returned it.
	r = mustOK(t, cli(t, env, "sessions", "results", key, "--json"))
	var doc, want any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	require.NoError(t, json.Unmarshal(res.Raw(), &want))
	assert.Equal(t, want, doc)

	// Photos and notes now.
	r = mustOK(t, cli(t, env, "sessions", "photos", key))
	assert.Equal(t, 14, strings.Count(r.stdout, "\n"), r.stdout) // header + 13 views
	assert.NotContains(t, r.stdout, "rejected")
	var photos []map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, env, "sessions", "photos", key, "--json")).stdout), &photos))
	assert.Len(t, photos, 13)
	r = mustOK(t, cli(t, env, "sessions", "notes", key))
	assert.Regexp(t, `TITLE\s+CREATED`, r.stdout)
	assert.Contains(t, r.stdout, "Scratch on the rear bumper")
	var notes []map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, env, "sessions", "notes", key, "--json")).stdout), &notes))
	require.Len(t, notes, 1)
	assert.Equal(t, "Scratch on the rear bumper", notes[0]["title"])

	// A completed session cannot be deleted (an API error, 1).
	r = cli(t, env, "sessions", "delete", key)
	assert.Equal(t, exitError, r.code, r.stderr)
}

func TestSessionsWait(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)

	for _, jsonOut := range []bool{false, true} {
		name := "report"
		if jsonOut {
			name = "json"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			key := cliCreateSession(t, env)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(300 * time.Millisecond)
				assert.NoError(t, srv.Complete(key))
			}()
			args := []string{"sessions", "wait", key, "--interval", "50ms", "--timeout", "30s"}
			if jsonOut {
				args = append(args, "--json")
			}
			r := mustOK(t, cli(t, env, args...))
			wg.Wait()
			if jsonOut {
				var doc struct {
					Session struct {
						SessionKey string `json:"session_key"`
						Status     string `json:"status"`
					} `json:"session"`
				}
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
				assert.Equal(t, key, doc.Session.SessionKey)
				assert.Equal(t, "COMPLETE", doc.Session.Status)
			} else {
				// Piped: nothing but the report, no status line.
				assert.True(t, strings.HasPrefix(r.stdout, "Condition report for session "+key+"\n"), r.stdout)
				assert.Contains(t, r.stdout, "Grade:")
				assert.NotContains(t, r.stdout, "\r")
				assert.NotContains(t, r.stdout, "Waiting")
			}
		})
	}

	t.Run("timeout exits 6", func(t *testing.T) {
		t.Parallel()
		key := cliCreateSession(t, env)
		r := cli(t, env, "sessions", "wait", key, "--interval", "20ms", "--timeout", "300ms")
		assert.Equal(t, exitNotReady, r.code, r.stderr)
		assert.Empty(t, r.stdout)
	})

	t.Run("expired session exits 1", func(t *testing.T) {
		t.Parallel()
		key := cliCreateSession(t, env)
		require.NoError(t, srv.Expire(key))
		r := cli(t, env, "sessions", "wait", key, "--interval", "20ms", "--timeout", "10s")
		assert.Equal(t, exitError, r.code, r.stderr)
		assert.Contains(t, r.stderr, "EXPIRED")
	})
}

func TestSessionsUpdateDeleteResend(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)

	t.Run("update", func(t *testing.T) {
		t.Parallel()
		key := cliCreateSession(t, env)
		r := mustOK(t, cli(t, env, "sessions", "update", key, "--theme", "capt", "--redirect-url",
			"https://crm.example/done", "--language", "EN"))
		assert.Regexp(t, `Theme:\s+CAPT`, r.stdout)
		assert.Regexp(t, `Redirect URL:\s+https://crm.example/done`, r.stdout)
		sess, err := srv.Session(key)
		require.NoError(t, err)
		assert.Equal(t, pave.ThemeCapt, sess.Theme)
		assert.Equal(t, "https://crm.example/done", sess.RedirectURL)
		var body map[string]map[string]any
		require.NoError(t, lastRequestTo(t, srv, http.MethodPut, "/v1/sessions/"+key).DecodeBody(&body))
		assert.Equal(t, map[string]map[string]any{"session": {"theme": "CAPT", "redirect_url": "https://crm.example/done",
			"language": "EN"}}, body,
			"only what changes is sent")

		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, env, "sessions", "update", key, "--theme", "LITE",
			"--json")).stdout), &got))
		assert.Equal(t, key, got["session_key"])
		assert.Equal(t, "LITE", got["theme"])
	})

	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		key := cliCreateSession(t, env)
		r := mustOK(t, cli(t, env, "sessions", "delete", key))
		assert.Equal(t, "Deleted session "+key+".\n", r.stdout)
		_, err := srv.Session(key)
		require.Error(t, err)
		assert.Equal(t, exitNotFound, cli(t, env, "sessions", "get", key).code)

		key = cliCreateSession(t, env)
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, env, "sessions", "delete", key, "--json")).stdout), &got))
		assert.Equal(t, map[string]any{"session_key": key, "deleted": true}, got)
	})

	t.Run("resend", func(t *testing.T) {
		t.Parallel()
		key := cliCreateSession(t, env, "--sms-to", "+14165550199")
		require.NoError(t, srv.SetSMSResult(key, true, ""))
		r := mustOK(t, cli(t, env, "sessions", "resend", key))
		assert.Contains(t, r.stdout, "Session "+key+":")
		assert.NotContains(t, r.stdout, "5550199", "the phone number is not printed")
		// One resend per session.
		r = cli(t, env, "sessions", "resend", key)
		assert.NotEqual(t, exitOK, r.code)
		assert.Contains(t, r.stderr, "pave: ")

		key = cliCreateSession(t, env, "--sms-to", "+14165550199")
		require.NoError(t, srv.SetSMSResult(key, true, ""), "PAVE resends only an SMS reported delivered")
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, env, "sessions", "resend", key, "--phone", "+14165550123",
			"--json")).stdout), &got))
		assert.Equal(t, "success", got["status"])
	})
}

func TestCommandsHaveHelpWithExamples(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"sessions"}, {"sessions", "create"}, {"sessions", "get"}, {"sessions", "photos"}, {"sessions", "notes"},
		{"sessions", "results"}, {"sessions", "update"}, {"sessions", "delete"}, {"sessions", "wait"}, {"sessions", "resend"},
		{"callbacks"}, {"callbacks", "list"}, {"callbacks", "get"}, {"callbacks", "ensure"}, {"callbacks", "rm"},
		{"hotspots"}, {"hotspots", "create"}, {"hotspots", "upload"}, {"hotspots", "results"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := mustOK(t, cli(t, nil, append(args, "--help")...))
			assert.Contains(t, r.stdout, "Examples:")
			assert.Contains(t, r.stdout, "pave "+strings.Join(args, " "))
		})
	}
	// A group without a subcommand prints its help.
	for _, group := range []string{"sessions", "callbacks", "hotspots"} {
		r := mustOK(t, cli(t, nil, group))
		assert.Contains(t, r.stdout, "Available Commands:", group)
	}
}

// cliTTY runs the command with its stdout on a pseudo-terminal, through
// util-linux script(1); the test is skipped where there is none.
func cliTTY(t *testing.T, env []string, args ...string) result {
	t.Helper()
	script, err := exec.LookPath("script")
	if err != nil || runtime.GOOS != "linux" {
		t.Skip("no script(1) to run the command on a terminal")
	}
	quoted := []string{shellQuote(binPath)}
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, "-qec", strings.Join(quoted, " "), "/dev/null")
	cmd.Env = append(baseEnv(t), env...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("script: %v", err)
	}
	// The terminal's line discipline ends lines with \r\n; the
	// pseudo-terminal mixes stderr in.
	return result{stdout: strings.ReplaceAll(string(out), "\r\n", "\n"), code: code}
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func TestSessionsOnATerminal(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)

	t.Run("create draws the QR code", func(t *testing.T) {
		t.Parallel()
		r := cliTTY(t, env, "sessions", "create")
		require.Equal(t, exitOK, r.code, r.stdout)
		_, link, ok := strings.Cut(r.stdout, "Capture link:")
		require.True(t, ok, r.stdout)
		link = strings.TrimSpace(strings.SplitN(link, "\n", 2)[0])
		qr, err := sessions.CaptureQR(link)
		require.NoError(t, err)
		assert.Contains(t, r.stdout, qr)
		assert.Contains(t, r.stdout, "Scan with a phone to open the capture link.")
	})

	t.Run("--no-qr and --json draw none", func(t *testing.T) {
		t.Parallel()
		r := cliTTY(t, env, "sessions", "create", "--no-qr")
		require.Equal(t, exitOK, r.code, r.stdout)
		assert.Contains(t, r.stdout, "Capture link:")
		assert.NotContains(t, r.stdout, "█")
		r = cliTTY(t, env, "sessions", "create", "--json")
		require.Equal(t, exitOK, r.code, r.stdout)
		assert.NotContains(t, r.stdout, "█")
		var s map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &s), r.stdout)
	})

	t.Run("wait shows a status line, then the report", func(t *testing.T) {
		t.Parallel()
		key := cliCreateSession(t, env)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(400 * time.Millisecond)
			assert.NoError(t, srv.Complete(key))
		}()
		r := cliTTY(t, env, "sessions", "wait", key, "--interval", "50ms", "--timeout", "30s")
		wg.Wait()
		require.Equal(t, exitOK, r.code, r.stdout)
		assert.Contains(t, r.stdout, "\r\033[KWaiting for session "+key+": IDLE (")
		line, report, ok := strings.Cut(r.stdout, "\r\033[KCondition report for session "+key+"\n")
		require.True(t, ok, "the status line is erased before the report: %q", r.stdout)
		assert.NotContains(t, line, "\n")
		assert.Contains(t, report, "Grade:")
	})
}

// TestSessionsCompare compares a first inspection with a repeat of it a
// day later on the fake's clock (which the command follows): the chosen new
// damage and the repaired component are named, the table fits 80 columns,
// and --json is the comparison.
func TestSessionsCompare(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)
	first := cliCreateSession(t, env, "--vin", "1HGCV1F39LA012345")
	require.NoError(t, srv.Complete(first))
	res, err := srv.Client().Sessions.Results(t.Context(), first)
	require.NoError(t, err)
	require.NotEmpty(t, res.Damages(), "the fake's first inspection has damages to repair")
	repaired := res.Damages()[0].Component
	srv.AdvanceClock(24 * time.Hour)
	second := cliCreateSession(t, env, "--vin", "1HGCV1F39LA012345")
	require.NoError(t, srv.CompleteRepeat(second, pavetest.Repeat{Previous: first, Repaired: []string{repaired},
		NewDamages: []pavetest.RepeatDamage{{Component: "WINDSHIELD_FRONT_UNIQUE", DamageName: "CHIPPED_MINOR"}}}))

	r := mustOK(t, cli(t, env, "sessions", "compare", first, second))
	assert.Regexp(t, `(?m)^new\s+WINDSHIELD_FRONT_UNIQUE\s+CHIPPED_MINOR$`, r.stdout)
	assert.Regexp(t, `(?m)^repaired\s+`+repaired+`\s`, r.stdout)
	assert.Contains(t, r.stdout, "1 new")
	for _, line := range strings.Split(r.stdout, "\n") {
		assert.LessOrEqual(t, len(line), 80, line)
	}

	var got pave.Comparison
	require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, env, "sessions", "compare", first, second, "--json")).stdout), &got))
	assert.Equal(t, second, got.AfterSessionKey)
	require.Len(t, got.New, 1)
	assert.Equal(t, "WINDSHIELD_FRONT_UNIQUE", got.New[0].Component)

	back := cli(t, env, "sessions", "compare", second, first)
	assert.Equal(t, 3, back.code, "after older than before is a validation error: %s", back.stderr)
	other := cliCreateSession(t, env, "--vin", "2T1BURHE5JC074512")
	require.NoError(t, srv.Complete(other))
	assert.Equal(t, 3, cli(t, env, "sessions", "compare", first, other).code, "another vehicle")
	assert.Equal(t, 2, cli(t, env, "sessions", "compare", first).code, "two keys")
}
