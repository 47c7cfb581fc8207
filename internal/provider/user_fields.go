package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/rollcall/rollcall/api"
)

// userFields are the configurable attributes of a user. rollcall_user
// embeds them at the top level and rollcall_bulk_users has them in every
// entry of users, so both have the same defaults, validators, null-vs-""
// rules and semantic equality.
type userFields struct {
	Username       normalizedString `tfsdk:"username"`
	Email          types.String     `tfsdk:"email"`
	EmailVerified  types.Bool       `tfsdk:"email_verified"`
	FirstName      types.String     `tfsdk:"first_name"`
	LastName       types.String     `tfsdk:"last_name"`
	DisplayName    types.String     `tfsdk:"display_name"`
	Locale         normalizedString `tfsdk:"locale"`
	IsAdmin        types.Bool       `tfsdk:"is_admin"`
	Disabled       types.Bool       `tfsdk:"disabled"`
	Phone          normalizedString `tfsdk:"phone"`
	Mobile         normalizedString `tfsdk:"mobile"`
	Title          types.String     `tfsdk:"title"`
	Department     types.String     `tfsdk:"department"`
	AvatarURL      types.String     `tfsdk:"avatar_url"`
	ExternalID     types.String     `tfsdk:"external_id"`
	ExternalSource types.String     `tfsdk:"external_source"`
	Attributes     types.Map        `tfsdk:"attributes"`
	Groups         types.Set        `tfsdk:"groups"`
}

func optText(desc, attr string, max int) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: desc,
		Optional:            true,
		Validators:          []validator.String{validText(attr, max)},
	}
}

func optBool(desc string) schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: desc + " Defaults to `false`, as on the server.",
		Optional:            true,
		Computed:            true,
		Default:             booldefault.StaticBool(false),
	}
}

// userFieldSchemas are the schemas of userFields' attributes, a new map
// on every call so that callers may add their own.
func userFieldSchemas() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"username": schema.StringAttribute{
			MarkdownDescription: "Unique sign-in name: 1–64 characters, lower-case letters `a-z`, digits and `. _ @ -`, starting and ending with a letter or digit. " +
				"The server stores it in Unicode NFC and lower case, so `Jane.Doe` and `jane.doe` are the same value. Changing it renames the user in place.",
			Required:   true,
			CustomType: nameType,
			Validators: []validator.String{validName("username")},
		},
		"email": schema.StringAttribute{
			MarkdownDescription: "Email address: one bare address such as `jane@example.com`, at most 254 characters, unique (ignoring case).",
			Required:            true,
			Validators:          []validator.String{validEmail()},
		},
		"email_verified": optBool("Whether the email address is known to belong to the user (for example from the HR system)."),
		"first_name":     optText("Given name, at most 250 characters.", "first-name", api.MaxNameLen),
		"last_name":      optText("Family name, at most 250 characters.", "last-name", api.MaxNameLen),
		"display_name": schema.StringAttribute{
			MarkdownDescription: "Name shown in the console and in OpenID Connect claims, at most 250 characters. " +
				"When left out, the server shows `first_name last_name` (or the username when both are empty), and this attribute reads that value.",
			Optional:      true,
			Computed:      true,
			Validators:    []validator.String{validText("display-name", api.MaxNameLen)},
			PlanModifiers: []planmodifier.String{displayNameModifier{}},
		},
		"locale": schema.StringAttribute{
			MarkdownDescription: "Preferred language as a BCP 47 tag such as `en-US` or `de-DE`. The server stores the canonical form (`en_us` becomes `en-US`); both spellings are the same value here.",
			Optional:            true,
			CustomType:          localeType,
			Validators:          []validator.String{validLocale()},
		},
		"is_admin": optBool("Whether the user is a Rollcall administrator (can manage users, groups and tokens)."),
		"disabled": optBool("Whether the user is disabled: a disabled user cannot sign in but keeps its passkeys, groups and data."),
		"phone": schema.StringAttribute{
			MarkdownDescription: "Phone number, at most 100 characters. An international number (starting with `+`) is stored in E.164 form (`+1 415 555 2671` becomes `+14155552671`); both spellings are the same value here. Other values, such as extensions, are kept as given.",
			Optional:            true,
			CustomType:          phoneType,
			Validators:          []validator.String{validPhone("phone")},
		},
		"mobile": schema.StringAttribute{
			MarkdownDescription: "Mobile number, with the same rules as `phone`.",
			Optional:            true,
			CustomType:          phoneType,
			Validators:          []validator.String{validPhone("mobile")},
		},
		"title":      optText("Job title, at most 128 characters.", "title", api.MaxTitleLen),
		"department": optText("Department, at most 100 characters.", "department", api.MaxDepartmentLen),
		"avatar_url": schema.StringAttribute{
			MarkdownDescription: "Picture of the user: an absolute `http://` or `https://` URL of at most 255 characters.",
			Optional:            true,
			Validators:          []validator.String{validAvatarURL()},
		},
		"external_id":     optText("The user's key in another directory (HR system, LDAP), at most 250 characters; directory syncs match on it.", "external-id", api.MaxExternalLen),
		"external_source": optText("Name of the directory `external_id` comes from, such as `workday`, at most 250 characters.", "external-source", api.MaxExternalLen),
		"attributes": schema.MapAttribute{
			MarkdownDescription: "Free-form string attributes, later surfaced as OpenID Connect claims: at most 64 keys matching `^[a-z][a-z0-9_]{0,63}$`, values of at most 2048 characters. Defaults to an empty map.",
			ElementType:         types.StringType,
			Optional:            true,
			Computed:            true,
			Default:             mapdefault.StaticValue(types.MapValueMust(types.StringType, map[string]attr.Value{})),
			Validators:          []validator.Map{attributesRule{}},
		},
		"groups": schema.SetAttribute{
			MarkdownDescription: "Ids of the groups the user is a member of. When set, it is authoritative: the user is in exactly these groups " +
				"(`[]` means none) and memberships added elsewhere show as drift. When left out, this resource does not read or change the user's memberships; " +
				"manage them with `rollcall_group_members` or `rollcall_group_membership` instead. Do not combine both ways for the same user.",
			ElementType: types.StringType,
			Optional:    true,
			Validators:  []validator.Set{idSetRule{what: "group"}},
		},
	}
}

