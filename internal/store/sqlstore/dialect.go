package sqlstore

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds every difference between SQLite and PostgreSQL that the
// store cares about, so the rest of the package writes one SQL text with
// "?" placeholders and calls these few hooks.
type dialect struct {
	name string
	// driver is the database/sql driver name.
	driver string
	// numbered says placeholders are $1, $2, ... instead of ?.
	numbered bool
	// retryable reports an error after which the whole transaction may
	// simply run again (a deadlock between two writers on PostgreSQL).
	retryable func(error) bool
	// types replaces the ${...} type tokens in migration files.
	types *strings.Replacer
	// encodeTime turns a UTC, microsecond-truncated time into the column
	// value: unix microseconds on SQLite (exact, and ordered as integers),
	// timestamptz on PostgreSQL.
	encodeTime func(time.Time) any
	// uniqueKey reports the "table.column" of a uniqueness violation.
	uniqueKey func(error) (string, bool)
	// isForeignKey reports a foreign key violation.
	isForeignKey func(error) bool
	// lockMigrations, when set, runs first in the migration transaction so
	// two servers starting at once apply migrations one after the other.
	lockMigrations string
	// inIDs replaces "IN (?...)" in a statement: one parameter holding a
	// whole list of ids (made by idsArg), so that the statement's text, and
	// its preparation, do not depend on how many there are.
	inIDs  string
	idsArg func(ids []string) any
	// batchMemberships inserts a change's memberships with one statement:
	// it saves round trips to a server, while in-process SQLite is faster
	// with one small prepared INSERT per membership.
	batchMemberships bool
	// userRow is the select list of a user with its groups (see
	// userrow.go), for a query whose users table is named users; when
	// packedUsers it is one value that packedUser splits.
	userRow     string
	packedUsers bool
	// lockMemberships and tryLockMemberships take the lock that every
	// transaction changing memberships holds (see conn.lockMemberships).
	lockMemberships, tryLockMemberships string
	// opaqueBound wraps the upper bound of the range a search page walks
	// (see builder.prefixScan), or is "%s" where the planner needs no help.
	opaqueBound string
	// statusCount counts the users of one status_rank (the %s): on SQLite
	// it names the index to walk, since for a common status (seven in ten
	// users are active) the planner prefers reading every row to compute
	// the virtual status_rank, four times slower than the index walk.
	statusCount string
}

// The group ids of a user are a correlated subquery giving the ids of the
// groups of the row of "users" as a JSON array ("[]" when none), so that a
// user is read with its groups in one statement (part of userRow). SQLite
// walks the primary key (user_id, group_id), already in id order; an ORDER
// BY in the aggregate would add a sorter, so idsCol sorts instead.
const (
	sqliteGroupIDsOf   = `(SELECT json_group_array(group_id) FROM memberships WHERE user_id = users.id)`
	postgresGroupIDsOf = `COALESCE((SELECT json_agg(group_id ORDER BY group_id) FROM memberships WHERE user_id = users.id)::text, '[]')`
)

var sqliteDialect = &dialect{
	name:   "sqlite",
	driver: "sqlite",
	inIDs:  "IN (SELECT value FROM json_each(?))",
	idsArg: func(ids []string) any {
		b, _ := json.Marshal(ids) // strings always encode
		return string(b)
	},
	retryable:   func(error) bool { return false },
	userRow:     sqliteUserRow(sqliteGroupIDsOf),
	opaqueBound: "%s",
	statusCount: "SELECT COUNT(*) FROM users INDEXED BY users_status_idx WHERE status_rank = %s",
	packedUsers: true,
	types: strings.NewReplacer(
		"${key}", "TEXT",
		"${text}", "TEXT",
		"${bool}", "INTEGER",
		"${time}", "INTEGER",
		"${bytes}", "BLOB",
		"${seq}", "INTEGER PRIMARY KEY AUTOINCREMENT",
		"${nulls_first}", "",
		"${generated}", "VIRTUAL",
	),
	encodeTime: func(t time.Time) any { return t.UnixMicro() },
	uniqueKey: func(err error) (string, bool) {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return "", false
		}
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		default:
			return "", false
		}
		// The message ends "UNIQUE constraint failed: users.username (2067)";
		// a multi-column key lists "t.a, t.b".
		msg := se.Error()
		i := strings.LastIndex(msg, "constraint failed: ")
		if i < 0 {
			return "", true
		}
		key := msg[i+len("constraint failed: "):]
		if j := strings.IndexAny(key, " ,"); j >= 0 {
			key = key[:j]
		}
		return key, true
	},
	isForeignKey: func(err error) bool {
		var se *sqlite.Error
		return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	},
}

// postgresConstraints maps PostgreSQL's constraint names (the defaults
// PostgreSQL gives, as created by the migrations) to "table.column".
var postgresConstraints = map[string]string{
	"users_pkey":            "users.id",
	"users_username_key":    "users.username",
	"users_email_lower_key": "users.email_lower",
	"groups_pkey":           "groups.id",
	"groups_name_key":       "groups.name",
	"api_tokens_pkey":       "api_tokens.id",
	"api_tokens_hash_key":   "api_tokens.hash",
}

