package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/rollcall/rollcall/api"
)

// The protocol server answers the RPCs Terraform sends for
// rollcall_bulk_users — ValidateResourceConfig, UpgradeResourceState,
// ReadResource, PlanResourceChange and ApplyResourceChange — itself,
// working on the wire values, and passes everything else to
// terraform-plugin-framework. The framework walks and converts every
// nested value several times per RPC, looking each one up in the schema
// (which rebuilds the nested object's attributes on every lookup): with
// 1,000 entries that was 4 s of the provider's CPU in a no-op plan, where
// the work itself is a few hundred milliseconds. The schema stays the
// framework's (documentation and import go through it, and
// ApplyResourceChange calls the resource's Create, Update and Delete with
// it); this file reproduces what the framework does for these RPCs
// with this schema: the same validators and words, the same defaults,
// display names and ids in the plan, the same semantic equality of
// usernames, locales and phone numbers after a refresh.

// bulkTypeName is the resource type the protocol server handles itself.
const bulkTypeName = "rollcall_bulk_users"

// NewProtocol6 returns a constructor of the provider's protocol server
// for tf6server.Serve: terraform-plugin-framework's, with the RPCs of
// rollcall_bulk_users that carry its whole value answered directly.
func NewProtocol6(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer { return newProtocolServer(&rollcallProvider{version: version}) }
}

// newProtocolServer is the protocol server of p.
func newProtocolServer(p *rollcallProvider) tfprotov6.ProviderServer {
	return &protocolServer{ProviderServer: providerserver.NewProtocol6(p)(), p: p}
}

// NewProtocol6WithError is NewProtocol6 in the form terraform-plugin-testing's
// ProtoV6ProviderFactories take.
func NewProtocol6WithError(version string) func() (tfprotov6.ProviderServer, error) {
	f := NewProtocol6(version)
	return func() (tfprotov6.ProviderServer, error) { return f(), nil }
}

// protocolServer is the framework's server with the hot RPCs of
// rollcall_bulk_users taken over.
type protocolServer struct {
	tfprotov6.ProviderServer
	p *rollcallProvider
}

// bulkWire is what the protocol server needs of the schema, built once.
type bulkWire struct {
	schema     schema.Schema
	typ        tftypes.Object // the resource
	usersType  attr.Type      // users, with the entries' custom types
	entryType  tftypes.Object
	timeouts   attr.Type
	validators []entryValidator
}

// entryValidator is the validators of one attribute of an entry.
type entryValidator struct {
	name    string
	strings []validator.String
	maps    []validator.Map
	sets    []validator.Set
}

// bulkWireOnce builds the bulkWire on first use; the schema never changes
// while the provider runs.
var bulkWireOnce = sync.OnceValue(func() *bulkWire {
	ctx := context.Background()
	s := bulkUsersSchema(ctx)
	w := &bulkWire{
		schema:    s,
		typ:       s.Type().TerraformType(ctx).(tftypes.Object),
		usersType: s.Attributes["users"].GetType(),
		timeouts:  s.Blocks["timeouts"].Type(),
	}
	w.entryType = w.usersType.TerraformType(ctx).(tftypes.Map).ElementType.(tftypes.Object)
	fields := userFieldSchemas()
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		v := entryValidator{name: name}
		switch a := fields[name].(type) {
		case schema.StringAttribute:
			v.strings = a.Validators
		case schema.MapAttribute:
			v.maps = a.Validators
		case schema.SetAttribute:
			v.sets = a.Validators
		}
		if len(v.strings)+len(v.maps)+len(v.sets) > 0 {
			w.validators = append(w.validators, v)
		}
	}
	return w
})

