package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/rollcall/rollcall/internal/testserver"
)

// scimDo sends one SCIM request with token and decodes the answer.
func scimDo(t *testing.T, srv *testserver.Server, token, method, path, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %v %v", method, path, res.StatusCode, err, m)
	}
	return m
}

// TestUserSCIMCreatedIsImported: a user that Okta provisioned over SCIM
// and the configuration also declares is one user, matched by username.
// Creating it is refused with an error that says how to import it and
// who provisioned it; after `terraform import rollcall_user.jane jane` the
// apply changes that same user, and the SCIM client sees the change.
func TestUserSCIMCreatedIsImported(t *testing.T) {
	testserver.Backends(t, testUserSCIMCreatedIsImported)
}

func testUserSCIMCreatedIsImported(t *testing.T, backend testserver.Option) {
	srv, c := startParallel(t, backend)
	tok, err := c.Tokens.Create(context.Background(), "okta", nil, "", "scim")
	if err != nil {
		t.Fatal(err)
	}
	okta := tok.Attributes.Token
	created := scimDo(t, srv, okta, "POST", "/scim/v2/Users",
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane","externalId":"00u1","name":{"givenName":"Jane","familyName":"Doe"},"emails":[{"value":"jane@example.com","primary":true}]}`)
	id := created["id"].(string)
	config := `
resource "rollcall_user" "jane" {
  username   = "jane"
  email      = "jane@example.com"
  first_name = "Jane"
  last_name  = "Doe"
  title      = "Engineer"
  lifecycle {
    ignore_changes = [external_id, external_source]
  }
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{
				Config: config,
				ExpectError: regexp.MustCompile(`(?s)with rollcall_user.jane,.*username_taken.*provisioned\s+by\s+"okta".*` +
					`terraform\s+import\s+rollcall_user\.NAME\s+jane.*import\s+\{\s+to\s+=\s+rollcall_user\.NAME\s+id\s+=\s+"jane"\s+\}`),
			},
			{
				Config:             config,
				ResourceName:       "rollcall_user.jane",
				ImportState:        true,
				ImportStateId:      "jane",
				ImportStatePersist: true,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 || states[0].ID != id {
						t.Errorf("imported %v, want the SCIM user %s", states, id)
					}
					return nil
				},
			},
			{
				Config: config,
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("rollcall_user.jane", "id", id),
					// The SCIM client sees its user with Terraform's change, and no second user.
					func(*terraform.State) error {
						got := scimDo(t, srv, okta, "GET", "/scim/v2/Users/"+id, "")
						if got["title"] != "Engineer" || got["userName"] != "jane" || got["externalId"] != "00u1" {
							t.Errorf("the SCIM user after terraform apply: %v", got)
						}
						list := scimDo(t, srv, okta, "GET", "/scim/v2/Users?filter=userName+eq+%22jane%22", "")
						if list["totalResults"] != float64(1) {
							t.Errorf("users named jane: %v", list)
						}
						return nil
					},
				),
			},
		},
	})
}
