package sqlstore

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// tokenCache keeps recent GetTokenAndOwner answers, because every API
// request authenticates and reading the token was a fifth of the server's
// CPU for a GET by id.
//
// An answer is trusted only while nothing has been written: every write
// transaction of this process ends by advancing writes (see runTx), and an
// entry made before that is not used again. So a token revoked, an owner
// disabled, demoted or deleted through this process takes effect on the
// next request, as without the cache. Writes by another process (a second
// server on the same PostgreSQL database or SQLite file) are not seen here;
// tokenCacheMaxAge bounds how long an entry can miss them. Only found
// tokens are kept, so a token created elsewhere (say by `rollcall admin
// create-token` on the same file) works at once.
type tokenCache struct {
	writes  atomic.Uint64
	mu      sync.RWMutex
	entries map[string]tokenEntry // by the token's SHA-256
}

type tokenEntry struct {
	writes  uint64 // tokenCache.writes when the read began
	expires time.Time
	token   store.Token
	owner   store.TokenOwner
}

const (
	// tokenCacheMaxAge bounds how late a change made by another process
	// is seen.
	tokenCacheMaxAge = time.Second
	// tokenCacheSize bounds the memory: past it the cache starts over.
	tokenCacheSize = 4096
)

func newTokenCache() *tokenCache {
	return &tokenCache{entries: make(map[string]tokenEntry)}
}

// wrote marks every entry made so far as stale. runTx calls it after each
// transaction, committed or not, since a failed commit may have landed.
func (c *tokenCache) wrote() { c.writes.Add(1) }

// get returns the cached answer for hash, if it is still good.
func (c *tokenCache) get(hash []byte, now time.Time) (store.Token, store.TokenOwner, bool) {
	c.mu.RLock()
	e, ok := c.entries[string(hash)]
	c.mu.RUnlock()
	if !ok || e.writes != c.writes.Load() || !now.Before(e.expires) {
		return store.Token{}, store.TokenOwner{}, false
	}
	e.token.Hash = slices.Clone(e.token.Hash)
	return e.token, e.owner, true
}

// begin returns what put needs to know of the time before the database
// read, so a write that lands during the read makes the entry stale.
func (c *tokenCache) begin() uint64 { return c.writes.Load() }

func (c *tokenCache) put(writes uint64, now time.Time, t store.Token, o store.TokenOwner) {
	if writes != c.writes.Load() {
		return // already stale
	}
	e := tokenEntry{writes: writes, expires: now.Add(tokenCacheMaxAge), token: t, owner: o}
	e.token.Hash = slices.Clone(t.Hash)
	c.mu.Lock()
	if len(c.entries) >= tokenCacheSize {
		clear(c.entries)
	}
	c.entries[string(t.Hash)] = e
	c.mu.Unlock()
}
