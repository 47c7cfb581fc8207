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

// userDataSource is the rollcall_user data source: one user found by id,
// username or email.
type userDataSource struct{ c *client.Client }

func newUserDataSource() datasource.DataSource { return &userDataSource{} }

var _ datasource.DataSourceWithConfigure = (*userDataSource)(nil)

// userData is a user as the data sources show it.
type userData struct {
	ID             types.String `tfsdk:"id"`
	Username       types.String `tfsdk:"username"`
	Email          types.String `tfsdk:"email"`
	EmailVerified  types.Bool   `tfsdk:"email_verified"`
	FirstName      types.String `tfsdk:"first_name"`
	LastName       types.String `tfsdk:"last_name"`
	DisplayName    types.String `tfsdk:"display_name"`
	Locale         types.String `tfsdk:"locale"`
	IsAdmin        types.Bool   `tfsdk:"is_admin"`
	Disabled       types.Bool   `tfsdk:"disabled"`
	ServiceAccount types.Bool   `tfsdk:"service_account"`
	Phone          types.String `tfsdk:"phone"`
	Mobile         types.String `tfsdk:"mobile"`
	Title          types.String `tfsdk:"title"`
	Department     types.String `tfsdk:"department"`
	AvatarURL      types.String `tfsdk:"avatar_url"`
	ExternalID     types.String `tfsdk:"external_id"`
	ExternalSource types.String `tfsdk:"external_source"`
	Attributes     types.Map    `tfsdk:"attributes"`
	Groups         types.Set    `tfsdk:"groups"`
	Status         types.String `tfsdk:"status"`
	PasskeyCount   types.Int64  `tfsdk:"passkey_count"`
	CreatedAt      types.String `tfsdk:"created_at"`
	UpdatedAt      types.String `tfsdk:"updated_at"`
}

func userDataFromAPI(u *api.User) userData {
	a := u.Attributes
	return userData{
		ID:             types.StringValue(u.ID),
		Username:       types.StringValue(a.Username),
		Email:          types.StringValue(a.Email),
		EmailVerified:  types.BoolValue(a.EmailVerified),
		FirstName:      types.StringPointerValue(a.FirstName),
		LastName:       types.StringPointerValue(a.LastName),
		DisplayName:    types.StringValue(a.DisplayName),
		Locale:         types.StringPointerValue(a.Locale),
		IsAdmin:        types.BoolValue(a.IsAdmin),
		Disabled:       types.BoolValue(a.Disabled),
		ServiceAccount: types.BoolValue(a.ServiceAccount),
		Phone:          types.StringPointerValue(a.Phone),
		Mobile:         types.StringPointerValue(a.Mobile),
		Title:          types.StringPointerValue(a.Title),
		Department:     types.StringPointerValue(a.Department),
		AvatarURL:      types.StringPointerValue(a.AvatarURL),
		ExternalID:     types.StringPointerValue(a.ExternalID),
		ExternalSource: types.StringPointerValue(a.ExternalSource),
		Attributes:     mapValue(a.Attributes),
		Groups:         setValue(u.GroupIDs()),
		Status:         types.StringValue(a.Status),
		PasskeyCount:   types.Int64Value(int64(a.PasskeyCount)),
		CreatedAt:      types.StringValue(a.CreatedAt.UTC().Format(time.RFC3339)),
		UpdatedAt:      types.StringValue(a.UpdatedAt.UTC().Format(time.RFC3339)),
	}
}

