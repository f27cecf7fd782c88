package track

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// The database kinds a Store runs on.
const (
	// SQLite is one file through a pure-Go driver: zero set-up, one host.
	SQLite = "sqlite"
	// Postgres is PostgreSQL, shared by several replicas.
	Postgres = "postgres"
)

// ErrSchemaTooNew is matched by the error of Open and OpenDB when the
// database was migrated by a newer version of this package than the one
// running: the running code does not know what the newer schema means, so it
// does not touch it.
var ErrSchemaTooNew = errors.New("track: database schema is newer than this code")

// ErrDSN is matched by the error of Open for a data source name it cannot
// use. The error names what is wrong without repeating the DSN, which may
// hold a password.
var ErrDSN = errors.New("track: bad DSN")

//go:embed migrations
var migrations embed.FS

// Store is the ledger's database: SQLite or PostgreSQL, with the schema
// migrated to this code's version. It is safe for concurrent use; give one
// Store to New, and Close it after the Ledger is done.
type Store struct {
	db     *sql.DB
	kind   string
	owned  bool     // Close closes db
	rebind sync.Map // query text -> the driver's
}

// Open opens the database dsn names and migrates its schema:
//
//   - "postgres://..." or "postgresql://..." (or libpq's "host=... dbname=..."
//     form): PostgreSQL through pgx, for one process or many, with at most 16
//     connections per Store (OpenDB takes a handle set up otherwise);
//   - "sqlite:PATH", "file:PATH" or a PATH ending in .db, .sqlite or
//     .sqlite3: a SQLite file (created if missing), for one process.
//
// A DSN it cannot use is an error matching ErrDSN; a database migrated by a
// newer version of this package is refused with ErrSchemaTooNew.
func Open(ctx context.Context, dsn string) (*Store, error) {
	db, kind, err := openDSN(dsn)
	if err != nil {
		return nil, err
	}
	s, err := OpenDB(ctx, db, kind)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// OpenDB uses a database handle the caller opened (and closes), of kind
// SQLite or Postgres, and migrates its schema. A SQLite handle should allow
// one open connection (db.SetMaxOpenConns(1)) or set a busy timeout.
func OpenDB(ctx context.Context, db *sql.DB, kind string) (*Store, error) {
	if db == nil {
		return nil, errors.New("track: OpenDB: nil *sql.DB")
	}
	if kind != SQLite && kind != Postgres {
		return nil, fmt.Errorf("track: OpenDB: kind %q is neither %q nor %q", kind, SQLite, Postgres)
	}
	s := &Store{db: db, kind: kind}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the database if Open opened it.
func (s *Store) Close() error {
	if s.owned {
		return s.db.Close()
	}
	return nil
}

// Kind returns SQLite or Postgres.
func (s *Store) Kind() string { return s.kind }

// DB returns the database handle, for the application's own tables in the
// same database (see the ledger example). A SQLite store has one
// connection: read a query's rows to the end before the next query, and do
// not hold a transaction open while calling the ledger.
func (s *Store) DB() *sql.DB { return s.db }

// openDSN opens (without connecting) the database dsn names.
func openDSN(dsn string) (*sql.DB, string, error) {
	dsn = strings.TrimSpace(dsn)
	scheme, rest, hasScheme := strings.Cut(dsn, ":")
	switch {
	case dsn == "":
		return nil, "", fmt.Errorf("%w: empty", ErrDSN)
	case strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql") ||
		(!hasScheme && strings.Contains(dsn, "=")):
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, "", fmt.Errorf("%w: PostgreSQL: %s", ErrDSN, pgParseReason(err, dsn))
		}
		db := stdlib.OpenDB(*cfg)
		// A burst of deliveries waits for a connection rather than exceed
		// the server's max_connections (100 by default) across replicas.
		db.SetMaxOpenConns(16)
		return db, Postgres, nil
	case strings.EqualFold(scheme, "sqlite") || strings.EqualFold(scheme, "file"):
		return openSQLite(strings.TrimPrefix(rest, "//"))
	case !hasScheme || len(scheme) == 1: // a path (or a Windows drive letter)
		switch strings.ToLower(dsn[strings.LastIndexByte(dsn, '.')+1:]) {
		case "db", "sqlite", "sqlite3":
			return openSQLite(dsn)
		}
		return nil, "", fmt.Errorf("%w: %q is neither a postgres:// URL nor a sqlite:PATH (nor a path ending in .db)",
			ErrDSN, dsn)
	}
	return nil, "", fmt.Errorf("%w: unknown scheme %q (want postgres://, postgresql:// or sqlite:PATH)", ErrDSN, scheme)
}

// pgParseReason is why pgx refused dsn, without the DSN's password.
func pgParseReason(err error, dsn string) string {
	msg := err.Error()
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	for _, f := range strings.Fields(dsn) {
		if k, v, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "password") && v != "" {
			msg = strings.ReplaceAll(msg, v, "xxxxx")
		}
	}
	return msg
}

