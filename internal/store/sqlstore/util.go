package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/rollcall/rollcall/internal/store"
)

// timeCol scans a time column of either dialect into a UTC time.
type timeCol struct{ t *time.Time }

func (x timeCol) Scan(v any) error {
	switch v := v.(type) {
	case int64:
		*x.t = time.UnixMicro(v).UTC()
	case time.Time:
		*x.t = v.UTC()
	default:
		return fmt.Errorf("sqlstore: cannot read %T as a time", v)
	}
	return nil
}

// nullTimeCol scans a nullable time column; NULL is a nil pointer.
type nullTimeCol struct{ t **time.Time }

func (x nullTimeCol) Scan(v any) error {
	if v == nil {
		*x.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(v); err != nil {
		return err
	}
	*x.t = &t
	return nil
}

// textBytes is the bytes of a JSON text column as the drivers return it
// (a string, bytes, or NULL as nil); what names it in the error.
func textBytes(v any, what string) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return []byte(v), nil
	case []byte:
		return v, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("sqlstore: cannot read %T as %s", v, what)
}

// attrCol scans a JSON object of strings; the result is never nil.
type attrCol struct{ m *map[string]string }

func (x attrCol) Scan(v any) error {
	b, err := textBytes(v, "attributes")
	if err != nil {
		return err
	}
	m := map[string]string{}
	// Most users have no attributes; "{}" needs no decoder (a page of
	// users would run a hundred).
	if len(b) > 0 && string(b) != "{}" {
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("sqlstore: stored attributes are not a JSON object: %w", err)
		}
	}
	*x.m = m
	return nil
}

// encodeAttrs stores attributes as a JSON object ({} when empty).
func encodeAttrs(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return string(b)
}

// claimsCol scans a stored JSON object of custom claims.
type claimsCol struct{ m *map[string]json.RawMessage }

func (x claimsCol) Scan(v any) error {
	b, err := textBytes(v, "custom claims")
	if err != nil {
		return err
	}
	m := map[string]json.RawMessage{}
	if len(b) > 0 && string(b) != "{}" {
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("sqlstore: stored custom claims are not a JSON object: %w", err)
		}
	}
	*x.m = m
	return nil
}

// encodeClaims stores custom claims as a JSON object ({} when empty).
func encodeClaims(m map[string]json.RawMessage) string {
	if len(m) == 0 {
		return "{}"
	}
	b, err := json.Marshal(m)
	if err != nil { // a value that is not JSON: the API never lets one through
		return "{}"
	}
	return string(b)
}

// t encodes a time for the dialect.
func (c *conn) t(t time.Time) any { return c.d.encodeTime(t.UTC().Truncate(time.Microsecond)) }

// nt encodes an optional time; nil is NULL.
func (c *conn) nt(t *time.Time) any {
	if t == nil {
		return nil
	}
	return c.t(*t)
}

// truncTime is t in UTC to the microsecond, as stored.
func truncTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC().Truncate(time.Microsecond)
	return &v
}

// normIDs returns ids sorted and without duplicates, never nil.
func normIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	out = append(out, ids...)
	slices.Sort(out)
	return slices.Compact(out)
}

// newID returns id, or a new random UUID when it is empty.
func newID(id string) string {
	if id == "" {
		return uuid.NewString()
	}
	return id
}

// pageLimit applies the default and maximum page sizes.
func pageLimit(p store.Page) int {
	switch {
	case p.Limit <= 0:
		return 100
	case p.Limit > 1000:
		return 1000
	}
	return p.Limit
}

// encodeCursor makes the opaque cursor for a sort key.
func encodeCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// decodeCursor reads a cursor made by encodeCursor; "" means the first page.
func decodeCursor(cur string) (string, error) {
	if cur == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cur)
	if err != nil || len(b) == 0 || !utf8.Valid(b) || slices.Contains(b, 0) {
		return "", store.ErrInvalidCursor
	}
	return string(b), nil
}

// prefixEnd returns the smallest string greater than every string that
// starts with p, so that "col >= p AND col < prefixEnd(p)" is a prefix
// match an index can serve. ok is false when there is no such bound.
func prefixEnd(p string) (string, bool) {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		if r == utf8.RuneError && size <= 1 {
			continue
		}
		next := r + 1
		if next >= 0xD800 && next <= 0xDFFF {
			next = 0xE000
		}
		if next <= utf8.MaxRune {
			return p + string(next), true
		}
	}
	return "", false
}

// builder assembles a statement from filters with the dialect's
// placeholders, so nothing is rewritten afterwards.
type builder struct {
	d     *dialect
	args  []any
	conds []string
}

// arg adds a value and returns its placeholder.
func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return b.d.placeholder(len(b.args))
}

