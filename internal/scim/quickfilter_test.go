package scim

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	filter "github.com/scim2/filter-parser/v2"
)

// TestQuickFilterAgreesWithTheParser: whatever quickFilter recognises,
// scim2/filter-parser parses to the same expression. The inputs are the
// filters clients send, edge cases of the grammar, and 50,000 random
// strings built from its pieces.
func TestQuickFilterAgreesWithTheParser(t *testing.T) {
	cases := []string{
		`userName eq "bjensen"`, `userName EQ "bjensen"`, `userName Eq "x"`, `externalId eq "00u1a2b3"`,
		`displayName eq "Engineering"`, `name.familyName eq "O'Brien"`, `emails.value eq "a@example.com"`,
		`userName eq ""`, `userName eq "a\"b"`, `userName eq "a\\b"`, `userName eq "é"`,
		`userName eq "日本"`, `userName eq "a\/b"`, `userName eq "\n"`, `a-b_c9 eq "x"`, `userName eq "\u00e9"`,
		// Not the quick shape: these must fall back, parse or fail there.
		`userName  eq "x"`, ` userName eq "x"`, `userName eq "x" `, `userName eq x`, `userName eq "x`,
		`userName eq "a"b"`, `userName eq "\x"`, `userName eq "\u12"`, `userName ne "x"`, `userName eq 1`,
		`userName eq true`, `9userName eq "x"`, `user.name.x eq "x"`, `emails[type eq "work"]`,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`, `userName eq "x" and active eq true`,
		"userName eq \"\t\"", "userName eq \"\xff\"", `$ref eq "x"`, `userName.`, `userName eq`, ``,
	}
	pieces := []string{"userName", "externalId", "name", ".", "familyName", " ", "  ", "eq", "EQ", "ne", "\"", "\\", "\\\"",
		"\\u00e9", "\\u12", "\\n", "\\x", "a", "Z", "0", "-", "_", "é", "\xff", "\t", "[", "]", "$", ":", "/", "true"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50000 {
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteString(`userName eq "`)
		}
		for range 1 + rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if rng.IntN(2) == 0 {
			b.WriteString(`"`)
		}
		cases = append(cases, b.String())
	}
	recognised := 0
	for _, raw := range cases {
		quick, ok := quickFilter(raw)
		if !ok {
			continue
		}
		recognised++
		parsed, err := filter.ParseFilter([]byte(raw))
		if err != nil {
			t.Errorf("quickFilter recognised %q, which the parser refuses: %v", raw, err)
			continue
		}
		if !reflect.DeepEqual(parsed, quick) {
			t.Errorf("%q: quickFilter built %#v, the parser %#v", raw, quick, parsed)
		}
	}
	// The clients' shapes above must take the quick way, or it is lost.
	for _, raw := range cases[:15] {
		if _, ok := quickFilter(raw); !ok {
			t.Errorf("quickFilter does not recognise %q", raw)
		}
	}
	t.Logf("%d of %d inputs recognised", recognised, len(cases))
}