var postgresDialect = &dialect{
	name:             "postgres",
	driver:           "pgx",
	numbered:         true,
	inIDs:            "= ANY(?)",
	batchMemberships: true,
	idsArg:           func(ids []string) any { return ids }, // a text[]
	userRow:          qualifiedUserCols + ", " + postgresGroupIDsOf,
	opaqueBound:      "(SELECT %s::text)",
	statusCount:      "SELECT COUNT(*) FROM users WHERE status_rank = %s",
	retryable: func(err error) bool {
		var pe *pgconn.PgError
		// deadlock_detected, serialization_failure
		return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
	},
	types: strings.NewReplacer(
		// COLLATE "C" makes text order byte order, as on SQLite and in Go,
		// so keyset cursors and prefix ranges mean the same everywhere.
		"${key}", `TEXT COLLATE "C"`,
		"${text}", "TEXT",
		"${bool}", "BOOLEAN",
		"${time}", "TIMESTAMPTZ",
		"${bytes}", "BYTEA",
		"${seq}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
		"${nulls_first}", " NULLS FIRST",
		"${generated}", "STORED",
	),
	encodeTime: func(t time.Time) any { return t },
	uniqueKey: func(err error) (string, bool) {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23505" {
			return "", false
		}
		return postgresConstraints[pe.ConstraintName], true
	},
	isForeignKey: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23503"
	},
	// The key is arbitrary but fixed: "rollcall" in ASCII.
	lockMigrations:     "SELECT pg_advisory_xact_lock(7021787966563527020)",
	lockMemberships:    "SELECT pg_advisory_xact_lock(7021787966563527021)",
	tryLockMemberships: "SELECT pg_try_advisory_xact_lock(7021787966563527021)",
}

// statement is one SQL text for each dialect. The fixed ones (made by
// stmt and lockStmt when the package is initialised) are rewritten once,
// never per call, and kept prepared on SQLite (see prepareFixed).
type statement struct {
	sqlite, postgres string
	fixed            bool
	// mayScan marks a fixed read whose rows grow with the data (a group's
	// members, a count of all users): it keeps the request's cancelation
	// (see conn.query).
	mayScan bool
}

// scanning marks a fixed read as one that may read many rows.
func scanning(s statement) statement {
	s.mayScan = true
	return s
}

// fixedStatements lists every statement made by stmt and lockStmt.
var fixedStatements []statement

// stmt defines a statement written with "?" placeholders. Call it only to
// initialise package-level variables.
func stmt(q string) statement {
	s := statement{sqlite: q, postgres: numberPlaceholders(q), fixed: true}
	fixedStatements = append(fixedStatements, s)
	return s
}

// postgresOnly defines a statement only PostgreSQL runs; it is not
// prepared on SQLite (prepareFixed), whose code takes another way.
func postgresOnly(q string) statement {
	return statement{postgres: numberPlaceholders(q), fixed: true}
}

// lockStmt defines a SELECT that loads a record to change it: PostgreSQL
// takes the row lock (FOR UPDATE); SQLite has no such clause and already
// holds the database write lock (BEGIN IMMEDIATE).
func lockStmt(q string) statement {
	s := statement{sqlite: q, postgres: numberPlaceholders(q + " FOR UPDATE"), fixed: true}
	fixedStatements = append(fixedStatements, s)
	return s
}

// userStmt defines a SELECT of one user whose text has "{user}" where the
// dialect's userRow goes; lock adds FOR UPDATE as lockStmt does.
func userStmt(q string, lock bool) statement {
	pg := strings.Replace(q, "{user}", postgresDialect.userRow, 1)
	if lock {
		pg += " FOR UPDATE OF users"
	}
	s := statement{
		sqlite:   strings.Replace(q, "{user}", sqliteDialect.userRow, 1),
		postgres: numberPlaceholders(pg),
		fixed:    true,
	}
	fixedStatements = append(fixedStatements, s)
	return s
}

// idsStmt defines a statement with one "IN (?...)": a list of ids passed as
// one argument made by idsArg.
func idsStmt(q string) statement {
	if !strings.Contains(q, "IN (?...)") {
		panic("sqlstore: idsStmt without IN (?...): " + q)
	}
	s := statement{
		sqlite:   strings.Replace(q, "IN (?...)", sqliteDialect.inIDs, 1),
		postgres: numberPlaceholders(strings.Replace(q, "IN (?...)", postgresDialect.inIDs, 1)),
		fixed:    true,
	}
	fixedStatements = append(fixedStatements, s)
	return s
}

// notInIDsStmt is idsStmt for one "NOT IN (?...)": the rows whose value is
// not in a list of ids. On PostgreSQL the list is unnested into a subquery,
// which the planner hashes once; "<> ALL(?)" would compare each row with
// every id of the list.
func notInIDsStmt(q string) statement {
	if !strings.Contains(q, "NOT IN (?...)") {
		panic("sqlstore: notInIDsStmt without NOT IN (?...): " + q)
	}
	s := statement{
		sqlite:   strings.Replace(q, "IN (?...)", sqliteDialect.inIDs, 1),
		postgres: numberPlaceholders(strings.Replace(q, "IN (?...)", "IN (SELECT unnest(?::text[]))", 1)),
		fixed:    true,
	}
	fixedStatements = append(fixedStatements, s)
	return s
}

// dialectStmt defines a statement written once for each database, both
// with "?" placeholders, for SQL that idsStmt cannot rewrite.
func dialectStmt(sqlite, postgres string) statement {
	s := statement{sqlite: sqlite, postgres: numberPlaceholders(postgres), fixed: true}
	fixedStatements = append(fixedStatements, s)
	return s
}

// text returns the statement's SQL for the dialect (PostgreSQL is the one
// with numbered placeholders).
func (d *dialect) text(s statement) string {
	if d.numbered {
		return s.postgres
	}
	return s.sqlite
}

// rebind rewrites a statement's "?" placeholders for the dialect; for texts
// used once, such as migration bookkeeping.
func (d *dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	return numberPlaceholders(q)
}

// numberPlaceholders turns "?" into $1, $2, ...; question marks inside
// quoted strings are left alone.
func numberPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	quote := byte(0)
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// placeholder returns the n-th (1-based) placeholder, for statements built
// at run time from filters.
func (d *dialect) placeholder(n int) string {
	if d.numbered {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}
