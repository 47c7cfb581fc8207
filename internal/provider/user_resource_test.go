package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

func userMinimal(username string) string {
	return fmt.Sprintf(`
resource "rollcall_user" "jane" {
  username = %q
  email    = "jane@example.com"
}
`, username)
}

const userComplete = `
resource "rollcall_user" "jane" {
  username        = "Jane"
  email           = "Jane.Doe@Example.com"
  email_verified  = true
  first_name      = "Jane"
  last_name       = "Doe"
  locale          = "en_us"
  is_admin        = true
  phone           = "+1 415 555 2671"
  mobile          = "+44 20 7946 0958"
  title           = "Staff Engineer"
  department      = "Platform"
  avatar_url      = "https://example.com/jane.png"
  external_id     = "E-1001"
  external_source = "workday"
  attributes = {
    cost_center = "4711"
    team        = "identity"
  }
}
`

// serverUser reads the user the way the API shows it.
func serverUser(t *testing.T, c *client.Client, id *string) *api.User {
	t.Helper()
	u, err := c.Users.Get(context.Background(), *id)
	if err != nil {
		t.Fatalf("get user %s: %v", *id, err)
	}
	return u
}

func TestUserLifecycle(t *testing.T) {
	_, c := startParallel(t)
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{
				Config: userMinimal("jane"),
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr("rollcall_user.jane", "id", &id),
					resource.TestMatchResourceAttr("rollcall_user.jane", "id", regexp.MustCompile(`^[0-9a-f-]{36}$`)),
					resource.TestCheckResourceAttr("rollcall_user.jane", "display_name", "jane"),
					resource.TestCheckResourceAttr("rollcall_user.jane", "status", "pending-setup"),
					resource.TestCheckResourceAttr("rollcall_user.jane", "email_verified", "false"),
					resource.TestCheckResourceAttr("rollcall_user.jane", "is_admin", "false"),
					resource.TestCheckResourceAttr("rollcall_user.jane", "disabled", "false"),
					resource.TestCheckResourceAttr("rollcall_user.jane", "passkey_count", "0"),
					resource.TestCheckResourceAttr("rollcall_user.jane", "attributes.%", "0"),
					resource.TestCheckNoResourceAttr("rollcall_user.jane", "groups"),
					resource.TestCheckNoResourceAttr("rollcall_user.jane", "first_name"),
					resource.TestCheckNoResourceAttr("rollcall_user.jane", "locale"),
					resource.TestMatchResourceAttr("rollcall_user.jane", "created_at", regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)),
				),
			},
			{
				// Every attribute changes; the configured spellings of
				// locale and phones are kept although the
				// server stores canonical forms, and the next plan is
				// empty (the framework checks that after every step).
				Config: userComplete,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_user.jane", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					sameAttr("rollcall_user.jane", "id", &id),
					// "Jane" is the same username as the state's "jane",
					// so the state keeps that spelling (sameValue).
					resource.TestCheckResourceAttr("rollcall_user.jane", "username", "jane"),
					resource.TestCheckResourceAttr("rollcall_user.jane", "locale", "en_us"),
					resource.TestCheckResourceAttr("rollcall_user.jane", "display_name", "Jane Doe"),
					resource.TestCheckResourceAttr("rollcall_user.jane", "attributes.team", "identity"),
					func(*terraform.State) error {
						u := serverUser(t, c, &id)
						a := u.Attributes
						got := fmt.Sprintf("%s %s %v %s %s %s %v %s %s %s %s %s %s %s %v",
							a.Username, a.Email, a.EmailVerified, *a.FirstName, *a.LastName, *a.Locale, a.IsAdmin,
							*a.Phone, *a.Mobile, *a.Title, *a.Department, *a.AvatarURL, *a.ExternalID, *a.ExternalSource, a.Attributes)
						want := "jane Jane.Doe@Example.com true Jane Doe en-US true +14155552671 +442079460958 Staff Engineer Platform https://example.com/jane.png E-1001 workday map[cost_center:4711 team:identity]"
						if got != want {
							return fmt.Errorf("server has\n%s\nwant\n%s", got, want)
						}
						return nil
					},
				),
			},
			{
				// A rename is an in-place update: same id.
				Config: strings.Replace(userComplete, `= "Jane"`, `= "jane.doe"`, 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_user.jane", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					sameAttr("rollcall_user.jane", "id", &id),
					resource.TestCheckResourceAttr("rollcall_user.jane", "username", "jane.doe"),
				),
			},
			{
				// Removing attributes from the configuration clears them.
				Config: userMinimal("jane.doe"),
				Check: resource.ComposeAggregateTestCheckFunc(
					sameAttr("rollcall_user.jane", "id", &id),
					resource.TestCheckResourceAttr("rollcall_user.jane", "display_name", "jane.doe"),
					resource.TestCheckResourceAttr("rollcall_user.jane", "is_admin", "false"),
					resource.TestCheckResourceAttr("rollcall_user.jane", "attributes.%", "0"),
					func(*terraform.State) error {
						a := serverUser(t, c, &id).Attributes
						if a.FirstName != nil || a.Locale != nil || a.Phone != nil || a.ExternalID != nil || a.EmailVerified || len(a.Attributes) != 0 {
							return fmt.Errorf("attributes left out of the configuration are still set on the server: %+v", a)
						}
						return nil
					},
				),
			},
			{
				ResourceName:            "rollcall_user.jane",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"groups"},
			},
			{
				ResourceName:            "rollcall_user.jane",
				ImportState:             true,
				ImportStateId:           "jane.doe",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"groups"},
			},
			{
				ResourceName:  "rollcall_user.jane",
				ImportState:   true,
				ImportStateId: "nobody",
				ExpectError:   regexp.MustCompile(`no user has username "nobody"`),
			},
		},
	})
}