// userDataAttributes is the schema of userData. lookup makes id, username
// and email the optional search keys of the rollcall_user data source.
func userDataAttributes(lookup bool) map[string]schema.Attribute {
	str := func(desc string) schema.Attribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	boolean := func(desc string) schema.Attribute {
		return schema.BoolAttribute{MarkdownDescription: desc, Computed: true}
	}
	key := func(desc string, v validator.String) schema.Attribute {
		if !lookup {
			return str(desc)
		}
		return schema.StringAttribute{MarkdownDescription: desc + " Give exactly one of `id`, `username` and `email`.",
			Optional: true, Computed: true, Validators: []validator.String{v}}
	}
	return map[string]schema.Attribute{
		"id":              key("The user's id (a UUID).", validID("id")),
		"username":        key("The user's username.", validName("username")),
		"email":           key("The user's email address (matched ignoring case).", validEmail()),
		"email_verified":  boolean("Whether the email address is verified."),
		"first_name":      str("Given name; null when unset."),
		"last_name":       str("Family name; null when unset."),
		"display_name":    str("Display name: as set, else `first_name last_name`, else the username."),
		"locale":          str("Preferred language (BCP 47); null when unset."),
		"is_admin":        boolean("Whether the user is an administrator."),
		"disabled":        boolean("Whether the user is disabled."),
		"service_account": boolean("Whether the user is a service account (signs in with tokens only)."),
		"phone":           str("Phone number; null when unset."),
		"mobile":          str("Mobile number; null when unset."),
		"title":           str("Job title; null when unset."),
		"department":      str("Department; null when unset."),
		"avatar_url":      str("Picture URL; null when unset."),
		"external_id":     str("Key in another directory; null when unset."),
		"external_source": str("Directory `external_id` comes from; null when unset."),
		"attributes": schema.MapAttribute{MarkdownDescription: "Free-form string attributes.",
			ElementType: types.StringType, Computed: true},
		"groups": schema.SetAttribute{MarkdownDescription: "Ids of the user's groups.",
			ElementType: types.StringType, Computed: true},
		"status":        str("`pending-setup`, `active` or `disabled`."),
		"passkey_count": schema.Int64Attribute{MarkdownDescription: "Number of registered passkeys.", Computed: true},
		"created_at":    str("When the user was created (RFC 3339, UTC)."),
		"updated_at":    str("When the user was last changed (RFC 3339, UTC)."),
	}
}

// Metadata names the type rollcall_user.
func (d *userDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
}

// Schema describes the rollcall_user data source.
func (d *userDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one user, found by `id`, `username` or `email`, for example to add a person managed elsewhere to a group. A user that does not exist is an error.",
		Attributes:          userDataAttributes(true),
	}
}

// Configure receives the API client.
func (d *userDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.c = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// Read finds the user by the one key given.
func (d *userDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.c, &resp.Diagnostics) {
		return
	}
	var cfg userData
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	n := 0
	for _, v := range []types.String{cfg.ID, cfg.Username, cfg.Email} {
		if !v.IsNull() {
			n++
		}
	}
	if n != 1 {
		resp.Diagnostics.AddError("Give exactly one of id, username and email",
			"The rollcall_user data source finds one user by its id, its username or its email address; set exactly one of them.")
		return
	}
	var (
		u    *api.User
		err  error
		what string
	)
	switch {
	case !cfg.ID.IsNull():
		what = "id " + cfg.ID.ValueString()
		u, err = d.c.Users.Get(ctx, cfg.ID.ValueString())
	case !cfg.Username.IsNull():
		what = "username " + cfg.Username.ValueString()
		u, err = d.c.Users.GetByUsername(ctx, api.NormalizeName(cfg.Username.ValueString()))
	default:
		what = "email " + cfg.Email.ValueString()
		u, err = d.c.Users.GetByEmail(ctx, cfg.Email.ValueString())
	}
	if client.IsNotFound(err) {
		resp.Diagnostics.AddError("User not found", "No Rollcall user has "+what+".")
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, d.c, "read the user with "+what, err)
		return
	}
	state := userDataFromAPI(u)
	// Keep the lookup key as configured (a username's case, an email's
	// case), so the result agrees with the configuration.
	switch {
	case !cfg.ID.IsNull():
		state.ID = cfg.ID
	case !cfg.Username.IsNull():
		state.Username = cfg.Username
	case !cfg.Email.IsNull():
		state.Email = cfg.Email
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}
