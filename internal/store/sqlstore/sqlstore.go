// Package sqlstore implements store.Store once over database/sql, for
// SQLite (modernc.org/sqlite, a file path) and PostgreSQL (pgx, a
// postgres:// URL or a key=value connection string; see IsPostgres). The few places where the two differ are in dialect.go;
// the schema is in migrations/ (see migrationFiles for how to add one).
//
// On SQLite, writes go through a pool of one connection whose transactions
// start with BEGIN IMMEDIATE, so writers queue in Go instead of failing with
// SQLITE_BUSY when a read lock cannot be upgraded; reads use a separate pool
// of several connections, which WAL lets run beside the writer. Fixed
// statements are prepared once at Open on both pools.
//
// On PostgreSQL, a read-modify-write loads its record FOR UPDATE, changes
// of memberships queue on one advisory lock (see conn.lockMemberships), a
// transaction that loses a deadlock runs again, and uniqueness races
// surface as *store.ConflictError from the unique indexes.
//
// Lists page by keyset, each page one range of one index (see ListUsers
// and searchUsers), so they stay fast at a million users.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/rollcall/rollcall/internal/store"
)

// Store is the SQL implementation of store.Store. A Store made by Atomic is
// bound to one transaction; the one from Open runs each call on its own.
type Store struct {
	*core
	tx *conn // set inside Atomic
}

// core is what every Store sharing one database holds.
type core struct {
	d      *dialect
	w      *sql.DB // writes (one connection on SQLite)
	r      *sql.DB // reads outside transactions; the same as w on PostgreSQL
	clock  func() time.Time
	dsnLog string // the dsn without its secrets (RedactDSN), for error messages

	readStmts, writeStmts stmtCache   // SQLite only; see prepareFixed
	built                 *builtStmts // SQLite read pool only

	creates *createQueue // CreateUser calls waiting for a group commit
	tokens  *tokenCache

	// writeTurn, on SQLite, makes transactions wait for the one write
	// connection in the order they began (see runTx).
	writeTurn chan struct{}
}

var (
	_ store.Store       = (*Store)(nil)
	_ store.ReadLimiter = (*Store)(nil)
)

// Option changes how Open sets up the store.
type Option func(*options)

type options struct {
	maxConns int
	clock    func() time.Time
}

// WithMaxConns sets the PostgreSQL connection pool size (default 25) or the
// number of SQLite read connections (default 4 or the CPU count, whichever is
// larger).
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// WithClock replaces time.Now, for tests that need fixed timestamps.
func WithClock(now func() time.Time) Option { return func(o *options) { o.clock = now } }

// IsPostgres reports whether dsn names a PostgreSQL database: a
// postgres:// or postgresql:// URL, or a key=value connection string that
// starts with one of libpq's keywords ("host=db dbname=rollcall …").
// Anything else is an SQLite file path or file: URI.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") || isConninfo(dsn)
}

// Open connects to the database named by dsn and brings its schema up to
// date. dsn is a PostgreSQL URL or key=value connection string (see
// IsPostgres), or else an SQLite file path or file: URI (the file is
// created when missing). Errors name the DSN with its secrets redacted
// (see RedactDSN).
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{clock: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	c := &core{clock: o.clock, tokens: newTokenCache(), dsnLog: RedactDSN(dsn)}
	var err error
	if IsPostgres(dsn) {
		err = c.openPostgres(ctx, dsn, o)
	} else {
		err = c.openSQLite(ctx, dsn, o)
	}
	if err != nil {
		// The messages name the DSN redacted; a driver's own message
		// might quote it whole.
		return nil, withoutSecrets(err, dsn)
	}
	// SQLite has one writer, so one batch at a time. PostgreSQL writes as
	// many batches at once as it has connections: creates run as
	// concurrently as before and are grouped only when the pool is busy
	// (with 4 in flight, 8 clients waiting on fsync-ed commits got 20 %
	// fewer creates through).
	c.creates = &createQueue{inFlight: 1}
	if c.d != sqliteDialect {
		c.creates.inFlight = max(1, c.w.Stats().MaxOpenConnections)
	} else {
		c.writeTurn = make(chan struct{}, 1)
	}
	return &Store{core: c}, nil
}

