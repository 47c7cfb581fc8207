package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzNormalizeUserWrite decodes arbitrary JSON as a user write and
// normalises it. Whatever comes in, validation must not panic, every error
// must be a complete 422 pointing into the attributes, and an accepted
// write must be a fixed point: normalising it again changes nothing and
// finds nothing wrong, so that the value stored is the value a client
// reads back and can send again.
func FuzzNormalizeUserWrite(f *testing.F) {
	for _, s := range []string{
		`{"type":"users","attributes":{"username":"Ada.Lovelace","email":"ada@example.com"}}`,
		`{"type":"users","attributes":{"username":"ÅSA","email":"a@b.c","locale":"en_us","phone":"+44 20 7946 0958","mobile":"+1 (415) 555-2671"}}`,
		`{"type":"users","attributes":{"username":"x","email":"x@example.com","locale":"zh-hant-tw","avatar-url":"https://example.com/a.png","attributes":{"team":"blue"}}}`,
		`{"type":"users","attributes":{"username":null,"email":null,"first-name":"","status":"active"}}`,
		`{"type":"users","attributes":{"username":"e\u0301","email":"\"quoted\"@example.com","phone":"+0"}}`,
		`{"type":"users","attributes":{"username":"a","email":"a@example.com","locale":"i-klingon","mobile":"+8613800138000x12"}}`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, creating bool) {
		var w UserWrite
		if json.Unmarshal(data, &w) != nil {
			return
		}
		errs := w.Attributes.Normalize(creating)
		checkErrors(t, errs)
		if len(errs) > 0 {
			return
		}
		first, err := json.Marshal(w.Attributes)
		if err != nil {
			t.Fatalf("a normalised write does not encode: %v", err)
		}
		again := w.Attributes
		if errs := again.Normalize(creating); len(errs) > 0 {
			t.Fatalf("the normalised write %s is refused when sent again: %v", first, errs)
		}
		second, _ := json.Marshal(again)
		if string(first) != string(second) {
			t.Fatalf("normalising twice differs:\n%s\n%s", first, second)
		}
		// What the client receives and sends back decodes to the same write.
		var round UserWrite
		if err := json.Unmarshal([]byte(`{"attributes":`+string(first)+`}`), &round); err != nil {
			t.Fatalf("the normalised write %s does not decode: %v", first, err)
		}
		if errs := round.Attributes.Normalize(creating); len(errs) > 0 {
			t.Fatalf("the normalised write %s is refused after a round trip: %v", first, errs)
		}
	})
}

// FuzzNormalizeGroupWrite is FuzzNormalizeUserWrite for groups.
func FuzzNormalizeGroupWrite(f *testing.F) {
	for _, s := range []string{
		`{"type":"groups","attributes":{"name":"Engineering","friendly-name":"Engineers","description":"<b>all</b>"}}`,
		`{"type":"groups","attributes":{"name":"ops@eu","attributes":{"cost_center":"42"},"member-count":3}}`,
		`{"type":"groups","attributes":{"name":null,"description":null}}`,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, creating bool) {
		var w GroupWrite
		if json.Unmarshal(data, &w) != nil {
			return
		}
		errs := w.Attributes.Normalize(creating)
		checkErrors(t, errs)
		if len(errs) > 0 {
			return
		}
		first, _ := json.Marshal(w.Attributes)
		again := w.Attributes
		if errs := again.Normalize(creating); len(errs) > 0 {
			t.Fatalf("the normalised group %s is refused when sent again: %v", first, errs)
		}
		if second, _ := json.Marshal(again); string(first) != string(second) {
			t.Fatalf("normalising twice differs:\n%s\n%s", first, second)
		}
	})
}

func checkErrors(t *testing.T, errs Errors) {
	t.Helper()
	for _, e := range errs {
		if e.Status != "422" || e.Code == "" || e.Title == "" || e.Detail == "" {
			t.Fatalf("incomplete validation error %+v", e)
		}
		if e.Source == nil || !strings.HasPrefix(e.Source.Pointer, "/data/attributes/") {
			t.Fatalf("validation error %q points at %+v, not at an attribute", e.Code, e.Source)
		}
	}
}
