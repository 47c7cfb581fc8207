package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationFiles are the schema changes, applied in order at Open.
//
// To change the schema, add migrations/NNNN_short_name.sql with the next
// number (0002_passkeys.sql after 0001_init.sql); never edit a file that has
// been released. One file serves both databases: write portable SQL and use
// these tokens where the two differ:
//
//	${key}   TEXT compared byte-wise (ids, names, anything indexed or sorted)
//	${text}  TEXT
//	${bool}  BOOLEAN (INTEGER 0/1 on SQLite); write defaults as TRUE/FALSE
//	${time}  a point in time (unix microseconds on SQLite, TIMESTAMPTZ on
//	         PostgreSQL); read and write it only through the dialect
//	${bytes} binary (BLOB, BYTEA)
//	${seq}   an auto-incrementing BIGINT primary key
//	${nulls_first} after an index column: NULLs sort first (SQLite's
//	         order; PostgreSQL's default puts them last)
//	${generated} how a generated column is kept: VIRTUAL on SQLite (the
//	         only kind ALTER TABLE can add), STORED on PostgreSQL
//
// End every statement with a semicolon at the end of a line. Reference
// users(id) with ON DELETE CASCADE so that deleting a user removes what
// belongs to it. All pending files run in one transaction, and each is
// recorded in schema_migrations.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded files in version order.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, path := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: the name must start with a number such as 0002_", path)
		}
		b, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same number", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// statements splits a migration into statements at semicolons that end a line.
func statements(sqlText string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(sqlText, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		if strings.HasSuffix(trimmed, ";") {
			if s := strings.TrimSpace(cur.String()); s != ";" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// migrate applies the pending migrations in one transaction. On PostgreSQL
// an advisory lock makes concurrent starts wait for each other instead of
// racing to create the same tables.
func migrate(ctx context.Context, db *sql.DB, d *dialect, now time.Time) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if d.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, d.lockMigrations); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
	}
	create := d.types.Replace(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       ${text} NOT NULL,
    applied_at ${time} NOT NULL
)`)
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	latest := 0
	for _, m := range ms {
		latest = max(latest, m.version)
	}
	for v := range applied {
		if v > latest {
			return fmt.Errorf("the database has schema version %d, newer than this program knows (%d): run a newer rollcall", v, latest)
		}
	}
	insert := d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		for _, stmt := range statements(d.types.Replace(m.sql)) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %s: %w\nin statement:\n%s", m.name, err, stmt)
			}
		}
		if _, err := tx.ExecContext(ctx, insert, m.version, m.name, d.encodeTime(now)); err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}