func (c *core) openPostgres(ctx context.Context, dsn string, o options) error {
	c.d = postgresDialect
	db, err := sql.Open(c.d.driver, dsn)
	if err != nil {
		return fmt.Errorf("postgresql %s: %w", c.dsnLog, err)
	}
	n := o.maxConns
	if n <= 0 {
		n = 25
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// Connections are renewed now and then, so that a failover or a
	// pooler's rebalancing reaches every instance.
	db.SetConnMaxLifetime(30 * time.Minute)
	c.w, c.r = db, db
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("connect to postgresql %s: %w", c.dsnLog, err)
	}
	if err := migrate(ctx, db, c.d, c.now()); err != nil {
		db.Close()
		return fmt.Errorf("postgresql %s: %w", c.dsnLog, err)
	}
	return nil
}

func (c *core) openSQLite(ctx context.Context, dsn string, o options) error {
	c.d = sqliteDialect
	if dsn == "" {
		return errors.New("sqlite: empty database path: give a file path such as ./rollcall.db or a postgres:// URL")
	}
	// Parameters after "?" go to the driver (such as
	// ?_pragma=cache_size(-65536)); the path before it is taken as it is.
	name, query, _ := strings.Cut(dsn, "?")
	if !strings.HasPrefix(name, "file:") {
		name = "file:" + strings.NewReplacer("%", "%25", "#", "%23").Replace(name)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return fmt.Errorf("sqlite %s: bad parameters after '?': %w", c.dsnLog, err)
	}
	userPragmas := slices.Clone(q["_pragma"])
	// A memory database exists once per connection, so it cannot have a
	// separate read pool.
	memory := name == "file::memory:" || q.Get("mode") == "memory"
	// No mmap unless the parameters ask for it (README, "SQLite
	// parameters"): each connection maps the file on its own and Linux
	// counts a mapped page in RSS once per mapping, so with 256 MiB per
	// connection a million users (a 1.2 GB file) showed 1 GB of RSS. Reads
	// that miss SQLite's page cache take the page from the operating
	// system's cache with one pread instead, and each connection's cache is
	// bounded below.
	addPragmas(q, "busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)", "mmap_size(0)")
	// A deep copy: the two pools' pragma lists must not share an array,
	// or the writer's cache_size below would overwrite the readers' (it
	// did: every reader ran with the writer's 32 MiB).
	rq := url.Values{}
	for k, v := range q {
		rq[k] = slices.Clone(v)
	}
	n := o.maxConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	// Page caches: see readCacheKiB. The readers share theirs (at least
	// 2 MiB each, SQLite's default).
	addPragmas(rq, "cache_size(-"+strconv.Itoa(max(2048, readCacheKiB/n))+")")
	addPragmas(q, "cache_size(-"+strconv.Itoa(writeCacheKiB)+")")
	// Statement journals (every multi-row INSERT and SAVEPOINT keeps one
	// to undo a failed statement) stay in memory instead of a temporary
	// file: on a disk file, a bulk import's CreateUsers spent an eighth of
	// its time in their write system calls.
	addPragmas(q, "temp_store(2)")
	q.Set("_txlock", "immediate")
	if err := checkPragmaNames(ctx, c.d.driver, userPragmas); err != nil {
		return fmt.Errorf("sqlite %s: %w", c.dsnLog, err)
	}
	w, err := sql.Open(c.d.driver, name+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("sqlite %s: %w", c.dsnLog, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	c.w, c.r = w, w
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return fmt.Errorf("open sqlite database %s: %w", c.dsnLog, err)
	}
	if err := migrate(ctx, w, c.d, c.now()); err != nil {
		w.Close()
		return fmt.Errorf("sqlite %s: %w", c.dsnLog, err)
	}
	if c.writeStmts, err = prepareFixed(ctx, w); err != nil {
		w.Close()
		return fmt.Errorf("sqlite %s: %w", c.dsnLog, err)
	}
	c.readStmts = c.writeStmts
	if memory {
		return nil
	}
	addPragmas(rq, "query_only(1)")
	r, err := sql.Open(c.d.driver, name+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return fmt.Errorf("sqlite %s: %w", c.dsnLog, err)
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	c.r = r
	c.built = newBuiltStmts(r)
	if c.readStmts, err = prepareFixed(ctx, r); err != nil {
		c.writeStmts.close()
		r.Close()
		w.Close()
		return fmt.Errorf("sqlite %s: %w", c.dsnLog, err)
	}
	return nil
}

// readCacheKiB and writeCacheKiB size the SQLite page caches, in KiB.
// modernc.org/sqlite is built with SQLITE_ENABLE_MEMORY_MANAGEMENT, which
// keeps the page caches of all connections of a process in one pool
// (pcache1 without separate caches): any connection may fill
// the pool up to the sum of every connection's cache_size, and what stays
// resident is that sum, about twice over, since each 4 KiB page takes an
// 8 KiB slot of its C allocator. With 32 MiB per connection (a DSN bug gave
// the readers the writer's size) a million users peaked at 330-363 MB of
// RSS; with 8 + 16 MiB the server stays under 100 MB at a million users,
// and neither reads (the upper index levels fit; leaf pages of a 0.9 GB
// database miss either way and come from the OS page cache by pread) nor
// a bulk import (CPU per user unchanged from 64 MiB) got slower. The pool
// is shared, so a lone writer during an import has all of it.
const (
	readCacheKiB  = 8 * 1024
	writeCacheKiB = 16 * 1024
)

// addPragmas adds each pragma, as name(value), unless the DSN already sets
// that pragma itself.
func addPragmas(q url.Values, pragmas ...string) {
	for _, p := range pragmas {
		name := pragmaName(p)
		set := slices.ContainsFunc(q["_pragma"], func(v string) bool { return pragmaName(v) == name })
		if !set {
			q.Add("_pragma", p)
		}
	}
}

// pragmaName is the pragma a _pragma parameter sets, such as cache_size
// for "main.CACHE_SIZE = -1000" or "cache_size(-1000)".
func pragmaName(p string) string {
	name := strings.ToLower(strings.TrimSpace(p))
	if i := strings.IndexAny(name, "(= "); i >= 0 {
		name = name[:i]
	}
	if _, after, ok := strings.Cut(name, "."); ok { // schema.pragma
		name = after
	}
	return name
}

// checkPragmaNames refuses a _pragma parameter that names no pragma
// SQLite knows. SQLite ignores an unknown PRAGMA without a word, so a
// misspelt setting would otherwise start a server without it. It asks an
// in-memory database, so that a refused DSN leaves no file behind.
func checkPragmaNames(ctx context.Context, driver string, pragmas []string) error {
	if len(pragmas) == 0 {
		return nil
	}
	db, err := sql.Open(driver, ":memory:")
	if err != nil {
		return err
	}
	defer db.Close()
	for _, p := range pragmas {
		name := pragmaName(p)
		var known bool
		if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pragma_pragma_list WHERE name = ?)", name).Scan(&known); err != nil {
			return fmt.Errorf("check _pragma=%s: %w", p, err)
		}
		if !known {
			return fmt.Errorf("_pragma=%s: SQLite has no pragma %q (the list: https://sqlite.org/pragma.html)", p, name)
		}
	}
	return nil
}

