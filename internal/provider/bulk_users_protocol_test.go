package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The protocol server answers rollcall_bulk_users' plan-time RPCs itself
// (bulk_users_protocol.go). These tests send the same requests to it and to
// terraform-plugin-framework's server for the same schema, and require the
// same answers: the same planned values and the same diagnostics.

// wireEntry is an entry of users with the given attributes, the others null.
func wireEntry(w *bulkWire, set map[string]tftypes.Value) tftypes.Value {
	a := map[string]tftypes.Value{}
	for name, t := range w.entryType.AttributeTypes {
		a[name] = tftypes.NewValue(t, nil)
	}
	for name, v := range set {
		a[name] = v
	}
	return tftypes.NewValue(w.entryType, a)
}

func str(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

var unknownStr = tftypes.NewValue(tftypes.String, tftypes.UnknownValue)

// wireResource is a value of the resource: users, ids (nil for null) and
// a null timeouts block.
func wireResource(w *bulkWire, users map[string]tftypes.Value, ids map[string]string) tftypes.Value {
	a := map[string]tftypes.Value{}
	for name, t := range w.typ.AttributeTypes {
		a[name] = tftypes.NewValue(t, nil)
	}
	if users != nil {
		a["users"] = tftypes.NewValue(w.typ.AttributeTypes["users"], users)
	}
	if ids != nil {
		m := map[string]tftypes.Value{}
		for k, id := range ids {
			m[k] = str(id)
		}
		a["ids"] = tftypes.NewValue(w.typ.AttributeTypes["ids"], m)
	}
	return tftypes.NewValue(w.typ, a)
}

// proposedNew is what Terraform proposes: the configuration, with the
// prior state's value where the configuration leaves a computed attribute
// out.
func proposedNew(w *bulkWire, cfg, prior tftypes.Value) tftypes.Value {
	top, priorTop := map[string]tftypes.Value{}, map[string]tftypes.Value{}
	_ = cfg.As(&top)
	if !prior.IsNull() {
		_ = prior.As(&priorTop)
	}
	top["ids"] = tftypes.NewValue(w.typ.AttributeTypes["ids"], nil)
	if !prior.IsNull() {
		top["ids"] = priorTop["ids"]
	}
	if !top["users"].IsKnown() || top["users"].IsNull() {
		return tftypes.NewValue(w.typ, top)
	}
	entries, priorEntries := map[string]tftypes.Value{}, map[string]tftypes.Value{}
	_ = top["users"].As(&entries)
	if !prior.IsNull() {
		_ = priorTop["users"].As(&priorEntries)
	}
	for k, e := range entries {
		pe, ok := priorEntries[k]
		if !ok || !e.IsKnown() {
			continue
		}
		a, pa := map[string]tftypes.Value{}, map[string]tftypes.Value{}
		_ = e.As(&a)
		_ = pe.As(&pa)
		for _, n := range []string{"display_name", "email_verified", "is_admin", "disabled", "attributes"} {
			if a[n].IsNull() {
				a[n] = pa[n]
			}
		}
		entries[k] = tftypes.NewValue(w.entryType, a)
	}
	top["users"] = tftypes.NewValue(w.typ.AttributeTypes["users"], entries)
	return tftypes.NewValue(w.typ, top)
}

func dyn(t *testing.T, w *bulkWire, v tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(w.typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// diagTexts are diagnostics as sorted lines, to compare them.
func diagTexts(ds []*tfprotov6.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%v %s %s | %s", d.Severity, d.Attribute, d.Summary, d.Detail))
	}
	slices.Sort(out)
	return out
}

// servers are the framework's server and the protocol server.
func servers(t *testing.T) (framework, ours tfprotov6.ProviderServer) {
	t.Helper()
	ctx := context.Background()
	framework = providerserver.NewProtocol6(New("test")())()
	ours = NewProtocol6("test")()
	for _, s := range []tfprotov6.ProviderServer{framework, ours} {
		// The framework answers resource RPCs only after it has served
		// the schema.
		if _, err := s.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	return framework, ours
}

func TestBulkProtocolPlanMatchesFramework(t *testing.T) {
	ctx := context.Background()
	w := bulkWireOnce()
	framework, ours := servers(t)
	f, tr := tftypes.NewValue(tftypes.Bool, false), tftypes.NewValue(tftypes.Bool, true)
	emptyAttrs := tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, map[string]tftypes.Value{})
	groups := tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, []tftypes.Value{str("0b7b5a52-9c53-4c1e-8d0e-5f2a9a0d6d11")})
	// stored is an entry as the state has it after an apply.
	stored := func(username, first, display string) tftypes.Value {
		return wireEntry(w, map[string]tftypes.Value{
			"username": str(username), "email": str(strings.ToLower(username) + "@example.com"), "first_name": str(first),
			"display_name": str(display), "email_verified": f, "is_admin": f, "disabled": f, "attributes": emptyAttrs, "groups": groups,
		})
	}
	configured := func(username, first string, extra map[string]tftypes.Value) tftypes.Value {
		a := map[string]tftypes.Value{"username": str(username), "email": str(strings.ToLower(username) + "@example.com"), "first_name": str(first), "groups": groups}
		for k, v := range extra {
			a[k] = v
		}
		return wireEntry(w, a)
	}
	prior := wireResource(w, map[string]tftypes.Value{
		"e1": stored("jane", "Jane", "Jane"),
		"e2": stored("Max", "Max", "Max"),
		"e3": stored("tom", "", "tom"),
	}, map[string]string{"e1": "id-1", "e2": "id-2", "e3": "id-3"})
	null := tftypes.NewValue(w.typ, nil)
	cases := []struct {
		name       string
		cfg, prior tftypes.Value
	}{
		{"create", wireResource(w, map[string]tftypes.Value{
			"e1": configured("jane", "Jane", nil),
			"e2": configured("Max", "Max", map[string]tftypes.Value{"is_admin": tr, "display_name": str("")}),
			"e3": configured("tom", "", map[string]tftypes.Value{"username": unknownStr}),
		}, nil), null},
		{"no-op", wireResource(w, map[string]tftypes.Value{
			"e1": configured("jane", "Jane", nil),
			"e2": configured("Max", "Max", nil),
			"e3": configured("tom", "", map[string]tftypes.Value{"first_name": tftypes.NewValue(tftypes.String, nil)}),
		}, nil), prior},
		{"rename, new key, removed key, display name set", wireResource(w, map[string]tftypes.Value{
			"e1": configured("jane.doe", "Janet", nil),
			"e2": configured("Max", "Max", map[string]tftypes.Value{"display_name": str("Maximilian"), "disabled": tr}),
			"e4": configured("ann", "Ann", map[string]tftypes.Value{"email": unknownStr}),
		}, nil), prior},
		{"users unknown", func() tftypes.Value {
			v := wireResource(w, nil, nil)
			a := map[string]tftypes.Value{}
			_ = v.As(&a)
			a["users"] = tftypes.NewValue(w.typ.AttributeTypes["users"], tftypes.UnknownValue)
			return tftypes.NewValue(w.typ, a)
		}(), prior},
		{"destroy", null, prior},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proposed := null
			if !tc.cfg.IsNull() {
				proposed = proposedNew(w, tc.cfg, tc.prior)
			}
			req := &tfprotov6.PlanResourceChangeRequest{
				TypeName: bulkTypeName, Config: dyn(t, w, tc.cfg), PriorState: dyn(t, w, tc.prior), ProposedNewState: dyn(t, w, proposed),
			}
			want, err := framework.PlanResourceChange(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ours.PlanResourceChange(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if d1, d2 := diagTexts(want.Diagnostics), diagTexts(got.Diagnostics); !slices.Equal(d1, d2) {
				t.Fatalf("diagnostics differ:\nframework: %q\nprotocol:  %q", d1, d2)
			}
			wv, err1 := want.PlannedState.Unmarshal(w.typ)
			gv, err2 := got.PlannedState.Unmarshal(w.typ)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if tc.name == "users unknown" {
				// The framework finds a plan whose users are unknown equal
				// to the prior state (tftypes' Equal stops at the unknown)
				// and keeps the prior ids, which an apply that adds a key
				// would contradict; the protocol server plans them unknown.
				gt, wt := map[string]tftypes.Value{}, map[string]tftypes.Value{}
				_, _ = gv.As(&gt), wv.As(&wt)
				if gt["ids"].IsKnown() {
					t.Fatalf("ids planned as %v, want unknown", gt["ids"])
				}
				gt["ids"] = wt["ids"]
				gv = tftypes.NewValue(w.typ, gt)
			}
			if !wv.Equal(gv) {
				diffs, _ := wv.Diff(gv)
				t.Fatalf("planned states differ: %v\nframework: %v\nprotocol:  %v", diffs, wv, gv)
			}
		})
	}
}

func TestBulkProtocolValidationMatchesFramework(t *testing.T) {
	ctx := context.Background()
	w := bulkWireOnce()
	framework, ours := servers(t)
	bad := map[string]tftypes.Value{
		"username": str("-bad-"), "email": str("not an address"), "first_name": str(strings.Repeat("f", 251)),
		"last_name": str(strings.Repeat("l", 251)), "display_name": str(strings.Repeat("d", 251)),
		"locale": str("english please"), "phone": str("call me"), "mobile": str(strings.Repeat("9", 101)),
		"title": str(strings.Repeat("t", 129)), "department": str(strings.Repeat("d", 101)),
		"avatar_url": str("ftp://x"), "external_id": str(strings.Repeat("x", 251)), "external_source": str(strings.Repeat("s", 251)),
		"attributes": tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, map[string]tftypes.Value{"Bad-Key": str("x")}),
		"groups":     tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, []tftypes.Value{str("eng"), unknownStr}),
	}
	for _, tc := range []struct {
		name  string
		users map[string]tftypes.Value
	}{
		{"every attribute wrong", map[string]tftypes.Value{"e1": wireEntry(w, bad)}},
		{"duplicates", map[string]tftypes.Value{
			"e1": wireEntry(w, map[string]tftypes.Value{"username": str("x"), "email": str("A@example.com")}),
			"e2": wireEntry(w, map[string]tftypes.Value{"username": str("X"), "email": str("a@example.com")}),
			"e3": wireEntry(w, map[string]tftypes.Value{"username": unknownStr, "email": str("b@example.com")}),
		}},
		{"valid", map[string]tftypes.Value{"e1": wireEntry(w, map[string]tftypes.Value{"username": str("jane"), "email": str("jane@example.com"), "locale": str("en_us")})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &tfprotov6.ValidateResourceConfigRequest{TypeName: bulkTypeName, Config: dyn(t, w, wireResource(w, tc.users, nil))}
			want, err1 := framework.ValidateResourceConfig(ctx, req)
			got, err2 := ours.ValidateResourceConfig(ctx, req)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			d1, d2 := diagTexts(want.Diagnostics), diagTexts(got.Diagnostics)
			if !slices.Equal(d1, d2) {
				t.Fatalf("diagnostics differ:\nframework: %q\nprotocol:  %q", d1, d2)
			}
			if tc.name != "valid" && len(d2) == 0 {
				t.Fatal("no diagnostics for a wrong configuration")
			}
		})
	}
}

