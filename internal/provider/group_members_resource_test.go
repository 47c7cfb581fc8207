package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/rollcall/rollcall/client"
)

// members reads a group's member ids from the server, sorted.
func members(t *testing.T, c *client.Client, groupID string) []string {
	t.Helper()
	g, err := c.Groups.Get(context.Background(), groupID)
	if err != nil {
		t.Fatalf("get group %s: %v", groupID, err)
	}
	ids := g.MemberIDs()
	slices.Sort(ids)
	return ids
}

func TestGroupMembersAuthoritative(t *testing.T) {
	_, c := startAcc(t)
	outsider := mustCreateUser(t, c, "outsider")
	var groupID, ada, bob string
	cfg := func(userIDs string) string {
		return `
resource "rollcall_group" "eng" { name = "eng" }
resource "rollcall_user" "ada" {
  username = "ada"
  email    = "ada@example.com"
}
resource "rollcall_user" "bob" {
  username = "bob"
  email    = "bob@example.com"
}
resource "rollcall_group_members" "eng" {
  group_id = rollcall_group.eng.id
  user_ids = ` + userIDs + `
}
`
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: cfg(`[rollcall_user.ada.id, rollcall_user.bob.id]`),
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr("rollcall_group.eng", "id", &groupID),
					captureAttr("rollcall_user.ada", "id", &ada),
					captureAttr("rollcall_user.bob", "id", &bob),
					resource.TestCheckResourceAttrPair("rollcall_group_members.eng", "id", "rollcall_group.eng", "id"),
					resource.TestCheckResourceAttr("rollcall_group_members.eng", "user_ids.#", "2"),
				),
			},
			{
				// A member added outside Terraform is drift, and is removed.
				PreConfig: func() {
					if err := c.Groups.AddMembers(context.Background(), groupID, []string{outsider.ID}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg(`[rollcall_user.bob.id, rollcall_user.ada.id]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_group_members.eng", plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					got, want := members(t, c, groupID), []string{ada, bob}
					slices.Sort(want)
					if !slices.Equal(got, want) {
						return fmt.Errorf("members %v, want %v", got, want)
					}
					return nil
				},
			},
			{ResourceName: "rollcall_group_members.eng", ImportState: true, ImportStateVerify: true},
			{
				// [] removes everyone and settles.
				Config: cfg(`[]`),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("rollcall_group_members.eng", "user_ids.#", "0"),
					func(*terraform.State) error {
						if got := members(t, c, groupID); len(got) != 0 {
							return fmt.Errorf("members %v, want none", got)
						}
						return nil
					},
				),
			},
			{
				Config: cfg(`[rollcall_user.ada.id]`),
			},
			{
				// Destroying the resource empties the group; group and users stay.
				Config: `
resource "rollcall_group" "eng" { name = "eng" }
resource "rollcall_user" "ada" {
  username = "ada"
  email    = "ada@example.com"
}
resource "rollcall_user" "bob" {
  username = "bob"
  email    = "bob@example.com"
}
`,
				Check: func(*terraform.State) error {
					if got := members(t, c, groupID); len(got) != 0 {
						return fmt.Errorf("members %v left after destroying rollcall_group_members", got)
					}
					return nil
				},
			},
		},
	})
}

func TestGroupMembersGroupDeletedOutside(t *testing.T) {
	_, c := startAcc(t)
	g := mustCreateGroup(t, c, "temp")
	u := mustCreateUser(t, c, "tina")
	cfg := fmt.Sprintf(`
resource "rollcall_group_members" "temp" {
  group_id = %q
  user_ids = [%q]
  timeouts {
    create = "1m"
    read   = "30s"
    update = "1m"
    delete = "1m"
  }
}
`, g.ID, u.ID)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() {
					if err := c.Groups.Delete(context.Background(), g.ID); err != nil {
						t.Fatal(err)
					}
				},
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// sideEffect is a plan check that only runs fn: as a PreApply check it
// changes the server between plan and apply, as another client might.
type sideEffect func()

func (f sideEffect) CheckPlan(context.Context, plancheck.CheckPlanRequest, *plancheck.CheckPlanResponse) {
	f()
}

// TestGroupMembersChangedBetweenPlanAndApply: someone adds a member after
// the plan was made (the apply does not refresh); the apply must not drop
// that member unseen but stop with a diagnostic naming it, and the next
// plan shows it as drift to remove. A change of the group's other
// attributes in the same apply (which changes the group's ETag) does not
// stop it.
func TestGroupMembersChangedBetweenPlanAndApply(t *testing.T) {
	_, c := startAcc(t)
	ada := mustCreateUser(t, c, "ada")
	bob := mustCreateUser(t, c, "bob")
	late := mustCreateUser(t, c, "late")
	var groupID string
	cfg := func(description string, ids ...string) string {
		return fmt.Sprintf(`
resource "rollcall_group" "eng" {
  name        = "eng"
  description = %q
}
resource "rollcall_group_members" "eng" {
  group_id = rollcall_group.eng.id
  user_ids = %s
}
`, description, hclList(ids))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: cfg("one", ada.ID),
				Check:  captureAttr("rollcall_group.eng", "id", &groupID),
			},
			{
				// The description and the members change in one apply: the
				// group's ETag changes before the members are replaced.
				Config: cfg("two", ada.ID, bob.ID),
				Check: func(*terraform.State) error {
					if got := members(t, c, groupID); len(got) != 2 {
						return fmt.Errorf("members %v, want ada and bob", got)
					}
					return nil
				},
			},
			{
				Config: cfg("two", bob.ID),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					sideEffect(func() {
						if err := c.Groups.AddMembers(context.Background(), groupID, []string{late.ID}); err != nil {
							t.Error(err)
						}
					}),
				}},
				ExpectError: regexp.MustCompile(`(?s)Group members changed since Terraform read them.*added outside Terraform: ` + late.ID),
			},
			{
				// Nothing was changed by the refused apply: late was kept.
				PreConfig: func() {
					if got := members(t, c, groupID); !slices.Contains(got, late.ID) || !slices.Contains(got, ada.ID) {
						t.Errorf("members after the refused apply: %v; want ada, bob and late", got)
					}
				},
				Config: cfg("two", bob.ID),
				Check: func(*terraform.State) error {
					if got := members(t, c, groupID); !slices.Equal(got, []string{bob.ID}) {
						return fmt.Errorf("members %v, want only bob", got)
					}
					return nil
				},
			},
		},
	})
}

func hclList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strconv.Quote(id)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
