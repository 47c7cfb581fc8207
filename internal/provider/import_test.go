package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/rollcall/rollcall/api"
)

// importConfig is a configuration written the way people write it, for
// users and groups that already exist on the server with the server's
// canonical spellings: names and emails in other cases, phone numbers
// with spaces, a locale with an underscore, and no groups for jane (her
// memberships are managed by the group side).
const importConfig = `
resource "rollcall_group" "platform" {
  name          = "Platform-Eng"
  friendly_name = "Platform Engineering"
}
resource "rollcall_group" "ops" {
  name = "ops"
}
resource "rollcall_group" "oncall" {
  name = "OnCall"
}
resource "rollcall_user" "jane" {
  username   = "Jane.Doe"
  email      = "Jane.Doe@Example.com"
  first_name = "Jane"
  last_name  = "Doe"
  locale     = "de_de"
  phone      = "+1 415 555 2671"
  mobile     = "+49 151 23456789"
}
resource "rollcall_user" "max" {
  username = "max"
  email    = "max@example.com"
  locale   = "en-us"
  groups   = [rollcall_group.ops.id]
}
resource "rollcall_group_members" "platform" {
  group_id = rollcall_group.platform.id
  user_ids = [rollcall_user.jane.id]
}
resource "rollcall_group_membership" "oncall_jane" {
  group_id = rollcall_group.oncall.id
  user_id  = rollcall_user.jane.id
}
`

// TestImportThenPlanIsEmpty imports users, groups and memberships that
// exist on the server into a configuration that describes them in other
// spellings, by id and by name, with import blocks and with `terraform
// import`; the plan that follows must be empty.
func TestImportThenPlanIsEmpty(t *testing.T) {
	_, c := startParallel(t)
	ctx := context.Background()
	platform, err := c.Groups.Create(ctx, api.GroupWriteAttributes{Name: api.Some("platform-eng"), FriendlyName: api.Some("Platform Engineering")}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	ops := mustCreateGroup(t, c, "ops")
	oncall := mustCreateGroup(t, c, "oncall")
	jane, err := c.Users.Create(ctx, api.UserWriteAttributes{
		Username: api.Some("jane.doe"), Email: api.Some("jane.doe@example.com"),
		FirstName: api.Some("Jane"), LastName: api.Some("Doe"), Locale: api.Some("de-DE"),
		Phone: api.Some("+14155552671"), Mobile: api.Some("+49 151 23456789"),
	}, &[]string{platform.ID, oncall.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	if *jane.Attributes.Mobile != "+4915123456789" || *jane.Attributes.Locale != "de-DE" {
		t.Fatalf("the server stores mobile %q and locale %q, want +4915123456789 and de-DE", *jane.Attributes.Mobile, *jane.Attributes.Locale)
	}
	max, err := c.Users.Create(ctx, api.UserWriteAttributes{
		Username: api.Some("max"), Email: api.Some("Max@Example.com"), Locale: api.Some("en-US"),
	}, &[]string{ops.ID}, "")
	if err != nil {
		t.Fatal(err)
	}

	// Import blocks: jane and two groups by name, the rest by id.
	imports := fmt.Sprintf(`
import {
  to = rollcall_group.platform
  id = "platform-eng"
}
import {
  to = rollcall_group.ops
  id = %q
}
import {
  to = rollcall_group.oncall
  id = "OnCall"
}
import {
  to = rollcall_user.jane
  id = "Jane.Doe"
}
import {
  to = rollcall_user.max
  id = %q
}
import {
  to = rollcall_group_members.platform
  id = "platform-eng"
}
import {
  to = rollcall_group_membership.oncall_jane
  id = "%s/%s"
}
`, ops.ID, max.ID, oncall.ID, jane.ID)

	// `terraform import`: jane by id, the groups by id or name, max by
	// username; each import is kept for the plan at the end.
	cmd := func(name, id string) resource.TestStep {
		return resource.TestStep{
			Config:             importConfig,
			ResourceName:       name,
			ImportState:        true,
			ImportStateId:      id,
			ImportStatePersist: true,
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{
				Config:                 importConfig + imports,
				ImportStateConfigExact: true,
				ResourceName:           "rollcall_user.jane",
				ImportStateId:          "Jane.Doe", // the import blocks say it
				ImportState:            true,
				ImportStateKind:        resource.ImportBlockWithID,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			cmd("rollcall_group.platform", platform.ID),
			cmd("rollcall_group.ops", "OPS"),
			cmd("rollcall_group.oncall", oncall.ID),
			cmd("rollcall_user.jane", jane.ID),
			cmd("rollcall_user.max", "Max"),
			cmd("rollcall_group_members.platform", platform.ID),
			cmd("rollcall_group_membership.oncall_jane", oncall.ID+"/"+jane.ID),
			{
				// terraform plan after the imports: nothing to do.
				Config:   importConfig,
				PlanOnly: true,
			},
		},
	})
}