// now is the current time as stored: UTC, whole microseconds, so that it
// reads back equal on both databases.
func (c *core) now() time.Time { return c.clock().UTC().Truncate(time.Microsecond) }

// ReadConcurrency is the CPU count Go uses (at least 2) on an SQLite file,
// whose reads run in this process, and 0 on PostgreSQL; see
// store.ReadLimiter. Measured on 2 cores at a million users with 8
// clients, letting two API reads run at a time, the others waiting in
// arrival order, cut search p99 from 13.1-13.8 to 10.1-10.9 ms and list
// p99 from 9.5-10.9 to 9.0-9.5 ms at the same throughput. It has to be
// per request: admitting each statement in turn made a search, which runs
// up to four statements, queue four times, and its p99 got worse.
func (s *Store) ReadConcurrency() int {
	if s.d != sqliteDialect || s.r == s.w { // PostgreSQL, or one connection to an in-memory database
		return 0
	}
	return max(2, runtime.GOMAXPROCS(0))
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	if s.r != s.w {
		return s.r.PingContext(ctx)
	}
	return nil
}

// Close closes the connection pools. Calling it on a Store bound to a
// transaction does nothing.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	var err error
	if s.r != s.w {
		s.built.close()
		s.readStmts.close()
		err = s.r.Close()
	}
	s.writeStmts.close()
	return errors.Join(s.w.Close(), err)
}