// writeAttributes builds the request attributes from the plan; opt says
// how null and "" are sent (left out on create, cleared on update).
func (m *userFields) writeAttributes(ctx context.Context, opt func(basetypes.StringValuable) api.Opt[string], diags *diag.Diagnostics) api.UserWriteAttributes {
	return api.UserWriteAttributes{
		Username:       api.Some(m.Username.ValueString()),
		Email:          api.Some(m.Email.ValueString()),
		EmailVerified:  api.Some(m.EmailVerified.ValueBool()),
		FirstName:      opt(m.FirstName),
		LastName:       opt(m.LastName),
		Locale:         opt(m.Locale),
		IsAdmin:        api.Some(m.IsAdmin.ValueBool()),
		Disabled:       api.Some(m.Disabled.ValueBool()),
		Phone:          opt(m.Phone),
		Mobile:         opt(m.Mobile),
		Title:          opt(m.Title),
		Department:     opt(m.Department),
		AvatarURL:      opt(m.AvatarURL),
		ExternalID:     opt(m.ExternalID),
		ExternalSource: opt(m.ExternalSource),
		Attributes:     api.Some(stringMap(ctx, m.Attributes, diags)),
	}
}

// groupIDs is the groups relationship to send: nil (leave memberships
// alone) when groups is not managed here.
func (m *userFields) groupIDs(ctx context.Context, diags *diag.Diagnostics) *[]string {
	if m.Groups.IsNull() || m.Groups.IsUnknown() {
		return nil
	}
	ids := stringSet(ctx, m.Groups, diags)
	return &ids
}

// fromAPI sets the fields from the server's answer. prior is the plan or
// the previous state: it decides between null and "" for unset optional
// strings. withGroups is false when the resource does not manage groups.
func (m *userFields) fromAPI(u *api.User, prior userFields, withGroups bool) {
	a := u.Attributes
	m.Username = normValue(kindName, a.Username)
	m.Email = types.StringValue(a.Email)
	m.EmailVerified = types.BoolValue(a.EmailVerified)
	m.FirstName = optString(a.FirstName, prior.FirstName)
	m.LastName = optString(a.LastName, prior.LastName)
	m.DisplayName = types.StringValue(a.DisplayName)
	if !prior.DisplayName.IsNull() && !prior.DisplayName.IsUnknown() && prior.DisplayName.ValueString() == "" &&
		a.DisplayName == computedDisplayName(deref(a.FirstName), deref(a.LastName), a.Username) {
		// display_name = "" in the configuration asks for the computed
		// name; keep "" so the result matches the configuration.
		m.DisplayName = types.StringValue("")
	}
	m.Locale = optNorm(kindLocale, a.Locale, prior.Locale)
	m.IsAdmin = types.BoolValue(a.IsAdmin)
	m.Disabled = types.BoolValue(a.Disabled)
	m.Phone = optNorm(kindPhone, a.Phone, prior.Phone)
	m.Mobile = optNorm(kindPhone, a.Mobile, prior.Mobile)
	m.Title = optString(a.Title, prior.Title)
	m.Department = optString(a.Department, prior.Department)
	m.AvatarURL = optString(a.AvatarURL, prior.AvatarURL)
	m.ExternalID = optString(a.ExternalID, prior.ExternalID)
	m.ExternalSource = optString(a.ExternalSource, prior.ExternalSource)
	m.Attributes = mapValue(a.Attributes)
	if withGroups {
		m.Groups = setValue(u.GroupIDs())
	} else {
		m.Groups = types.SetNull(types.StringType)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// computedDisplayName is the server's display name for a user without
// one: "first last", else the username.
func computedDisplayName(first, last, username string) string {
	if n := strings.TrimSpace(first + " " + last); n != "" {
		return n
	}
	return username
}

// displayNameModifier plans the display name the server will show when the
// configuration leaves it out, so changing first_name plans the new
// display name instead of "(known after apply)", and a display name set
// outside Terraform shows as drift.
type displayNameModifier struct{}

func (displayNameModifier) Description(context.Context) string {
	return "plans first_name last_name (or the username) when display_name is not set"
}
func (m displayNameModifier) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

// PlanModifyString computes the planned value from the planned names.
func (displayNameModifier) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if !req.ConfigValue.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	// The sibling attributes: at the root in rollcall_user, inside the
	// same entry of users in rollcall_bulk_users.
	parent := req.Path.ParentPath()
	var first, last types.String
	var username normalizedString
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, parent.AtName("first_name"), &first)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, parent.AtName("last_name"), &last)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, parent.AtName("username"), &username)...)
	if resp.Diagnostics.HasError() || first.IsUnknown() || last.IsUnknown() || username.IsUnknown() {
		resp.PlanValue = types.StringUnknown()
		return
	}
	resp.PlanValue = types.StringValue(computedDisplayName(first.ValueString(), last.ValueString(), api.NormalizeName(username.ValueString())))
}

