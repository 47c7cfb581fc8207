package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

func TestGroupMembershipAdditive(t *testing.T) {
	_, c := startAcc(t)
	g := mustCreateGroup(t, c, "shared")
	// Someone else's member: the membership resource must never touch it.
	other := mustCreateUser(t, c, "other-team-member")
	if err := c.Groups.AddMembers(context.Background(), g.ID, []string{other.ID}); err != nil {
		t.Fatal(err)
	}
	var userID string
	cfg := fmt.Sprintf(`
resource "rollcall_user" "mine" {
  username = "mine"
  email    = "mine@example.com"
}
resource "rollcall_group_membership" "mine" {
  group_id = %q
  user_id  = rollcall_user.mine.id
  timeouts {
    create = "1m"
    read   = "30s"
    delete = "1m"
  }
}
`, g.ID)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr("rollcall_user.mine", "id", &userID),
					resource.TestCheckResourceAttrPair("rollcall_group_membership.mine", "user_id", "rollcall_user.mine", "id"),
					func(*terraform.State) error {
						got := members(t, c, g.ID)
						if len(got) != 2 || !slices.Contains(got, other.ID) || !slices.Contains(got, userID) {
							return fmt.Errorf("members %v, want the other team's member and mine", got)
						}
						return nil
					},
				),
			},
			{
				ResourceName:      "rollcall_group_membership.mine",
				ImportState:       true,
				ImportStateVerify: true,
				// timeouts are configuration, not server state
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				ResourceName:  "rollcall_group_membership.mine",
				ImportState:   true,
				ImportStateId: "not-a-pair",
				ExpectError:   regexp.MustCompile(`Import a group membership as group_id/user_id`),
			},
			{
				// Removed outside Terraform: planned to be added again.
				PreConfig: func() {
					if err := c.Groups.RemoveMembers(context.Background(), g.ID, []string{userID}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_group_membership.mine", plancheck.ResourceActionCreate),
				}},
			},
			{
				// Destroy removes only this membership.
				Config: `
resource "rollcall_user" "mine" {
  username = "mine"
  email    = "mine@example.com"
}
`,
				Check: func(*terraform.State) error {
					if got := members(t, c, g.ID); !slices.Equal(got, []string{other.ID}) {
						return fmt.Errorf("members %v, want only %s", got, other.ID)
					}
					return nil
				},
			},
		},
	})
}
