package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

// groupDataSource is the rollcall_group data source: one group by id or
// name, with its member ids.
type groupDataSource struct{ c *client.Client }

func newGroupDataSource() datasource.DataSource { return &groupDataSource{} }

var _ datasource.DataSourceWithConfigure = (*groupDataSource)(nil)

// groupData is a group as the data sources show it.
type groupData struct {
	ID           types.String `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	FriendlyName types.String `tfsdk:"friendly_name"`
	Description  types.String `tfsdk:"description"`
	Attributes   types.Map    `tfsdk:"attributes"`
	CustomClaims types.String `tfsdk:"custom_claims"`
	MemberCount  types.Int64  `tfsdk:"member_count"`
	CreatedAt    types.String `tfsdk:"created_at"`
	UpdatedAt    types.String `tfsdk:"updated_at"`
}

type groupDataModel struct {
	groupData
	MemberIDs types.Set `tfsdk:"member_ids"`
}

func groupDataFromAPI(g *api.Group) groupData {
	a := g.Attributes
	return groupData{
		ID:           types.StringValue(g.ID),
		Name:         types.StringValue(a.Name),
		FriendlyName: types.StringPointerValue(a.FriendlyName),
		Description:  types.StringPointerValue(a.Description),
		Attributes:   mapValue(a.Attributes),
		CustomClaims: claimsValue(a.CustomClaims, normValue(kindJSON, "{}")).StringValue,
		MemberCount:  types.Int64Value(int64(a.MemberCount)),
		CreatedAt:    types.StringValue(a.CreatedAt.UTC().Format(time.RFC3339)),
		UpdatedAt:    types.StringValue(a.UpdatedAt.UTC().Format(time.RFC3339)),
	}
}

// groupDataAttributes is the schema of groupData; lookup makes id and name
// the optional search keys.
func groupDataAttributes(lookup bool) map[string]schema.Attribute {
	str := func(desc string) schema.Attribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	key := func(desc string, v validator.String) schema.Attribute {
		if !lookup {
			return str(desc)
		}
		return schema.StringAttribute{MarkdownDescription: desc + " Give exactly one of `id` and `name`.",
			Optional: true, Computed: true, Validators: []validator.String{v}}
	}
	return map[string]schema.Attribute{
		"id":            key("The group's id (a UUID).", validID("id")),
		"name":          key("The group's name.", validName("name")),
		"friendly_name": str("Name shown to people; null when unset."),
		"description":   str("What the group is for; null when unset."),
		"attributes": schema.MapAttribute{MarkdownDescription: "Free-form string attributes.",
			ElementType: types.StringType, Computed: true},
		"custom_claims": str("Claims merged into the ID tokens, userinfo, introspection answers and JWT access tokens of the group's members, as compact JSON with sorted keys; `{}` when none."),
		"member_count":  schema.Int64Attribute{MarkdownDescription: "Number of members.", Computed: true},
		"created_at":    str("When the group was created (RFC 3339, UTC)."),
		"updated_at":    str("When the group was last changed (RFC 3339, UTC)."),
	}
}

// Metadata names the type rollcall_group.
func (d *groupDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_group"
}

// Schema describes the rollcall_group data source.
func (d *groupDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := groupDataAttributes(true)
	attrs["member_ids"] = schema.SetAttribute{MarkdownDescription: "Ids of every member of the group.",
		ElementType: types.StringType, Computed: true}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one group, found by `id` or `name`, with the ids of its members. A group that does not exist is an error.",
		Attributes:          attrs,
	}
}

// Configure receives the API client.
func (d *groupDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.c = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// Read finds the group.
func (d *groupDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.c, &resp.Diagnostics) {
		return
	}
	var cfg groupDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.ID.IsNull() == cfg.Name.IsNull() {
		resp.Diagnostics.AddError("Give exactly one of id and name",
			"The rollcall_group data source finds one group by its id or by its name; set exactly one of them.")
		return
	}
	var (
		g    *api.Group
		err  error
		what string
	)
	if !cfg.ID.IsNull() {
		what = "id " + cfg.ID.ValueString()
		g, err = d.c.Groups.Get(ctx, cfg.ID.ValueString())
	} else {
		what = "name " + cfg.Name.ValueString()
		g, err = d.c.Groups.GetByName(ctx, api.NormalizeName(cfg.Name.ValueString()))
	}
	if client.IsNotFound(err) {
		resp.Diagnostics.AddError("Group not found", "No Rollcall group has "+what+".")
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, d.c, "read the group with "+what, err)
		return
	}
	state := groupDataModel{groupData: groupDataFromAPI(g), MemberIDs: setValue(g.MemberIDs())}
	if !cfg.ID.IsNull() {
		state.ID = cfg.ID
	} else {
		state.Name = cfg.Name
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}