func TestBulkProtocolUpgradeMatchesFramework(t *testing.T) {
	ctx := context.Background()
	framework, ours := servers(t)
	state := `{"ids":{"e1":"id-1"},"timeouts":null,"users":{"e1":{"username":"Max","email":"max@example.com","email_verified":false,` +
		`"first_name":null,"last_name":null,"display_name":"max","locale":"en_us","is_admin":false,"disabled":false,"phone":null,"mobile":null,` +
		`"title":null,"department":null,"avatar_url":null,"external_id":null,"external_source":null,"attributes":{},"groups":null}}}`
	req := &tfprotov6.UpgradeResourceStateRequest{TypeName: bulkTypeName, RawState: &tfprotov6.RawState{JSON: []byte(state)}}
	want, err1 := framework.UpgradeResourceState(ctx, req)
	got, err2 := ours.UpgradeResourceState(ctx, req)
	if err1 != nil || err2 != nil || len(want.Diagnostics) > 0 || len(got.Diagnostics) > 0 {
		t.Fatal(err1, err2, diagTexts(want.Diagnostics), diagTexts(got.Diagnostics))
	}
	w := bulkWireOnce()
	wv, _ := want.UpgradedState.Unmarshal(w.typ)
	gv, _ := got.UpgradedState.Unmarshal(w.typ)
	if !wv.Equal(gv) {
		t.Fatalf("upgraded states differ:\nframework: %v\nprotocol:  %v", wv, gv)
	}
}

