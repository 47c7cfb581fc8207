package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzImportCSV feeds arbitrary files to the import's CSV reader and plans
// each row as a create. Whatever the file holds, reading and planning must
// not panic; a row is either refused with a message naming its line, or
// planned as a write that validation accepts as it stands.
func FuzzImportCSV(f *testing.F) {
	for _, s := range []string{
		"username,email,first_name,last_name\nada,ada@example.com,Ada,Lovelace\n",
		"\ufeffUsername, Email ,groups,attributes,is_admin\nbob,bob@example.com,eng;ops; eng ,\"{\"\"team\"\":\"\"x\"\"}\",yes\n",
		"id,username,email,locale,phone\n2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71,c,c@example.com,en_us,+44 20 7946 0958\n",
		"username,email\n\"multi\nline\",x@example.com\nshort\n",
		"username,email\nx,\"unterminated\n",
		"username,username\na,b\n",
		"password\nx\n",
		"",
		"username,email,display_name,disabled,attributes\n,,,maybe,{not json}\n",
		"username,email\n\"a\"\"b\",a@b.c\n" + strings.Repeat("z,z@example.com\n", 3),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := readCSVRows(bytes.NewReader(data), ',')
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a refused file must say why")
			}
			return
		}
		planRows(t, rows)
	})
}

// FuzzImportJSONLines is FuzzImportCSV for the JSON lines format.
func FuzzImportJSONLines(f *testing.F) {
	for _, s := range []string{
		`{"username":"ada","email":"ada@example.com","groups":["eng"],"attributes":{"team":"x"},"is_admin":true}` + "\n",
		`{"username":"b","email":"b@example.com","first_name":null}` + "\n\n" + `{"username":7}` + "\n",
		`{"id":"2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71","username":"c","email":"c@example.com","locale":"de_de"}`,
		`[1,2]` + "\n" + `{"nope":1}` + "\n" + `{"groups":"eng"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := readJSONLines(bytes.NewReader(data))
		if err != nil {
			return
		}
		planRows(t, rows)
	})
}

// planRows plans every readable row as a new user and checks the outcome.
func planRows(t *testing.T, rows []fileRow) {
	t.Helper()
	im := &importer{out: io.Discard, errOut: io.Discard}
	groups := &groupIndex{byID: map[string]string{}, byName: map[string]string{}}
	last := 0
	for _, r := range rows {
		if r.line < 1 || r.line < last {
			t.Fatalf("row line numbers go %d then %d", last, r.line)
		}
		last = r.line
		if r.err != nil {
			continue
		}
		failed := len(im.rowErrs)
		p, ok := im.planRow(r, nil, groups)
		if !ok {
			if len(im.rowErrs) != failed+1 || im.rowErrs[failed].line != r.line || im.rowErrs[failed].msg == "" {
				t.Fatalf("row %d was refused without one message for its line: %+v", r.line, im.rowErrs[failed:])
			}
			continue
		}
		if !p.create || p.label == "" {
			t.Fatalf("row %d planned as %+v; a row without a current user is a create with a username", r.line, p)
		}
		attrs := p.attrs
		if errs := attrs.Normalize(true); len(errs) > 0 {
			t.Fatalf("row %d was planned, but its write is invalid: %v", r.line, errs)
		}
		for _, g := range p.groups {
			if g == "" || strings.Contains(g, ";") {
				t.Fatalf("row %d: group name %q", r.line, g)
			}
		}
	}
}
