package scim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/testserver"
)

const entURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// patchGen makes random PATCH operations on the attributes whose values
// Rollcall keeps as sent (no canonical form to compare around).
type patchGen struct {
	r *rand.Rand
	n int
}

func (g *patchGen) word() string {
	words := []string{"Ada", "Lovelace", "Engineer", "Sales", "Ops", "Grace", "Hopper", "R&D", "Zoë", "42"}
	return words[g.r.IntN(len(words))] + fmt.Sprint(g.r.IntN(100))
}

func (g *patchGen) op() map[string]any {
	type target struct {
		path  string
		value func() any
		del   bool // may be removed
	}
	targets := []target{
		{"title", func() any { return g.word() }, true},
		{"displayName", func() any { return g.word() }, false},
		{"name.givenName", func() any { return g.word() }, true},
		{"name.familyName", func() any { return g.word() }, true},
		{"active", func() any { return g.r.IntN(2) == 0 }, false},
		{`emails[type eq "work"].value`, func() any { g.n++; return fmt.Sprintf("p%d.%d@example.com", g.n, g.r.IntN(1000)) }, false},
		{entURN + ":department", func() any { return g.word() }, true},
		{entURN + ":employeeNumber", func() any { return fmt.Sprint(g.r.IntN(99999)) }, true},
		{"userName", func() any { g.n++; return fmt.Sprintf("user.%d.%d", g.n, g.r.IntN(1000)) }, false},
	}
	tg := targets[g.r.IntN(len(targets))]
	switch k := g.r.IntN(10); {
	case k < 2 && tg.del:
		return map[string]any{"op": "remove", "path": tg.path}
	case k < 4 && !strings.Contains(tg.path, "["):
		// Path-less, the attribute path as the value object's key.
		return map[string]any{"op": []string{"replace", "add"}[g.r.IntN(2)], "value": map[string]any{tg.path: tg.value()}}
	default:
		return map[string]any{"op": []string{"replace", "add"}[g.r.IntN(2)], "path": tg.path, "value": tg.value()}
	}
}

// project keeps what the comparison looks at, with absent and empty alike.
func project(res map[string]any) map[string]string {
	out := map[string]string{}
	str := func(v any) string {
		if v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	out["userName"] = str(res["userName"])
	out["title"] = str(res["title"])
	out["displayName"] = str(res["displayName"])
	out["active"] = str(res["active"])
	if n, ok := res["name"].(map[string]any); ok {
		out["givenName"], out["familyName"] = str(n["givenName"]), str(n["familyName"])
	}
	if es, ok := res["emails"].([]any); ok && len(es) > 0 {
		out["email"] = str(es[0].(map[string]any)["value"])
	}
	if e, ok := res[entURN].(map[string]any); ok {
		out["department"], out["employeeNumber"] = str(e["department"]), str(e["employeeNumber"])
	}
	for k, v := range out {
		if v == "" {
			delete(out, k)
		}
	}
	return out
}

// TestPatchOracle applies random PATCH requests to a user both with
// Rollcall and with scim-patch (npm) on the resource Rollcall returned
// before, and checks the results agree attribute by attribute.
func TestPatchOracle(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	g := &patchGen{r: rand.New(rand.NewPCG(seed, 5))}
	srv := testserver.Start(t)
	c := &client{t: t, srv: srv, token: scimToken(t, srv)}
	r := c.do("POST", "/scim/v2/Users", map[string]any{"userName": "ada", "displayName": "Ada L", "title": "Countess",
		"name":   map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
		"emails": []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}},
		entURN:   map[string]any{"department": "Analytical Engines"}})
	wantStatus(t, "create", r, 201)
	id := r.JSON(t)["id"].(string)
	nodeBin := node(t)
	compared := 0
	for round := range 40 {
		before := c.do("GET", "/scim/v2/Users/"+id, nil).JSON(t)
		var ops []any
		for range 1 + g.r.IntN(3) {
			ops = append(ops, g.op())
		}
		in, _ := json.Marshal([]any{map[string]any{"resource": before, "operations": ops}})
		cmd := exec.Command(nodeBin, "applypatch.mjs")
		cmd.Dir = oracleDir
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("node applypatch.mjs: %v", err)
		}
		var res []struct {
			Result map[string]any `json:"result"`
			Error  string         `json:"error"`
		}
		if err := json.Unmarshal(out, &res); err != nil || len(res) != 1 {
			t.Fatalf("applypatch.mjs printed %s", out)
		}
		opsJSON, _ := json.Marshal(ops)
		got := c.do("PATCH", "/scim/v2/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops})
		if res[0].Error != "" {
			t.Logf("round %d: scim-patch refuses %s (%s); Rollcall answered %d", round, opsJSON, res[0].Error, got.Status)
			continue
		}
		if got.Status != 200 {
			t.Errorf("round %d: %s: Rollcall answered %d, scim-patch applied it: %s", round, opsJSON, got.Status, got.Body)
			continue
		}
		want, have := project(res[0].Result), project(got.JSON(t))
		if fmt.Sprint(want) != fmt.Sprint(have) {
			t.Errorf("round %d: %s\nscim-patch: %v\nRollcall:   %v", round, opsJSON, want, have)
		}
		compared++
	}
	if compared < 25 {
		t.Errorf("only %d of 40 rounds compared", compared)
	}
}
