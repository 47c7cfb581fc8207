package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rollcall/rollcall/api"
)

// writeDocument is the top-level request document of a resource write.
// jsonapi and meta are accepted and ignored, as JSON:API allows them.
type writeDocument[T any] struct {
	Data    *T              `json:"data"`
	JSONAPI json.RawMessage `json:"jsonapi,omitempty"`
	Meta    json.RawMessage `json:"meta,omitempty"`
}

// linkageDocument is the request document of a /relationships/ write.
type linkageDocument struct {
	Data    *[]api.ResourceIdentifier `json:"data"`
	JSONAPI json.RawMessage           `json:"jsonapi,omitempty"`
	Meta    json.RawMessage           `json:"meta,omitempty"`
}

// decodeData reads a resource write document and returns its primary data.
func decodeData[T any](r *http.Request) (*T, error) {
	var doc writeDocument[T]
	if err := decodeBody(r, &doc); err != nil {
		return nil, err
	}
	if doc.Data == nil {
		return nil, errBadDocument("/data", "the document has no data object; send {\"data\": {\"type\": ..., \"attributes\": {...}}}")
	}
	return doc.Data, nil
}

// decodeLinkage reads a to-many relationship document and checks every
// identifier is of type typ.
func decodeLinkage(r *http.Request, typ string) ([]string, error) {
	var doc linkageDocument
	if err := decodeBody(r, &doc); err != nil {
		return nil, err
	}
	if doc.Data == nil {
		return nil, errBadDocument("/data", "data must be an array of resource identifiers such as [{\"type\": \""+typ+"\", \"id\": \"…\"}]; send [] for none")
	}
	return linkageIDs(*doc.Data, typ, "/data")
}

// linkageIDs checks resource identifiers at pointer base and returns their
// ids, each canonicalised and without repeats.
func linkageIDs(ids []api.ResourceIdentifier, typ, base string) ([]string, error) {
	var errs api.Errors
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for i, ri := range ids {
		if ri.Type != typ {
			errs = append(errs, &api.Error{Status: "422", Code: api.CodeInvalidValue, Title: "Invalid value",
				Detail: fmt.Sprintf("type is %q; this relationship holds %s only", ri.Type, typ),
				Source: &api.ErrorSource{Pointer: fmt.Sprintf("%s/%d/type", base, i)}})
			continue
		}
		id, e := api.ValidateID(ri.ID)
		if e != nil {
			e.Source = &api.ErrorSource{Pointer: fmt.Sprintf("%s/%d/id", base, i)}
			errs = append(errs, e)
			continue
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// decodeBody reads the (size-limited) request body into v strictly:
// unknown members and wrong JSON types are 400 errors that point at the
// offending member, so a client learns exactly what to fix.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errBodyTooLarge(tooBig.Limit)
		}
		return invalidJSON("", "the request body could not be read: "+err.Error())
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return invalidJSON("", "the request body is empty; send a JSON:API document such as {\"data\": {...}}")
	}
	if !utf8.Valid(body) {
		// encoding/json would quietly store U+FFFD in place of the bad
		// bytes; JSON is UTF-8 (RFC 8259), so say so instead.
		return invalidJSON("", fmt.Sprintf("the body is not valid UTF-8 (first bad byte at offset %d); send JSON encoded as UTF-8", invalidUTF8At(body)))
	}
	var generic any
	if err := json.Unmarshal(body, &generic); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return invalidJSON("", fmt.Sprintf("the body is not valid JSON: %s (at byte %d)", strings.TrimPrefix(syn.Error(), "json: "), syn.Offset))
		}
		return invalidJSON("", "the body is not valid JSON: "+err.Error())
	}
	if _, ok := generic.(map[string]any); !ok {
		return invalidJSON("", "the body must be a JSON object with a data member, not "+kindOf(generic))
	}
	// encoding/json decodes a lone "\ud800" as U+FFFD without a word.
	if e := api.CheckSurrogates(body); e != nil {
		return e
	}
	// encoding/json keeps the last of two members of the same name.
	if e := api.CheckDuplicateMembers(body); e != nil {
		return e
	}
	// Members are matched exactly, as JSON:API names are case-sensitive
	// (encoding/json alone would take "First-Name" for "first-name").
	if ptr, ok := findUnknown(generic, reflect.TypeOf(v), "", ""); ok {
		return unknownField(ptr)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		ptr := locateTypeError(generic, typeErr)
		name := ptr[strings.LastIndex(ptr, "/")+1:]
		if name == "" {
			name = "the document"
		}
		return &api.Error{Status: "400", Code: api.CodeInvalidType, Title: "Wrong JSON type",
			Detail: fmt.Sprintf("%s must be %s, not %s", name, describeType(typeErr.Type), strings.Fields(typeErr.Value + " x")[0]),
			Source: &api.ErrorSource{Pointer: ptr}}
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if name, uerr := strconv.Unquote(field); uerr == nil {
			ptr, _ := findUnknown(generic, reflect.TypeOf(v), "", name)
			if ptr == "" {
				ptr = joinPointer(name)
			}
			return unknownField(ptr)
		}
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		ptr := findTime(generic, timeErr.Value, "")
		return &api.Error{Status: "400", Code: api.CodeInvalidType, Title: "Wrong JSON type",
			Detail: fmt.Sprintf("%q is not an RFC 3339 time such as 2030-01-02T15:04:05Z", timeErr.Value),
			Source: &api.ErrorSource{Pointer: ptr}}
	}
	return invalidJSON("", "the body could not be decoded: "+strings.TrimPrefix(err.Error(), "json: "))
}

