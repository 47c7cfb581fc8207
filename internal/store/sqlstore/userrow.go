package sqlstore

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// A user row is read one of two ways, chosen by the dialect's userRow:
//
//   - PostgreSQL: the userCols and the group ids as columns, scanned by
//     userDest and idsCol.
//   - SQLite: one text value, the same columns joined by the byte 0xFF
//     (concat_ws in SQL), split by packedUser. modernc.org/sqlite opens
//     every connection in serialized mode, so each sqlite3_column_* call
//     takes and releases the connection's mutex, and database/sql converts
//     each value on its own: reading 25 columns was a third of the CPU of
//     a page of 100 users. One column costs three calls per row instead
//     of seventy (in process, BenchmarkServeListUsers went from 684 to
//     456 µs per page and BenchmarkServeGetUser from 34 to 26 µs).
//
// 0xFF never occurs in UTF-8 text, and every string the store holds is
// valid UTF-8: the API, the admin pages and the CLI check a user's fields
// with package api, which refuses anything else, and attributes and group
// ids are stored as JSON, which encoding/json writes as UTF-8. So it cannot
// appear inside a value. A row that still splits into the wrong number of
// parts is an error, never a user with shifted fields.
const userRowSep = "\xff"

// packedUserCols is the number of values in a packed row: userCols and
// the group ids.
const packedUserCols = 25

// sqliteUserRow is the SQLite select list of a user with its groups: one
// text value. Integers (booleans are 0 and 1, times unix microseconds)
// print as decimal; the only nullable column, last_sign_in_at, becomes ""
// when NULL because concat_ws would leave a NULL out altogether.
func sqliteUserRow(groupIDsOf string) string {
	cols := strings.Split(strings.Join(strings.Fields(userCols), ""), ",")
	if len(cols)+1 != packedUserCols {
		panic("sqlstore: packedUserCols does not match userCols")
	}
	for i, c := range cols {
		if c == "last_sign_in_at" {
			cols[i] = "ifnull(users.last_sign_in_at, '')"
		} else {
			cols[i] = "users." + c
		}
	}
	return "concat_ws(x'ff', " + strings.Join(cols, ", ") + ", " + groupIDsOf + ")"
}

// userScan returns where one user row of the dialect is scanned into.
func (d *dialect) userScan(u *store.User) []any {
	if d.packedUsers {
		return []any{packedUser{u}}
	}
	return append(userDest(u), idsCol{&u.GroupIDs})
}

// packedUser scans a user row packed by sqliteUserRow.
type packedUser struct{ u *store.User }

func (x packedUser) Scan(v any) error {
	var parts [packedUserCols]string
	if err := splitPacked(v, parts[:], "user"); err != nil {
		return err
	}
	return readPackedUser(parts[:], x.u)
}

// splitPacked splits a row packed with concat_ws(x'ff', ...) into parts,
// which it must fill exactly; what names the row in errors. The values
// can share the memory of a string v.
func splitPacked(v any, parts []string, what string) error {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte:
		s = string(v) // the driver may reuse v
	default:
		return fmt.Errorf("sqlstore: cannot read %T as a %s row", v, what)
	}
	want, n := len(parts), 0
	for n < want-1 {
		i := strings.IndexByte(s, userRowSep[0])
		if i < 0 {
			break
		}
		parts[n], s = s[:i], s[i+1:]
		n++
	}
	if n != want-1 || strings.IndexByte(s, userRowSep[0]) >= 0 {
		return fmt.Errorf("sqlstore: a stored %s row has %d values, want %d", what, n+1+strings.Count(s, userRowSep), want)
	}
	parts[n] = s
	return nil
}

// readPackedUser reads the packedUserCols values of a user row.
func readPackedUser(parts []string, u *store.User) error {
	r := rowReader{parts: parts}
	u.ID, u.Username, u.Email = r.text(), r.text(), r.text()
	u.EmailVerified = r.bool()
	u.FirstName, u.LastName, u.DisplayName, u.Locale = r.text(), r.text(), r.text(), r.text()
	u.IsAdmin, u.Disabled, u.ServiceAccount = r.bool(), r.bool(), r.bool()
	u.Phone, u.Mobile, u.Title, u.Department = r.text(), r.text(), r.text(), r.text()
	u.AvatarURL, u.ExternalID, u.ExternalSource = r.text(), r.text(), r.text()
	attrs := r.text()
	u.PasskeyCount = int(r.int())
	if t := r.text(); t != "" {
		at := r.time(t)
		u.LastSignInAt = &at
	} else {
		u.LastSignInAt = nil
	}
	u.Version = r.int()
	u.CreatedAt, u.UpdatedAt = r.time(r.text()), r.time(r.text())
	if r.err != nil {
		return r.err
	}
	if err := (attrCol{&u.Attributes}).Scan(attrs); err != nil {
		return err
	}
	return idsCol{&u.GroupIDs}.Scan(r.text())
}

// rowReader hands out the values of a packed row in order and keeps the
// first error.
type rowReader struct {
	parts []string
	next  int
	err   error
}

func (r *rowReader) text() string {
	s := r.parts[r.next]
	r.next++
	return s
}

func (r *rowReader) int() int64 {
	s := r.text()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("sqlstore: value %d of a stored user row is %q, not an integer", r.next, s)
	}
	return n
}

func (r *rowReader) bool() bool {
	switch s := r.text(); s {
	case "0":
		return false
	case "1":
		return true
	default:
		if r.err == nil {
			r.err = fmt.Errorf("sqlstore: value %d of a stored user row is %q, not 0 or 1", r.next, s)
		}
		return false
	}
}

func (r *rowReader) time(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("sqlstore: value %d of a stored user row is %q, not a time in microseconds", r.next, s)
	}
	return time.UnixMicro(n).UTC()
}
