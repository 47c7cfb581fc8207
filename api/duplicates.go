package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// CheckDuplicateMembers refuses a JSON text in which one object holds two
// members of the same name, at any depth, such as
// {"is-admin":false,"is-admin":true}. RFC 8259 leaves the meaning of a
// repeated name to each parser (encoding/json keeps the last, others the
// first), so a document that one reader takes as a non-admin another could
// take as an admin; the server refuses it and names the member. Names are
// compared after unescaping, so "a" and "\u0061" are the same name. doc
// must be valid JSON; CheckDuplicateMembers does not check the syntax.
func CheckDuplicateMembers(doc []byte) *Error {
	ptr, ok := findDuplicateMember(doc)
	if !ok {
		return nil
	}
	name := ptr[strings.LastIndex(ptr, "/")+1:]
	name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
	return &Error{Status: "400", Code: CodeDuplicateMember, Title: "Duplicate member",
		Detail: fmt.Sprintf("%q appears more than once in the same object; a JSON:API document names each member once, so send it once with the value you mean", name),
		Source: &ErrorSource{Pointer: ptr}}
}

// dupFrame is one open object or array while looking for repeated names.
type dupFrame struct {
	object bool
	key    []byte // object: the member being read
	index  int    // array: the element being read
	first  int    // object: where its names start in the shared list
	set    map[string]struct{}
}

// dupMapAt is how many names an object may hold before they are looked up
// in a map rather than compared one by one, so that a body of a hundred
// thousand names costs linear time.
const dupMapAt = 16

// findDuplicateMember scans a valid JSON text and returns the JSON pointer
// of the first member whose name its object already holds.
func findDuplicateMember(doc []byte) (string, bool) {
	var stack []dupFrame
	var names [][]byte // the names of every open object, innermost last
	expectKey := false
	for i := 0; i < len(doc); {
		switch doc[i] {
		case '{':
			stack = append(stack, dupFrame{object: true, first: len(names)})
			expectKey = true
			i++
		case '[':
			stack = append(stack, dupFrame{})
			expectKey = false
			i++
		case '}', ']':
			if n := len(stack); n > 0 {
				if stack[n-1].object {
					names = names[:stack[n-1].first]
				}
				stack = stack[:n-1]
			}
			expectKey = false
			i++
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].object {
					expectKey = true
				} else {
					stack[n-1].index++
				}
			}
			i++
		case ':':
			expectKey = false
			i++
		case '"':
			end := stringEnd(doc, i)
			if expectKey && len(stack) > 0 {
				f := &stack[len(stack)-1]
				key := doc[i+1 : end-1]
				if bytes.IndexByte(key, '\\') >= 0 {
					var s string
					if json.Unmarshal(doc[i:end], &s) == nil {
						key = []byte(s)
					}
				}
				f.key = key
				if f.holds(names[f.first:], key) {
					return dupPointer(stack), true
				}
				names = append(names, key)
				if f.set != nil {
					f.set[string(key)] = struct{}{}
				} else if len(names)-f.first > dupMapAt {
					f.set = make(map[string]struct{}, 2*dupMapAt)
					for _, k := range names[f.first:] {
						f.set[string(k)] = struct{}{}
					}
				}
				expectKey = false
			}
			i = end
		default:
			i++
		}
	}
	return "", false
}

// holds reports whether the object already has a member named key.
func (f *dupFrame) holds(names [][]byte, key []byte) bool {
	if f.set != nil {
		_, ok := f.set[string(key)]
		return ok
	}
	for _, k := range names {
		if bytes.Equal(k, key) {
			return true
		}
	}
	return false
}

// stringEnd returns the index after the closing quote of the string that
// starts at doc[start].
func stringEnd(doc []byte, start int) int {
	for i := start + 1; i < len(doc); i++ {
		switch doc[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(doc)
}

// dupPointer is the JSON pointer of the member being read.
func dupPointer(stack []dupFrame) string {
	var b strings.Builder
	for _, f := range stack {
		b.WriteByte('/')
		if f.object {
			b.WriteString(strings.ReplaceAll(strings.ReplaceAll(string(f.key), "~", "~0"), "/", "~1"))
		} else {
			fmt.Fprint(&b, f.index)
		}
	}
	return b.String()
}