// ApplyResourceChange calls the resource's Create, Update or Delete with
// the wire values as they come, skipping the framework's conversions and
// walks of the whole value before and after (a second of CPU for a create
// of 1,000 entries). The new state is what the method leaves, as with the
// framework: null after a delete that succeeded or a create or update that
// failed before it changed anything.
func (s *protocolServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	if req.TypeName != bulkTypeName || req.PlannedState == nil || req.PriorState == nil || req.Config == nil {
		return s.ProviderServer.ApplyResourceChange(ctx, req)
	}
	w := bulkWireOnce()
	planned, err1 := req.PlannedState.Unmarshal(w.typ)
	prior, err2 := req.PriorState.Unmarshal(w.typ)
	cfg, err3 := req.Config.Unmarshal(w.typ)
	if cmpOr(err1, err2, err3) != nil || planned.IsNull() && prior.IsNull() {
		return s.ProviderServer.ApplyResourceChange(ctx, req)
	}
	sch := w.schema
	r := &bulkUsersResource{c: s.p.client.Load(), batch: api.MaxAtomicOperations}
	var diags diag.Diagnostics
	var newState tftypes.Value
	private := req.PlannedPrivate
	switch {
	case planned.IsNull():
		dresp := &resource.DeleteResponse{State: tfsdk.State{Schema: sch, Raw: prior}}
		r.Delete(ctx, resource.DeleteRequest{State: tfsdk.State{Schema: sch, Raw: prior}}, dresp)
		diags = dresp.Diagnostics
		newState = dresp.State.Raw
		if !diags.HasError() {
			newState, private = tftypes.NewValue(w.typ, nil), nil
		}
	case prior.IsNull():
		cresp := &resource.CreateResponse{State: tfsdk.State{Schema: sch, Raw: tftypes.NewValue(w.typ, nil)}}
		r.Create(ctx, resource.CreateRequest{Config: tfsdk.Config{Schema: sch, Raw: cfg}, Plan: tfsdk.Plan{Schema: sch, Raw: planned}}, cresp)
		diags = cresp.Diagnostics
		newState = cresp.State.Raw
		if !diags.HasError() && newState.IsNull() {
			diags.AddError("Missing Resource State After Create",
				"The Terraform Provider unexpectedly returned no resource state after having no errors in the resource creation. "+
					"This is always an issue in the Terraform Provider and should be reported to the provider developers.")
		}
	default:
		uresp := &resource.UpdateResponse{State: tfsdk.State{Schema: sch, Raw: tftypes.NewValue(w.typ, nil)}}
		r.Update(ctx, resource.UpdateRequest{
			Config: tfsdk.Config{Schema: sch, Raw: cfg}, Plan: tfsdk.Plan{Schema: sch, Raw: planned}, State: tfsdk.State{Schema: sch, Raw: prior},
		}, uresp)
		diags = uresp.Diagnostics
		newState = uresp.State.Raw
		if !diags.HasError() && newState.IsNull() {
			diags.AddError("Missing Resource State After Update",
				"The Terraform Provider unexpectedly returned no resource state after having no errors in the resource update. "+
					"This is always an issue in the Terraform Provider and should be reported to the provider developers.")
		}
	}
	dv, err := tfprotov6.NewDynamicValue(w.typ, newState)
	if err != nil {
		return nil, fmt.Errorf("rollcall_bulk_users: encode the new state: %w", err)
	}
	return &tfprotov6.ApplyResourceChangeResponse{NewState: &dv, Private: private, Diagnostics: protoDiags(diags)}, nil
}

// ValidateResourceConfig runs the entries' validators and the uniqueness
// check in one pass over the configuration. A configuration with a
// timeouts block goes to the framework, which validates the durations.
func (s *protocolServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	if req.TypeName != bulkTypeName || req.Config == nil {
		return s.ProviderServer.ValidateResourceConfig(ctx, req)
	}
	w := bulkWireOnce()
	cfg, err := req.Config.Unmarshal(w.typ)
	if err != nil || !cfg.IsKnown() || cfg.IsNull() {
		return s.ProviderServer.ValidateResourceConfig(ctx, req)
	}
	top := map[string]tftypes.Value{}
	if err := cfg.As(&top); err != nil || !top["timeouts"].IsNull() {
		return s.ProviderServer.ValidateResourceConfig(ctx, req)
	}
	var diags diag.Diagnostics
	users := top["users"]
	if users.IsKnown() && !users.IsNull() {
		entries := map[string]tftypes.Value{}
		if err := users.As(&entries); err != nil {
			return s.ProviderServer.ValidateResourceConfig(ctx, req)
		}
		validateEntries(ctx, w, entries, &diags)
	}
	return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: protoDiags(diags)}, nil
}