// unknownField is the 400 for a member the document type does not have.
func unknownField(ptr string) *api.Error {
	name := ptr[strings.LastIndex(ptr, "/")+1:]
	name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
	return &api.Error{Status: "400", Code: api.CodeUnknownField, Title: "Unknown field",
		Detail: fmt.Sprintf("%q is not a member here (names are case-sensitive); check its spelling against the API description at /api/v1/openapi.json", name),
		Source: &api.ErrorSource{Pointer: ptr}}
}

func invalidJSON(pointer, detail string) *api.Error {
	e := &api.Error{Status: "400", Code: api.CodeInvalidJSON, Title: "Invalid JSON", Detail: detail}
	if pointer != "" {
		e.Source = &api.ErrorSource{Pointer: pointer}
	}
	return e
}

func errBodyTooLarge(limit int64) *api.Error {
	return &api.Error{Status: "413", Code: api.CodeBodyTooLarge, Title: "Request body too large",
		Detail: fmt.Sprintf("the request body is larger than %d bytes; send fewer or smaller resources per request", limit)}
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "value"
}

func describeType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	if t == reflect.TypeFor[time.Time]() {
		return "an RFC 3339 time string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map:
		if t.Elem().Kind() == reflect.String {
			return "an object of string values"
		}
		return "an object"
	case reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return t.String()
}

// locateTypeError finds the JSON pointer of the member a type error is
// about. encoding/json names the Go field path ("data.attributes.x") but
// drops array indexes and map keys, so the raw document is walked to find
// the first member on that path whose JSON type is the one reported.
func locateTypeError(doc any, e *json.UnmarshalTypeError) string {
	var segs []string
	if e.Field != "" {
		segs = strings.Split(e.Field, ".")
	}
	got := strings.Fields(e.Value + " x")[0]
	if p, ok := locate(doc, segs, got, e.Type, ""); ok {
		return p
	}
	return "/" + strings.Join(segs, "/")
}

func locate(node any, segs []string, got string, want reflect.Type, ptr string) (string, bool) {
	if len(segs) == 0 {
		wantKind := reflect.Invalid
		if want != nil {
			wantKind = want.Kind()
		}
		switch n := node.(type) {
		case map[string]any:
			if wantKind != reflect.Map && wantKind != reflect.Struct {
				if got == "object" {
					return ptr, true
				}
				for _, k := range sortedKeys(n) {
					if kindOf(n[k]) == got {
						return ptr + joinPointer(k), true
					}
				}
			}
		case []any:
			if wantKind != reflect.Slice && wantKind != reflect.Array {
				if got == "array" {
					return ptr, true
				}
				for i, el := range n {
					if kindOf(el) == got {
						return ptr + "/" + strconv.Itoa(i), true
					}
				}
			}
		}
		if kindOf(node) == got {
			return ptr, true
		}
		return "", false
	}
	switch n := node.(type) {
	case []any:
		for i, el := range n {
			if p, ok := locate(el, segs, got, want, ptr+"/"+strconv.Itoa(i)); ok {
				return p, true
			}
		}
	case map[string]any:
		if child, ok := n[segs[0]]; ok {
			return locate(child, segs[1:], got, want, ptr+joinPointer(segs[0]))
		}
		for _, k := range sortedKeys(n) {
			if strings.EqualFold(k, segs[0]) {
				return locate(n[k], segs[1:], got, want, ptr+joinPointer(k))
			}
		}
	}
	return "", false
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// findUnknown walks the raw document beside the Go type it decodes into
// and returns the pointer of the first member the type does not have,
// matching names exactly; with name set, only a member of that name.
func findUnknown(node any, t reflect.Type, ptr, name string) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessageType {
		return "", false
	}
	if inner, ok := optValueType(t); ok {
		t = inner
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	} else if reflect.PointerTo(t).Implements(unmarshalerType) {
		return "", false
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := node.(map[string]any)
		if !ok {
			return "", false
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(m) {
			ft, known := fields[k]
			if !known {
				if name == "" || k == name {
					return ptr + joinPointer(k), true
				}
				continue
			}
			if p, ok := findUnknown(m[k], ft, ptr+joinPointer(k), name); ok {
				return p, true
			}
		}
	case reflect.Slice:
		if arr, ok := node.([]any); ok {
			for i, el := range arr {
				if p, ok := findUnknown(el, t.Elem(), ptr+"/"+strconv.Itoa(i), name); ok {
					return p, true
				}
			}
		}
	case reflect.Map:
		if m, ok := node.(map[string]any); ok {
			for _, k := range sortedKeys(m) {
				if p, ok := findUnknown(m[k], t.Elem(), ptr+joinPointer(k), name); ok {
					return p, true
				}
			}
		}
	}
	return "", false
}

// optValueType recognises api.Opt[T] and returns T.
func optValueType(t reflect.Type) (reflect.Type, bool) {
	if t.Kind() != reflect.Struct || t.NumField() != 3 {
		return nil, false
	}
	set, ok1 := t.FieldByName("Set")
	null, ok2 := t.FieldByName("Null")
	val, ok3 := t.FieldByName("Value")
	if !ok1 || !ok2 || !ok3 || set.Type.Kind() != reflect.Bool || null.Type.Kind() != reflect.Bool {
		return nil, false
	}
	return val.Type, true
}

func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// findTime finds the pointer of the string member holding value.
func findTime(node any, value, ptr string) string {
	switch n := node.(type) {
	case string:
		if n == value {
			return ptr
		}
	case map[string]any:
		for _, k := range sortedKeys(n) {
			if p := findTime(n[k], value, ptr+joinPointer(k)); p != "" {
				return p
			}
		}
	case []any:
		for i, el := range n {
			if p := findTime(el, value, ptr+"/"+strconv.Itoa(i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// invalidUTF8At returns the offset of the first byte of b that is not part
// of a valid UTF-8 sequence.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}
