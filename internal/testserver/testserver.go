// Package testserver starts the real Rollcall server for tests: the real
// handler over real HTTP on 127.0.0.1, on a real database (a temporary
// SQLite file, or a throwaway PostgreSQL database), with a bootstrap admin
// token. Tests of the CLI, the client, the Terraform provider, the web pages
// and the load tools all use it, so its API is kept stable:
//
//	srv := testserver.Start(t)                      // SQLite in t.TempDir()
//	srv := testserver.Start(t, testserver.WithPostgres())
//	srv.URL                                         // "http://127.0.0.1:PORT"
//	srv.AdminToken                                  // "rc_…" of an admin service account
//	tok := srv.NewUserToken(t, "alice", false)      // a user with its own token
//	srv.Restart(t)                                  // same database, new process state
//
// A test package that uses WithPostgres must stop the shared PostgreSQL
// server at the end with pgtest.Main:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Rate limiting, and the limit on failed authentications per address, are
// off unless WithConfig turns them on, since tests send requests (and bad
// tokens) as fast as they can.
package testserver

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/server"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
	"github.com/rollcall/rollcall/internal/token"
)

// Server is a running Rollcall server for one test.
type Server struct {
	// URL is the base URL without a trailing slash, such as
	// http://127.0.0.1:41234. It changes on Restart.
	URL string
	// AdminToken is the bootstrap admin's token (user "bootstrap-admin",
	// an admin service account).
	AdminToken string
	// DSN is the database: an SQLite file path or a postgres:// URL.
	DSN string
	// Store is the server's open store, for setting up and checking data
	// directly. It changes on Restart.
	Store store.Store
	// Server is the running API server. It changes on Restart.
	Server *server.Server
	// Config is the configuration the server runs with.
	Config config.Config

	opts    options
	http    *http.Server
	logs    *syncBuffer
	stopped bool
}

type options struct {
	postgres bool
	dsn      string
	adjust   []func(*config.Config)
	setup    []func(*server.Server)
	logLevel slog.Level
}

// Option changes how Start sets the server up.
type Option func(*options)

// WithPostgres runs the server on a new database of the shared throwaway
// PostgreSQL server (see pgtest) instead of SQLite.
func WithPostgres() Option { return func(o *options) { o.postgres = true } }

// WithDatabase runs the server on an existing database (an SQLite path or
// a postgres:// URL), such as another test server's DSN.
func WithDatabase(dsn string) Option { return func(o *options) { o.dsn = dsn } }

// WithConfig lets a test change the configuration before the server starts,
// for example to turn rate limiting on:
//
//	testserver.WithConfig(func(c *config.Config) { c.RateLimit, c.RateBurst = 1, 2 })
func WithConfig(fn func(*config.Config)) Option {
	return func(o *options) { o.adjust = append(o.adjust, fn) }
}

// WithSetup runs fn on the server before it starts serving, for example to
// register more routes on its Mux. It runs again after each Restart.
func WithSetup(fn func(*server.Server)) Option {
	return func(o *options) { o.setup = append(o.setup, fn) }
}

// WithLogLevel sets the level of the captured server log (default debug).
// Its format is text unless WithConfig sets LogFormat to "json".
func WithLogLevel(l slog.Level) Option { return func(o *options) { o.logLevel = l } }

// Start starts a server for t and stops it when t ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{logLevel: slog.LevelDebug}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{opts: o, AdminToken: token.Generate(), logs: &syncBuffer{}}
	switch {
	case o.dsn != "":
		s.DSN = o.dsn
	case o.postgres:
		s.DSN = pgtest.NewDatabase(t)
	default:
		s.DSN = filepath.Join(t.TempDir(), "rollcall.db")
	}
	s.start(t)
	t.Cleanup(func() { s.stop(t) })
	return s
}

