package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

// bulkConfig is a roster of two groups and the given entries of users.
func bulkConfig(entries ...string) string {
	return `
resource "rollcall_group" "eng" { name = "eng" }
resource "rollcall_group" "ops" { name = "ops" }

resource "rollcall_bulk_users" "staff" {
  users = {
` + strings.Join(entries, "\n") + `
  }
}
`
}

const (
	bulkE1 = `    e1 = {
      username   = "jane"
      email      = "jane@example.com"
      first_name = "Jane"
      groups     = [rollcall_group.eng.id]
    }`
	bulkE2 = `    e2 = {
      username = "Max"
      email    = "max@example.com"
      locale   = "en_us"
      phone    = "+1 415 555 2671"
      title    = "Engineer"
      groups   = [rollcall_group.eng.id, rollcall_group.ops.id]
    }`
	bulkE3 = `    e3 = {
      username = "tom"
      email    = "tom@example.com"
    }`
	bulkE4 = `    e4 = {
      username   = "ann"
      email      = "ann@example.com"
      last_name  = "Lee"
      attributes = { cost_center = "4711" }
    }`
)

// idsOf captures the ids map of the roster.
func idsOf(ids map[string]string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources["rollcall_bulk_users.staff"]
		if !ok {
			return fmt.Errorf("rollcall_bulk_users.staff is not in the state")
		}
		clear(ids)
		for k, v := range rs.Primary.Attributes {
			if key, ok := strings.CutPrefix(k, "ids."); ok && key != "%" {
				ids[key] = v
			}
		}
		return nil
	}
}

// updatedAt records when the server last changed each user of ids.
func updatedAt(t *testing.T, c *client.Client, ids map[string]string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for k, id := range ids {
		u, err := c.Users.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("get user %s (%s): %v", k, id, err)
		}
		out[k] = u.Attributes.UpdatedAt
	}
	return out
}

