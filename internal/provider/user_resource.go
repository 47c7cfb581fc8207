package provider

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
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
	_ resource.ResourceWithModifyPlan  = (*userResource)(nil)
)

type userModel struct {
	ID types.String `tfsdk:"id"`
	userFields
	Status       types.String   `tfsdk:"status"`
	PasskeyCount types.Int64    `tfsdk:"passkey_count"`
	CreatedAt    types.String   `tfsdk:"created_at"`
	UpdatedAt    types.String   `tfsdk:"updated_at"`
	Timeouts     timeouts.Value `tfsdk:"timeouts"`
}

// Metadata names the type rollcall_user.
func (r *userResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
}

// Schema describes rollcall_user.
func (r *userResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := userFieldSchemas()
	// The configured spelling of a normalised value is no change from the
	// state's (sameValue): after an import the state has the server's.
	for name, kind := range map[string]normKind{"username": kindName, "email": kindEmail, "locale": kindLocale, "phone": kindPhone, "mobile": kindPhone} {
		a := attrs[name].(schema.StringAttribute)
		a.PlanModifiers = append(a.PlanModifiers, sameValue{kind})
		if kind == kindEmail {
			a.MarkdownDescription += " The server keeps the case it was given; `Jane@Example.com` and `jane@example.com` are the same value here."
		}
		attrs[name] = a
	}
	groups := attrs["groups"].(schema.SetAttribute)
	groups.MarkdownDescription += " An import reads the user's groups, so that a configuration that lists them plans no change; " +
		"one that leaves `groups` out plans no change either, and the groups read stay in the state, refreshed but never changed by this resource."
	groups.Computed = true
	groups.PlanModifiers = []planmodifier.Set{unmanagedGroups{}}
	attrs["groups"] = groups
	maps.Copy(attrs, map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "The user's id (a UUID assigned by the server). It never changes, also not on rename, and is the OpenID Connect `sub`.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
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
	})
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Rollcall user: a person (or service account) who can register passkeys and sign in. " +
			"Every attribute of the user model can be managed; renaming (`username`) is an in-place update that keeps " +
			"the user's id, passkeys and group memberships.\n\n" +
			"`groups`, when set, is the user's whole set of groups; when left out, this resource does not manage " +
			"the user's memberships, so `rollcall_group_members` or `rollcall_group_membership` can.",
		Attributes: attrs,
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

// ModifyPlan leaves updated_at known when nothing changes.
func (r *userResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	unchangedKeepsUpdatedAt(ctx, req, resp)
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
	plan := getUserModel(ctx, req.Plan.Get, &resp.Diagnostics)
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
		if r.usernameTaken(ctx, plan.Username.ValueString(), err, &resp.Diagnostics) {
			return
		}
		addAPIError(&resp.Diagnostics, r.c, "create user "+plan.Username.ValueString(), err)
		return
	}
	plan.fromAPI(u, plan, !plan.Groups.IsNull())
	setUserModel(ctx, &resp.State, plan, &resp.Diagnostics)
}

// usernameTaken explains a create refused because a user with this
// username exists (the server may name the email first: the same person
// has the same address): a user that SCIM (or anyone) created and the
// configuration also declares is one user, matched by username, which
// Terraform takes over by import. The existing user's external-source
// says who made it, when it is set. It reports whether it explained err.
func (r *userResource) usernameTaken(ctx context.Context, username string, err error, diags *diag.Diagnostics) bool {
	apiErr, ok := client.AsAPIError(err)
	if !ok || (apiErr.Code() != api.CodeUsernameTaken && apiErr.Code() != api.CodeEmailTaken) {
		return false
	}
	name := api.NormalizeName(username)
	u, gerr := r.c.Users.GetByUsername(ctx, name)
	if gerr != nil {
		return false
	}
	who := ""
	if s := u.Attributes.ExternalSource; s != nil && *s != "" {
		who = fmt.Sprintf(" It was provisioned by %q (its external-source; SCIM sets it to the provisioning token's name).", *s)
	}
	diags.AddAttributeError(path.Root("username"), "Rollcall refused the request",
		fmt.Sprintf("Could not create user %s: username_taken: a user with this username already exists (id %s).%s To manage the existing user with Terraform, import it by its username instead of creating it, "+
			"where NAME is this resource's name:\n\n  terraform import rollcall_user.NAME %s\n\nor, with Terraform 1.5 or later, an import block:\n\n"+
			"  import {\n    to = rollcall_user.NAME\n    id = %q\n  }\n\nThe import reads the user as it is; the next apply changes it to match the configuration, "+
			"clearing the optional attributes it leaves out: to keep what a provisioning client set (its external_id, by which it finds the user), "+
			"declare those attributes or add lifecycle { ignore_changes = [external_id, external_source] }.",
			name, u.ID, who, name, name))
	return true
}

// Read refreshes the user; a user deleted outside Terraform is removed
// from the state, so the plan shows it will be created again.
func (r *userResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	state := getUserModel(ctx, req.State.Get, &resp.Diagnostics)
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
	setUserModel(ctx, &resp.State, state, &resp.Diagnostics)
}