// Backends runs fn once on SQLite and once on PostgreSQL, as subtests
// "sqlite" and "postgres"; fn passes backend to Start. The package must
// call pgtest.Main from TestMain.
func Backends(t *testing.T, fn func(t *testing.T, backend Option)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, func(*options) {}) })
	t.Run("postgres", func(t *testing.T) { fn(t, WithPostgres()) })
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := sqlstore.Open(ctx, s.DSN)
	if err != nil {
		t.Fatalf("testserver: open database %s: %v", s.DSN, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		t.Fatalf("testserver: listen on 127.0.0.1: %v", err)
	}
	cfg := config.Default()
	cfg.Addr = ln.Addr().String()
	cfg.Database = s.DSN
	cfg.PublicURL = "http://" + ln.Addr().String()
	cfg.BootstrapToken = s.AdminToken
	cfg.RateLimit = 0
	cfg.AuthFailureLimit = 0
	cfg.LogLevel = s.opts.logLevel
	for _, fn := range s.opts.adjust {
		fn(&cfg)
	}
	log := cfg.Logger(s.logs) // text unless WithConfig sets LogFormat
	srv, err := server.New(cfg, st, log)
	if err != nil {
		ln.Close()
		st.Close()
		t.Fatalf("testserver: start server: %v", err)
	}
	for _, fn := range s.opts.setup {
		fn(srv)
	}
	s.Config, s.Store, s.Server = cfg, st, srv
	s.URL = cfg.PublicURL
	s.http = server.NewHTTPServer(srv.Handler(), nil)
	s.stopped = false
	go func() {
		if err := s.http.Serve(server.Listener(ln)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("testserver: serve: %v", err)
		}
	}()
}

func (s *Server) stop(t testing.TB) {
	t.Helper()
	if s.stopped {
		return
	}
	s.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		t.Errorf("testserver: shutdown: %v", err)
	}
	if err := s.Server.Close(); err != nil {
		t.Errorf("testserver: close server: %v", err)
	}
	if err := s.Store.Close(); err != nil {
		t.Errorf("testserver: close store: %v", err)
	}
}

// Restart stops the server (finishing in-flight requests, closing the
// database) and starts a new one on the same database, as a process
// restart would. URL, Store and Server change; AdminToken stays valid.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.stop(t)
	s.start(t)
}

// Stop stops the server now instead of at the end of the test.
func (s *Server) Stop(t testing.TB) { t.Helper(); s.stop(t) }

// Logs returns everything the server logged so far.
func (s *Server) Logs() string { return s.logs.String() }

// CreateUser creates a user directly in the store (not through the API):
// email username@example.com, an admin when admin is true.
func (s *Server) CreateUser(t testing.TB, username string, admin bool) store.User {
	t.Helper()
	u, err := s.Store.CreateUser(context.Background(), store.User{
		ID: uuid.NewString(), Username: username, Email: username + "@example.com", IsAdmin: admin,
		Attributes: map[string]string{}, GroupIDs: []string{},
	}, store.Meta{ActorName: "testserver"})
	if err != nil {
		t.Fatalf("testserver: create user %q: %v", username, err)
	}
	return u
}

// NewToken creates an API token for the user with id userID and returns
// it. expires may be nil.
func (s *Server) NewToken(t testing.TB, userID string, expires *time.Time) string {
	t.Helper()
	tok := token.Generate()
	_, err := s.Store.CreateToken(context.Background(), store.Token{
		ID: uuid.NewString(), UserID: userID, Name: "test", Hash: token.Hash(tok),
		Prefix: token.DisplayPrefix(tok), ExpiresAt: expires,
	}, store.Meta{ActorName: "testserver"})
	if err != nil {
		t.Fatalf("testserver: create token: %v", err)
	}
	return tok
}

// NewUserToken creates a user (an admin when admin is true) and a token
// for it, and returns the token.
func (s *Server) NewUserToken(t testing.TB, username string, admin bool) string {
	t.Helper()
	u := s.CreateUser(t, username, admin)
	return s.NewToken(t, u.ID, nil)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