// The fields are converted to and from attribute values by hand rather
// than with the framework's reflection (Get, Set, ElementsAs,
// MapValueFrom): terraform-plugin-framework 1.19 compiles a regular
// expression for every struct field on every such call, which was half of
// rollcall_user's refresh and a third of rollcall_bulk_users'.

// attrValues are the fields as attribute values, by attribute name.
func (f userFields) attrValues() map[string]attr.Value {
	norm := func(v normalizedString, k normKind) normalizedString {
		return normalizedString{StringValue: v.StringValue, kind: k}
	}
	orNullMap := func(m types.Map) types.Map {
		if m.ElementType(context.Background()) == nil {
			return types.MapNull(types.StringType)
		}
		return m
	}
	orNullSet := func(s types.Set) types.Set {
		if s.ElementType(context.Background()) == nil {
			return types.SetNull(types.StringType)
		}
		return s
	}
	return map[string]attr.Value{
		"username":        norm(f.Username, kindName),
		"email":           f.Email,
		"email_verified":  f.EmailVerified,
		"first_name":      f.FirstName,
		"last_name":       f.LastName,
		"display_name":    f.DisplayName,
		"locale":          norm(f.Locale, kindLocale),
		"is_admin":        f.IsAdmin,
		"disabled":        f.Disabled,
		"phone":           norm(f.Phone, kindPhone),
		"mobile":          norm(f.Mobile, kindPhone),
		"title":           f.Title,
		"department":      f.Department,
		"avatar_url":      f.AvatarURL,
		"external_id":     f.ExternalID,
		"external_source": f.ExternalSource,
		"attributes":      orNullMap(f.Attributes),
		"groups":          orNullSet(f.Groups),
	}
}

// userFieldsFrom reads the fields from an object's attribute values.
func userFieldsFrom(a map[string]attr.Value) userFields {
	norm := func(n string, k normKind) normalizedString {
		s, ok := a[n].(normalizedString)
		if !ok {
			return normalizedString{StringValue: types.StringNull(), kind: k}
		}
		return s
	}
	boolean := func(n string) types.Bool {
		b, ok := a[n].(types.Bool)
		if !ok {
			return types.BoolNull()
		}
		return b
	}
	f := userFields{
		Username:       norm("username", kindName),
		Email:          stringAttr(a, "email"),
		EmailVerified:  boolean("email_verified"),
		FirstName:      stringAttr(a, "first_name"),
		LastName:       stringAttr(a, "last_name"),
		DisplayName:    stringAttr(a, "display_name"),
		Locale:         norm("locale", kindLocale),
		IsAdmin:        boolean("is_admin"),
		Disabled:       boolean("disabled"),
		Phone:          norm("phone", kindPhone),
		Mobile:         norm("mobile", kindPhone),
		Title:          stringAttr(a, "title"),
		Department:     stringAttr(a, "department"),
		AvatarURL:      stringAttr(a, "avatar_url"),
		ExternalID:     stringAttr(a, "external_id"),
		ExternalSource: stringAttr(a, "external_source"),
		Attributes:     types.MapNull(types.StringType),
		Groups:         types.SetNull(types.StringType),
	}
	if m, ok := a["attributes"].(types.Map); ok {
		f.Attributes = m
	}
	if s, ok := a["groups"].(types.Set); ok {
		f.Groups = s
	}
	return f
}

// stringAttr is the string attribute n of a, null when it is missing.
func stringAttr(a map[string]attr.Value, n string) types.String {
	s, ok := a[n].(types.String)
	if !ok {
		return types.StringNull()
	}
	return s
}
