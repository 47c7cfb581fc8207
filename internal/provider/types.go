package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/rollcall/rollcall/api"
)

// normKind says how the server canonicalises a string attribute.
type normKind int

const (
	kindName   normKind = iota + 1 // usernames and group names: NFC, lower case
	kindLocale                     // BCP 47: en_us -> en-US
	kindPhone                      // E.164 when it parses: +1 415 555 2671 -> +14155552671
	kindEmail                      // kept as given, compared ignoring case: Jane@Example.com is jane@example.com
	kindJSON                       // a JSON document: key order and white space do not matter
)

func (k normKind) String() string {
	switch k {
	case kindName:
		return "name"
	case kindLocale:
		return "locale"
	case kindPhone:
		return "phone"
	case kindEmail:
		return "email"
	case kindJSON:
		return "JSON"
	}
	return "unknown"
}

// normalize applies the server's canonicalisation, with the api package's
// own functions so provider and server agree. A value the server would
// refuse is returned unchanged.
func (k normKind) normalize(s string) string {
	switch k {
	case kindName:
		return api.NormalizeName(s)
	case kindLocale:
		if n, err := api.NormalizeLocale(s); err == nil {
			return n
		}
	case kindPhone:
		if n, err := api.NormalizePhone("phone", s); err == nil {
			return n
		}
	case kindEmail:
		// The server keeps an address's case but matches addresses
		// ignoring it (users.email_lower is strings.ToLower of it).
		return strings.ToLower(s)
	case kindJSON:
		// Objects re-encode with sorted keys and no white space; numbers
		// keep their digits.
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err == nil && !d.More() {
			if b, err := json.Marshal(v); err == nil {
				return string(b)
			}
		}
	}
	return s
}

// unchangedKeepsUpdatedAt is the ModifyPlan of rollcall_user and
// rollcall_group. The framework marks updated_at unknown as soon as the
// configuration differs from the state in any way, before sameValue and
// unmanagedGroups run; when they leave nothing to change, updated_at is
// the state's again, so the plan is empty rather than an update of
// updated_at alone.
func unchangedKeepsUpdatedAt(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || resp.Plan.Raw.IsNull() || resp.Plan.Raw.Equal(req.State.Raw) {
		return
	}
	var updated types.String
	if d := req.State.GetAttribute(ctx, path.Root("updated_at"), &updated); d.HasError() {
		return
	}
	candidate := resp.Plan
	if d := candidate.SetAttribute(ctx, path.Root("updated_at"), updated); d.HasError() {
		return
	}
	if candidate.Raw.Equal(req.State.Raw) {
		resp.Plan = candidate
	}
}

// sameValue is the plan-time half of semantic equality. The framework
// applies StringSemanticEquals only to the values a read or an apply
// returns, not to the plan, so after `terraform import` (where the state
// holds the server's canonical spelling, such as +4915123456789) a
// configuration that writes "+49 151 23456789" would plan an update that
// changes nothing on the server. When the configured value and the
// state's are the same value, sameValue plans the state's spelling:
// Terraform accepts a planned value that equals the prior state in place
// of the configured one, and shows no change.
type sameValue struct{ kind normKind }

func (m sameValue) Description(context.Context) string {
	return "keeps the state's spelling when the configured " + m.kind.String() + " is the same value"
}
func (m sameValue) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

// PlanModifyString plans the state's value when both canonicalise alike.
func (m sameValue) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	cfg, st := req.ConfigValue, req.StateValue
	if cfg.IsNull() || cfg.IsUnknown() || st.IsNull() || st.IsUnknown() || cfg.ValueString() == st.ValueString() {
		return
	}
	if m.kind.normalize(cfg.ValueString()) == m.kind.normalize(st.ValueString()) {
		resp.PlanValue = st
	}
}

// normalizedStringType is a string whose configured spelling and the
// server's canonical form are the same value (semantic equality), so
// `locale = "en_us"` stored as "en-US" is no perpetual diff.
type normalizedStringType struct {
	basetypes.StringType
	kind normKind
}

var (
	nameType   = normalizedStringType{kind: kindName}
	localeType = normalizedStringType{kind: kindLocale}
	jsonType   = normalizedStringType{kind: kindJSON}
	phoneType  = normalizedStringType{kind: kindPhone}
)

// Equal reports whether o is the same normalised type.
func (t normalizedStringType) Equal(o attr.Type) bool {
	x, ok := o.(normalizedStringType)
	return ok && x.kind == t.kind
}

