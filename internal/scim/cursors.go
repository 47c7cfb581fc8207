package scim

import (
	"strconv"
	"sync"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// cursors make startIndex paging fast deep into a large directory. SCIM
// pages by position (startIndex, count), which SQL can only serve with an
// OFFSET that walks every row before the page: the 900,000th user is
// 900,000 index entries away. Clients page in order, so each page served
// notes where the next one starts (the last username); the next request
// for that position becomes a range of the index after it. A miss (a
// position nobody reached, another server instance, a restart) falls back
// to the OFFSET, with the same result on an unchanged directory.
//
// Counting all matches is a scan of them too, so the total of a list with
// more than bigTotal matches is kept for totalTTL and not counted again
// for every page of a walk through it. Small totals, which clients check
// after each change, are always counted.
type cursors struct {
	mu     sync.Mutex
	next   map[string]string // kind, filter, position → the order key before it
	totals map[string]cachedTotal
}

type cachedTotal struct {
	n  int
	at time.Time
}

const (
	// maxCursors and maxFilterKey bound the memory: 4,096 keys of at most
	// 512 bytes of filter each. Longer filters are not remembered.
	maxFilterKey = 512
	maxCursors   = 4096
	bigTotal     = 10000
	totalTTL     = 10 * time.Second
)

func cursorKey(k kind, filter string, pos int) string {
	return strconv.Itoa(int(k)) + "\x00" + filter + "\x00" + strconv.Itoa(pos)
}

// plan rewrites q to start after a noted cursor and to skip the count when
// a recent big total is known; it returns that total, or -1.
func (c *cursors) plan(k kind, filter string, q *store.Query) int {
	if len(filter) > maxFilterKey {
		return -1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Cursors follow the default order only; another sortBy pages by
	// OFFSET.
	// A cursor serves once: a walk leaves one for its next page, so the
	// map holds about one per walk in progress and does not fill up.
	key := cursorKey(k, filter, q.Offset)
	if after, ok := c.next[key]; ok && q.Offset > 0 && q.SortBy == "" {
		q.After, q.Offset = after, 0
		delete(c.next, key)
	}
	if t, ok := c.totals[cursorKey(k, filter, -1)]; ok && time.Since(t.at) < totalTTL {
		q.NoCount = true
		return t.n
	}
	return -1
}

// note records where the page that ended at position end (0-based, just
// past its last row) leaves off, and a big total.
func (c *cursors) note(k kind, filter string, end int, lastKey string, total int) {
	if len(filter) > maxFilterKey {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == nil {
		c.next = map[string]string{}
	}
	if len(c.next) >= maxCursors {
		// Forget a random quarter (map order is random): those walks
		// pay one OFFSET, the others go on. Forgetting all at once would
		// send every walk in progress to an OFFSET at the same moment.
		n := maxCursors / 4
		for k := range c.next {
			if n--; n < 0 {
				break
			}
			delete(c.next, k)
		}
	}
	if c.totals == nil || len(c.totals) >= maxCursors {
		c.totals = map[string]cachedTotal{}
	}
	if lastKey != "" {
		c.next[cursorKey(k, filter, end)] = lastKey
	}
	if total > bigTotal {
		c.totals[cursorKey(k, filter, -1)] = cachedTotal{n: total, at: time.Now()}
	}
}
