package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/rollcall/rollcall/client"
)

// groupsDataSource is rollcall_groups: every group, or those matching q,
// read page by page to the end.
type groupsDataSource struct{ c *client.Client }

func newGroupsDataSource() datasource.DataSource { return &groupsDataSource{} }

var _ datasource.DataSourceWithConfigure = (*groupsDataSource)(nil)

type groupsModel struct {
	Query  types.String `tfsdk:"q"`
	IDs    types.List   `tfsdk:"ids"`
	Groups []groupData  `tfsdk:"groups"`
}

// Metadata names the type rollcall_groups.
func (d *groupsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_groups"
}

// Schema describes rollcall_groups.
func (d *groupsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists every group, or those whose name or friendly name starts with `q`, reading every page of the list.",
		Attributes: map[string]schema.Attribute{
			"q": schema.StringAttribute{
				MarkdownDescription: "Only groups whose name or friendly name starts with this text.",
				Optional:            true,
			},
			"ids": schema.ListAttribute{
				MarkdownDescription: "Ids of the matching groups, in the order of `groups`.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"groups": schema.ListNestedAttribute{
				MarkdownDescription: "The matching groups, ordered as the server lists them.",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: groupDataAttributes(false)},
			},
		},
	}
}

// Configure receives the API client.
func (d *groupsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.c = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// Read lists the groups.
func (d *groupsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.c, &resp.Diagnostics) {
		return
	}
	var m groupsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	groups, err := d.c.Groups.List(ctx, client.ListGroupsOptions{Query: m.Query.ValueString()})
	if err != nil {
		addAPIError(&resp.Diagnostics, d.c, "list groups", err)
		return
	}
	m.Groups = make([]groupData, len(groups))
	ids := make([]string, len(groups))
	for i := range groups {
		m.Groups[i] = groupDataFromAPI(&groups[i])
		ids[i] = groups[i].ID
	}
	list, diags := types.ListValueFrom(ctx, types.StringType, ids)
	resp.Diagnostics.Append(diags...)
	m.IDs = list
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
