package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// The user encoder writes user documents straight from store.User into a
// reused buffer. Encoding a page of 100 users through api.User and
// encoding/json's reflection cost more server CPU than reading the rows
// (BENCHMARKS.md, "Read path"). Its output is byte for byte what
// encoding/json gives for the api.User that userResource builds; the
// attribute names and their order come from api.UserAttributes' json tags
// (see userAttrFields), and userjson_test.go compares the two encoders.

// userAttrField appends one member of a user's attributes object.
type userAttrField struct {
	key string // `"name":`, from the json tag
	put func(b []byte, u *store.User) []byte
}

// userAttrPut holds how each field of api.UserAttributes, by Go field
// name, is filled from a store.User, as userAttributes does.
var userAttrPut = map[string]func(b []byte, u *store.User) []byte{
	"Username":       func(b []byte, u *store.User) []byte { return appendJSONString(b, u.Username) },
	"Email":          func(b []byte, u *store.User) []byte { return appendJSONString(b, u.Email) },
	"EmailVerified":  func(b []byte, u *store.User) []byte { return strconv.AppendBool(b, u.EmailVerified) },
	"FirstName":      func(b []byte, u *store.User) []byte { return appendOptional(b, u.FirstName) },
	"LastName":       func(b []byte, u *store.User) []byte { return appendOptional(b, u.LastName) },
	"DisplayName":    func(b []byte, u *store.User) []byte { return appendJSONString(b, displayName(*u)) },
	"Locale":         func(b []byte, u *store.User) []byte { return appendOptional(b, u.Locale) },
	"IsAdmin":        func(b []byte, u *store.User) []byte { return strconv.AppendBool(b, u.IsAdmin) },
	"Disabled":       func(b []byte, u *store.User) []byte { return strconv.AppendBool(b, u.Disabled) },
	"ServiceAccount": func(b []byte, u *store.User) []byte { return strconv.AppendBool(b, u.ServiceAccount) },
	"Phone":          func(b []byte, u *store.User) []byte { return appendOptional(b, u.Phone) },
	"Mobile":         func(b []byte, u *store.User) []byte { return appendOptional(b, u.Mobile) },
	"Title":          func(b []byte, u *store.User) []byte { return appendOptional(b, u.Title) },
	"Department":     func(b []byte, u *store.User) []byte { return appendOptional(b, u.Department) },
	"AvatarURL":      func(b []byte, u *store.User) []byte { return appendOptional(b, u.AvatarURL) },
	"ExternalID":     func(b []byte, u *store.User) []byte { return appendOptional(b, u.ExternalID) },
	"ExternalSource": func(b []byte, u *store.User) []byte { return appendOptional(b, u.ExternalSource) },
	"Attributes": func(b []byte, u *store.User) []byte {
		if u.Attributes == nil {
			return append(b, "{}"...)
		}
		return appendStringMap(b, u.Attributes)
	},
	"Status":       func(b []byte, u *store.User) []byte { return appendJSONString(b, userStatus(*u)) },
	"PasskeyCount": func(b []byte, u *store.User) []byte { return strconv.AppendInt(b, int64(u.PasskeyCount), 10) },
	"LastSignInAt": func(b []byte, u *store.User) []byte {
		if u.LastSignInAt == nil {
			return append(b, "null"...)
		}
		return appendJSONTime(b, *u.LastSignInAt)
	},
	"CreatedAt": func(b []byte, u *store.User) []byte { return appendJSONTime(b, u.CreatedAt) },
	"UpdatedAt": func(b []byte, u *store.User) []byte { return appendJSONTime(b, u.UpdatedAt) },
}

// userAttrFields are the members of a user's attributes object in the
// order and with the names of api.UserAttributes. A field added there
// without an entry in userAttrPut stops the server from starting (and
// every test), instead of silently missing from responses.
var userAttrFields = func() []userAttrField {
	t := reflect.TypeFor[api.UserAttributes]()
	out := make([]userAttrField, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		put := userAttrPut[f.Name]
		if put == nil || name == "" || name == "-" || opts != "" {
			panic(fmt.Sprintf("server: api.UserAttributes.%s (json %q) has no encoder in userAttrPut", f.Name, f.Tag.Get("json")))
		}
		out = append(out, userAttrField{key: string(appendJSONString(nil, name)) + ":", put: put})
	}
	return out
}()

