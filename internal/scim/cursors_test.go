package scim

import (
	"testing"

	"github.com/rollcall/rollcall/internal/store"
)

// TestCursors: a page that ended at a position makes the request for that
// position a keyset page; big totals are remembered, small ones are not.
func TestCursors(t *testing.T) {
	var c cursors
	q := store.Query{Offset: 100, Limit: 100}
	if known := c.plan(users, "", &q); known != -1 || q.After != "" || q.Offset != 100 || q.NoCount {
		t.Fatalf("nothing noted yet: %+v, %d", q, known)
	}
	c.note(users, "", 100, "ada", 20)
	c.note(groups, `displayName pr`, 100, "eng", 50000)
	q = store.Query{Offset: 100, Limit: 100}
	if known := c.plan(users, "", &q); known != -1 || q.After != "ada" || q.Offset != 0 || q.NoCount {
		t.Errorf("position 100 of users: %+v, %d", q, known)
	}
	q = store.Query{Offset: 100, Limit: 100}
	if c.plan(users, `displayName pr`, &q); q.After != "" {
		t.Errorf("another filter used the cursor: %+v", q)
	}
	q = store.Query{Offset: 100, Limit: 100}
	if known := c.plan(groups, `displayName pr`, &q); known != 50000 || q.After != "eng" || !q.NoCount {
		t.Errorf("position 100 of groups: %+v, %d", q, known)
	}
	// Used once, a cursor is gone: asked again, the position is an OFFSET.
	q = store.Query{Offset: 100, Limit: 100}
	if c.plan(users, "", &q); q.After != "" || q.Offset != 100 {
		t.Errorf("a cursor served twice: %+v", q)
	}
}

// TestCursorsFull: when the cursors fill up, a quarter of them are
// forgotten, not all (which would send every walk in progress to an
// OFFSET at once).
func TestCursorsFull(t *testing.T) {
	var c cursors
	for i := range maxCursors + 1 {
		c.note(users, "", 100*(i+1), "u", 0)
	}
	kept := 0
	for i := range maxCursors + 1 {
		q := store.Query{Offset: 100 * (i + 1), Limit: 100}
		if c.plan(users, "", &q); q.After != "" {
			kept++
		}
	}
	if kept < maxCursors*3/4 || kept > maxCursors {
		t.Errorf("%d of %d cursors kept after the map filled up; want at least three quarters", kept, maxCursors+1)
	}
}
