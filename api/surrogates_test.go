package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckSurrogates(t *testing.T) {
	for _, tc := range []struct {
		doc     string
		pointer string // "" when the document must be accepted
		escape  string
	}{
		{`{"data":{"attributes":{"first-name":"\ud800"}}}`, "/data/attributes/first-name", `\ud800`},
		{`{"data":{"attributes":{"first-name":"ab\udc00cd"}}}`, "/data/attributes/first-name", `\udc00`},
		{`{"data":{"attributes":{"title":"\uDBFF\u0041"}}}`, "/data/attributes/title", `\uDBFF`},
		{`{"data":{"attributes":{"title":"\udc00\ud800"}}}`, "/data/attributes/title", `\udc00`},
		{`{"data":{"attributes":{"title":"x\ud83d"}}}`, "/data/attributes/title", `\ud83d`},
		{`{"data":{"attributes":{"attributes":{"a/b~c":"\ud800"}}}}`, "/data/attributes/attributes/a~1b~0c", `\ud800`},
		{`{"data":{"attributes":{"attributes":{"\ud800":"x"}}}}`, "/data/attributes/attributes", `\ud800`},
		{`{"a":[{},{"b":[1,"x","\udfff"]}],"c":1}`, "/a/1/b/2", `\udfff`},
		{`{"a":[{}],"b":"\ud800"}`, "/b", `\ud800`},
		{`{"a":{"x":"y"},"b":["\ud800"]}`, "/b/0", `\ud800`},
		{`"\ud800"`, "", `\ud800`},

		// Accepted: pairs, other escapes, and text that only looks like an escape.
		{`{"data":{"attributes":{"first-name":"\ud83d\ude00"}}}`, "", ""},
		{`{"data":{"attributes":{"first-name":"\uD83D\uDE00 and \u00e9 and 🙂"}}}`, "", ""},
		{`{"data":{"attributes":{"first-name":"\\ud800"}}}`, "", ""},
		{`{"a":"\u0041\ud7ff\ue000"}`, "", ""},
		{`{"a":"plain"}`, "", ""},
	} {
		e := CheckSurrogates([]byte(tc.doc))
		if tc.escape == "" {
			if e != nil {
				t.Errorf("%s: refused with %v, want accepted", tc.doc, e)
			}
			continue
		}
		if e == nil {
			t.Errorf("%s: accepted, want refused at %q", tc.doc, tc.pointer)
			continue
		}
		got := ""
		if e.Source != nil {
			got = e.Source.Pointer
		}
		if got != tc.pointer || e.Status != "400" || e.Code != CodeInvalidJSON ||
			!strings.Contains(e.Detail, "unpaired UTF-16 surrogate escape ("+tc.escape+")") || !strings.Contains(e.Detail, "valid Unicode text") {
			t.Errorf("%s: error %+v at %q, want 400 invalid_json at %q naming %s", tc.doc, e, got, tc.pointer, tc.escape)
		}
	}
}

// TestOptRefusesLoneSurrogates checks that a decoder that did not check
// the whole document first still cannot store U+FFFD for "\ud800".
func TestOptRefusesLoneSurrogates(t *testing.T) {
	var w UserWriteAttributes
	err := json.Unmarshal([]byte(`{"first-name":"\ud800"}`), &w)
	if err == nil || !strings.Contains(err.Error(), "unpaired UTF-16 surrogate escape") {
		t.Errorf("lone surrogate decoded as %q, err %v", w.FirstName.Value, err)
	}
	if err := json.Unmarshal([]byte(`{"first-name":"\ud83d\ude00","attributes":{"k":"\u00e9"}}`), &w); err != nil || w.FirstName.Value != "😀" || w.Attributes.Value["k"] != "é" {
		t.Errorf("valid escapes: %+v, %v", w, err)
	}
}
