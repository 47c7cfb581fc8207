package provider

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// combinedConfig is the documented way to combine the four membership
// patterns in one configuration (docs/index.md, "Managing memberships"):
// each group and each user has exactly one owner of its memberships.
const combinedConfig = `
# Group-side, authoritative: the platform team owns its member list.
resource "rollcall_group" "platform" { name = "platform" }
resource "rollcall_group_members" "platform" {
  group_id = rollcall_group.platform.id
  user_ids = [rollcall_user.ada.id, rollcall_user.bob.id]
}

# Group-side, additive: teams add their own people to a shared group.
resource "rollcall_group" "oncall" { name = "oncall" }
resource "rollcall_group_membership" "oncall_ada" {
  group_id = rollcall_group.oncall.id
  user_id  = rollcall_user.ada.id
}
resource "rollcall_group_membership" "oncall_cy" {
  group_id = rollcall_group.oncall.id
  user_id  = rollcall_user.cy.id
}

# User-side, authoritative: the contractor's groups are listed on the user,
# and no group-side resource mentions the contractor.
resource "rollcall_group" "contractors" { name = "contractors" }
resource "rollcall_user" "contractor" {
  username = "contractor"
  email    = "contractor@example.com"
  groups   = [rollcall_group.contractors.id]
}

# Users managed group-side leave groups out.
resource "rollcall_user" "ada" {
  username = "ada"
  email    = "ada@example.com"
}
resource "rollcall_user" "bob" {
  username = "bob"
  email    = "bob@example.com"
}
resource "rollcall_user" "cy" {
  username = "cy"
  email    = "cy@example.com"
}
`

func TestMembershipPatternsCombined(t *testing.T) {
	_, c := startParallel(t)
	id := map[string]*string{}
	var checks []resource.TestCheckFunc
	for _, name := range []string{"rollcall_user.ada", "rollcall_user.bob", "rollcall_user.cy", "rollcall_user.contractor",
		"rollcall_group.platform", "rollcall_group.oncall", "rollcall_group.contractors"} {
		id[name] = new(string)
		checks = append(checks, captureAttr(name, "id", id[name]))
	}
	want := func(group string, users ...string) error {
		var ids []string
		for _, u := range users {
			ids = append(ids, *id["rollcall_user."+u])
		}
		slices.Sort(ids)
		if got := members(t, c, *id["rollcall_group."+group]); !slices.Equal(got, ids) {
			return fmt.Errorf("group %s has members %v, want %v (%v)", group, got, ids, users)
		}
		return nil
	}
	checks = append(checks, func(*terraform.State) error {
		for _, err := range []error{
			want("platform", "ada", "bob"),
			want("oncall", "ada", "cy"),
			want("contractors", "contractor"),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			// The framework checks after apply that a second plan is
			// empty: no resource fights another over a membership.
			{Config: combinedConfig, Check: resource.ComposeAggregateTestCheckFunc(checks...)},
			{
				// Another team's membership in the shared group, made
				// outside this configuration, is left alone.
				PreConfig: func() {
					u := mustCreateUser(t, c, "other-team")
					if err := c.Groups.AddMembers(context.Background(), *id["rollcall_group.oncall"], []string{u.ID}); err != nil {
						t.Fatal(err)
					}
				},
				Config:   combinedConfig,
				PlanOnly: true,
			},
		},
	})
}