// Update sends every attribute (PATCH): left-out optional attributes are
// cleared, a new username renames the user, and groups are replaced when
// they are managed here.
func (r *userResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	plan := getUserModel(ctx, req.Plan.Get, &resp.Diagnostics)
	state := getUserModel(ctx, req.State.Get, &resp.Diagnostics)
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
	// Groups are managed here only when the configuration sets them; the
	// plan may carry groups read at import (unmanagedGroups).
	var configGroups types.Set
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("groups"), &configGroups)...)
	managed := !configGroups.IsNull()
	var groups *[]string
	if managed {
		groups = plan.groupIDs(ctx, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	u, err := r.c.Users.Update(ctx, state.ID.ValueString(), attrs, groups, "")
	if err != nil {
		addAPIError(&resp.Diagnostics, r.c, "update user "+state.Username.ValueString(), err)
		return
	}
	planned := plan.Groups
	plan.fromAPI(u, plan, managed)
	if !managed {
		plan.Groups = planned
	} else {
		// Managed now: leaving groups out later stops managing them.
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, importedGroupsKey, nil)...)
	}
	setUserModel(ctx, &resp.State, plan, &resp.Diagnostics)
}

// Delete deletes the user with its passkeys, sessions, tokens and
// memberships. A user already gone is not an error.
func (r *userResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	state := getUserModel(ctx, req.State.Get, &resp.Diagnostics)
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
// are read, so a configuration that manages them imports without a diff;
// one that leaves them out plans none either (unmanagedGroups).
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
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, importedGroupsKey, []byte("true"))...)
}

// importedGroupsKey marks, in the resource's private state, groups that an
// import read rather than a configuration set (unmanagedGroups).
const importedGroupsKey = "imported_groups"

// fromAPI sets the model from the server's answer. prior is the plan or
// the previous state: it decides between null and "" for unset optional
// strings. withGroups is false when the resource does not manage groups.
func (m *userModel) fromAPI(u *api.User, prior userModel, withGroups bool) {
	a := u.Attributes
	m.ID = types.StringValue(u.ID)
	m.userFields.fromAPI(u, prior.userFields, withGroups)
	m.Status = types.StringValue(a.Status)
	m.PasskeyCount = types.Int64Value(int64(a.PasskeyCount))
	m.CreatedAt = types.StringValue(a.CreatedAt.UTC().Format(time.RFC3339))
	m.UpdatedAt = types.StringValue(a.UpdatedAt.UTC().Format(time.RFC3339))
}

// unmanagedGroups plans groups when the configuration leaves them out.
// Groups an import read (importedGroupsKey) stay as they are, refreshed
// on every read, so importing a user whose configuration has no groups
// plans no change; Update sends no groups then. Otherwise the plan is
// null: nothing to manage, or groups this resource managed until now,
// which shows as `groups -> null` and changes nothing on the server.
type unmanagedGroups struct{}

func (unmanagedGroups) Description(context.Context) string {
	return "keeps the state's groups when the configuration does not set groups"
}
func (m unmanagedGroups) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

// PlanModifySet plans the state's groups for a configuration without them.
func (unmanagedGroups) PlanModifySet(ctx context.Context, req planmodifier.SetRequest, resp *planmodifier.SetResponse) {
	if req.Plan.Raw.IsNull() || !req.ConfigValue.IsNull() {
		return
	}
	imported, diags := req.Private.GetKey(ctx, importedGroupsKey)
	resp.Diagnostics.Append(diags...)
	if imported != nil && !req.StateValue.IsUnknown() {
		resp.PlanValue = req.StateValue
		return
	}
	resp.PlanValue = types.SetNull(types.StringType)
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

// getUserModel reads a plan or a state by hand (see userFields.attrValues).
func getUserModel(ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) userModel {
	var obj types.Object
	diags.Append(get(ctx, &obj)...)
	a := obj.Attributes()
	m := userModel{
		ID:           stringAttr(a, "id"),
		userFields:   userFieldsFrom(a),
		Status:       stringAttr(a, "status"),
		PasskeyCount: types.Int64Null(),
		CreatedAt:    stringAttr(a, "created_at"),
		UpdatedAt:    stringAttr(a, "updated_at"),
	}
	if n, ok := a["passkey_count"].(types.Int64); ok {
		m.PasskeyCount = n
	}
	if t, ok := a["timeouts"].(timeouts.Value); ok {
		m.Timeouts = t
	} else if !diags.HasError() {
		diags.AddError("Internal error", "the user has no timeouts value; this is a bug in the provider, please report it")
	}
	return m
}

// setUserModel stores m in a state by hand (see userFields.attrValues).
func setUserModel(ctx context.Context, st *tfsdk.State, m userModel, diags *diag.Diagnostics) {
	t, ok := st.Schema.Type().(types.ObjectType)
	if !ok {
		diags.AddError("Internal error", "the user's schema is not an object; this is a bug in the provider, please report it")
		return
	}
	vals := m.attrValues()
	vals["id"] = m.ID
	vals["status"] = m.Status
	vals["passkey_count"] = m.PasskeyCount
	vals["created_at"] = m.CreatedAt
	vals["updated_at"] = m.UpdatedAt
	vals["timeouts"] = m.Timeouts
	obj, ds := types.ObjectValue(t.AttrTypes, vals)
	diags.Append(ds...)
	if ds.HasError() {
		return
	}
	diags.Append(st.Set(ctx, obj)...)
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
