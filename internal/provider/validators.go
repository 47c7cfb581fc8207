package provider

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/rollcall/rollcall/api"
)

// apiRule is a string validator that runs one of the api package's rules,
// so `terraform plan` refuses a value with the server's own words.
type apiRule struct {
	desc  string
	check func(string) *api.Error
}

var _ validator.String = apiRule{}

func (r apiRule) Description(context.Context) string         { return r.desc }
func (r apiRule) MarkdownDescription(context.Context) string { return r.desc }

// ValidateString runs the rule on a known value; unknown values are
// checked by the server at apply.
func (r apiRule) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if e := r.check(req.ConfigValue.ValueString()); e != nil {
		resp.Diagnostics.AddAttributeError(req.Path, e.Title, detailAt(req.Path, e.Detail))
	}
}

func validName(attr string) validator.String {
	if attr == "name" {
		return apiRule{"a valid group name", func(s string) *api.Error { _, e := api.ValidateGroupName(s); return e }}
	}
	return apiRule{"a valid username", func(s string) *api.Error { _, e := api.ValidateUsername(s); return e }}
}

func validEmail() validator.String {
	return apiRule{"a valid email address", api.ValidateEmail}
}

func validText(attr string, max int) validator.String {
	return apiRule{"at most the allowed length", func(s string) *api.Error { return api.ValidateText(attr, s, max) }}
}

func validLocale() validator.String {
	return apiRule{"a BCP 47 language tag", func(s string) *api.Error { _, e := api.NormalizeLocale(s); return e }}
}

func validPhone(attr string) validator.String {
	return apiRule{"a phone number", func(s string) *api.Error { _, e := api.NormalizePhone(attr, s); return e }}
}

// validCustomClaims checks a group's custom_claims with the server's rule.
func validCustomClaims() validator.String {
	return apiRule{"a JSON object of custom claims", func(s string) *api.Error {
		if _, errs := api.ValidateCustomClaims(json.RawMessage(s)); len(errs) > 0 {
			return errs[0]
		}
		return nil
	}}
}

func validAvatarURL() validator.String {
	return apiRule{"an absolute http(s) URL", api.ValidateAvatarURL}
}

func validID(what string) validator.String {
	return apiRule{"a UUID", func(s string) *api.Error {
		if _, e := api.ValidateID(s); e != nil {
			e.Detail = what + ": " + e.Detail
			return e
		}
		return nil
	}}
}

// attributesRule checks the free-form attributes map with the server's rule.
type attributesRule struct{}

var _ validator.Map = attributesRule{}

func (attributesRule) Description(context.Context) string {
	return "at most 64 keys matching ^[a-z][a-z0-9_]{0,63}$, values of at most 2048 characters"
}
func (r attributesRule) MarkdownDescription(ctx context.Context) string { return r.Description(ctx) }

// ValidateMap checks the map once every element is known.
func (attributesRule) ValidateMap(ctx context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	m := map[string]string{}
	for k, v := range req.ConfigValue.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsUnknown() {
			return
		}
		m[k] = s.ValueString()
	}
	for _, e := range api.ValidateAttributes(m) {
		resp.Diagnostics.AddAttributeError(req.Path, e.Title, detailAt(req.Path, e.Detail))
	}
}

// idSetRule checks that every known element of a set is a UUID.
type idSetRule struct{ what string }

var _ validator.Set = idSetRule{}

func (r idSetRule) Description(context.Context) string         { return r.what + " ids are UUIDs" }
func (r idSetRule) MarkdownDescription(context.Context) string { return r.what + " ids are UUIDs" }

// ValidateSet refuses elements that are not UUIDs.
func (r idSetRule) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for _, v := range req.ConfigValue.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		if _, e := api.ValidateID(s.ValueString()); e != nil {
			resp.Diagnostics.AddAttributeError(req.Path, e.Title, detailAt(req.Path, r.what+" id: "+e.Detail))
		}
	}
}

// detailAt starts a diagnostic's detail with the attribute's path when it
// is nested (users["e123"].email in rollcall_bulk_users): when the entries
// come from an expression, such as a for over csvdecode, Terraform can
// only point at the users argument, so the text must name the entry.
// Top-level attributes are named by Terraform itself.
func detailAt(p path.Path, detail string) string {
	if len(p.Steps()) <= 1 {
		return detail
	}
	return p.String() + ": " + detail
}
