package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/pavetest"
	"github.com/pave-go/pave/track"
)

// trackEnv is a fake with one account, a SQLite ledger over it holding
// one record per phase the operator commands act on, and the command's
// environment pointing at both.
type trackEnv struct {
	srv    *pavetest.Server
	env    []string
	ledger *track.Ledger
}

func newTrackEnv(t *testing.T) *trackEnv {
	t.Helper()
	srv := pavetest.NewServer(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	store, err := track.Open(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	l, err := track.New(track.Config{Store: store, Accounts: map[string]*pave.Client{"lakeside": srv.Client()}})
	require.NoError(t, err)
	return &trackEnv{srv: srv, ledger: l, env: append(fakeEnv(srv), "PAVE_TRACK_DSN="+dsn)}
}

// ambiguous leaves ref's create without an answer: PAVE's gateway timed out.
func (e *trackEnv) ambiguous(t *testing.T, ref string) {
	t.Helper()
	e.srv.Inject(pavetest.Fault{Method: "POST", Path: "/v1/sessions", Status: http.StatusGatewayTimeout, Times: 1})
	_, err := e.ledger.Create(t.Context(), "lakeside", ref, &pave.CreateSessionRequest{})
	require.ErrorIs(t, err, track.ErrAmbiguous)
}

func TestTrack(t *testing.T) {
	t.Parallel()
	e := newTrackEnv(t)
	created, err := e.ledger.Create(t.Context(), "lakeside", "lead-1", &pave.CreateSessionRequest{})
	require.NoError(t, err)
	e.ambiguous(t, "lead-2")
	e.ambiguous(t, "lead-3")

	t.Run("ls lists every record, newest first, and filters", func(t *testing.T) {
		r := mustOK(t, cli(t, e.env, "track", "ls"))
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		require.Len(t, lines, 4, r.stdout)
		assert.Contains(t, lines[0], "REF")
		assert.Contains(t, lines[3], created.SessionKey)
		r = mustOK(t, cli(t, e.env, "track", "ls", "--ambiguous", "--json"))
		var recs []track.Record
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &recs), r.stdout)
		refs := []string{}
		for _, rec := range recs {
			refs = append(refs, rec.Ref)
		}
		assert.ElementsMatch(t, []string{"lead-2", "lead-3"}, refs)
		r = mustOK(t, cli(t, e.env, "track", "ls", "--failed"))
		assert.Equal(t, "No records.\n", r.stdout)
	})

	t.Run("show by reference and by session key", func(t *testing.T) {
		r := mustOK(t, cli(t, e.env, "track", "show", "lead-1"))
		assert.Contains(t, r.stdout, created.SessionKey)
		assert.Contains(t, r.stdout, created.CaptureURL)
		r = mustOK(t, cli(t, e.env, "track", "show", "--session", created.SessionKey, "--json"))
		var rec track.Record
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &rec), r.stdout)
		assert.Equal(t, "lead-1", rec.Ref)
	})

	t.Run("resolve binds an ambiguous reference to the session PAVE made", func(t *testing.T) {
		sess, err := e.srv.Client().Sessions.Create(t.Context(), &pave.CreateSessionRequest{})
		require.NoError(t, err)
		r := mustOK(t, cli(t, e.env, "track", "resolve", "lead-2", "--session", sess.SessionKey))
		assert.Contains(t, r.stdout, sess.SessionKey)
		rec, err := e.ledger.Show(t.Context(), track.Key{Ref: "lead-2"})
		require.NoError(t, err)
		assert.Equal(t, sess.SessionKey, rec.SessionKey)
		assert.NotEqual(t, track.PhaseCreating, rec.Phase)
	})

	t.Run("resolve --abandon releases the reference", func(t *testing.T) {
		r := mustOK(t, cli(t, e.env, "track", "resolve", "lead-3", "--abandon"))
		assert.Contains(t, r.stderr, "abandoned")
		_, err := e.ledger.Show(t.Context(), track.Key{Ref: "lead-3"})
		require.ErrorIs(t, err, track.ErrNotFound)
	})

	t.Run("stats counts the records by phase", func(t *testing.T) {
		r := mustOK(t, cli(t, e.env, "track", "stats"))
		var s track.Summary
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &s), r.stdout)
		n := 0
		for _, c := range s.Phases {
			n += c
		}
		assert.Equal(t, 2, n, r.stdout)
	})

	t.Run("retry makes a tracked session's next poll due now", func(t *testing.T) {
		r := mustOK(t, cli(t, e.env, "track", "retry", "lead-1"))
		assert.Equal(t, "pave: lakeside/lead-1: work due now\n", r.stderr)
		assert.Contains(t, r.stdout, "tracking")
	})

	t.Run("purge deletes nothing unfinished", func(t *testing.T) {
		r := mustOK(t, cli(t, e.env, "track", "purge", "--older-than", "1h"))
		assert.Equal(t, "0 records purged\n", r.stdout)
	})
}

func TestTrackErrors(t *testing.T) {
	t.Parallel()
	e := newTrackEnv(t)
	_, err := e.ledger.Create(t.Context(), "lakeside", "lead-1", &pave.CreateSessionRequest{})
	require.NoError(t, err)
	e.ambiguous(t, "lead-2")
	noDB := fakeEnv(e.srv)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"no database", noDB, []string{"track", "ls"}, cmdutil.ExitUsage, "PAVE_TRACK_DSN"},
		{"bad DSN", append(noDB, "PAVE_TRACK_DSN=mysql://x"), []string{"track", "ls"}, cmdutil.ExitUsage, "--db"},
		{"no such SQLite file", append(noDB, "PAVE_TRACK_DSN=sqlite:"+filepath.Join(t.TempDir(), "typo.db")),
			[]string{"track", "ls"}, cmdutil.ExitUsage, "no ledger at"},
		{"no such bare path", noDB, []string{"track", "ls", "--db", filepath.Join(t.TempDir(), "typo.db")},
			cmdutil.ExitUsage, "no such file"},
		{"unknown reference", e.env, []string{"track", "show", "lead-9"}, cmdutil.ExitNotFound, "no such record"},
		{"no record named", e.env, []string{"track", "show"}, cmdutil.ExitUsage, "REF, or --session"},
		{"retry an unresolved create", e.env, []string{"track", "retry", "lead-2"}, cmdutil.ExitUsage, "phase"},
		{"resolve a created record", e.env, []string{"track", "resolve", "lead-1", "--abandon"}, cmdutil.ExitUsage,
			"phase"},
		{"resolve without a verdict", e.env, []string{"track", "resolve", "lead-1"}, cmdutil.ExitUsage, "abandon"},
		{"resolve with both", e.env, []string{"track", "resolve", "lead-1", "--abandon", "--session", "X"},
			cmdutil.ExitUsage, "abandon"},
		{"purge without age", e.env, []string{"track", "purge"}, cmdutil.ExitUsage, "older-than"},
		{"purge with a negative age", e.env, []string{"track", "purge", "--older-than", "-1h"}, cmdutil.ExitUsage,
			"positive"},
		{"two filters", e.env, []string{"track", "ls", "--pending", "--failed"}, cmdutil.ExitUsage, "pending"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, tc.env, tc.args...)
			assert.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.Empty(t, r.stdout)
		})
	}
}
