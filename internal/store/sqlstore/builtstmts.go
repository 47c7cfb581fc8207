package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxBuiltStmts bounds how many built statements a read pool keeps
// prepared. The texts vary only with the filters a list combines and the
// page size, so a few dozen cover what clients send; past the bound a
// statement runs unprepared, as before.
const maxBuiltStmts = 64

// builtStmts keeps the statements that lists and searches build from
// their filters (builder) prepared on SQLite's read pool, by SQL text. The
// values are always placeholders, so the texts repeat: a page of users is
// one SELECT with 25 columns and a subquery, which SQLite parsed and
// planned on every request before (6 % of a page's CPU). PostgreSQL does
// not need it: pgx caches prepared statements per connection itself.
type builtStmts struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newBuiltStmts(db *sql.DB) *builtStmts {
	return &builtStmts{db: db, m: map[string]*sql.Stmt{}}
}

// get returns the prepared statement for q, preparing it the first time;
// nil (run q unprepared) once the cache is full.
func (b *builtStmts) get(ctx context.Context, q string) (*sql.Stmt, error) {
	b.mu.Lock()
	st, full := b.m[q], len(b.m) >= maxBuiltStmts
	b.mu.Unlock()
	if st != nil || full {
		return st, nil
	}
	st, err := b.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if old := b.m[q]; old != nil { // prepared meanwhile by another request
		st.Close()
		return old, nil
	}
	b.m[q] = st
	return st, nil
}

// close closes the prepared statements; call it before closing the pool.
func (b *builtStmts) close() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, st := range b.m {
		st.Close()
	}
	b.m = map[string]*sql.Stmt{}
}
