package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// CheckSurrogates refuses a JSON text holding a string with an unpaired
// UTF-16 surrogate escape, such as "\ud800" alone: encoding/json would
// quietly decode it as U+FFFD and the replacement character would be
// stored in place of what the client meant. The error points at the
// member whose value (or name) holds the escape. doc must be valid JSON;
// CheckSurrogates does not check the syntax. It returns nil when every
// escape is either outside the surrogate range or one half of a high-low
// pair, such as "\ud83d\ude00".
func CheckSurrogates(doc []byte) *Error {
	ptr, esc, ok := findLoneSurrogate(doc)
	if !ok {
		return nil
	}
	return loneSurrogateError(ptr, esc)
}

// surrogateError is what Opt's decoder returns for a value holding an
// unpaired surrogate escape. A request body never gets that far, since
// the server checks whole documents with CheckSurrogates first and points
// at the member; the error makes a decoder that skipped that check fail
// rather than store U+FFFD.
func surrogateError(raw []byte) error {
	if _, esc, ok := findLoneSurrogate(raw); ok {
		return fmt.Errorf("the text contains an unpaired UTF-16 surrogate escape (%s); allowed: valid Unicode text", esc)
	}
	return nil
}

func loneSurrogateError(ptr, esc string) *Error {
	name := ptr[strings.LastIndex(ptr, "/")+1:]
	name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
	if name == "" {
		name = "the document"
	}
	e := &Error{Status: "400", Code: CodeInvalidJSON, Title: "Invalid JSON",
		Detail: fmt.Sprintf("%s contains an unpaired UTF-16 surrogate escape (%s), which is not a character; "+
			"allowed: valid Unicode text, with a character beyond U+FFFF either sent as UTF-8 or escaped as a "+
			"high-low surrogate pair such as \\ud83d\\ude00", name, esc)}
	if ptr != "" {
		e.Source = &ErrorSource{Pointer: ptr}
	}
	return e
}

// mayHoldSurrogate is a cheap test that lets documents without any
// "\uD800"-"\uDFFF" escape (almost all of them) skip the scan.
func mayHoldSurrogate(doc []byte) bool {
	for i := 0; ; {
		j := bytes.Index(doc[i:], []byte(`\u`))
		if j < 0 {
			return false
		}
		i += j + 2
		if i+1 < len(doc) && (doc[i] == 'd' || doc[i] == 'D') && strings.IndexByte("89abcdefABCDEF", doc[i+1]) >= 0 {
			return true
		}
	}
}

// frame is one open object or array while scanning, for the pointer.
type frame struct {
	object bool
	key    string // object: the member being read
	index  int    // array: the element being read
}

// findLoneSurrogate scans a valid JSON text and returns the JSON pointer
// of the first string with an unpaired surrogate escape, and the escape.
// A bad member name points at the object holding it.
func findLoneSurrogate(doc []byte) (pointer, escape string, found bool) {
	if !mayHoldSurrogate(doc) {
		return "", "", false
	}
	var stack []frame
	expectKey := false
	for i := 0; i < len(doc); {
		switch doc[i] {
		case '{':
			stack = append(stack, frame{object: true})
			expectKey = true
			i++
		case '[':
			stack = append(stack, frame{})
			expectKey = false
			i++
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
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
			end, bad := scanString(doc, i)
			if bad != "" {
				return pointerOf(stack, expectKey), bad, true
			}
			if expectKey && len(stack) > 0 {
				var key string
				if json.Unmarshal(doc[i:end], &key) == nil {
					stack[len(stack)-1].key = key
				}
			}
			i = end
		default:
			i++
		}
	}
	return "", "", false
}

// scanString reads the string starting at doc[start] (a quote) and
// returns the index after its closing quote, or the first unpaired
// surrogate escape in it.
func scanString(doc []byte, start int) (end int, bad string) {
	for i := start + 1; i < len(doc); {
		switch {
		case doc[i] == '"':
			return i + 1, ""
		case doc[i] == '\\' && i+1 < len(doc) && doc[i+1] == 'u':
			r, ok := hex4(doc, i+2)
			switch {
			case !ok:
				i += 2
			case r >= 0xD800 && r <= 0xDBFF && lowSurrogateAt(doc, i+6):
				i += 12
			case r >= 0xD800 && r <= 0xDFFF:
				return 0, string(doc[i : i+6])
			default:
				i += 6
			}
		case doc[i] == '\\':
			i += 2
		default:
			i++
		}
	}
	return len(doc), ""
}

// lowSurrogateAt reports whether doc holds a low surrogate escape at i.
func lowSurrogateAt(doc []byte, i int) bool {
	if i+1 >= len(doc) || doc[i] != '\\' || doc[i+1] != 'u' {
		return false
	}
	r, ok := hex4(doc, i+2)
	return ok && r >= 0xDC00 && r <= 0xDFFF
}

func hex4(doc []byte, i int) (rune, bool) {
	if i+4 > len(doc) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(doc[i:i+4]), 16, 32)
	return rune(v), err == nil
}

// pointerOf is the JSON pointer of the value being read; withoutKey
// leaves out the innermost object's member (for a bad member name).
func pointerOf(stack []frame, withoutKey bool) string {
	var b strings.Builder
	for n, f := range stack {
		if f.object {
			if n == len(stack)-1 && withoutKey {
				break
			}
			b.WriteString("/")
			b.WriteString(strings.ReplaceAll(strings.ReplaceAll(f.key, "~", "~0"), "/", "~1"))
		} else {
			b.WriteString("/")
			b.WriteString(strconv.Itoa(f.index))
		}
	}
	return b.String()
}
