package sqlstore

import (
	"encoding/json"
	"slices"
	"testing"
)

// idArrays are group id lists as both dialects give them, and JSON that
// plainIDs must leave to encoding/json.
var idArrays = []string{"", "[]", `["a"]`, `["a","b"]`, `["a", "b", "c"]`, `[ "a" , "b" ]`, `["a\"b"]`, `["a\u0041"]`,
	`["é"]`, `[1]`, `["a",]`, `["a" "b"]`, `[`, `]`, `["a"`, `"a"`, `["a"]x`, `[""]`, `["a","b"`, "[\"a\tb\"]"}

func TestPlainIDsAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range idArrays {
		checkPlainIDs(t, s)
	}
}

func FuzzPlainIDs(f *testing.F) {
	for _, s := range idArrays {
		f.Add(s)
	}
	f.Fuzz(checkPlainIDs)
}

// checkPlainIDs: whatever plainIDs accepts, encoding/json reads the same.
func checkPlainIDs(t *testing.T, s string) {
	got, ok := plainIDs(s)
	if !ok {
		return
	}
	want := []string{}
	if s != "" {
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("plainIDs(%q) = %q, but it is not a JSON array of strings: %v", s, got, err)
		}
	}
	if got == nil || !slices.Equal(got, want) {
		t.Fatalf("plainIDs(%q) = %#v, encoding/json reads %#v", s, got, want)
	}
}
