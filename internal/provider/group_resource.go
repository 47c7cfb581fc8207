package provider

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

// groupResource is rollcall_group. It manages the group's own attributes
// only: members are managed by rollcall_group_members,
// rollcall_group_membership or the users' groups, and the member count is
// left out so membership changes elsewhere never show as a diff here.
type groupResource struct{ c *client.Client }

func newGroupResource() resource.Resource { return &groupResource{} }

var (
	_ resource.ResourceWithConfigure   = (*groupResource)(nil)
	_ resource.ResourceWithImportState = (*groupResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*groupResource)(nil)
)

type groupModel struct {
	ID           types.String     `tfsdk:"id"`
	Name         normalizedString `tfsdk:"name"`
	FriendlyName types.String     `tfsdk:"friendly_name"`
	Description  types.String     `tfsdk:"description"`
	Attributes   types.Map        `tfsdk:"attributes"`
	CustomClaims normalizedString `tfsdk:"custom_claims"`
	CreatedAt    types.String     `tfsdk:"created_at"`
	UpdatedAt    types.String     `tfsdk:"updated_at"`
	Timeouts     timeouts.Value   `tfsdk:"timeouts"`
}

// Metadata names the type rollcall_group.
func (r *groupResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_group"
}

// Schema describes rollcall_group.
func (r *groupResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Rollcall group. Renaming (`name`) is an in-place update that keeps the group's id and members. " +
			"This resource does not manage members: use `rollcall_group_members` (the whole member set), " +
			"`rollcall_group_membership` (one member at a time) or the users' `groups` attribute.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The group's id (a UUID assigned by the server). It never changes, also not on rename.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Unique name, with the username rules: 1–64 characters, lower-case letters `a-z`, digits and `. _ @ -`, " +
					"starting and ending with a letter or digit (stored in NFC and lower case). Changing it renames the group in place.",
				Required:   true,
				CustomType: nameType,
				Validators: []validator.String{validName("name")},
				// After an import the state has the server's spelling.
				PlanModifiers: []planmodifier.String{sameValue{kindName}},
			},
			"friendly_name": schema.StringAttribute{
				MarkdownDescription: "Name shown to people, such as `Platform Engineering`, at most 250 characters.",
				Optional:            true,
				Validators:          []validator.String{validText("friendly-name", api.MaxNameLen)},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "What the group is for, at most 1000 characters.",
				Optional:            true,
				Validators:          []validator.String{validText("description", api.MaxDescriptionLen)},
			},
			"attributes": schema.MapAttribute{
				MarkdownDescription: "Free-form string attributes: at most 64 keys matching `^[a-z][a-z0-9_]{0,63}$`, values of at most 2048 characters. Defaults to an empty map.",
				ElementType:         types.StringType,
				Optional:            true,
				Computed:            true,
				Default:             mapdefault.StaticValue(types.MapValueMust(types.StringType, map[string]attr.Value{})),
				Validators:          []validator.Map{attributesRule{}},
			},
			"custom_claims": schema.StringAttribute{
				MarkdownDescription: "Claims merged into the ID tokens, userinfo, introspection answers and JWT access tokens of the group's members: a JSON object, usually written with " +
					"`jsonencode({ role = \"admin\" })`, of at most 4096 bytes as compact JSON. Key order and white space do not matter. " +
					"Names cannot be claims Rollcall sets itself (`sub`, `iss`, `aud`, `exp`, `iat`, `auth_time`, `nonce`, `amr`, `sid`, `azp`, " +
					"`at_hash`, `email`, `name`, `groups`, …) and values cannot be null. A client's `attribute_claims` win over these; when two " +
					"of a person's groups set the same claim, the group whose name sorts first wins. Leaving it out removes the claims.",
				Optional:      true,
				CustomType:    jsonType,
				Validators:    []validator.String{validCustomClaims()},
				PlanModifiers: []planmodifier.String{sameValue{kindJSON}},
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "When the group was created (RFC 3339, UTC).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"updated_at": schema.StringAttribute{
				MarkdownDescription: "When the group's attributes were last changed (RFC 3339, UTC).",
				Computed:            true,
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

// ModifyPlan leaves updated_at known when nothing changes.
func (r *groupResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	unchangedKeepsUpdatedAt(ctx, req, resp)
}

// Configure receives the API client.
func (r *groupResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.c = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// Create creates the group without members.
func (r *groupResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var plan groupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	attrs := api.GroupWriteAttributes{
		Name:         api.Some(plan.Name.ValueString()),
		FriendlyName: writeCreate(plan.FriendlyName),
		Description:  writeCreate(plan.Description),
		Attributes:   api.Some(stringMap(ctx, plan.Attributes, &resp.Diagnostics)),
		CustomClaims: writeClaims(plan.CustomClaims, false),
	}
	if resp.Diagnostics.HasError() {
		return
	}
	g, err := r.c.Groups.Create(ctx, attrs, nil, "")
	if err != nil {
		addAPIError(&resp.Diagnostics, r.c, "create group "+plan.Name.ValueString(), err)
		return
	}
	plan.fromAPI(g, plan)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read refreshes the group; one deleted outside Terraform leaves the state.
func (r *groupResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var state groupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, state.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	g, err := r.c.Groups.Get(ctx, state.ID.ValueString())
	if client.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, r.c, "read group "+state.ID.ValueString(), err)
		return
	}
	state.fromAPI(g, state)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update changes the group's attributes; members are left alone.
func (r *groupResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var plan, state groupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	attrs := api.GroupWriteAttributes{
		Name:         api.Some(plan.Name.ValueString()),
		FriendlyName: writeUpdate(plan.FriendlyName),
		Description:  writeUpdate(plan.Description),
		Attributes:   api.Some(stringMap(ctx, plan.Attributes, &resp.Diagnostics)),
		CustomClaims: writeClaims(plan.CustomClaims, true),
	}
	if resp.Diagnostics.HasError() {
		return
	}
	g, err := r.c.Groups.Update(ctx, state.ID.ValueString(), attrs, nil, "")
	if err != nil {
		addAPIError(&resp.Diagnostics, r.c, "update group "+state.Name.ValueString(), err)
		return
	}
	plan.fromAPI(g, plan)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete deletes the group and its memberships; its users stay.
func (r *groupResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var state groupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	if err := r.c.Groups.Delete(ctx, state.ID.ValueString()); err != nil && !client.IsNotFound(err) {
		addAPIError(&resp.Diagnostics, r.c, "delete group "+state.Name.ValueString(), err)
	}
}

// ImportState takes a group id or a group name.
func (r *groupResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	id, ok := resolveGroupID(ctx, r.c, req.ID, &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}

// resolveGroupID turns a group id or name into the group's id.
func resolveGroupID(ctx context.Context, c *client.Client, idOrName string, diags *diag.Diagnostics) (string, bool) {
	s := strings.TrimSpace(idOrName)
	if id, e := api.ValidateID(s); e == nil {
		return id, true
	}
	if _, e := api.ValidateGroupName(s); e != nil {
		diags.AddError("Invalid import id", "Import a group by its id (a UUID) or its name: "+e.Detail)
		return "", false
	}
	g, err := c.Groups.GetByName(ctx, api.NormalizeName(s))
	if err != nil {
		if client.IsNotFound(err) {
			diags.AddError("Group not found", "No group is named "+s+"; check the name, or import by id.")
			return "", false
		}
		addAPIError(diags, c, "find group "+s, err)
		return "", false
	}
	return g.ID, true
}

func (m *groupModel) fromAPI(g *api.Group, prior groupModel) {
	a := g.Attributes
	m.ID = types.StringValue(g.ID)
	m.Name = normValue(kindName, a.Name)
	m.FriendlyName = optString(a.FriendlyName, prior.FriendlyName)
	m.Description = optString(a.Description, prior.Description)
	m.Attributes = mapValue(a.Attributes)
	m.CustomClaims = claimsValue(a.CustomClaims, prior.CustomClaims)
	m.CreatedAt = types.StringValue(a.CreatedAt.UTC().Format(time.RFC3339))
	m.UpdatedAt = types.StringValue(a.UpdatedAt.UTC().Format(time.RFC3339))
}

// writeClaims is the request form of custom_claims: a configured object,
// or on update null to clear (left out on create).
func writeClaims(v normalizedString, update bool) api.Opt[json.RawMessage] {
	if v.IsNull() || v.IsUnknown() || strings.TrimSpace(v.ValueString()) == "" {
		if update {
			return api.Null[json.RawMessage]()
		}
		return api.Opt[json.RawMessage]{}
	}
	return api.Some(json.RawMessage(v.ValueString()))
}

// claimsValue is the state value of the server's custom claims: none stay
// null unless the configuration said "{}"; otherwise compact JSON with
// sorted keys, which semantic equality matches to the configured spelling.
func claimsValue(m map[string]json.RawMessage, prior normalizedString) normalizedString {
	if len(m) == 0 && (prior.IsNull() || prior.IsUnknown() || kindJSON.normalize(prior.ValueString()) != "{}") {
		return normalizedString{StringValue: types.StringNull(), kind: kindJSON}
	}
	b, err := json.Marshal(m)
	if err != nil {
		b = []byte("{}")
	}
	return normValue(kindJSON, string(b))
}
