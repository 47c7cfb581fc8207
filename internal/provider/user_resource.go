package provider

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

// Default time limits of the resources' operations; the timeouts block
// overrides them.
const (
	defaultCreateTimeout = 5 * time.Minute
	defaultReadTimeout   = 2 * time.Minute
	defaultUpdateTimeout = 5 * time.Minute
	defaultDeleteTimeout = 5 * time.Minute
)

// userResource is rollcall_user: one user with every attribute of the
// user model and, optionally, its authoritative set of groups.
type userResource struct{ c *client.Client }

func newUserResource() resource.Resource { return &userResource{} }

var (
	_ resource.ResourceWithConfigure   = (*userResource)(nil)
	_ resource.ResourceWithImportState = (*userResource)(nil)
)

type userModel struct {
	ID             types.String     `tfsdk:"id"`
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
	Status         types.String     `tfsdk:"status"`
	PasskeyCount   types.Int64      `tfsdk:"passkey_count"`
	CreatedAt      types.String     `tfsdk:"created_at"`
	UpdatedAt      types.String     `tfsdk:"updated_at"`
	Timeouts       timeouts.Value   `tfsdk:"timeouts"`
}

// Metadata names the type rollcall_user.
func (r *userResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
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

// Schema describes rollcall_user.
func (r *userResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Rollcall user: a person (or service account) who can register passkeys and sign in. " +
			"Every attribute of the user model can be managed; renaming (`username`) is an in-place update that keeps " +
			"the user's id, passkeys and group memberships.\n\n" +
			"`groups`, when set, is the user's whole set of groups; when left out, this resource does not manage " +
			"the user's memberships, so `rollcall_group_members` or `rollcall_group_membership` can.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The user's id (a UUID assigned by the server). It never changes, also not on rename, and is the OpenID Connect `sub`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
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
			"status": schema.StringAttribute{
				MarkdownDescription: "Read-only state of the user: `pending-setup` (no passkey registered yet), `active` or `disabled`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{statusModifier{}},
			},
			"passkey_count": schema.Int64Attribute{
				MarkdownDescription: "Number of passkeys the user has registered.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "When the user was created (RFC 3339, UTC).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"updated_at": schema.StringAttribute{
				MarkdownDescription: "When the user was last changed (RFC 3339, UTC).",
				Computed:            true,
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

// Configure receives the API client.
func (r *userResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.c = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// Create creates the user, with its groups when they are managed here.
func (r *userResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var plan userModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	var configDisplay types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("display_name"), &configDisplay)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()

	attrs := plan.writeAttributes(ctx, writeCreate, &resp.Diagnostics)
	attrs.DisplayName = writeCreate(configDisplay)
	groups := plan.groupIDs(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	u, err := r.c.Users.Create(ctx, attrs, groups, "")
	if err != nil {
		addAPIError(&resp.Diagnostics, r.c, "create user "+plan.Username.ValueString(), err)
		return
	}
	plan.fromAPI(u, plan, !plan.Groups.IsNull())
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read refreshes the user; a user deleted outside Terraform is removed
// from the state, so the plan shows it will be created again.
func (r *userResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var state userModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, state.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	u, err := r.c.Users.Get(ctx, state.ID.ValueString())
	if client.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, r.c, "read user "+state.ID.ValueString(), err)
		return
	}
	state.fromAPI(u, state, !state.Groups.IsNull())
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update sends every attribute (PATCH): left-out optional attributes are
// cleared, a new username renames the user, and groups are replaced when
// they are managed here.
func (r *userResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var plan, state userModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	var configDisplay types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("display_name"), &configDisplay)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()

	attrs := plan.writeAttributes(ctx, writeUpdate, &resp.Diagnostics)
	attrs.DisplayName = writeUpdate(configDisplay)
	groups := plan.groupIDs(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	u, err := r.c.Users.Update(ctx, state.ID.ValueString(), attrs, groups, "")
	if err != nil {
		addAPIError(&resp.Diagnostics, r.c, "update user "+state.Username.ValueString(), err)
		return
	}
	plan.fromAPI(u, plan, !plan.Groups.IsNull())
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete deletes the user with its passkeys, sessions, tokens and
// memberships. A user already gone is not an error.
func (r *userResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var state userModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	if err := r.c.Users.Delete(ctx, state.ID.ValueString()); err != nil && !client.IsNotFound(err) {
		addAPIError(&resp.Diagnostics, r.c, "delete user "+state.Username.ValueString(), err)
	}
}

// ImportState takes a user id or a username. The imported user's groups
// are read, so a configuration that manages them imports without a diff.
func (r *userResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	id := strings.TrimSpace(req.ID)
	if canonical, e := api.ValidateID(id); e == nil {
		id = canonical
	} else {
		if _, e := api.ValidateUsername(id); e != nil {
			resp.Diagnostics.AddError("Invalid import id",
				"Import a user by its id (a UUID) or its username: "+e.Detail)
			return
		}
		u, err := r.c.Users.GetByUsername(ctx, api.NormalizeName(id))
		if err != nil {
			addAPIError(&resp.Diagnostics, r.c, "find the user to import", err)
			return
		}
		id = u.ID
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("groups"), setValue(nil))...)
}

// writeAttributes builds the request attributes from the plan; opt says
// how null and "" are sent (left out on create, cleared on update).
func (m *userModel) writeAttributes(ctx context.Context, opt func(basetypes.StringValuable) api.Opt[string], diags *diag.Diagnostics) api.UserWriteAttributes {
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
func (m *userModel) groupIDs(ctx context.Context, diags *diag.Diagnostics) *[]string {
	if m.Groups.IsNull() || m.Groups.IsUnknown() {
		return nil
	}
	ids := stringSet(ctx, m.Groups, diags)
	return &ids
}

// fromAPI sets the model from the server's answer. prior is the plan or
// the previous state: it decides between null and "" for unset optional
// strings. withGroups is false when the resource does not manage groups.
func (m *userModel) fromAPI(u *api.User, prior userModel, withGroups bool) {
	a := u.Attributes
	m.ID = types.StringValue(u.ID)
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
	m.Status = types.StringValue(a.Status)
	m.PasskeyCount = types.Int64Value(int64(a.PasskeyCount))
	m.CreatedAt = types.StringValue(a.CreatedAt.UTC().Format(time.RFC3339))
	m.UpdatedAt = types.StringValue(a.UpdatedAt.UTC().Format(time.RFC3339))
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
	var first, last types.String
	var username normalizedString
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("first_name"), &first)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("last_name"), &last)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("username"), &username)...)
	if resp.Diagnostics.HasError() || first.IsUnknown() || last.IsUnknown() || username.IsUnknown() {
		resp.PlanValue = types.StringUnknown()
		return
	}
	resp.PlanValue = types.StringValue(computedDisplayName(first.ValueString(), last.ValueString(), api.NormalizeName(username.ValueString())))
}

// statusModifier plans the status: "disabled" when the user will be
// disabled, the current status when it stays enabled, otherwise unknown.
type statusModifier struct{}

func (statusModifier) Description(context.Context) string {
	return "plans the status from disabled and the current status"
}
func (m statusModifier) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

// PlanModifyString derives the status from the planned disabled flag.
func (statusModifier) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var disabled types.Bool
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("disabled"), &disabled)...)
	if resp.Diagnostics.HasError() || disabled.IsUnknown() {
		return
	}
	switch {
	case disabled.ValueBool():
		resp.PlanValue = types.StringValue(api.StatusDisabled)
	case !req.StateValue.IsNull() && !req.StateValue.IsUnknown() && req.StateValue.ValueString() != api.StatusDisabled:
		resp.PlanValue = req.StateValue
	default:
		resp.PlanValue = types.StringUnknown()
	}
}

// withTimeout bounds ctx by the timeouts block's value for one operation.
func withTimeout(ctx context.Context, get func(context.Context, time.Duration) (time.Duration, diag.Diagnostics), def time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc, bool) {
	d, ds := get(ctx, def)
	diags.Append(ds...)
	if ds.HasError() {
		return ctx, func() {}, false
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, true
}