// String names the type in framework errors.
func (t normalizedStringType) String() string {
	return "provider.normalizedStringType[" + t.kind.String() + "]"
}

// ValueFromString wraps a plain string value.
func (t normalizedStringType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return normalizedString{StringValue: in, kind: t.kind}, nil
}

// ValueFromTerraform decodes a wire value.
func (t normalizedStringType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return normalizedString{StringValue: s, kind: t.kind}, nil
}

// ValueType is the value type of this type.
func (t normalizedStringType) ValueType(context.Context) attr.Value {
	return normalizedString{kind: t.kind}
}

// normalizedString is a value of normalizedStringType.
type normalizedString struct {
	basetypes.StringValue
	kind normKind
}

var _ basetypes.StringValuableWithSemanticEquals = normalizedString{}

// Type returns the value's type.
func (v normalizedString) Type(context.Context) attr.Type { return normalizedStringType{kind: v.kind} }

// Equal is exact equality; the framework uses StringSemanticEquals to keep
// the configured spelling.
func (v normalizedString) Equal(o attr.Value) bool {
	x, ok := o.(normalizedString)
	return ok && x.kind == v.kind && v.StringValue.Equal(x.StringValue)
}

// StringSemanticEquals reports whether both spellings canonicalise to the
// same value on the server.
func (v normalizedString) StringSemanticEquals(ctx context.Context, other basetypes.StringValuable) (bool, diag.Diagnostics) {
	o, diags := other.ToStringValue(ctx)
	if diags.HasError() {
		return false, diags
	}
	return v.kind.normalize(v.ValueString()) == v.kind.normalize(o.ValueString()), diags
}

func normValue(k normKind, s string) normalizedString {
	return normalizedString{StringValue: types.StringValue(s), kind: k}
}

// optString is the state value of an optional server string: the server
// answers null for "unset", and a configuration that says "" keeps "" so
// the result matches the plan (and null stays null).
func optString(server *string, prior types.String) types.String {
	if server == nil {
		if !prior.IsNull() && !prior.IsUnknown() && prior.ValueString() == "" {
			return types.StringValue("")
		}
		return types.StringNull()
	}
	return types.StringValue(*server)
}

// optNorm is optString for normalised strings.
func optNorm(k normKind, server *string, prior normalizedString) normalizedString {
	return normalizedString{StringValue: optString(server, prior.StringValue), kind: k}
}

// writeCreate is the create-request form of an optional string: null and
// "" are left out, since a new user has no value anyway.
func writeCreate(v basetypes.StringValuable) api.Opt[string] {
	s, _ := v.ToStringValue(context.Background())
	if s.IsNull() || s.IsUnknown() || s.ValueString() == "" {
		return api.Opt[string]{}
	}
	return api.Some(s.ValueString())
}

// writeUpdate is the update-request form of an optional string: null and
// "" clear the attribute, so removing it from the configuration removes it
// on the server.
func writeUpdate(v basetypes.StringValuable) api.Opt[string] {
	s, _ := v.ToStringValue(context.Background())
	if s.IsNull() || s.IsUnknown() || s.ValueString() == "" {
		return api.Null[string]()
	}
	return api.Some(s.ValueString())
}

// stringMap reads a known map of strings; null and unknown give an empty map.
func stringMap(ctx context.Context, m types.Map, diags *diag.Diagnostics) map[string]string {
	out := map[string]string{}
	if m.IsNull() || m.IsUnknown() {
		return out
	}
	diags.Append(m.ElementsAs(ctx, &out, false)...)
	return out
}

// stringSet reads a known set of strings.
func stringSet(ctx context.Context, s types.Set, diags *diag.Diagnostics) []string {
	out := []string{}
	if s.IsNull() || s.IsUnknown() {
		return out
	}
	diags.Append(s.ElementsAs(ctx, &out, false)...)
	return out
}

// mapValue builds a map state value; nil becomes an empty map, as the
// server answers {} for no attributes.
func mapValue(m map[string]string) types.Map {
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

// setValue builds a set state value; nil becomes an empty set, never null,
// so `groups = []` settles.
func setValue(ids []string) types.Set {
	elems := make([]attr.Value, len(ids))
	for i, id := range ids {
		elems[i] = types.StringValue(id)
	}
	return types.SetValueMust(types.StringType, elems)
}
