package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/rollcall/rollcall/api"
)

func TestGroupLifecycle(t *testing.T) {
	_, c := startParallel(t)
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{
				Config: `resource "rollcall_group" "g" { name = "Platform" }`,
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr("rollcall_group.g", "id", &id),
					resource.TestCheckResourceAttr("rollcall_group.g", "name", "Platform"),
					resource.TestCheckNoResourceAttr("rollcall_group.g", "friendly_name"),
					resource.TestCheckResourceAttr("rollcall_group.g", "attributes.%", "0"),
					resource.TestCheckNoResourceAttr("rollcall_group.g", "member_count"),
				),
			},
			{
				Config: `
resource "rollcall_group" "g" {
  name          = "platform-eng"
  friendly_name = "Platform Engineering"
  description   = "Builds the paved road."
  attributes    = { slack = "platform" }
}
`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_group.g", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					sameAttr("rollcall_group.g", "id", &id),
					resource.TestCheckResourceAttr("rollcall_group.g", "friendly_name", "Platform Engineering"),
					func(*terraform.State) error {
						g, err := c.Groups.Get(context.Background(), id)
						if err != nil {
							return err
						}
						if g.Attributes.Name != "platform-eng" || *g.Attributes.Description != "Builds the paved road." || g.Attributes.Attributes["slack"] != "platform" {
							return fmt.Errorf("server has %+v", g.Attributes)
						}
						return nil
					},
				),
			},
			{
				// Members added elsewhere do not show as a diff here.
				PreConfig: func() {
					u := mustCreateUser(t, c, "someone")
					if err := c.Groups.AddMembers(context.Background(), id, []string{u.ID}); err != nil {
						t.Fatal(err)
					}
				},
				Config: `
resource "rollcall_group" "g" {
  name          = "platform-eng"
  friendly_name = "Platform Engineering"
  description   = "Builds the paved road."
  attributes    = { slack = "platform" }
}
`,
				PlanOnly: true,
			},
			// updated_at moved when the member was added (the plan-only
			// step above refreshed without saving), so it is not compared.
			{ResourceName: "rollcall_group.g", ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"updated_at"}},
			{ResourceName: "rollcall_group.g", ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"updated_at"}, ImportStateId: "platform-eng"},
			{
				// A rename that also clears the optional attributes keeps
				// the id and the members.
				Config: `resource "rollcall_group" "g" { name = "platform-engineering" }`,
				Check: func(*terraform.State) error {
					g, err := c.Groups.Get(context.Background(), id)
					if err != nil {
						return err
					}
					if g.Attributes.FriendlyName != nil || g.Attributes.Description != nil || len(g.Attributes.Attributes) != 0 {
						return fmt.Errorf("attributes left out are still set: %+v", g.Attributes)
					}
					if g.Attributes.Name != "platform-engineering" || len(g.MemberIDs()) != 1 {
						return fmt.Errorf("after the rename the server has %s with members %v", g.Attributes.Name, g.MemberIDs())
					}
					return nil
				},
			},
			{
				PreConfig: func() {
					_, err := c.Groups.Update(context.Background(), id, api.GroupWriteAttributes{Description: api.Some("changed by hand")}, nil, "")
					if err != nil {
						t.Fatal(err)
					}
				},
				Config: `resource "rollcall_group" "g" { name = "platform-eng" }`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_group.g", plancheck.ResourceActionUpdate),
				}},
			},
			{
				PreConfig: func() {
					if err := c.Groups.Delete(context.Background(), id); err != nil {
						t.Fatal(err)
					}
				},
				Config: `resource "rollcall_group" "g" { name = "platform-eng" }`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_group.g", plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

func TestGroupValidationAtPlan(t *testing.T) {
	startParallel(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{
				Config:      `resource "rollcall_group" "g" { name = "no spaces" }`,
				PlanOnly:    true,
				ExpectError: wrapped(`name "no spaces" may contain only lower-case letters`),
			},
			{
				Config:      "resource \"rollcall_group\" \"g\" {\n  name = \"ok\"\n  attributes = { \"1x\" = \"y\" }\n}\n",
				PlanOnly:    true,
				ExpectError: wrapped(`attribute key "1x" must start with a lower-case letter`),
			},
			{
				ResourceName:  "rollcall_group.g",
				Config:        `resource "rollcall_group" "g" { name = "ok" }`,
				ImportState:   true,
				ImportStateId: "missing",
				ExpectError:   regexp.MustCompile(`No group is named missing`),
			},
		},
	})
}

// TestGroupCustomClaims sets custom_claims, shows that the same object
// written with other key order and white space plans nothing, changes and
// removes them, and refuses a claim Rollcall sets itself at plan time.
func TestGroupCustomClaims(t *testing.T) {
	_, c := startParallel(t)
	var id string
	server := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			g, err := c.Groups.Get(context.Background(), id)
			if err != nil {
				return err
			}
			b, _ := json.Marshal(g.Attributes.CustomClaims)
			if string(b) != want {
				return fmt.Errorf("server has custom-claims %s, want %s", b, want)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			// Refused at plan time, in the server's words.
			{
				Config: `
resource "rollcall_group" "g" {
  name          = "ops"
  custom_claims = jsonencode({ role = "x", email = "boss@example.com" })
}
`,
				ExpectError: regexp.MustCompile(`(?s)claim "email" is set by Rollcall itself`),
				PlanOnly:    true,
			},
			{
				Config: `
resource "rollcall_group" "g" {
  name          = "ops"
  custom_claims = jsonencode({ role = "ops", level = 2, tags = ["a", "b"] })
}
`,
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr("rollcall_group.g", "id", &id),
					server(`{"level":2,"role":"ops","tags":["a","b"]}`),
				),
			},
			{
				// The same object, keys reordered, spaced out: no change.
				Config: `
resource "rollcall_group" "g" {
  name          = "ops"
  custom_claims = <<-EOT
    {
      "tags":  [ "a", "b" ],
      "role":  "ops",
      "level": 2
    }
  EOT
}
`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				Config: `
resource "rollcall_group" "g" {
  name          = "ops"
  custom_claims = <<-EOT
    { "tags": ["a","b"], "role": "ops", "level": 2 }
  EOT
}
`,
				PlanOnly: true,
			},
			{ResourceName: "rollcall_group.g", ImportState: true, ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"updated_at", "custom_claims"}},
			{
				Config: `
resource "rollcall_group" "g" {
  name          = "ops"
  custom_claims = jsonencode({ role = "admin" })
}
`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_group.g", plancheck.ResourceActionUpdate),
				}},
				Check: server(`{"role":"admin"}`),
			},
			{
				Config: `resource "rollcall_group" "g" { name = "ops" }`,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckNoResourceAttr("rollcall_group.g", "custom_claims"),
					server(`{}`),
				),
			},
		},
	})
}