func TestBulkUsersLifecycle(t *testing.T) {
	_, c := startParallel(t)
	ctx := context.Background()
	ids := map[string]string{}
	first := map[string]string{}
	var before map[string]time.Time
	var allIDs []string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		CheckDestroy: func(*terraform.State) error {
			for _, id := range allIDs {
				if _, err := c.Users.Get(ctx, id); !client.IsNotFound(err) {
					return fmt.Errorf("user %s is still there after destroy (%v)", id, err)
				}
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: bulkConfig(bulkE1, bulkE2, bulkE3),
				Check: resource.ComposeAggregateTestCheckFunc(
					idsOf(ids),
					resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "ids.%", "3"),
					resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "users.e2.username", "Max"),
					resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "users.e2.locale", "en_us"),
					resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "users.e1.display_name", "Jane"),
					resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "users.e3.is_admin", "false"),
					resource.TestCheckNoResourceAttr("rollcall_bulk_users.staff", "users.e3.groups"),
					func(*terraform.State) error {
						for k, id := range ids {
							first[k] = id
							allIDs = append(allIDs, id)
						}
						u := serverUser(t, c, new(ids["e2"]))
						if u.Attributes.Username != "max" || *u.Attributes.Locale != "en-US" || *u.Attributes.Phone != "+14155552671" || len(u.GroupIDs()) != 2 {
							return fmt.Errorf("server has e2 as %s %s %s in %v", u.Attributes.Username, *u.Attributes.Locale, *u.Attributes.Phone, u.GroupIDs())
						}
						before = updatedAt(t, c, ids)
						return nil
					},
				),
			},
			{
				// One attribute of one entry: only that user is written.
				Config: bulkConfig(strings.Replace(bulkE1, `"Jane"`, `"Janet"`, 1), bulkE2, bulkE3),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_bulk_users.staff", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("rollcall_bulk_users.staff", tfjsonpath.New("ids").AtMapKey("e2"), knownvalue.StringFunc(func(v string) error {
						if v != ids["e2"] {
							return fmt.Errorf("ids.e2 is planned as %s, want %s", v, ids["e2"])
						}
						return nil
					})),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "users.e1.display_name", "Janet"),
					func(*terraform.State) error {
						after := updatedAt(t, c, ids)
						if after["e1"].Equal(before["e1"]) {
							return fmt.Errorf("e1 was not updated on the server")
						}
						for _, k := range []string{"e2", "e3"} {
							if !after[k].Equal(before[k]) {
								return fmt.Errorf("%s was written although it did not change (updated-at %v → %v)", k, before[k], after[k])
							}
						}
						if a := serverUser(t, c, new(ids["e1"])).Attributes; *a.FirstName != "Janet" || a.DisplayName != "Janet" {
							return fmt.Errorf("server has e1 as %+v", a)
						}
						return nil
					},
				),
			},
			{
				// A rename inside an entry keeps the id and the groups.
				Config: bulkConfig(strings.Replace(strings.Replace(bulkE1, `"Jane"`, `"Janet"`, 1), `"jane"`, `"jane.doe"`, 1), bulkE2, bulkE3),
				Check: resource.ComposeAggregateTestCheckFunc(
					idsOf(ids),
					func(*terraform.State) error {
						if ids["e1"] != first["e1"] {
							return fmt.Errorf("the rename changed the id from %s to %s", first["e1"], ids["e1"])
						}
						u := serverUser(t, c, new(ids["e1"]))
						if u.Attributes.Username != "jane.doe" || len(u.GroupIDs()) != 1 {
							return fmt.Errorf("after the rename the server has %s in %v", u.Attributes.Username, u.GroupIDs())
						}
						return nil
					},
				),
			},
			{
				// e3 leaves, e4 joins; the others keep their ids.
				Config: bulkConfig(strings.Replace(bulkE1, `"jane"`, `"jane.doe"`, 1), bulkE2, bulkE4),
				Check: resource.ComposeAggregateTestCheckFunc(
					idsOf(ids),
					resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "ids.%", "3"),
					resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "users.e4.attributes.cost_center", "4711"),
					func(*terraform.State) error {
						allIDs = append(allIDs, ids["e4"])
						if _, err := c.Users.Get(ctx, first["e3"]); !client.IsNotFound(err) {
							return fmt.Errorf("e3's user was not deleted: %v", err)
						}
						if ids["e1"] != first["e1"] || ids["e2"] != first["e2"] {
							return fmt.Errorf("ids changed: %v, first %v", ids, first)
						}
						if a := serverUser(t, c, new(ids["e4"])).Attributes; a.Username != "ann" || a.DisplayName != "Lee" {
							return fmt.Errorf("server has e4 as %+v", a)
						}
						return nil
					},
				),
			},
			{
				// Changed outside Terraform: that entry is updated back.
				PreConfig: func() {
					if _, err := c.Users.Update(ctx, ids["e2"], api.UserWriteAttributes{Title: api.Some("Manager"), Department: api.Some("Sales")}, nil, ""); err != nil {
						t.Fatal(err)
					}
				},
				Config: bulkConfig(strings.Replace(bulkE1, `"jane"`, `"jane.doe"`, 1), bulkE2, bulkE4),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_bulk_users.staff", plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					if a := serverUser(t, c, new(ids["e2"])).Attributes; *a.Title != "Engineer" || a.Department != nil {
						return fmt.Errorf("drift was not undone: %+v", a)
					}
					return nil
				},
			},
			{
				// Deleted outside Terraform: created again, no error.
				PreConfig: func() {
					if err := c.Users.Delete(ctx, ids["e4"]); err != nil {
						t.Fatal(err)
					}
				},
				Config: bulkConfig(strings.Replace(bulkE1, `"jane"`, `"jane.doe"`, 1), bulkE2, bulkE4),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_bulk_users.staff", plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue("rollcall_bulk_users.staff", tfjsonpath.New("ids").AtMapKey("e4")),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					idsOf(ids),
					func(*terraform.State) error {
						allIDs = append(allIDs, ids["e4"])
						if u := serverUser(t, c, new(ids["e4"])); u.Attributes.Username != "ann" {
							return fmt.Errorf("e4 was not created again: %+v", u.Attributes)
						}
						return nil
					},
				),
			},
			{
				// groups = [] means none, and it settles.
				Config: bulkConfig(strings.Replace(strings.Replace(bulkE1, `"jane"`, `"jane.doe"`, 1), `[rollcall_group.eng.id]`, `[]`, 1), bulkE2, bulkE4),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "users.e1.groups.#", "0"),
					func(*terraform.State) error {
						if g := serverUser(t, c, new(ids["e1"])).GroupIDs(); len(g) != 0 {
							return fmt.Errorf("groups = [] left the user in %v", g)
						}
						return nil
					},
				),
			},
			{
				// Memberships of an entry without groups are not managed.
				PreConfig: func() {
					g := mustCreateGroup(t, c, "other")
					if err := c.Users.AddUserGroups(ctx, ids["e4"], []string{g.ID}); err != nil {
						t.Fatal(err)
					}
				},
				Config:   bulkConfig(strings.Replace(strings.Replace(bulkE1, `"jane"`, `"jane.doe"`, 1), `[rollcall_group.eng.id]`, `[]`, 1), bulkE2, bulkE4),
				PlanOnly: true,
			},
			{
				// A key change is a remove and an add.
				Config: bulkConfig(strings.Replace(strings.Replace(bulkE1, `"jane"`, `"jane.doe"`, 1), "e1 =", "x1 =", 1), bulkE2, bulkE4),
				Check: resource.ComposeAggregateTestCheckFunc(
					idsOf(ids),
					func(*terraform.State) error {
						allIDs = append(allIDs, ids["x1"])
						if ids["x1"] == first["e1"] || ids["x1"] == "" {
							return fmt.Errorf("the new key x1 has id %q, want a new user", ids["x1"])
						}
						return nil
					},
				),
			},
		},
	})
}

