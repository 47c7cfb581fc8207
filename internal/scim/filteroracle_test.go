package scim_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/testserver"
)

// filterGen makes random SCIM filters over the attributes Rollcall
// filters by, each comparison with a value of the attribute's type, so
// that the only reason to refuse one is its syntax.
type filterGen struct{ r *rand.Rand }

func (g filterGen) str() string {
	const letters = "abcxyz019@._- "
	n := 1 + g.r.IntN(8)
	var b strings.Builder
	for range n {
		b.WriteByte(letters[g.r.IntN(len(letters))])
	}
	s := b.String()
	if g.r.IntN(8) == 0 {
		s += `\"q`
	}
	return `"` + s + `"`
}

func (g filterGen) op(ops ...string) string {
	o := ops[g.r.IntN(len(ops))]
	if g.r.IntN(6) == 0 {
		o = strings.ToUpper(o)
	}
	return o
}

func (g filterGen) compare() string {
	strOps := []string{"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"}
	switch g.r.IntN(9) {
	case 0:
		return "userName " + g.op(strOps...) + " " + g.str()
	case 1:
		return "externalId " + g.op(strOps...) + " " + g.str()
	case 2:
		return "emails.value " + g.op(strOps...) + " " + g.str()
	case 3:
		return `emails[type eq "work" and value ` + g.op(strOps...) + " " + g.str() + "]"
	case 4:
		return "name.familyName " + g.op(strOps...) + " " + g.str()
	case 5:
		return "displayName " + g.op(strOps...) + " " + g.str()
	case 6:
		at := time.Date(2020+g.r.IntN(8), time.Month(1+g.r.IntN(12)), 1+g.r.IntN(28), g.r.IntN(24), 0, 0, 0, time.UTC)
		return "meta.lastModified " + g.op("eq", "ne", "gt", "ge", "lt", "le") + ` "` + at.Format(time.RFC3339) + `"`
	case 7:
		return "active " + g.op("eq", "ne") + " " + []string{"true", "false"}[g.r.IntN(2)]
	default:
		return []string{"userName", "externalId", "emails", "displayName", "name.givenName"}[g.r.IntN(5)] + " " + g.op("pr")
	}
}

func (g filterGen) expr(depth int) string {
	if depth <= 0 || g.r.IntN(3) == 0 {
		return g.compare()
	}
	switch g.r.IntN(4) {
	case 0:
		return "not (" + g.expr(depth-1) + ")"
	case 1:
		return "(" + g.expr(depth-1) + ")"
	default:
		return g.expr(depth-1) + " " + g.op("and", "or") + " " + g.expr(depth-1)
	}
}

// mangle breaks a filter's syntax in one of the ways people do.
func (g filterGen) mangle(f string) string {
	switch g.r.IntN(6) {
	case 0:
		if i := strings.LastIndex(f, `"`); i > 0 {
			return f[:i] + f[i+1:] // an unclosed string
		}
	case 1:
		return f + ")"
	case 2:
		return "(" + f
	case 3:
		return f + " and"
	case 4:
		return strings.Replace(f, " ", " xx ", 1)
	}
	return strings.TrimSuffix(strings.TrimSuffix(f, `"`), "]") + " eq"
}

// TestFilterOracle sends random filters, a third of them broken, and
// checks that Rollcall accepts exactly the ones scim2-parse-filter (npm)
// parses: a list for those, a 400 invalidFilter for the others, never
// anything else.
func TestFilterOracle(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	g := filterGen{rand.New(rand.NewPCG(seed, 19))}
	var filters []string
	for range 300 {
		f := g.expr(3)
		if g.r.IntN(3) == 0 {
			f = g.mangle(f)
		}
		filters = append(filters, f)
	}
	in, _ := json.Marshal(filters)
	cmd := exec.Command(node(t), "parsefilter.mjs")
	cmd.Dir = oracleDir
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node parsefilter.mjs: %v", err)
	}
	var parses []bool
	if err := json.Unmarshal(out, &parses); err != nil || len(parses) != len(filters) {
		t.Fatalf("parsefilter.mjs printed %s (%v)", out, err)
	}

	srv := testserver.Start(t)
	c := &client{t: t, srv: srv, token: scimToken(t, srv)}
	accepted, refused := 0, 0
	for i, f := range filters {
		r := c.do("GET", "/scim/v2/Users?count=1&filter="+url.QueryEscape(f), nil)
		switch {
		case r.Status == 200 && parses[i]:
			accepted++
		case r.Status == 400 && !parses[i]:
			refused++
			if m := r.JSON(t); m["scimType"] != "invalidFilter" {
				t.Errorf("%s: refused with scimType %v, want invalidFilter", f, m["scimType"])
			}
		default:
			t.Errorf("filter %s: Rollcall answers %d, scim2-parse-filter parses it: %v\n%s", f, r.Status, parses[i], r.Body)
		}
	}
	t.Logf("%d accepted, %d refused", accepted, refused)
	if accepted < 100 || refused < 30 {
		t.Errorf("%d accepted and %d refused: the generator is off", accepted, refused)
	}
}