// TestBulkProtocolKnowsTheSchema fails when the entries' schema gains a
// default, plan modifier or computed attribute, or users a validator,
// that the protocol server's plan and validation (which reproduce them by
// hand) do not know about.
func TestBulkProtocolKnowsTheSchema(t *testing.T) {
	var defaults, modifiers, computed []string
	for name, a := range userFieldSchemas() {
		switch a := a.(type) {
		case schema.BoolAttribute:
			if a.Default != nil {
				defaults = append(defaults, name)
			}
			if len(a.PlanModifiers) > 0 {
				modifiers = append(modifiers, name)
			}
		case schema.MapAttribute:
			if a.Default != nil {
				defaults = append(defaults, name)
			}
			if len(a.PlanModifiers) > 0 {
				modifiers = append(modifiers, name)
			}
		case schema.StringAttribute:
			if a.Default != nil {
				defaults = append(defaults, name)
			}
			if len(a.PlanModifiers) > 0 {
				modifiers = append(modifiers, name)
			}
		case schema.SetAttribute:
			if a.Default != nil || len(a.PlanModifiers) > 0 {
				modifiers = append(modifiers, name)
			}
		default:
			t.Fatalf("attribute %s is a %T, which the protocol server does not expect", name, a)
		}
		if a.IsComputed() {
			computed = append(computed, name)
		}
	}
	slices.Sort(defaults)
	slices.Sort(modifiers)
	slices.Sort(computed)
	if want := []string{"attributes", "disabled", "email_verified", "is_admin"}; !slices.Equal(defaults, want) {
		t.Errorf("attributes with defaults: %q; the protocol server's plan sets %q", defaults, want)
	}
	if want := []string{"display_name"}; !slices.Equal(modifiers, want) {
		t.Errorf("attributes with plan modifiers: %q; the protocol server's plan has only %q's", modifiers, want)
	}
	if want := []string{"attributes", "disabled", "display_name", "email_verified", "is_admin"}; !slices.Equal(computed, want) {
		t.Errorf("computed attributes: %q; the protocol server's plan knows %q", computed, want)
	}
	users, ok := bulkUsersSchema(context.Background()).Attributes["users"].(schema.MapNestedAttribute)
	if !ok || len(users.Validators) != 1 || len(users.PlanModifiers) != 0 || users.Default != nil || len(users.NestedObject.Validators) != 0 || len(users.NestedObject.PlanModifiers) != 0 {
		t.Errorf("users has validators, plan modifiers or defaults the protocol server does not run (it runs uniqueEntries only)")
	} else if _, ok := users.Validators[0].(uniqueEntries); !ok {
		t.Errorf("users' validator is a %T; the protocol server runs uniqueEntries", users.Validators[0])
	}
}