func TestBulkUsersValidationAtPlan(t *testing.T) {
	startParallel(t)
	entry := func(key, username, extra string) string {
		return fmt.Sprintf(`    %s = {
      username = %q
      email    = "%s@example.com"
      %s
    }`, key, username, key, extra)
	}
	steps := []resource.TestStep{}
	for _, tc := range []struct{ config, want string }{
		{entry("e9", "u9", `locale = "english please"`), `users["e9"].locale: locale "english please" is not a BCP 47 language tag`},
		{entry("e9", "u9", `title = "`+strings.Repeat("t", 129)+`"`), `users["e9"].title: title is 129 characters long; at most 128 are allowed`},
		{entry("e9", "u9", `attributes = { "Bad-Key" = "x" }`), `users["e9"].attributes: attribute key "Bad-Key" must start with a lower-case letter`},
		{entry("e9", "u9", `groups = ["eng"]`), `users["e9"].groups: group id: id "eng" is not a UUID`},
		{entry("e9", "-bad-", ``), `users["e9"].username: username "-bad-" may contain only lower-case letters`},
		{entry("e8", "x", ``) + "\n" + entry("e9", "X", ``), `users["e9"].username: username "x" is also the username of users["e8"]`},
	} {
		steps = append(steps, resource.TestStep{Config: bulkConfig(entry("e1", "u1", ""), tc.config), PlanOnly: true, ExpectError: wrapped(regexp.QuoteMeta(tc.want))})
	}
	steps = append(steps, resource.TestStep{
		Config: bulkConfig(`    e7 = {
      username = "e7"
      email    = "not an address"
    }`),
		PlanOnly:    true,
		ExpectError: wrapped(regexp.QuoteMeta(`users["e7"].email: email "not an address" is not a valid address`)),
	})
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factoriesFor(t), Steps: steps})
}

func TestBulkUsersServerRefusalNamesEntry(t *testing.T) {
	_, c := startParallel(t)
	mustCreateUser(t, c, "taken")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{{
			Config: `
resource "rollcall_bulk_users" "staff" {
  users = {
    a1 = { username = "fresh", email = "fresh@example.com" }
    a2 = { username = "taken", email = "other@example.com" }
  }
}
`,
			ExpectError: regexp.MustCompile(`(?s)users\["a2"\].*username_taken`),
		}, {
			// The failed create left nothing behind.
			PreConfig: func() {
				if _, err := c.Users.GetByUsername(context.Background(), "fresh"); !client.IsNotFound(err) {
					t.Fatalf("the failed create left user fresh behind: %v", err)
				}
			},
			Config: `
resource "rollcall_bulk_users" "staff" {
  users = {
    a1 = { username = "fresh", email = "fresh@example.com" }
  }
}
`,
			Check: resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "ids.%", "1"),
		}},
	})
}

// TestBulkUsersSwapNeedsTwoApplies shows what the documentation says: two
// entries cannot swap usernames in one apply, and two applies through
// temporary names do it.
func TestBulkUsersSwapNeedsTwoApplies(t *testing.T) {
	startParallel(t)
	roster := func(u1, u2 string) string {
		return fmt.Sprintf(`
resource "rollcall_bulk_users" "staff" {
  users = {
    a1 = { username = %q, email = "a1@example.com" }
    a2 = { username = %q, email = "a2@example.com" }
  }
}
`, u1, u2)
	}
	swapped := resource.ComposeAggregateTestCheckFunc(
		resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "users.a1.username", "bob"),
		resource.TestCheckResourceAttr("rollcall_bulk_users.staff", "users.a2.username", "ann"),
	)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{Config: roster("ann", "bob")},
			{Config: roster("bob", "ann"), ExpectError: regexp.MustCompile(`(?s)users\["a[12]"\].*username_taken`)},
			{Config: roster("swap-a1", "swap-a2")},
			{Config: roster("bob", "ann"), Check: swapped},
		},
	})
}

func TestBulkUsersTimeouts(t *testing.T) {
	startParallel(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{{
			Config: `
resource "rollcall_bulk_users" "staff" {
  users = {
    a1 = { username = "slowpoke", email = "slowpoke@example.com" }
  }
  timeouts {
    create = "1ns"
  }
}
`,
			ExpectError: regexp.MustCompile(`(?s)Rollcall request timed out.*Raise the resource's timeouts`),
		}},
	})
}

