package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

// oidcClientDataSource is the rollcall_oidc_client data source: one
// application by id or name, without its secret (Rollcall keeps only its
// hash).
type oidcClientDataSource struct{ c *client.Client }

func newOIDCClientDataSource() datasource.DataSource { return &oidcClientDataSource{} }

var _ datasource.DataSourceWithConfigure = (*oidcClientDataSource)(nil)

type oidcClientDataModel struct {
	ID                     types.String `tfsdk:"id"`
	Name                   types.String `tfsdk:"name"`
	RedirectURIs           types.List   `tfsdk:"redirect_uris"`
	PostLogoutRedirectURIs types.List   `tfsdk:"post_logout_redirect_uris"`
	Public                 types.Bool   `tfsdk:"public"`
	GrantTypes             types.Set    `tfsdk:"grant_types"`
	AllowedGroups          types.Set    `tfsdk:"allowed_groups"`
	SkipConsent            types.Bool   `tfsdk:"skip_consent"`
	AccessTokenLifetime    types.Int64  `tfsdk:"access_token_lifetime"`
	IDTokenLifetime        types.Int64  `tfsdk:"id_token_lifetime"`
	RefreshTokenLifetime   types.Int64  `tfsdk:"refresh_token_lifetime"`
	LogoURL                types.String `tfsdk:"logo_url"`
	LaunchURL              types.String `tfsdk:"launch_url"`
	BackchannelLogoutURI   types.String `tfsdk:"backchannel_logout_uri"`
	AccessTokenFormat      types.String `tfsdk:"access_token_format"`
	AttributeClaims        types.Map    `tfsdk:"attribute_claims"`
	CreatedAt              types.String `tfsdk:"created_at"`
}

// Metadata names the type rollcall_oidc_client.
func (d *oidcClientDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_oidc_client"
}

// Schema describes the rollcall_oidc_client data source.
func (d *oidcClientDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.Attribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	list := func(desc string) schema.Attribute {
		return schema.ListAttribute{MarkdownDescription: desc, ElementType: types.StringType, Computed: true}
	}
	set := func(desc string) schema.Attribute {
		return schema.SetAttribute{MarkdownDescription: desc, ElementType: types.StringType, Computed: true}
	}
	num := func(desc string) schema.Attribute {
		return schema.Int64Attribute{MarkdownDescription: desc, Computed: true}
	}
	flag := func(desc string) schema.Attribute {
		return schema.BoolAttribute{MarkdownDescription: desc, Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one application (OpenID Connect client), found by `id` or `name`. Its secret is not available: Rollcall keeps only its hash. An application that does not exist is an error.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{MarkdownDescription: "The client id. Give exactly one of `id` and `name`.",
				Optional: true, Computed: true},
			"name": schema.StringAttribute{MarkdownDescription: "The application's name. Give exactly one of `id` and `name`.",
				Optional: true, Computed: true},
			"redirect_uris":             list("Where people return after signing in."),
			"post_logout_redirect_uris": list("Where people may go after signing out."),
			"public":                    flag("Whether the client is public (no secret, PKCE required)."),
			"grant_types":               set("The grant types the client may use."),
			"allowed_groups":            set("Ids of the groups whose members may sign in; empty for everyone."),
			"skip_consent":              flag("Whether people are never asked to agree."),
			"access_token_lifetime":     num("Seconds; 0 for the default."),
			"id_token_lifetime":         num("Seconds; 0 for the default."),
			"refresh_token_lifetime":    num("Seconds; 0 for the default."),
			"logo_url":                  str("Logo shown on the consent page; null when unset."),
			"launch_url":                str("Where people open the application; null when unset."),
			"backchannel_logout_uri":    str("Where logout tokens are posted; null when unset."),
			"access_token_format":       str("`opaque` or `jwt`."),
			"attribute_claims": schema.MapAttribute{MarkdownDescription: "Claim name to the key of a person's attribute.",
				ElementType: types.StringType, Computed: true},
			"created_at": str("When the client was registered (RFC 3339, UTC)."),
		},
	}
}

// Configure receives the API client.
func (d *oidcClientDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.c = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// Read finds the application.
func (d *oidcClientDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.c, &resp.Diagnostics) {
		return
	}
	var cfg oidcClientDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.ID.IsNull() == cfg.Name.IsNull() {
		resp.Diagnostics.AddError("Give exactly one of id and name",
			"The rollcall_oidc_client data source finds one application by its client id or by its name; set exactly one of them.")
		return
	}
	var found *api.OIDCClient
	what := ""
	if !cfg.ID.IsNull() {
		what = "id " + cfg.ID.ValueString()
		cl, err := d.c.OIDCClients.Get(ctx, cfg.ID.ValueString())
		if err != nil && !client.IsNotFound(err) {
			addAPIError(&resp.Diagnostics, d.c, "read the application with "+what, err)
			return
		}
		found = cl
	} else {
		what = "name " + cfg.Name.ValueString()
		list, err := d.c.OIDCClients.List(ctx)
		if err != nil {
			addAPIError(&resp.Diagnostics, d.c, "list applications", err)
			return
		}
		for i := range list {
			if list[i].Attributes.Name == cfg.Name.ValueString() {
				found = &list[i]
			}
		}
	}
	if found == nil {
		resp.Diagnostics.AddError("Application not found", "No Rollcall application has "+what+".")
		return
	}
	var m oidcClientModel
	m.fromAPI(found, oidcClientModel{ClientSecret: types.StringNull()})
	state := oidcClientDataModel{
		ID: m.ID, Name: m.Name, RedirectURIs: m.RedirectURIs, PostLogoutRedirectURIs: m.PostLogoutRedirectURIs, Public: m.Public,
		GrantTypes: m.GrantTypes, AllowedGroups: m.AllowedGroups, SkipConsent: m.SkipConsent, AccessTokenLifetime: m.AccessTokenLifetime,
		IDTokenLifetime: m.IDTokenLifetime, RefreshTokenLifetime: m.RefreshTokenLifetime, LogoURL: m.LogoURL, LaunchURL: m.LaunchURL,
		BackchannelLogoutURI: m.BackchannelLogoutURI, AccessTokenFormat: m.AccessTokenFormat, AttributeClaims: m.AttributeClaims, CreatedAt: m.CreatedAt,
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}
