package provider

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/rollcall/rollcall/internal/store"
)

// TestOIDCClientLifecycle registers an application from Terraform, checks
// its secret is in the (sensitive) state and works, changes it in place,
// imports it by id and by name, and re-creates it after it was deleted
// outside Terraform.
func TestOIDCClientLifecycle(t *testing.T) {
	srv, c := startAcc(t)
	var id, secret string
	config := `
resource "rollcall_group" "staff" { name = "staff" }

resource "rollcall_oidc_client" "grafana" {
  name           = "Grafana"
  redirect_uris  = ["https://grafana.example.com/login/generic_oauth"]
  allowed_groups = [rollcall_group.staff.id]
%s}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: fmt.Sprintf(config, ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr("rollcall_oidc_client.grafana", "id", &id),
					captureAttr("rollcall_oidc_client.grafana", "client_secret", &secret),
					resource.TestCheckResourceAttr("rollcall_oidc_client.grafana", "public", "false"),
					resource.TestCheckResourceAttr("rollcall_oidc_client.grafana", "grant_types.#", "2"),
					resource.TestCheckResourceAttr("rollcall_oidc_client.grafana", "skip_consent", "false"),
					resource.TestCheckNoResourceAttr("rollcall_oidc_client.grafana", "logo_url"),
					func(*terraform.State) error {
						// The state's secret is the one whose hash the server keeps.
						cl, err := srv.Store.(store.OIDCStore).GetOIDCClient(context.Background(), id)
						if err != nil {
							return err
						}
						sum := sha256.Sum256([]byte(secret))
						if len(secret) < 40 || len(cl.Secrets) != 1 || base64.StdEncoding.EncodeToString(cl.Secrets[0].Hash) != base64.StdEncoding.EncodeToString(sum[:]) {
							return fmt.Errorf("the state's secret %q does not match the server's hash", secret)
						}
						return nil
					},
				),
			},
			{
				Config: fmt.Sprintf(config, "  skip_consent = true\n  logo_url = \"https://grafana.example.com/logo.svg\"\n  access_token_lifetime = 600\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_oidc_client.grafana", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					sameAttr("rollcall_oidc_client.grafana", "id", &id),
					sameAttr("rollcall_oidc_client.grafana", "client_secret", &secret),
					func(*terraform.State) error {
						cl, err := c.OIDCClients.Get(context.Background(), id)
						if err != nil {
							return err
						}
						if !cl.Attributes.SkipConsent || cl.Attributes.AccessTokenLifetime != 600 || cl.Attributes.LogoURL == nil {
							return fmt.Errorf("server has %+v", cl.Attributes)
						}
						return nil
					},
				),
			},
			{ResourceName: "rollcall_oidc_client.grafana", ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"client_secret"}},
			{ResourceName: "rollcall_oidc_client.grafana", ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"client_secret"}, ImportStateId: "Grafana"},
			{
				PreConfig: func() {
					if err := c.OIDCClients.Delete(context.Background(), id); err != nil {
						t.Fatal(err)
					}
				},
				Config: fmt.Sprintf(config, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_oidc_client.grafana", plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

func TestOIDCClientDataSource(t *testing.T) {
	startAcc(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: `
resource "rollcall_oidc_client" "app" {
  name          = "App"
  redirect_uris = ["https://app.example.com/cb"]
}

data "rollcall_oidc_client" "by_id" {
  id = rollcall_oidc_client.app.id
}
`,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPair("data.rollcall_oidc_client.by_id", "name", "rollcall_oidc_client.app", "name"),
					resource.TestCheckResourceAttr("data.rollcall_oidc_client.by_id", "redirect_uris.0", "https://app.example.com/cb"),
					resource.TestCheckNoResourceAttr("data.rollcall_oidc_client.by_id", "client_secret"),
				),
			},
			{
				Config:      `data "rollcall_oidc_client" "x" { name = "Nope" }`,
				ExpectError: wrapped(`No Rollcall application has name Nope`),
			},
		},
	})
}