// validateEntries is what the schema's validators (userFieldSchemas and
// uniqueEntries) do, per entry, with the same paths and words.
func validateEntries(ctx context.Context, w *bulkWire, entries map[string]tftypes.Value, diags *diag.Diagnostics) {
	root := path.Root("users")
	unique := make([]uniqueEntry, 0, len(entries))
	for _, k := range slices.Sorted(maps.Keys(entries)) {
		e := entries[k]
		if !e.IsKnown() || e.IsNull() {
			continue
		}
		attrs := map[string]tftypes.Value{}
		if err := e.As(&attrs); err != nil {
			continue
		}
		at := root.AtMapKey(k)
		for _, v := range w.validators {
			val := attrs[v.name]
			if !val.IsKnown() || val.IsNull() {
				continue
			}
			p := at.AtName(v.name)
			switch {
			case len(v.strings) > 0:
				var s string
				if val.As(&s) != nil {
					continue
				}
				req := validator.StringRequest{Path: p, PathExpression: p.Expression(), ConfigValue: types.StringValue(s)}
				for _, sv := range v.strings {
					resp := &validator.StringResponse{}
					sv.ValidateString(ctx, req, resp)
					diags.Append(resp.Diagnostics...)
				}
			case len(v.maps) > 0:
				mv, err := types.MapType{ElemType: types.StringType}.ValueFromTerraform(ctx, val)
				if err != nil {
					continue
				}
				req := validator.MapRequest{Path: p, PathExpression: p.Expression(), ConfigValue: mv.(types.Map)}
				for _, m := range v.maps {
					resp := &validator.MapResponse{}
					m.ValidateMap(ctx, req, resp)
					diags.Append(resp.Diagnostics...)
				}
			case len(v.sets) > 0:
				sv, err := types.SetType{ElemType: types.StringType}.ValueFromTerraform(ctx, val)
				if err != nil {
					continue
				}
				req := validator.SetRequest{Path: p, PathExpression: p.Expression(), ConfigValue: sv.(types.Set)}
				for _, s := range v.sets {
					resp := &validator.SetResponse{}
					s.ValidateSet(ctx, req, resp)
					diags.Append(resp.Diagnostics...)
				}
			}
		}
		u := uniqueEntry{key: k}
		u.username, u.hasUsername = knownString(attrs["username"])
		u.email, u.hasEmail = knownString(attrs["email"])
		unique = append(unique, u)
	}
	checkUnique(root, unique, diags)
}

// knownString is the value of a known, non-null string.
func knownString(v tftypes.Value) (string, bool) {
	var s string
	if !v.IsKnown() || v.IsNull() || v.As(&s) != nil {
		return "", false
	}
	return s, true
}

// UpgradeResourceState reads the stored JSON state of rollcall_bulk_users
// (schema version 0, the only one) as the framework does, without its
// walks over the value.
func (s *protocolServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	if req.TypeName != bulkTypeName || req.Version != 0 || req.RawState == nil || req.RawState.JSON == nil {
		return s.ProviderServer.UpgradeResourceState(ctx, req)
	}
	w := bulkWireOnce()
	v, err := req.RawState.UnmarshalWithOpts(w.typ, tfprotov6.UnmarshalOpts{
		ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true},
	})
	if err != nil {
		return s.ProviderServer.UpgradeResourceState(ctx, req)
	}
	dv, err := tfprotov6.NewDynamicValue(w.typ, v)
	if err != nil {
		return s.ProviderServer.UpgradeResourceState(ctx, req)
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &dv}, nil
}