// prefixScan is prefix for the range a search page walks in index order.
// On PostgreSQL its upper bound is a subquery's value, which the planner
// cannot see: with both bounds known it estimates the range from its
// histogram, and a prefix that falls inside one bucket can come out far
// too small (53 rows for the 16,129 usernames starting with "ali" of a
// million, after ANALYZE). Below the page size, fetching every match and
// sorting them looks cheaper than walking the index, and a search page
// took 95 ms instead of 1 (p99 320 ms under load). With one bound
// unknown it assumes 0.5 % of the rows, so the walk wins from about
// 20,000 users up, and below that every plan is cheap.
func (b *builder) prefixScan(col, p string) string {
	return b.prefixRange(col, p, b.d.opaqueBound)
}

// where adds a condition; conditions are joined with AND.
func (b *builder) where(cond string) { b.conds = append(b.conds, cond) }

// prefix adds "col >= p AND col < end" (or only the first half).
func (b *builder) prefix(col, p string) string { return b.prefixRange(col, p, "%s") }

// prefixRange is prefix with the upper bound's placeholder put into
// upper, a format with one %s.
func (b *builder) prefixRange(col, p, upper string) string {
	lower := col + " >= " + b.arg(p) // first: SQLite's placeholders are positional
	if end, ok := prefixEnd(p); ok {
		return "(" + lower + " AND " + col + " < " + fmt.Sprintf(upper, b.arg(end)) + ")"
	}
	return lower
}

// whereClause renders the conditions.
func (b *builder) whereClause() string {
	if len(b.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(b.conds, " AND ")
}

// statement returns the built SQL; it is already in the dialect's form.
func (b *builder) statement(sql string) statement { return statement{sqlite: sql, postgres: sql} }

var (
	qExisting = map[string]statement{
		"users":  idsStmt(`SELECT id FROM users WHERE id IN (?...)`),
		"groups": idsStmt(`SELECT id FROM groups WHERE id IN (?...)`),
	}
	qBump = map[string]statement{
		"users":  idsStmt(`UPDATE users SET version = version + 1, updated_at = ? WHERE id IN (?...)`),
		"groups": idsStmt(`UPDATE groups SET version = version + 1, updated_at = ? WHERE id IN (?...)`),
	}
)

// existing returns which of ids exist in table ("users" or "groups").
// Within a transaction it remembers what it found, so a bulk import that
// puts every user into the same few groups looks each group up once;
// deletes in the transaction forget (see forget).
func (c *conn) existing(ctx context.Context, table string, ids []string) (map[string]bool, error) {
	found := make(map[string]bool, len(ids))
	var ask []string
	for _, id := range ids {
		if c.known[table+"/"+id] {
			found[id] = true
		} else {
			ask = append(ask, id)
		}
	}
	if len(ask) == 0 {
		return found, nil
	}
	got, err := c.ids(ctx, qExisting[table], c.d.idsArg(ask))
	if err != nil {
		return nil, err
	}
	if c.known == nil {
		c.known = map[string]bool{}
	}
	for _, id := range got {
		found[id] = true
		c.known[table+"/"+id] = true
	}
	return found, nil
}

// forget drops a deleted record from what existing remembers.
func (c *conn) forget(table, id string) { delete(c.known, table+"/"+id) }

// checkRefs fails with a *store.ReferenceError naming the ids (sorted) that
// are not in table.
func (c *conn) checkRefs(ctx context.Context, kind, table string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := c.existing(ctx, table, ids)
	if err != nil {
		return err
	}
	var missing []string
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return &store.ReferenceError{Kind: kind, IDs: normIDs(missing)}
	}
	return nil
}

// bump increments the version of the records with these ids, for a change
// to their memberships: once per transaction. Once is enough to change
// their ETags, and a bulk import that puts a thousand users into one group
// would otherwise update the group's row a thousand times, which on
// PostgreSQL leaves a chain of row versions that every later update and
// read in the transaction walks.
func (c *conn) bump(ctx context.Context, table string, ids []string, now time.Time) error {
	var todo []string
	for _, id := range ids {
		if !c.bumped[table+"/"+id] {
			todo = append(todo, id)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if _, err := c.exec(ctx, qBump[table], c.t(now), c.d.idsArg(normIDs(todo))); err != nil {
		return err
	}
	for _, id := range todo {
		c.markBumped(table, id)
	}
	return nil
}

// markBumped records that the record's version changed in this transaction.
func (c *conn) markBumped(table, id string) {
	if c.bumped == nil {
		c.bumped = map[string]bool{}
	}
	c.bumped[table+"/"+id] = true
}

// diffIDs returns the ids in b and not in a (added) and in a and not in b
// (removed); both inputs are sorted.
func diffIDs(a, b []string) (added, removed []string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			removed = append(removed, a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			added = append(added, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

// queryAll runs q and scans each row with scan into a slice that is empty,
// never nil, when there are no rows.
// queryOne runs q and scans its first row; no row is store.ErrNotFound.
func queryOne[T any](ctx context.Context, c *conn, q statement, scan func(interface{ Scan(...any) error }) (T, error), args ...any) (T, error) {
	var zero T
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return zero, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return zero, err
		}
		return zero, store.ErrNotFound
	}
	return scan(rows)
}

func queryAll[T any](ctx context.Context, c *conn, q statement, scan func(interface{ Scan(...any) error }) (T, error), args ...any) ([]T, error) {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