func TestUserNullAndEmptyStrings(t *testing.T) {
	_, c := startParallel(t)
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{
				Config: `
resource "rollcall_user" "u" {
  username        = "empty"
  email           = "empty@example.com"
  first_name      = ""
  last_name       = ""
  display_name    = ""
  locale          = ""
  phone           = ""
  mobile          = ""
  title           = ""
  department      = ""
  avatar_url      = ""
  external_id     = ""
  external_source = ""
  attributes      = {}
}
`,
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr("rollcall_user.u", "id", &id),
					resource.TestCheckResourceAttr("rollcall_user.u", "first_name", ""),
					resource.TestCheckResourceAttr("rollcall_user.u", "display_name", ""),
					resource.TestCheckResourceAttr("rollcall_user.u", "locale", ""),
					func(*terraform.State) error {
						a := serverUser(t, c, &id).Attributes
						if a.FirstName != nil || a.Title != nil || a.DisplayName != "empty" {
							return fmt.Errorf(`"" must be stored as unset: %+v`, a)
						}
						return nil
					},
				),
			},
			{
				// From "" to null is no change at all on the server; the
				// plan may only touch the state.
				Config: `
resource "rollcall_user" "u" {
  username = "empty"
  email    = "empty@example.com"
}
`,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckNoResourceAttr("rollcall_user.u", "first_name"),
					resource.TestCheckResourceAttr("rollcall_user.u", "display_name", "empty"),
				),
			},
		},
	})
}