// ReadResource refreshes rollcall_bulk_users with bulkUsersResource.refresh,
// which also keeps the state's spelling of usernames, locales and phone
// numbers the server spells differently (the framework's semantic
// equality).
func (s *protocolServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	if req.TypeName != bulkTypeName || req.CurrentState == nil {
		return s.ProviderServer.ReadResource(ctx, req)
	}
	w := bulkWireOnce()
	cur, err := req.CurrentState.Unmarshal(w.typ)
	if err != nil || !cur.IsKnown() || cur.IsNull() {
		return s.ProviderServer.ReadResource(ctx, req)
	}
	top := map[string]tftypes.Value{}
	if err := cur.As(&top); err != nil {
		return s.ProviderServer.ReadResource(ctx, req)
	}
	resp := &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}
	var diags diag.Diagnostics
	state, ok := w.model(ctx, top, &diags)
	if !ok {
		resp.Diagnostics = protoDiags(diags)
		return resp, nil
	}
	r := &bulkUsersResource{c: s.p.client.Load(), batch: api.MaxAtomicOperations}
	now, _, ok := r.refresh(ctx, state, &diags)
	if !ok {
		resp.Diagnostics = protoDiags(diags)
		return resp, nil
	}
	now.set(ctx, &state, &diags)
	if diags.HasError() {
		resp.Diagnostics = protoDiags(diags)
		return resp, nil
	}
	usersTF, err1 := state.Users.ToTerraformValue(ctx)
	idsTF, err2 := state.IDs.ToTerraformValue(ctx)
	if err := cmpOr(err1, err2); err != nil {
		return nil, fmt.Errorf("rollcall_bulk_users: encode the refreshed state: %w", err)
	}
	top["users"], top["ids"] = usersTF, idsTF
	dv, err := tfprotov6.NewDynamicValue(w.typ, tftypes.NewValue(w.typ, top))
	if err != nil {
		return nil, fmt.Errorf("rollcall_bulk_users: encode the refreshed state: %w", err)
	}
	resp.NewState = &dv
	resp.Diagnostics = protoDiags(diags)
	return resp, nil
}

func cmpOr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// model is the resource's model from the attributes of a state value.
func (w *bulkWire) model(ctx context.Context, top map[string]tftypes.Value, diags *diag.Diagnostics) (bulkUsersModel, bool) {
	users, err1 := w.usersType.ValueFromTerraform(ctx, top["users"])
	ids, err2 := types.MapType{ElemType: types.StringType}.ValueFromTerraform(ctx, top["ids"])
	to, err3 := w.timeouts.ValueFromTerraform(ctx, top["timeouts"])
	if err := cmpOr(err1, err2, err3); err != nil {
		diags.AddError("Unexpected state of rollcall_bulk_users", "Could not read the stored state: "+err.Error()+"; this is a bug in the provider, please report it")
		return bulkUsersModel{}, false
	}
	m := bulkUsersModel{}
	var ok1, ok2, ok3 bool
	m.Users, ok1 = users.(types.Map)
	m.IDs, ok2 = ids.(types.Map)
	m.Timeouts, ok3 = to.(timeouts.Value)
	if !ok1 || !ok2 || !ok3 {
		diags.AddError("Unexpected state of rollcall_bulk_users", "The stored state has unexpected types; this is a bug in the provider, please report it")
		return bulkUsersModel{}, false
	}
	return m, true
}

// keepSpellings is the framework's semantic equality for f's normalised
// strings: where the server's value and prior's are the same value,
// prior's spelling stays, so `locale = "en_us"` causes no diff. Read,
// Create and Update apply it themselves, so that the framework's own pass
// finds nothing to do and the protocol server needs none.
func (f *userFields) keepSpellings(prior userFields) {
	keep := func(now *normalizedString, was normalizedString) {
		if now.IsNull() || now.IsUnknown() || was.IsNull() || was.IsUnknown() || now.ValueString() == was.ValueString() {
			return
		}
		if now.kind.normalize(now.ValueString()) == now.kind.normalize(was.ValueString()) {
			now.StringValue = was.StringValue
		}
	}
	keep(&f.Username, prior.Username)
	keep(&f.Locale, prior.Locale)
	keep(&f.Phone, prior.Phone)
	keep(&f.Mobile, prior.Mobile)
}

