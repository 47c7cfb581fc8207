package provider

import (
	"context"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

// groupMembershipResource is rollcall_group_membership: one user in one
// group, added and removed on its own, so several teams can each manage
// their own people in a shared group.
type groupMembershipResource struct{ c *client.Client }

func newGroupMembershipResource() resource.Resource { return &groupMembershipResource{} }

var (
	_ resource.ResourceWithConfigure   = (*groupMembershipResource)(nil)
	_ resource.ResourceWithImportState = (*groupMembershipResource)(nil)
)

type groupMembershipModel struct {
	ID       types.String   `tfsdk:"id"`
	GroupID  types.String   `tfsdk:"group_id"`
	UserID   types.String   `tfsdk:"user_id"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

// Metadata names the type rollcall_group_membership.
func (r *groupMembershipResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_group_membership"
}

// Schema describes rollcall_group_membership.
func (r *groupMembershipResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One user's membership of one group. It is additive: it adds this user and removes only this user on destroy, " +
			"leaving the group's other members alone, so several configurations can each manage their own people in a shared group.\n\n" +
			"Do not use it for a group that has a `rollcall_group_members` resource, nor for a user whose `rollcall_user` sets `groups`: " +
			"those are authoritative and would remove the membership again.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`group_id/user_id`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"group_id": schema.StringAttribute{
				MarkdownDescription: "Id of the group.",
				Required:            true,
				Validators:          []validator.String{validID("group_id")},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"user_id": schema.StringAttribute{
				MarkdownDescription: "Id of the user.",
				Required:            true,
				Validators:          []validator.String{validID("user_id")},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Delete: true}),
		},
	}
}

// Configure receives the API client.
func (r *groupMembershipResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.c = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// Create adds the user to the group (POST, which keeps other members).
func (r *groupMembershipResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var plan groupMembershipModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	g, u := plan.GroupID.ValueString(), plan.UserID.ValueString()
	if err := r.c.Groups.AddMembers(ctx, g, []string{u}); err != nil {
		addAPIError(&resp.Diagnostics, r.c, "add user "+u+" to group "+g, err)
		return
	}
	plan.ID = types.StringValue(g + "/" + u)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read checks that the user is still in the group, through the user's
// groups (a user has few groups; a group may have thousands of members).
// A membership, user or group removed outside Terraform leaves the state.
func (r *groupMembershipResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var state groupMembershipModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, state.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	u, err := r.c.Users.Get(ctx, state.UserID.ValueString())
	if client.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, r.c, "read user "+state.UserID.ValueString(), err)
		return
	}
	if !slices.Contains(u.GroupIDs(), state.GroupID.ValueString()) {
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update is never called: every attribute forces a replacement.
func (r *groupMembershipResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var plan groupMembershipModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete removes only this user from the group.
func (r *groupMembershipResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var state groupMembershipModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	g, u := state.GroupID.ValueString(), state.UserID.ValueString()
	if err := r.c.Groups.RemoveMembers(ctx, g, []string{u}); err != nil && !client.IsNotFound(err) {
		addAPIError(&resp.Diagnostics, r.c, "remove user "+u+" from group "+g, err)
	}
}

// ImportState takes `group_id/user_id`.
func (r *groupMembershipResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	g, u, found := strings.Cut(strings.TrimSpace(req.ID), "/")
	gid, ge := api.ValidateID(g)
	uid, ue := api.ValidateID(u)
	if !found || ge != nil || ue != nil {
		resp.Diagnostics.AddError("Invalid import id",
			"Import a group membership as group_id/user_id, two UUIDs separated by a slash, such as "+
				"2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71/0b8e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4; got "+req.ID)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), gid+"/"+uid)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("group_id"), gid)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("user_id"), uid)...)
}