func TestUserGroups(t *testing.T) {
	_, c := startParallel(t)
	other := mustCreateGroup(t, c, "other")
	var id string
	cfg := func(groups string) string {
		return `
resource "rollcall_group" "eng" { name = "eng" }
resource "rollcall_group" "ops" { name = "ops" }
resource "rollcall_user" "u" {
  username = "grace"
  email    = "grace@example.com"
` + groups + `
}
`
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{
				Config: cfg(`groups = [rollcall_group.eng.id, rollcall_group.ops.id]`),
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr("rollcall_user.u", "id", &id),
					resource.TestCheckResourceAttr("rollcall_user.u", "groups.#", "2"),
					resource.TestCheckTypeSetElemAttrPair("rollcall_user.u", "groups.*", "rollcall_group.eng", "id"),
				),
			},
			{
				// Order has no meaning: the same set written the other
				// way round is no change.
				Config:   cfg(`groups = [rollcall_group.ops.id, rollcall_group.eng.id]`),
				PlanOnly: true,
			},
			{
				// A membership added outside Terraform is drift while
				// groups is authoritative.
				PreConfig: func() {
					if err := c.Users.AddUserGroups(context.Background(), id, []string{other.ID}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg(`groups = [rollcall_group.ops.id, rollcall_group.eng.id]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_user.u", plancheck.ResourceActionUpdate),
				}},
				Check: resource.TestCheckResourceAttr("rollcall_user.u", "groups.#", "2"),
			},
			{
				// groups = [] means no groups, and it settles (the
				// framework's empty-plan check after apply).
				Config: cfg(`groups = []`),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("rollcall_user.u", "groups.#", "0"),
					func(*terraform.State) error {
						if g := serverUser(t, c, &id).GroupIDs(); len(g) != 0 {
							return fmt.Errorf("groups = [] left the user in %v", g)
						}
						return nil
					},
				),
			},
			{
				// Left out, groups are not managed: memberships made
				// elsewhere stay and cause no diff.
				PreConfig: func() {
					if err := c.Users.AddUserGroups(context.Background(), id, []string{other.ID}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg(``),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckNoResourceAttr("rollcall_user.u", "groups"),
					func(*terraform.State) error {
						if g := serverUser(t, c, &id).GroupIDs(); len(g) != 1 || g[0] != other.ID {
							return fmt.Errorf("unmanaged groups were changed: %v", g)
						}
						return nil
					},
				),
			},
			{
				PreConfig: func() {
					if err := c.Users.SetUserGroups(context.Background(), id, []string{}); err != nil {
						t.Fatal(err)
					}
				},
				Config:   cfg(``),
				PlanOnly: true,
			},
			{
				// A rename keeps the id and the memberships.
				Config: strings.Replace(cfg(`groups = [rollcall_group.eng.id, rollcall_group.ops.id]`), `"grace"`, `"grace.hopper"`, 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_user.u", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					sameAttr("rollcall_user.u", "id", &id),
					func(*terraform.State) error {
						u := serverUser(t, c, &id)
						if u.Attributes.Username != "grace.hopper" || len(u.GroupIDs()) != 2 {
							return fmt.Errorf("after the rename the server has %s in %v", u.Attributes.Username, u.GroupIDs())
						}
						return nil
					},
				),
			},
		},
	})
}

func TestUserDrift(t *testing.T) {
	_, c := startParallel(t)
	var id string
	cfg := `
resource "rollcall_user" "d" {
  username   = "drift"
  email      = "drift@example.com"
  first_name = "Dee"
  title      = "Engineer"
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{Config: cfg, Check: captureAttr("rollcall_user.d", "id", &id)},
			{
				// Changed outside Terraform: the plan puts it back.
				PreConfig: func() {
					_, err := c.Users.Update(context.Background(), id, api.UserWriteAttributes{
						Title: api.Some("Manager"), DisplayName: api.Some("Boss"), Department: api.Some("Sales"),
					}, nil, "")
					if err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_user.d", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					sameAttr("rollcall_user.d", "id", &id),
					resource.TestCheckResourceAttr("rollcall_user.d", "title", "Engineer"),
					resource.TestCheckResourceAttr("rollcall_user.d", "display_name", "Dee"),
					func(*terraform.State) error {
						if a := serverUser(t, c, &id).Attributes; a.Department != nil || a.DisplayName != "Dee" {
							return fmt.Errorf("drift was not undone: %+v", a)
						}
						return nil
					},
				),
			},
			{
				// Deleted outside Terraform: no error, the plan creates it.
				PreConfig: func() {
					if err := c.Users.Delete(context.Background(), id); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollcall_user.d", plancheck.ResourceActionCreate),
				}},
				Check: resource.TestCheckResourceAttr("rollcall_user.d", "username", "drift"),
			},
		},
	})
}

func TestUserDisabled(t *testing.T) {
	_, c := startParallel(t)
	var id string
	cfg := func(disabled bool) string {
		return fmt.Sprintf(`
resource "rollcall_user" "leaver" {
  username = "leaver"
  email    = "leaver@example.com"
  disabled = %v
}
`, disabled)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{
				Config: cfg(true),
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr("rollcall_user.leaver", "id", &id),
					resource.TestCheckResourceAttr("rollcall_user.leaver", "status", "disabled"),
				),
			},
			{
				Config: cfg(false),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("rollcall_user.leaver", "status", "pending-setup"),
					func(*terraform.State) error {
						if serverUser(t, c, &id).Attributes.Disabled {
							return fmt.Errorf("the user is still disabled on the server")
						}
						return nil
					},
				),
			},
			{
				Config: cfg(true),
				Check:  resource.TestCheckResourceAttr("rollcall_user.leaver", "status", "disabled"),
			},
		},
	})
}