// PlanResourceChange plans rollcall_bulk_users as the framework would with
// its schema: defaults (false, {}) for entries' unset booleans and
// attributes, computed values unknown when the resource changes, each
// entry's display_name from its names when not configured
// (displayNameModifier), and ids (ModifyPlan).
func (s *protocolServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	if req.TypeName != bulkTypeName || req.ProposedNewState == nil || req.Config == nil {
		return s.ProviderServer.PlanResourceChange(ctx, req)
	}
	w := bulkWireOnce()
	proposed, err := req.ProposedNewState.Unmarshal(w.typ)
	if err != nil {
		return s.ProviderServer.PlanResourceChange(ctx, req)
	}
	if proposed.IsNull() {
		// Destroy: nothing to plan.
		return &tfprotov6.PlanResourceChangeResponse{PlannedState: req.ProposedNewState, PlannedPrivate: req.PriorPrivate}, nil
	}
	cfg, err1 := req.Config.Unmarshal(w.typ)
	prior := tftypes.NewValue(w.typ, nil)
	var err2 error
	if req.PriorState != nil {
		prior, err2 = req.PriorState.Unmarshal(w.typ)
	}
	planned, ok := w.plan(proposed, cfg, prior)
	if cmpOr(err1, err2) != nil || !ok {
		return s.ProviderServer.PlanResourceChange(ctx, req)
	}
	dv, err := tfprotov6.NewDynamicValue(w.typ, planned)
	if err != nil {
		return nil, fmt.Errorf("rollcall_bulk_users: encode the plan: %w", err)
	}
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: &dv, PlannedPrivate: req.PriorPrivate}, nil
}

// plan is the planned state; ok is false for a value it does not expect,
// which then goes to the framework.
func (w *bulkWire) plan(proposed, cfg, prior tftypes.Value) (tftypes.Value, bool) {
	top, cfgTop := map[string]tftypes.Value{}, map[string]tftypes.Value{}
	if !proposed.IsKnown() || !cfg.IsKnown() || cfg.IsNull() || proposed.As(&top) != nil || cfg.As(&cfgTop) != nil {
		return tftypes.Value{}, false
	}
	strType := tftypes.String
	users, cfgUsers := top["users"], cfgTop["users"]
	var entries, cfgEntries map[string]tftypes.Value
	if users.IsKnown() && !users.IsNull() {
		if users.As(&entries) != nil || !cfgUsers.IsKnown() || cfgUsers.IsNull() || cfgUsers.As(&cfgEntries) != nil {
			return tftypes.Value{}, false
		}
	}
	// Defaults, where the configuration leaves the attribute out.
	falseV := tftypes.NewValue(tftypes.Bool, false)
	emptyMap := tftypes.NewValue(tftypes.Map{ElementType: strType}, map[string]tftypes.Value{})
	attrsOf := make(map[string]map[string]tftypes.Value, len(entries))
	cfgAttrsOf := make(map[string]map[string]tftypes.Value, len(entries))
	for k, e := range entries {
		if !e.IsKnown() || e.IsNull() {
			continue
		}
		a, c := map[string]tftypes.Value{}, map[string]tftypes.Value{}
		ce, ok := cfgEntries[k]
		if e.As(&a) != nil || !ok || !ce.IsKnown() || ce.IsNull() || ce.As(&c) != nil {
			return tftypes.Value{}, false
		}
		for _, n := range []string{"email_verified", "is_admin", "disabled"} {
			if c[n].IsNull() {
				a[n] = falseV
			}
		}
		if c["attributes"].IsNull() {
			a["attributes"] = emptyMap
		}
		attrsOf[k], cfgAttrsOf[k] = a, c
	}
	rebuild := func() {
		if entries == nil {
			return
		}
		for k, a := range attrsOf {
			entries[k] = tftypes.NewValue(w.entryType, a)
		}
		top["users"] = tftypes.NewValue(users.Type(), entries)
	}
	rebuild()
	// A change makes the computed attributes the configuration leaves out
	// unknown, as the framework does before the plan modifiers run.
	if !tftypes.NewValue(w.typ, top).Equal(prior) {
		top["ids"] = tftypes.NewValue(tftypes.Map{ElementType: strType}, tftypes.UnknownValue)
		for k, a := range attrsOf {
			if cfgAttrsOf[k]["display_name"].IsNull() {
				a["display_name"] = tftypes.NewValue(strType, tftypes.UnknownValue)
			}
		}
	}
	// display_name: the server's name for entries that do not set one.
	for k, a := range attrsOf {
		if !cfgAttrsOf[k]["display_name"].IsNull() {
			continue
		}
		first, ok1 := optionalString(a["first_name"])
		last, ok2 := optionalString(a["last_name"])
		username, ok3 := optionalString(a["username"])
		if ok1 && ok2 && ok3 {
			a["display_name"] = tftypes.NewValue(strType, computedDisplayName(first, last, api.NormalizeName(username)))
		} else {
			a["display_name"] = tftypes.NewValue(strType, tftypes.UnknownValue)
		}
	}
	rebuild()
	// ids: the known id of every key that stays, unknown for new keys.
	if entries != nil {
		priorIDs := map[string]tftypes.Value{}
		if prior.IsKnown() && !prior.IsNull() {
			priorTop := map[string]tftypes.Value{}
			if prior.As(&priorTop) == nil {
				if ids := priorTop["ids"]; ids.IsKnown() && !ids.IsNull() {
					_ = ids.As(&priorIDs)
				}
			}
		}
		ids := make(map[string]tftypes.Value, len(entries))
		for k := range entries {
			if id, ok := priorIDs[k]; ok {
				ids[k] = id
			} else {
				ids[k] = tftypes.NewValue(strType, tftypes.UnknownValue)
			}
		}
		top["ids"] = tftypes.NewValue(tftypes.Map{ElementType: strType}, ids)
	}
	return tftypes.NewValue(w.typ, top), true
}

