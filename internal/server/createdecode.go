package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/rollcall/rollcall/api"
)

// decodeUserCreate decodes the body of POST /api/v1/users as
// decodeData[api.UserWrite] does, with the same result and the same
// errors, but without decodeBody's generic pass for a plain document:
// decoding the body into maps and walking them to match member names
// exactly was a tenth of a create's CPU (BenchmarkCreateUser). The
// exact-name check it stands in for is needed only because encoding/json
// matches member names without regard to case; every member name of a
// user write is lower-case ASCII, so when every name in the body is
// lower-case ASCII without escapes, a strict decode (unknown members
// refused) accepts exactly what decodeBody accepts. Anything else — an
// upper-case or escaped name anywhere, a document the strict decode
// refuses, trailing data — goes through decodeData for its error or its
// case-exact answer.
func decodeUserCreate(r *http.Request) (*api.UserWrite, error) {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		if w, ok := decodeUserWriteFast(body); ok {
			return w, nil
		}
	}
	var rest io.Reader = bytes.NewReader(body)
	if err != nil {
		rest = io.MultiReader(rest, failingReader{err})
	}
	r.Body = io.NopCloser(rest)
	return decodeData[api.UserWrite](r)
}

// decodeUserWriteFast is decodeUserCreate's fast path; false sends the
// body to decodeData.
func decodeUserWriteFast(body []byte) (*api.UserWrite, bool) {
	doc, ok := decodeStrictFast[writeDocument[api.UserWrite]](body)
	if !ok || doc.Data == nil {
		return nil, false
	}
	return doc.Data, true
}

// decodeStrictFast decodes the JSON object b into a T with one strict
// decode, when that is sure to give what decodeBody's checks would: b is
// valid UTF-8, holds no unpaired surrogate escape, names no member twice
// in one object (encoding/json would keep the last), and every member
// name is plain lower-case ASCII (encoding/json alone matches names
// without regard to case). Every fast path for request bodies goes through here;
// false sends b to decodeBody for its error or its case-exact answer.
func decodeStrictFast[T any](body []byte) (*T, bool) {
	b := trimJSONSpace(body)
	if len(b) == 0 || b[0] != '{' || !utf8.Valid(b) || !lowerASCIINames(b) || api.CheckSurrogates(b) != nil {
		return nil, false
	}
	v := new(T)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if dec.Decode(v) != nil || len(trimJSONSpace(b[dec.InputOffset():])) != 0 || api.CheckDuplicateMembers(b) != nil {
		return nil, false
	}
	return v, true
}

// trimJSONSpace drops JSON's whitespace (RFC 8259: space, tab, LF, CR)
// from both ends of b.
func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\n\r")
}

// lowerASCIINames reports whether every object member name in the JSON
// text b is free of upper-case letters, non-ASCII bytes and escapes. It
// relies on b being valid JSON (the strict decode checks that): a string
// followed by a colon is a member name.
func lowerASCIINames(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		plain := true
		for i++; i < len(b) && b[i] != '"'; i++ {
			switch c := b[i]; {
			case c == '\\':
				plain = false
				i++ // the escaped byte cannot end the string
			case c >= 'A' && c <= 'Z', c >= utf8.RuneSelf:
				plain = false
			}
		}
		if i >= len(b) {
			return false // an unterminated string
		}
		if plain {
			continue
		}
		j := i + 1
		for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
			j++
		}
		if j < len(b) && b[j] == ':' {
			return false
		}
	}
	return true
}