// TestBulkFetchUsersListAndGet reads the same users through the user list
// and one by one, with an id that does not exist.
func TestBulkFetchUsersListAndGet(t *testing.T) {
	_, c := startParallel(t)
	g := mustCreateGroup(t, c, "crew")
	var ids []string
	for i := range 5 {
		u, err := c.Users.Create(context.Background(), api.UserWriteAttributes{
			Username: api.Some(fmt.Sprintf("crew%d", i)), Email: api.Some(fmt.Sprintf("crew%d@example.com", i)),
		}, &[]string{g.ID}, "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	mustCreateUser(t, c, "bystander")
	gone := "00000000-0000-4000-8000-000000000000"
	for _, listMin := range []int{1, 1000} {
		found, err := fetchUsers(context.Background(), c, append(slices.Clone(ids), gone), listMin)
		if err != nil {
			t.Fatalf("listMin %d: %v", listMin, err)
		}
		if len(found) != len(ids) || found[gone] != nil {
			t.Fatalf("listMin %d: found %d users, want %d without %s", listMin, len(found), len(ids), gone)
		}
		for i, id := range ids {
			u := found[id]
			if u == nil || u.Attributes.Username != fmt.Sprintf("crew%d", i) || !slices.Equal(u.GroupIDs(), []string{g.ID}) {
				t.Fatalf("listMin %d: user %s read as %+v", listMin, id, u)
			}
		}
	}
}

// TestBulkRemoveUsersSkipsGone deletes users of which one is gone already,
// as Delete does when a user disappears between refresh and apply.
func TestBulkRemoveUsersSkipsGone(t *testing.T) {
	_, c := startParallel(t)
	ctx := context.Background()
	var ids []string
	for _, name := range []string{"stay1", "gone", "stay2"} {
		ids = append(ids, mustCreateUser(t, c, name).ID)
	}
	if err := c.Users.Delete(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	r := &bulkUsersResource{c: c, batch: 2}
	if err := r.removeUsers(ctx, ids); err != nil {
		t.Fatalf("removeUsers with one user gone: %v", err)
	}
	for _, id := range ids {
		if _, err := c.Users.Get(ctx, id); !client.IsNotFound(err) {
			t.Errorf("user %s is still there (%v)", id, err)
		}
	}
}

func TestBulkUsersImportRefused(t *testing.T) {
	startParallel(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{{
			Config: `
resource "rollcall_bulk_users" "staff" {
  users = {
    a1 = { username = "imp", email = "imp@example.com" }
  }
}
`,
		}, {
			ResourceName:  "rollcall_bulk_users.staff",
			ImportState:   true,
			ImportStateId: "imp",
			ExpectError:   regexp.MustCompile(`rollcall_bulk_users cannot be imported`),
		}},
	})
}

// TestBulkApplyInBatches applies operations in several requests, with a
// failure in the second: the first request's users are recorded, and the
// error names the failing entry, not its index in the request.
func TestBulkApplyInBatches(t *testing.T) {
	_, c := startParallel(t)
	ctx := context.Background()
	mustCreateUser(t, c, "taken")
	r := &bulkUsersResource{c: c, batch: 2}
	want := roster{users: map[string]userFields{}, ids: map[string]string{}}
	var ops []bulkOp
	var diags diag.Diagnostics
	for i, name := range []string{"b0", "b1", "b2", "taken", "b4"} {
		k := fmt.Sprintf("k%d", i)
		f := userFields{
			Username: normValue(kindName, name), Email: types.StringValue(name + "-" + k + "@example.com"),
			EmailVerified: types.BoolValue(false), IsAdmin: types.BoolValue(false), Disabled: types.BoolValue(false),
			Attributes: mapValue(nil), Groups: types.SetNull(types.StringType),
		}
		want.users[k] = f
		ops = append(ops, r.addOp(ctx, k, f, f, &diags))
	}
	got := roster{users: map[string]userFields{}, ids: map[string]string{}}
	if err := r.apply(ctx, ops[:3], want, &got, "create", &diags); err != nil || diags.HasError() {
		t.Fatalf("three adds in two requests: %v %v", err, diags)
	}
	if len(got.ids) != 3 || got.users["k2"].Username.ValueString() != "b2" {
		t.Fatalf("after three adds the roster has %v", got.ids)
	}
	if err := r.apply(ctx, ops[3:], want, &got, "create", &diags); err == nil {
		t.Fatal("adding a taken username succeeded")
	}
	if len(got.ids) != 3 {
		t.Fatalf("a failed request changed the roster: %v", got.ids)
	}
	var text string
	for _, d := range diags {
		text += d.Summary() + ": " + d.Detail() + "\n"
	}
	if !strings.Contains(text, `users["k3"]`) || !strings.Contains(text, "username_taken") || strings.Contains(text, "operation 0") {
		t.Fatalf("the error does not name the entry:\n%s", text)
	}
}