// optionalString is a string attribute's value for display_name: "" when
// null, false when unknown.
func optionalString(v tftypes.Value) (string, bool) {
	if !v.IsKnown() {
		return "", false
	}
	if v.IsNull() {
		return "", true
	}
	var s string
	return s, v.As(&s) == nil
}

// protoDiags converts diagnostics to the protocol's, with their paths.
func protoDiags(diags diag.Diagnostics) []*tfprotov6.Diagnostic {
	if len(diags) == 0 {
		return nil
	}
	out := make([]*tfprotov6.Diagnostic, 0, len(diags))
	for _, d := range diags {
		pd := &tfprotov6.Diagnostic{Severity: tfprotov6.DiagnosticSeverityError, Summary: d.Summary(), Detail: d.Detail()}
		if d.Severity() == diag.SeverityWarning {
			pd.Severity = tfprotov6.DiagnosticSeverityWarning
		}
		if dp, ok := d.(diag.DiagnosticWithPath); ok {
			pd.Attribute = tfPath(dp.Path())
		}
		out = append(out, pd)
	}
	return out
}

// tfPath is p as a protocol attribute path.
func tfPath(p path.Path) *tftypes.AttributePath {
	ap := tftypes.NewAttributePath()
	for _, st := range p.Steps() {
		switch s := st.(type) {
		case path.PathStepAttributeName:
			ap = ap.WithAttributeName(string(s))
		case path.PathStepElementKeyString:
			ap = ap.WithElementKeyString(string(s))
		case path.PathStepElementKeyInt:
			ap = ap.WithElementKeyInt(int(s))
		default:
			return ap
		}
	}
	return ap
}

// uniqueEntry is what checkUnique needs of one entry of users.
type uniqueEntry struct {
	key                   string
	username, email       string
	hasUsername, hasEmail bool
}

// checkUnique refuses two entries (in key order) with the same username
// (normalised) or email (ignoring case): the server would refuse the
// second at apply.
func checkUnique(p path.Path, entries []uniqueEntry, diags *diag.Diagnostics) {
	usernames, emails := make(map[string]string, len(entries)), make(map[string]string, len(entries))
	for _, e := range entries {
		check := func(attrName, norm string, seen map[string]string) {
			if norm == "" {
				return
			}
			if other, dup := seen[norm]; dup {
				diags.AddAttributeError(p.AtMapKey(e.key).AtName(attrName), "Duplicate "+attrName,
					fmt.Sprintf("%s: %s %q is also the %s of users[%q]; every user needs its own", p.AtMapKey(e.key).AtName(attrName), attrName, norm, attrName, other))
				return
			}
			seen[norm] = e.key
		}
		if e.hasUsername {
			check("username", api.NormalizeName(e.username), usernames)
		}
		if e.hasEmail {
			check("email", strings.ToLower(e.email), emails)
		}
	}
}
