package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/rollcall/rollcall/client"
)

// groupMembersResource is rollcall_group_members: the whole member set of
// one group. Members added any other way show as drift and are removed on
// the next apply.
type groupMembersResource struct{ c *client.Client }

func newGroupMembersResource() resource.Resource { return &groupMembersResource{} }

var (
	_ resource.ResourceWithConfigure   = (*groupMembersResource)(nil)
	_ resource.ResourceWithImportState = (*groupMembersResource)(nil)
)

type groupMembersModel struct {
	ID       types.String   `tfsdk:"id"`
	GroupID  types.String   `tfsdk:"group_id"`
	UserIDs  types.Set      `tfsdk:"user_ids"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

// Metadata names the type rollcall_group_members.
func (r *groupMembersResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_group_members"
}

// Schema describes rollcall_group_members.
func (r *groupMembersResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The authoritative member set of one group: after apply the group has exactly these members, " +
			"and members added outside this resource are removed on the next apply. Destroying it removes all the group's members " +
			"(the users and the group stay). An apply replaces the members only while they are still those the plan was made from " +
			"(it sends `If-Match`): a member added or removed between plan and apply stops the apply with an error, and the next " +
			"plan shows the change, instead of it being undone unseen.\n\n" +
			"Use at most one `rollcall_group_members` per group, do not also use `rollcall_group_membership` for that group, and " +
			"leave `groups` out of the `rollcall_user` resources of its members.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The group's id (the same as `group_id`).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"group_id": schema.StringAttribute{
				MarkdownDescription: "Id of the group. Changing it moves the management to another group (replacement).",
				Required:            true,
				Validators:          []validator.String{validID("group_id")},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"user_ids": schema.SetAttribute{
				MarkdownDescription: "Ids of every member of the group. `[]` removes all members.",
				ElementType:         types.StringType,
				Required:            true,
				Validators:          []validator.Set{idSetRule{what: "user"}},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

// Configure receives the API client.
func (r *groupMembersResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.c = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// Create replaces the group's members with user_ids.
func (r *groupMembersResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var plan groupMembersModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	r.set(ctx, &plan, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Update replaces the group's members with the new user_ids, but only
// while they are still the members Terraform last read (the prior state,
// which the plan was made from): the replace is sent with If-Match of a
// read that found exactly those members, so a member someone added after
// the plan's refresh is never dropped unseen. A 412 (the group changed
// between that read and the replace) reads again; a change of the group's
// other attributes also changes its ETag and does not stop the apply.
func (r *groupMembersResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var plan, state groupMembersModel
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
	want := stringSet(ctx, plan.UserIDs, &resp.Diagnostics)
	was := stringSet(ctx, state.UserIDs, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := plan.GroupID.ValueString()
	const attempts = 3
	for range attempts {
		g, etag, err := r.c.Groups.GetWithETag(ctx, id)
		if err != nil {
			addAPIError(&resp.Diagnostics, r.c, "read the members of group "+id, err)
			return
		}
		if added, removed := setDiff(was, g.MemberIDs()); len(added)+len(removed) > 0 {
			resp.Diagnostics.AddAttributeError(path.Root("user_ids"), "Group members changed since Terraform read them",
				fmt.Sprintf("The members of group %s changed after the plan was made (added outside Terraform: %s; removed: %s), "+
					"so replacing them now would silently undo that change. Nothing was changed. Run terraform plan (or apply) again: "+
					"its refresh shows the change, and the new plan keeps or removes those members as the configuration says.",
					id, listOrNone(added), listOrNone(removed)))
			return
		}
		_, err = r.c.Groups.SetMembersIfMatch(ctx, id, want, etag)
		if client.IsPreconditionFailed(err) {
			continue // the group changed between the read and the replace: look again
		}
		if err != nil {
			addAPIError(&resp.Diagnostics, r.c, "set the members of group "+id, err)
			return
		}
		plan.ID = plan.GroupID
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	resp.Diagnostics.AddError("Group kept changing",
		fmt.Sprintf("Group %s changed between each of %d reads of its members and the replace that followed (412 Precondition Failed), "+
			"so its members were left as they are. Something else is changing the group right now; apply again when it has finished.", id, attempts))
}

// setDiff returns the ids of now that are not in was (added) and those of
// was that are not in now (removed), sorted.
func setDiff(was, now []string) (added, removed []string) {
	for _, id := range now {
		if !slices.Contains(was, id) {
			added = append(added, id)
		}
	}
	for _, id := range was {
		if !slices.Contains(now, id) {
			removed = append(removed, id)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}

func listOrNone(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func (r *groupMembersResource) set(ctx context.Context, plan *groupMembersModel, diags *diag.Diagnostics) {
	ids := stringSet(ctx, plan.UserIDs, diags)
	if diags.HasError() {
		return
	}
	if err := r.c.Groups.SetMembers(ctx, plan.GroupID.ValueString(), ids); err != nil {
		addAPIError(diags, r.c, "set the members of group "+plan.GroupID.ValueString(), err)
		return
	}
	plan.ID = plan.GroupID
}

// Read refreshes the member set; a deleted group leaves the state.
func (r *groupMembersResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var state groupMembersModel
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
		addAPIError(&resp.Diagnostics, r.c, "read the members of group "+state.ID.ValueString(), err)
		return
	}
	state.GroupID = types.StringValue(g.ID)
	state.UserIDs = setValue(g.MemberIDs())
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Delete removes every member of the group. A deleted group is not an error.
func (r *groupMembersResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var state groupMembersModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	if err := r.c.Groups.SetMembers(ctx, state.ID.ValueString(), []string{}); err != nil && !client.IsNotFound(err) {
		addAPIError(&resp.Diagnostics, r.c, "remove the members of group "+state.ID.ValueString(), err)
	}
}

// ImportState takes the group's id (or its name).
func (r *groupMembersResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	id, ok := resolveGroupID(ctx, r.c, req.ID, &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}