// appendUser appends the JSON of s.userResource(u).
func (s *Server) appendUser(b []byte, u *store.User) []byte {
	b = append(b, `{"type":"users","id":`...)
	b = appendJSONString(b, u.ID)
	b = append(b, `,"attributes":{`...)
	for i, f := range userAttrFields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.key...)
		b = f.put(b, u)
	}
	b = append(b, `},"relationships":{"groups":{"data":[`...)
	for i, id := range u.GroupIDs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":"groups","id":`...)
		b = appendJSONString(b, id)
		b = append(b, '}')
	}
	b = append(b, `],"links":{"self":`...)
	b = s.appendLink(b, "/api/v1/users/", u.ID, "/relationships/groups")
	b = append(b, `,"related":`...)
	b = s.appendLink(b, "/api/v1/groups?filter%5Bmember%5D=", u.ID, "")
	b = append(b, `}}},"links":{"self":`...)
	b = s.appendLink(b, "/api/v1/users/", u.ID, "")
	return append(b, `}}`...)
}

// appendLink appends the JSON string of s.link(prefix + id + suffix);
// prefix and suffix are constants that need no escaping.
func (s *Server) appendLink(b []byte, prefix, id, suffix string) []byte {
	if !jsonSafe(s.cfg.PublicURL) || !jsonSafe(id) {
		return appendJSONString(b, s.link(prefix+id+suffix))
	}
	b = append(b, '"')
	b = append(b, s.cfg.PublicURL...)
	b = append(b, prefix...)
	b = append(b, id...)
	b = append(b, suffix...)
	return append(b, '"')
}

// appendUserDocument appends the document writeUser sends: the user, the
// included resources (already JSON, as encoding/json would copy them) and
// the top-level links, with the newline json.Encoder ends with.
func (s *Server) appendUserDocument(b []byte, u *store.User, included []json.RawMessage) []byte {
	b = append(b, `{"data":`...)
	b = s.appendUser(b, u)
	b = appendIncluded(b, included)
	b = append(b, `,"links":{"self":`...)
	b = s.appendLink(b, "/api/v1/users/", u.ID, "")
	return append(b, "}}\n"...)
}

// appendUserListDocument appends a page of users as writeUserList sends it.
func (s *Server) appendUserListDocument(b []byte, users []store.User, included []json.RawMessage, self, next string) []byte {
	b = append(b, `{"data":[`...)
	for i := range users {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendUser(b, &users[i])
	}
	b = append(b, ']')
	b = appendIncluded(b, included)
	b = append(b, `,"links":{`...)
	if self != "" {
		b = append(b, `"self":`...)
		b = appendJSONString(b, self)
	}
	if next != "" {
		if self != "" {
			b = append(b, ',')
		}
		b = append(b, `"next":`...)
		b = appendJSONString(b, next)
	}
	return append(b, "}}\n"...)
}

// appendIncluded appends the "included" member, left out when empty as
// the omitempty of api.Document does.
func appendIncluded(b []byte, included []json.RawMessage) []byte {
	if len(included) == 0 {
		return b
	}
	b = append(b, `,"included":[`...)
	for i, raw := range included {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, raw...)
	}
	return append(b, ']')
}

// appendOptional appends s, or null when it is empty (see optional).
func appendOptional(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

// appendStringMap appends m as encoding/json does: keys sorted, {} when
// empty, null when nil.
func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	if len(m) == 1 {
		for k, v := range m {
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, v)
		}
		return append(b, '}')
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

// appendJSONTime appends t in UTC as time.Time's MarshalJSON does
// (RFC 3339 with the fraction it has). userAttributes converts to UTC
// too. A year outside 0–9999 cannot be written, as with MarshalJSON; the
// store never holds one, so it is a server error.
func appendJSONTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		panic(fmt.Sprintf("server: time %v cannot be written as RFC 3339", t))
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// jsonSafe reports whether s needs no escaping inside a JSON string
// (ASCII without controls, quotes, backslashes and <, >, &).
func jsonSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if !htmlSafe[s[i]] {
			return false
		}
	}
	return true
}

// htmlSafe marks the bytes encoding/json copies into a string unescaped
// when it escapes HTML, as it does by default.
var htmlSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it with HTML escaping (the default of json.Marshal and
// json.Encoder): <, > and & as \u003c, \u003e, \u0026; U+2028 and U+2029
// escaped; control characters as \b, \f, \n, \r, \t or \u00XX; invalid
// UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonBytes are reused buffers for the documents built by appending,
// like jsonBuffers for writeJSON.
var jsonBytes = sync.Pool{New: func() any { return new([]byte) }}

// writeAppended builds a document with fill into a reused buffer and
// sends it like writeJSON.
func writeAppended(w http.ResponseWriter, status int, fill func(b []byte) []byte) {
	p := jsonBytes.Get().(*[]byte)
	b := fill((*p)[:0])
	writeJSONBytes(w, status, b)
	if cap(b) <= maxPooledJSON {
		*p = b
		jsonBytes.Put(p)
	}
}

// writeJSONBytes sends body, a complete JSON:API document, with the
// headers writeJSON sets.
func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", api.MediaType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