// Atomic runs fn in one write transaction; see store.Store.
func (s *Store) Atomic(ctx context.Context, fn func(tx store.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	// Not retried after a deadlock, unlike single writes: fn is the
	// caller's code and may have effects outside the transaction.
	return s.runTx(ctx, true, false, func(c *conn) error {
		return fn(&Store{core: s.core, tx: c})
	})
}

// write runs fn in the Store's transaction, or in a new one that commits
// when fn succeeds.
func (s *Store) write(ctx context.Context, fn func(c *conn) error) error {
	if s.tx != nil {
		return fn(s.tx)
	}
	return s.inTx(ctx, false, fn)
}

// maxAttempts bounds how often a transaction that lost a deadlock runs again.
const maxAttempts = 4

func (s *Store) inTx(ctx context.Context, cache bool, fn func(c *conn) error) error {
	lockFirst := false
	for attempt := 1; ; attempt++ {
		err := s.runTx(ctx, cache, lockFirst, fn)
		if errors.Is(err, errLockFirst) && attempt < maxAttempts {
			lockFirst = true
			continue
		}
		if err == nil || attempt == maxAttempts || !s.d.retryable(err) || ctx.Err() != nil {
			return err
		}
		// PostgreSQL aborted this transaction to break a deadlock with
		// another writer (say, a member added from the group side while
		// the user's groups change); the other has gone ahead, so ours
		// can run again from the start.
		time.Sleep(time.Duration(attempt) * 5 * time.Millisecond)
	}
}

// runTx runs fn in one transaction. lockFirst takes the membership lock
// before fn runs; a retried transaction that found it taken too late does.
func (s *Store) runTx(ctx context.Context, cache, lockFirst bool, fn func(c *conn) error) error {
	// database/sql hands a freed connection to a random waiter, so with
	// SQLite's one writer a transaction could wait behind any number that
	// came later: bench/oidc.sh's code exchanges (one write each) had a p99
	// four times their median at 8 connections and six times at 64. A
	// full channel hands a freed place to the sender that has waited
	// longest.
	if s.writeTurn != nil {
		select {
		case s.writeTurn <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("begin transaction: %w", ctx.Err())
		}
		defer func() { <-s.writeTurn }()
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer s.tokens.wrote()
	c := &conn{d: s.d, q: tx, tx: tx, pool: s.writeStmts, canRetry: !cache}
	if cache {
		c.stmts = map[string]*sql.Stmt{}
	}
	defer c.closeStmts()
	if lockFirst {
		if err := c.lockMemberships(ctx); err != nil {
			tx.Rollback() //nolint:errcheck // reporting the lock error
			return err
		}
	}
	if err := fn(c); err != nil {
		tx.Rollback() //nolint:errcheck // the error from fn is the one to report
		return err
	}
	if err := tx.Commit(); err != nil {
		return c.mapErr(err)
	}
	return nil
}

// read returns where reads go: the transaction inside Atomic, else the read pool.
func (s *Store) read() *conn {
	if s.tx != nil {
		return s.tx
	}
	return &conn{d: s.d, q: s.r, pool: s.readStmts, built: s.built}
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs statements on a pool or a transaction, turning constraint
// violations into the store's errors. In an Atomic transaction it keeps
// the fixed statements prepared, so a batch of a thousand creates parses
// each statement once.
type conn struct {
	d     *dialect
	q     querier
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // prepared statements, in Atomic only
	pool  stmtCache            // the pool's prepared fixed statements (SQLite only), or nil
	built *builtStmts          // the read pool's built statements (SQLite only), or nil

	canRetry        bool // inTx runs the transaction again on errLockFirst
	membershipsHeld bool // this transaction holds the membership lock
	// bumped holds "table/id" of the records whose version this
	// transaction has already changed; see bump.
	bumped map[string]bool
	// known holds "table/id" of records this transaction has seen exist.
	known map[string]bool
}

// errLockFirst says a transaction needs the membership lock but already
// holds row locks; it is rolled back and run again taking the lock first.
var errLockFirst = errors.New("sqlstore: membership lock needed first")

// lockMemberships takes the membership lock (PostgreSQL only; SQLite has
// one writer anyway). Changing a membership locks rows on both sides, and
// from the user side that is user then groups while from the group side it
// is group then users: two such transactions would deadlock, and
// PostgreSQL would need a second (deadlock_timeout) to notice. So every
// transaction that changes memberships takes this lock before any row
// lock, and they queue instead. Plain updates of a user or group do not.
// A change that removes an enabled admin (demote, disable, delete) takes
// it too, so that such changes count the admins left one at a time (see
// requireAdmin).
func (c *conn) lockMemberships(ctx context.Context) error {
	if c.d.lockMemberships == "" || c.membershipsHeld {
		return nil
	}
	if _, err := c.q.ExecContext(ctx, c.d.lockMemberships); err != nil {
		return fmt.Errorf("lock memberships: %w", err)
	}
	c.membershipsHeld = true
	return nil
}

// lockMembershipsLate is lockMemberships for a transaction that already
// holds a row lock (an update that turned out to change memberships). When
// the lock is taken, waiting for it could deadlock, so the transaction
// starts again with the lock first instead; inside Atomic, which cannot
// start again, it waits and leaves deadlocks to PostgreSQL's detector.
func (c *conn) lockMembershipsLate(ctx context.Context) error {
	if c.d.tryLockMemberships == "" || c.membershipsHeld {
		return nil
	}
	if !c.canRetry {
		return c.lockMemberships(ctx)
	}
	var ok bool
	if err := c.q.QueryRowContext(ctx, c.d.tryLockMemberships).Scan(&ok); err != nil {
		return fmt.Errorf("lock memberships: %w", err)
	}
	if !ok {
		return errLockFirst
	}
	c.membershipsHeld = true
	return nil
}

// maxCachedStmts bounds the per-transaction cache; statements built from
// filters vary and are not worth keeping beyond it.
const maxCachedStmts = 64

// prepared returns a prepared statement for s (whose text is q), or nil to
// run q directly.
func (c *conn) prepared(ctx context.Context, s statement, q string) (*sql.Stmt, error) {
	if c.stmts != nil {
		if st, ok := c.stmts[q]; ok {
			return st, nil
		}
	}
	if !s.fixed && c.built != nil && c.tx == nil {
		return c.built.get(ctx, q)
	}
	var st *sql.Stmt
	if pooled := c.pool[q]; pooled != nil && s.fixed {
		if c.tx == nil {
			return pooled, nil
		}
		// Bound to the transaction, the statement reuses its preparation
		// on the transaction's connection; the transaction closes it.
		st = c.tx.StmtContext(ctx, pooled)
	}
	if c.stmts == nil || len(c.stmts) >= maxCachedStmts {
		return st, nil
	}
	if st == nil {
		var err error
		if st, err = c.tx.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
	}
	c.stmts[q] = st
	return st, nil
}

// stmtCache holds the fixed statements prepared on one pool, by SQL text;
// it is not changed after Open.
type stmtCache map[string]*sql.Stmt

// prepareFixed prepares every fixed statement on an SQLite pool, once, at
// Open. On SQLite, parsing and planning a statement such as the 24-column
// user SELECT costs more than running it, and modernc.org/sqlite prepares
// again on every call that is not a prepared statement: measured with
// bench/load, GET /users/{id} (five queries with authentication) spent 30%
// of its CPU in the SQL parser. It happens at Open because the write pool
// has one connection: preparing later, while a transaction holds it, would
// wait for that transaction forever. pgx caches prepared statements per
// connection itself, so PostgreSQL does not use this.
func prepareFixed(ctx context.Context, db *sql.DB) (stmtCache, error) {
	sc := stmtCache{}
	for _, s := range fixedStatements {
		if _, ok := sc[s.sqlite]; ok {
			continue
		}
		st, err := db.PrepareContext(ctx, s.sqlite)
		if err != nil {
			sc.close()
			return nil, fmt.Errorf("prepare %q: %w", s.sqlite, err)
		}
		sc[s.sqlite] = st
	}
	return sc, nil
}

func (sc stmtCache) close() {
	for _, st := range sc {
		st.Close()
	}
}

func (c *conn) closeStmts() {
	for _, st := range c.stmts {
		st.Close()
	}
}

func (c *conn) exec(ctx context.Context, s statement, args ...any) (sql.Result, error) {
	q := c.d.text(s)
	st, err := c.prepared(ctx, s, q)
	if err != nil {
		return nil, c.mapErr(err)
	}
	var res sql.Result
	if st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = c.q.ExecContext(ctx, q, args...)
	}
	return res, c.mapErr(err)
}

func (c *conn) query(ctx context.Context, s statement, args ...any) (*sql.Rows, error) {
	if s.fixed && !s.mayScan && c.tx == nil && c.pool != nil {
		// A fixed read on SQLite's read pool (a token, a user by id) is
		// a few index lookups in this process: nothing to cancel. With a
		// cancelable context (every HTTP request's) database/sql starts a
		// goroutine per query to watch it, and the driver arms an
		// interrupt, which cost an authenticated GET more CPU than its
		// JSON. Lists, searches and the fixed reads marked scanning keep
		// the context.
		ctx = context.WithoutCancel(ctx)
	}
	q := c.d.text(s)
	st, err := c.prepared(ctx, s, q)
	if err != nil {
		return nil, c.mapErr(err)
	}
	var rows *sql.Rows
	if st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = c.q.QueryContext(ctx, q, args...)
	}
	return rows, c.mapErr(err)
}

// queryRow runs a query expected to return at most one row and scans it;
// no row is store.ErrNotFound.
func (c *conn) queryRow(ctx context.Context, s statement, args []any, dest ...any) error {
	rows, err := c.query(ctx, s, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return c.mapErr(err)
		}
		return store.ErrNotFound
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// conflictFields names the store field of each unique "table.column".
var conflictFields = map[string]string{
	"users.id":          "id",
	"users.username":    "username",
	"users.email_lower": "email",
	"groups.id":         "id",
	"groups.name":       "name",
	"api_tokens.id":     "id",
	"api_tokens.hash":   "token",
	"audit_events.id":   "id",
}

// mapErr turns uniqueness and foreign key violations into the store's errors.
func (c *conn) mapErr(err error) error {
	if err == nil {
		return nil
	}
	if key, ok := c.d.uniqueKey(err); ok {
		field := conflictFields[key]
		if field == "" {
			field = key
		}
		return &store.ConflictError{Field: field}
	}
	if c.d.isForeignKey(err) {
		// Found before the write in the usual case (see checkRefs); this is
		// a concurrent delete of a referenced record.
		return &store.ReferenceError{Kind: "record"}
	}
	return err
}
