package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/rollcall/rollcall/client"
)

// usersDataSource is rollcall_users: every user matching the filters,
// read page by page to the end (never only the first page).
type usersDataSource struct{ c *client.Client }

func newUsersDataSource() datasource.DataSource { return &usersDataSource{} }

var _ datasource.DataSourceWithConfigure = (*usersDataSource)(nil)

type usersModel struct {
	Group      types.String `tfsdk:"group"`
	Query      types.String `tfsdk:"q"`
	ExternalID types.String `tfsdk:"external_id"`
	IDs        types.List   `tfsdk:"ids"`
	Users      []userData   `tfsdk:"users"`
}

// Metadata names the type rollcall_users.
func (d *usersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_users"
}

// Schema describes rollcall_users.
func (d *usersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the users matching all the given filters (every user when none is given), reading every page of the list.",
		Attributes: map[string]schema.Attribute{
			"group": schema.StringAttribute{
				MarkdownDescription: "Only members of this group, given by id or name.",
				Optional:            true,
			},
			"q": schema.StringAttribute{
				MarkdownDescription: "Only users whose username, email, first name or last name starts with this text.",
				Optional:            true,
			},
			"external_id": schema.StringAttribute{
				MarkdownDescription: "Only the user with this `external_id`.",
				Optional:            true,
			},
			"ids": schema.ListAttribute{
				MarkdownDescription: "Ids of the matching users, in the order of `users`.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"users": schema.ListNestedAttribute{
				MarkdownDescription: "The matching users, ordered as the server lists them.",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: userDataAttributes(false)},
			},
		},
	}
}

// Configure receives the API client.
func (d *usersDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.c = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// Read lists the users.
func (d *usersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.c, &resp.Diagnostics) {
		return
	}
	var m usersModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	users, err := d.c.Users.List(ctx, client.ListUsersOptions{
		Group:      m.Group.ValueString(),
		Query:      m.Query.ValueString(),
		ExternalID: m.ExternalID.ValueString(),
	})
	if err != nil {
		addAPIError(&resp.Diagnostics, d.c, "list users", err)
		return
	}
	m.Users = make([]userData, len(users))
	ids := make([]string, len(users))
	for i := range users {
		m.Users[i] = userDataFromAPI(&users[i])
		ids[i] = users[i].ID
	}
	list, diags := types.ListValueFrom(ctx, types.StringType, ids)
	resp.Diagnostics.Append(diags...)
	m.IDs = list
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