func TestUserValidationAtPlan(t *testing.T) {
	startParallel(t)
	user := func(extra string) string {
		email := `email = "bad@example.com"`
		if strings.HasPrefix(extra, "email") {
			email = ""
		}
		return `
resource "rollcall_user" "bad" {
  username = "bad"
  ` + email + `
  ` + extra + `
}
`
	}
	long := strings.Repeat("x", 251)
	steps := []resource.TestStep{}
	for _, tc := range []struct{ config, want string }{
		{`email = "not an address"`, `email "not an address" is not a valid address: give one bare address such as jane@example.com`},
		{`locale = "english please"`, `locale "english please" is not a BCP 47 language tag; use a tag such as en, en-US or de-DE`},
		{`first_name = "` + long + `"`, `first-name is 251 characters long; at most 250 are allowed`},
		{`title = "` + strings.Repeat("t", 129) + `"`, `title is 129 characters long; at most 128 are allowed`},
		{`avatar_url = "ftp://example.com/a.png"`, `avatar-url "ftp://example.com/a.png" must be an absolute http:// or https:// URL`},
		{`attributes = { "Bad-Key" = "x" }`, `attribute key "Bad-Key" must start with a lower-case letter and contain only a-z, 0-9 and _`},
		{`groups = ["eng"]`, `group id: id "eng" is not a UUID`},
	} {
		steps = append(steps, resource.TestStep{Config: user(tc.config), PlanOnly: true, ExpectError: wrapped(tc.want)})
	}
	steps = append(steps, resource.TestStep{
		Config: `
resource "rollcall_user" "bad" {
  username = "-bad-"
  email    = "bad@example.com"
}
`,
		PlanOnly:    true,
		ExpectError: wrapped(`username "-bad-" may contain only lower-case letters a-z, digits 0-9 and \. _ @ -, and must start and end with a letter or digit`),
	})
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factoriesFor(t), Steps: steps})
}

func TestUserServerRefusalPointsAtAttribute(t *testing.T) {
	_, c := startParallel(t)
	mustCreateUser(t, c, "taken")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{{
			Config: `
resource "rollcall_user" "dup" {
  username = "taken"
  email    = "other@example.com"
}
`,
			ExpectError: regexp.MustCompile(`(?s)with rollcall_user.dup,.*username_taken`),
		}},
	})
}

func TestUserTimeouts(t *testing.T) {
	startParallel(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{
				Config: `
resource "rollcall_user" "t" {
  username = "slowpoke"
  email    = "slowpoke@example.com"
  timeouts {
    create = "1ns"
  }
}
`,
				ExpectError: regexp.MustCompile(`(?s)Rollcall request timed out.*Raise the resource's timeouts`),
			},
			{
				Config: `
resource "rollcall_user" "t" {
  username = "slowpoke"
  email    = "slowpoke@example.com"
  timeouts {
    create = "2m"
    read   = "1m"
    update = "2m"
    delete = "30s"
  }
}
`,
				Check: resource.TestCheckResourceAttr("rollcall_user.t", "timeouts.create", "2m"),
			},
		},
	})
}
