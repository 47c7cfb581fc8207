package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestCheckDuplicateMembers(t *testing.T) {
	for _, tc := range []struct {
		doc, pointer string // pointer "" when the document is fine
	}{
		{`{"a":1,"b":2}`, ""},
		{`{"a":{"a":{"a":1}}}`, ""},
		{`[{"a":1},{"a":2}]`, ""},
		{`{"a":[{"x":1},{"x":2}],"b":{"x":1}}`, ""},
		{`{"a":"\"a\"","\"a\"":1}`, ""},
		{`{"data":{"attributes":{"is-admin":false,"is-admin":true}}}`, "/data/attributes/is-admin"},
		{`{"data":{},"data":{}}`, "/data"},
		{`{"a":1,"\u0061":2}`, "/a"},
		{`{"a/b":1,"a\/b":2}`, "/a~1b"},
		{`{"ops":[{"op":"add"},{"op":"add","op":"remove"}]}`, "/ops/1/op"},
		{`{"a":[[1,{"k":{"x":1}}],[2,{"k":1,"k":2}]]}`, "/a/1/1/k"},
		{`{"x":{"y":1},"z":{"y":1,"w":{"v":[],"v":[]}}}`, "/z/w/v"},
	} {
		e := CheckDuplicateMembers([]byte(tc.doc))
		switch {
		case tc.pointer == "" && e != nil:
			t.Errorf("%s: refused: %+v", tc.doc, e)
		case tc.pointer != "" && e == nil:
			t.Errorf("%s: accepted, want a duplicate at %s", tc.doc, tc.pointer)
		case tc.pointer != "" && (e.Source == nil || e.Source.Pointer != tc.pointer || e.Code != CodeDuplicateMember || e.Status != "400"):
			t.Errorf("%s: %+v, want 400 %s at %s", tc.doc, e, CodeDuplicateMember, tc.pointer)
		}
	}
}

// TestCheckDuplicateMembersLinear: an object of many distinct names, and
// one with a repeat at its end, are checked in linear time.
func TestCheckDuplicateMembersLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"k":{`)
	for i := range 200_000 {
		fmt.Fprintf(&b, `"n%d":1,`, i)
	}
	doc := b.String()
	if e := CheckDuplicateMembers([]byte(doc + `"end":1}}`)); e != nil {
		t.Fatal(e)
	}
	if e := CheckDuplicateMembers([]byte(doc + `"n7":1}}`)); e == nil || e.Source.Pointer != "/k/n7" {
		t.Fatalf("%+v", e)
	}
}

// FuzzCheckDuplicateMembers compares the scanner with a reference built
// on encoding/json's tokenizer: on every valid JSON text both find a
// repeated name, or neither does.
func FuzzCheckDuplicateMembers(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"c":2}]}}`, `{"a":"\"","\"":1}`, `{"\u0061":1,"a":1}`, `[{"a":1},{"a":1}]`, `{"a\\":1,"a\\":2}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if !json.Valid([]byte(doc)) {
			return
		}
		want := referenceDuplicate(doc)
		got := CheckDuplicateMembers([]byte(doc)) != nil
		if got != want {
			t.Fatalf("%s: scanner says duplicate=%v, reference %v", doc, got, want)
		}
	})
}

// referenceDuplicate reports whether any object of the valid JSON text
// doc names a member twice, using json.Decoder's tokens.
func referenceDuplicate(doc string) bool {
	dec := json.NewDecoder(strings.NewReader(doc))
	type frame struct {
		object  bool
		names   map[string]bool
		wantKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && top.object {
					top.wantKey = true
				}
				stack = append(stack, &frame{object: true, names: map[string]bool{}, wantKey: true})
			case '[':
				if top != nil && top.object {
					top.wantKey = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.object && top.wantKey {
				if top.names[v] {
					return true
				}
				top.names[v] = true
				top.wantKey = false
			} else if top != nil && top.object {
				top.wantKey = true
			}
		default:
			if top != nil && top.object {
				top.wantKey = true
			}
		}
	}
}