// openSQLite opens the SQLite file at path with the settings the ledger
// relies on: WAL, full sync (a commit survives a crash), a busy timeout for
// other processes, and one connection so that this one never waits on itself.
func openSQLite(path string) (*sql.DB, string, error) {
	path, query, _ := strings.Cut(path, "?")
	if path == "" {
		return nil, "", fmt.Errorf("%w: sqlite: no file path", ErrDSN)
	}
	if _, err := url.ParseQuery(query); err != nil {
		return nil, "", fmt.Errorf("%w: sqlite: query %q: %v", ErrDSN, query, err)
	}
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "synchronous(FULL)")
	v.Set("_txlock", "immediate")
	opts := v.Encode()
	if query != "" {
		opts = query + "&" + opts
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+opts)
	if err != nil {
		return nil, "", fmt.Errorf("%w: sqlite: %v", ErrDSN, err)
	}
	db.SetMaxOpenConns(1)
	return db, SQLite, nil
}

// placeholder matches $1, $2, ... in the package's queries.
var placeholder = regexp.MustCompile(`\$(\d+)`)

// q returns query in the driver's dialect: the package writes $N, which
// SQLite spells ?N, and "FOR UPDATE SKIP LOCKED", which SQLite (one writer)
// does without.
func (s *Store) q(query string) string {
	if s.kind == Postgres {
		return query
	}
	if v, ok := s.rebind.Load(query); ok {
		return v.(string)
	}
	out := placeholder.ReplaceAllString(strings.ReplaceAll(query, " FOR UPDATE SKIP LOCKED", ""), "?$1")
	s.rebind.Store(query, out)
	return out
}

func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// migration is one embedded schema step.
type migration struct {
	version int
	sql     string
}

// loadMigrations reads the steps of a database kind in version order.
func loadMigrations(kind string) ([]migration, error) {
	dir := "migrations/" + kind
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		n, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("track: migration %s: no version number", e.Name())
		}
		b, err := migrations.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{n, string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// SchemaVersion is the schema version this code migrates to.
const SchemaVersion = 1

// migrate brings the schema to SchemaVersion in one transaction, refusing
// a newer one. Replicas starting together take turns: PostgreSQL through
// an advisory lock, SQLite through its write lock (transactions begin
// IMMEDIATE).
func (s *Store) migrate(ctx context.Context) error {
	steps, err := loadMigrations(s.kind)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("track: connecting to the %s database: %w", s.kind, err)
	}
	defer func() { _ = tx.Rollback() }()
	if s.kind == Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7468327)"); err != nil {
			return fmt.Errorf("track: migration lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS track_schema (version INTEGER NOT NULL)"); err != nil {
		return fmt.Errorf("track: schema table: %w", err)
	}
	var cur int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM track_schema").Scan(&cur); err != nil {
		return fmt.Errorf("track: reading the schema version: %w", err)
	}
	if cur > SchemaVersion {
		return fmt.Errorf("%w: the database is at version %d, this code knows up to %d: "+
			"upgrade github.com/pave-go/pave/track", ErrSchemaTooNew, cur, SchemaVersion)
	}
	for _, m := range steps {
		if m.version <= cur {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("track: migration %d: %w", m.version, err)
		}
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO track_schema (version) VALUES ($1)"), m.version); err != nil {
			return fmt.Errorf("track: migration %d: %w", m.version, err)
		}
	}
	return tx.Commit()
}
