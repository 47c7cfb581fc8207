// Package provider is the Terraform provider for Rollcall, built on
// terraform-plugin-framework over the public Go client. It manages users,
// groups and memberships (resources) and reads them (data sources). Plan-time
// validation calls the api package, so a bad value is refused at
// `terraform plan` with the words the server would use.
package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/rollcall/rollcall/client"
)

// Address is the provider's registry address, the one configurations
// declare as source = "rollcall/rollcall".
const Address = "registry.terraform.io/rollcall/rollcall"

// DefaultTimeout bounds one HTTP attempt when the timeout argument is not
// set; retries and the resource's own timeouts bound the whole operation.
const DefaultTimeout = 30 * time.Second

// rollcallProvider is the provider. version is the release (or the build's
// version, see cmd/terraform-provider-rollcall), logged at Configure and
// sent in the User-Agent so server logs can tell provider versions apart.
type rollcallProvider struct {
	version string
	// getenv reads ROLLCALL_URL and ROLLCALL_TOKEN; nil means os.Getenv.
	// Tests give each provider its own server's, so that tests with
	// separate servers can run in parallel.
	getenv func(string) string
	// client is the configured API client, for the protocol server's own
	// RPCs (bulk_users_protocol.go); nil until Configure succeeds.
	client atomic.Pointer[client.Client]
}

// New returns a constructor of the provider for providerserver.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &rollcallProvider{version: version} }
}

type providerModel struct {
	URL     types.String `tfsdk:"url"`
	Token   types.String `tfsdk:"token"`
	Timeout types.String `tfsdk:"timeout"`
}

// Metadata names the provider "rollcall", the prefix of every type name.
func (p *rollcallProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "rollcall"
	resp.Version = p.version
}

// Schema describes the provider block.
func (p *rollcallProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The Rollcall provider manages the users, groups and group memberships of a " +
			"[Rollcall](https://github.com/rollcall/rollcall) server through its REST API. It needs an API " +
			"token of an admin (a person or a service account).",
		Attributes: map[string]schema.Attribute{
			"url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the Rollcall server, such as `https://rollcall.example.com` " +
					"(without `/api/v1`). Defaults to the `ROLLCALL_URL` environment variable.",
				Optional: true,
			},
			"token": schema.StringAttribute{
				MarkdownDescription: "API token (`rc_…`) of an admin, sent as a bearer token. Defaults to the " +
					"`ROLLCALL_TOKEN` environment variable; prefer the variable so the token stays out of " +
					"configuration files.",
				Optional:  true,
				Sensitive: true,
			},
			"timeout": schema.StringAttribute{
				MarkdownDescription: "Time limit of one HTTP request, as a Go duration such as `30s` or `2m` " +
					"(default `30s`). Requests refused with 429 or 503 are retried with backoff, honouring " +
					"`Retry-After`; a create is never sent twice unless the server provably did not act on it.",
				Optional: true,
			},
		},
	}
}

// Configure builds the API client from the block and the environment, and
// checks the URL and token once with GET /api/v1/account, so a bad token or
// an unreachable server is reported once, clearly, before any resource is
// touched.
func (p *rollcallProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.URL.IsUnknown() || cfg.Token.IsUnknown() || cfg.Timeout.IsUnknown() {
		// Known only after another resource is applied; Terraform calls
		// Configure again then.
		return
	}
	getenv := p.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	url := getenv("ROLLCALL_URL")
	if !cfg.URL.IsNull() {
		url = cfg.URL.ValueString()
	}
	token := getenv("ROLLCALL_TOKEN")
	if !cfg.Token.IsNull() {
		token = cfg.Token.ValueString()
	}
	if strings.TrimSpace(url) == "" {
		resp.Diagnostics.AddAttributeError(path.Root("url"), "Missing Rollcall server URL",
			"Set the provider's url argument or the ROLLCALL_URL environment variable to the server's base URL, such as https://rollcall.example.com.")
	}
	if strings.TrimSpace(token) == "" {
		resp.Diagnostics.AddAttributeError(path.Root("token"), "Missing Rollcall API token",
			"Set the ROLLCALL_TOKEN environment variable (or the provider's token argument) to an admin's API token; `rollcall tokens create` prints one.")
	}
	timeout := DefaultTimeout
	if !cfg.Timeout.IsNull() {
		d, err := time.ParseDuration(cfg.Timeout.ValueString())
		if err != nil || d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("timeout"), "Invalid timeout",
				fmt.Sprintf("timeout %q is not a positive Go duration; use a value such as 30s or 2m.", cfg.Timeout.ValueString()))
		} else {
			timeout = d
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	ua := userAgent(p.version, req.TerraformVersion)
	tflog.Info(ctx, "configuring the Rollcall provider", map[string]any{
		"provider_version": p.version, "terraform_version": req.TerraformVersion, "url": url, "user_agent": ua,
	})
	c, err := client.New(url,
		client.WithToken(token),
		client.WithTimeout(timeout),
		client.WithUserAgent(ua),
	)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("url"), "Invalid Rollcall server URL", err.Error())
		return
	}
	if _, err := c.Account(ctx); err != nil {
		addAPIError(&resp.Diagnostics, c, "check the provider's credentials", err)
		return
	}
	resp.ResourceData = c
	resp.DataSourceData = c
	p.client.Store(c)
}

// userAgent is the User-Agent of the provider's requests, such as
// "terraform-provider-rollcall/1.2.3 Terraform/1.11.4": server logs can
// tell provider and Terraform versions apart.
func userAgent(version, terraformVersion string) string {
	ua := "terraform-provider-rollcall/" + version
	if terraformVersion != "" {
		ua += " Terraform/" + terraformVersion
	}
	return ua
}

// Resources lists the managed resource types.
func (p *rollcallProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newUserResource,
		newBulkUsersResource,
		newGroupResource,
		newGroupMembersResource,
		newGroupMembershipResource,
		newOIDCClientResource,
	}
}

// DataSources lists the data source types.
func (p *rollcallProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newUserDataSource,
		newUsersDataSource,
		newGroupDataSource,
		newOIDCClientDataSource,
		newGroupsDataSource,
	}
}
