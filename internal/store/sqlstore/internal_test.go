package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestNumberPlaceholders(t *testing.T) {
	got := numberPlaceholders(`SELECT a FROM t WHERE b = ? AND c = '?' AND "d?" = ? OR e IN (?, ?)`)
	want := `SELECT a FROM t WHERE b = $1 AND c = '?' AND "d?" = $2 OR e IN ($3, $4)`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"abc", "abd"},
		{"a", "b"},
		{"jo.", "jo/"},
		{"zoë", "zoì"},
		{"x\U0010FFFF", "y"},
		{"\U0010FFFF", ""},
	} {
		got, ok := prefixEnd(c.in)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
		if ok && !(c.in < got) {
			t.Errorf("prefixEnd(%q) = %q is not greater", c.in, got)
		}
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\n\x00\x1f", "ünïcödé 🚀", "bad\xffutf8", "line\u2028sep\u2029", "<a&b>"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q encoded as invalid JSON %s: %v", s, got, err)
			continue
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("%q round-trips as %q, encoding/json gives %q", s, back, wantBack)
		}
	}
}

func TestDiffAndSnapshot(t *testing.T) {
	a := []field{{"name", "x"}, {"title", opt("")}, {"attributes", map[string]string{"k": "v"}}, {"ok", false}}
	b := []field{{"name", "x"}, {"title", opt("Boss")}, {"attributes", map[string]string{"k": "w"}}, {"ok", false}}
	before, after := diff(a, b)
	if string(before) != `{"title":null,"attributes":{"k":"v"}}` || string(after) != `{"title":"Boss","attributes":{"k":"w"}}` {
		t.Errorf("diff = %s, %s", before, after)
	}
	if before, after := diff(a, a); before != nil || after != nil {
		t.Errorf("diff of equal = %s, %s; want nil", before, after)
	}
	if got := snapshot(a); !bytes.Equal(got, []byte(`{"name":"x","attributes":{"k":"v"}}`)) {
		t.Errorf("snapshot = %s", got)
	}
	if got := snapshot(nil); string(got) != "{}" {
		t.Errorf("empty snapshot = %s", got)
	}
}

func TestMigrationsLoadAndSplit(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 || ms[0].version != 1 {
		t.Fatalf("loadMigrations = %v, %v", ms, err)
	}
	for _, d := range []*dialect{sqliteDialect, postgresDialect} {
		for _, m := range ms {
			sqlText := d.types.Replace(m.sql)
			if strings.Contains(sqlText, "${") {
				t.Errorf("%s %s: unknown type token left: %s", d.name, m.name, sqlText[strings.Index(sqlText, "${"):][:20])
			}
		}
	}
	got := statements("-- c\nCREATE TABLE a (x int);\n\nCREATE INDEX i ON a (x);\n")
	if len(got) != 2 || got[0] != "CREATE TABLE a (x int);" {
		t.Errorf("statements = %q", got)
	}
}

// TestUserPragmasWin checks what README's "SQLite parameters" promises:
// Rollcall's own setting of a pragma applies only when the DSN does not
// set that pragma, however the DSN spells it.
func TestUserPragmasWin(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		params     string
		read, want int64 // cache_size on the read pool and on the writer
	}{
		{"", -readCacheKiB / 4, -writeCacheKiB},
		{"?_pragma=cache_size(-1000)", -1000, -1000},
		{"?_pragma=main.CACHE_SIZE = -1000", -1000, -1000},
	} {
		s, err := Open(ctx, filepath.Join(t.TempDir(), "p.db")+tc.params, WithMaxConns(4))
		if err != nil {
			t.Fatal(err)
		}
		var read, write int64
		if err := s.r.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&read); err != nil {
			t.Fatal(err)
		}
		if err := s.w.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&write); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if read != tc.read || write != tc.want {
			t.Errorf("%q: cache_size = %d on the readers, %d on the writer; want %d, %d", tc.params, read, write, tc.read, tc.want)
		}
	}
}
