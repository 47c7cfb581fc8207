package main

import "testing"

func TestPageLinksRead(t *testing.T) {
	cases := []struct{ doc, next string }{
		{`{"data":[{"type":"users","id":"1","links":{"self":"u1"}}],"links":{"self":"s","next":"http://x/api/v1/users?page%5Bafter%5D=abc"}}` + "\n",
			"http://x/api/v1/users?page%5Bafter%5D=abc"},
		{`{"data":[{"type":"users","id":"1","links":{"self":"u1"}}],"links":{"self":"s"}}` + "\n", ""},
		{`{"data":[],"links":{"self":"s"}}`, ""},
		// A user's own links come last when the page has none: not taken for the page's.
		{`{"data":[{"type":"users","attributes":{"title":"\",\"links\":{\"next\":\"fake\"}"},"links":{"next":"user"}}]}`, ""},
		// Links not last: decoded in full.
		{`{"links":{"next":"n"},"data":[{"links":{"self":"u"}}]}`, "n"},
		// Escapes inside the links are decoded.
		{`{"data":[],"links":{"next":"a\u0026b"}}`, "a&b"},
	}
	for _, c := range cases {
		var l pageLinks
		if err := l.read([]byte(c.doc)); err != nil {
			t.Errorf("%s: %v", c.doc, err)
			continue
		}
		if l.Next != c.next {
			t.Errorf("%s: next %q, want %q", c.doc, l.Next, c.next)
		}
	}
	var l pageLinks
	if err := l.read([]byte(`{"data":[`)); err == nil {
		t.Error("a truncated page read without an error")
	}
}
