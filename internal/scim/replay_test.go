package scim_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// step is one request of a recorded provisioning sequence and what the
// answer must hold.
type step struct {
	Name   string            `json:"name"`
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Header map[string]string `json:"header,omitempty"`
	Body   json.RawMessage   `json:"body,omitempty"`
	Status int               `json:"status"`
	// Expect is a subset of the response body: every member given must be
	// there with this value; "${any}" matches any value that is present,
	// "${absent}" a member that must not be.
	Expect json.RawMessage `json:"expect,omitempty"`
	// Save names values of the response for later steps: {"userId": "id"}
	// takes the id member; paths are dotted, with array indexes.
	Save map[string]string `json:"save,omitempty"`
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// TestReplay replays the provisioning sequences in testdata/replay, written
// from Okta's and Microsoft's published SCIM documentation, against a
// real server on SQLite and PostgreSQL.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob("testdata/replay/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no replay files: %v", err)
	}
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		for _, f := range files {
			t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
				srv := testserver.Start(t, backend)
				c := &client{t: t, srv: srv, token: scimToken(t, srv)}
				replay(t, c, f, nil)
			})
		}
	})
}

// replay runs one file; check, when not nil, sees every response.
func replay(t *testing.T, c *client, file string, check func(step, response)) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	if err := json.Unmarshal(raw, &steps); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	vars := map[string]string{}
	subst := func(s string) string {
		return varRef.ReplaceAllStringFunc(s, func(m string) string {
			name := varRef.FindStringSubmatch(m)[1]
			if v, ok := vars[name]; ok {
				return v
			}
			if name == "any" || name == "absent" {
				return m
			}
			t.Fatalf("%s: ${%s} is not saved by an earlier step", file, name)
			return ""
		})
	}
	for i, st := range steps {
		what := fmt.Sprintf("step %d (%s) %s %s", i+1, st.Name, st.Method, st.Path)
		var body any
		if len(st.Body) > 0 {
			body = subst(string(st.Body))
		}
		var hdr []string
		for k, v := range st.Header {
			hdr = append(hdr, k, subst(v))
		}
		path := subst(st.Path)
		path = strings.ReplaceAll(strings.ReplaceAll(path, " ", "%20"), `"`, "%22")
		r := c.do(st.Method, path, body, hdr...)
		if r.Status != st.Status {
			t.Fatalf("%s: status %d, want %d: %s", what, r.Status, st.Status, r.Body)
		}
		var got any
		if len(r.Body) > 0 {
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatalf("%s: body is not JSON: %s", what, r.Body)
			}
		}
		if len(st.Expect) > 0 {
			var want any
			if err := json.Unmarshal([]byte(subst(string(st.Expect))), &want); err != nil {
				t.Fatalf("%s: expect: %v", what, err)
			}
			if msg := subset(want, got, ""); msg != "" {
				t.Errorf("%s: %s\n%s", what, msg, r.Body)
			}
		}
		for name, p := range st.Save {
			v, ok := dig(got, p)
			if !ok {
				t.Fatalf("%s: no %s in the answer to save as %s: %s", what, p, name, r.Body)
			}
			vars[name] = fmt.Sprint(v)
		}
		if check != nil {
			check(st, r)
		}
	}
}

func dig(v any, path string) (any, bool) {
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[seg]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// subset reports how got fails to hold want, or "".
func subset(want, got any, at string) string {
	if s, ok := want.(string); ok && s == "${any}" {
		if got == nil {
			return at + ": missing"
		}
		return ""
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %v, want an object", at, got)
		}
		for k, wv := range w {
			gv, present := g[k]
			if s, ok := wv.(string); ok && s == "${absent}" {
				if present {
					return fmt.Sprintf("%s.%s: present (%v), want it absent", at, k, gv)
				}
				continue
			}
			if !present {
				return fmt.Sprintf("%s.%s: missing, want %v", at, k, wv)
			}
			if msg := subset(wv, gv, at+"."+k); msg != "" {
				return msg
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %v, want %d elements like %v", at, got, len(w), w)
		}
		for i := range w {
			if msg := subset(w[i], g[i], fmt.Sprintf("%s[%d]", at, i)); msg != "" {
				return msg
			}
		}
		return ""
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return fmt.Sprintf("%s: got %v, want %v", at, got, want)
	}
	return ""
}
