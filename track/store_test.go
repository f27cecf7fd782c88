package track_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/track"
)

func TestOpenDSN(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, dsn := range []string{
		"sqlite:" + filepath.Join(dir, "a.db"),
		"sqlite://" + filepath.Join(dir, "b.db"),
		"file:" + filepath.Join(dir, "c.db") + "?cache=shared",
		filepath.Join(dir, "d.sqlite3"),
	} {
		s, err := track.Open(context.Background(), dsn)
		require.NoError(t, err, dsn)
		assert.Equal(t, track.SQLite, s.Kind())
		require.NoError(t, s.Close())
		s, err = track.Open(context.Background(), dsn) // migrating again changes nothing
		require.NoError(t, err, dsn)
		require.NoError(t, s.Close())
	}
}

func TestOpenRefusesBadDSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dsn, want, secret string
	}{
		{"", "empty", ""},
		{"mysql://root:hunter2@db/x", `unknown scheme "mysql"`, "hunter2"},
		{"ledger", "neither a postgres:// URL nor a sqlite:PATH", ""},
		{"sqlite:", "no file path", ""},
		{"sqlite:x.db?%zz", "query", ""},
		{"postgres://track:hunter2@127.0.0.1:notaport/db", "PostgreSQL", "hunter2"},
		{"host=127.0.0.1 password=hunter2 port=notaport", "PostgreSQL", "hunter2"},
	} {
		_, err := track.Open(context.Background(), tc.dsn)
		require.ErrorIs(t, err, track.ErrDSN, tc.dsn)
		assert.Contains(t, err.Error(), tc.want)
		if tc.secret != "" {
			assert.NotContains(t, err.Error(), tc.secret, "a DSN's password never shows")
		}
	}
}

func TestSchemaNewerThanCodeIsRefused(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			dsn := testDSN(t, kind)
			s, err := track.Open(context.Background(), dsn)
			require.NoError(t, err)
			_, err = s.DB().Exec("INSERT INTO track_schema (version) VALUES (99)")
			require.NoError(t, err)
			require.NoError(t, s.Close())
			_, err = track.Open(context.Background(), dsn)
			require.ErrorIs(t, err, track.ErrSchemaTooNew)
			assert.Contains(t, err.Error(), "version 99")
		})
	}
}

func TestOpenDB(t *testing.T) {
	t.Parallel()
	_, err := track.OpenDB(context.Background(), nil, track.SQLite)
	require.Error(t, err)
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "x.db"))
	require.NoError(t, err)
	defer db.Close()
	_, err = track.OpenDB(context.Background(), db, "oracle")
	require.ErrorContains(t, err, `"oracle"`)
	s, err := track.OpenDB(context.Background(), db, track.SQLite)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, db.Ping(), "Close leaves a caller's handle open")
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	s, err := track.Open(context.Background(), testDSN(t, track.SQLite))
	require.NoError(t, err)
	defer s.Close()
	client, err := pave.NewClient(pave.Credentials{Username: "u", APIKey: "k", APISecret: "s"})
	require.NoError(t, err)
	ok := func(c *track.Config) {}
	base := func() track.Config {
		return track.Config{Store: s, Accounts: map[string]*pave.Client{"a": client},
			OnComplete: func(context.Context, *track.Completion) error { return nil }}
	}
	for _, tc := range []struct {
		name string
		edit func(c *track.Config)
		want string
	}{
		{"ok", ok, ""},
		{"no store", func(c *track.Config) { c.Store = nil }, "Store"},
		{"bad name", func(c *track.Config) { c.Accounts = map[string]*pave.Client{"a b": client} }, `"a b"`},
		{"nil client", func(c *track.Config) { c.Accounts = map[string]*pave.Client{"a": nil} }, "nil client"},
		{"negative", func(c *track.Config) { c.Lease = -time.Second }, "negative"},
		{"backoff", func(c *track.Config) { c.MinBackoff, c.MaxBackoff = time.Hour, time.Minute }, "MaxBackoff"},
	} {
		cfg := base()
		tc.edit(&cfg)
		l, err := track.New(cfg)
		if tc.want == "" {
			require.NoError(t, err, tc.name)
			_, err = l.Inbox(track.InboxConfig{})
			require.ErrorContains(t, err, "Secrets is empty")
			_, err = l.Inbox(track.InboxConfig{Secrets: map[string][]string{"b": {"0123456789abcdef0123456789abcdef"}}})
			require.ErrorIs(t, err, track.ErrUnknownAccount)
			_, err = l.Inbox(track.InboxConfig{Secrets: map[string][]string{"a": {"short"}}})
			require.Error(t, err, "package webhook's rules apply")
			continue
		}
		require.ErrorContains(t, err, tc.want, tc.name)
	}
}

func TestOperatorsNeedOnlyAStore(t *testing.T) {
	t.Parallel()
	s, err := track.Open(context.Background(), testDSN(t, track.SQLite))
	require.NoError(t, err)
	defer s.Close()
	l, err := track.New(track.Config{Store: s})
	require.NoError(t, err)
	list, err := l.List(context.Background(), track.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, list)
	require.ErrorContains(t, l.Run(context.Background()), "Accounts is empty")
	_, err = l.Create(context.Background(), "a", "r", nil)
	require.ErrorIs(t, err, track.ErrUnknownAccount)
	client, err := pave.NewClient(pave.Credentials{Username: "u", APIKey: "k", APISecret: "s"})
	require.NoError(t, err)
	l, err = track.New(track.Config{Store: s, Accounts: map[string]*pave.Client{"a": client}})
	require.NoError(t, err)
	require.ErrorContains(t, l.Run(context.Background()), "OnComplete is required")
}
