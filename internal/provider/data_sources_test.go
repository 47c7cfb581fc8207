package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

func TestUserDataSource(t *testing.T) {
	_, c := startParallel(t)
	u, err := c.Users.Create(context.Background(), api.UserWriteAttributes{
		Username: api.Some("lookup"), Email: api.Some("Lookup@Example.com"), FirstName: api.Some("Lou"),
		Locale: api.Some("de_de"), ExternalID: api.Some("E-7"),
	}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	g := mustCreateGroup(t, c, "readers")
	if err := c.Groups.AddMembers(context.Background(), g.ID, []string{u.ID}); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{
				Config: fmt.Sprintf(`
data "rollcall_user" "by_id" { id = %q }
data "rollcall_user" "by_username" { username = "lookup" }
data "rollcall_user" "by_email" { email = "lookup@example.com" }
`, u.ID),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("data.rollcall_user.by_id", "username", "lookup"),
					resource.TestCheckResourceAttr("data.rollcall_user.by_id", "locale", "de-DE"),
					resource.TestCheckResourceAttr("data.rollcall_user.by_id", "display_name", "Lou"),
					resource.TestCheckNoResourceAttr("data.rollcall_user.by_id", "title"),
					resource.TestCheckResourceAttr("data.rollcall_user.by_id", "groups.#", "1"),
					resource.TestCheckResourceAttr("data.rollcall_user.by_id", "groups.0", g.ID),
					resource.TestCheckResourceAttr("data.rollcall_user.by_username", "id", u.ID),
					resource.TestCheckResourceAttr("data.rollcall_user.by_email", "id", u.ID),
					resource.TestCheckResourceAttr("data.rollcall_user.by_email", "external_id", "E-7"),
				),
			},
			{
				Config:      `data "rollcall_user" "missing" { username = "nobody" }`,
				ExpectError: regexp.MustCompile(`No Rollcall user has username nobody`),
			},
			{
				Config:      `data "rollcall_user" "two" {` + "\n" + `username = "lookup"` + "\n" + `email = "lookup@example.com"` + "\n}",
				ExpectError: regexp.MustCompile(`Give exactly one of id, username and email`),
			},
			{
				Config:      `data "rollcall_user" "bad" { email = "nope" }`,
				ExpectError: wrapped(`email "nope" is not a valid address`),
			},
			{
				// A valid last step, so the test's final destroy can run.
				Config: `data "rollcall_user" "ok" { username = "lookup" }`,
			},
		},
	})
}

// smallPages is a reverse proxy in front of a Rollcall server that makes
// every user list answer in pages of size users, so that a few users take
// several pages. It checks that the client asks for pages the server
// accepts, and counts the requests that follow a next link.
func smallPages(t *testing.T, target string, size int) (proxyURL string, follows *atomic.Int32) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	follows = new(atomic.Int32)
	proxy := httputil.NewSingleHostReverseProxy(u)
	var self string
	// The server's next links name the server; point them at the proxy.
	proxy.ModifyResponse = func(resp *http.Response) error {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		b = bytes.ReplaceAll(b, []byte(target), []byte(self))
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/api/v1/users" {
			q := r.URL.Query()
			if n, err := strconv.Atoi(q.Get("page[size]")); q.Has("page[size]") && (err != nil || n < 1 || n > client.MaxPageSize) {
				t.Errorf("the client asked for page[size]=%s", q.Get("page[size]"))
			}
			if q.Has("page[after]") {
				follows.Add(1)
			}
			q.Set("page[size]", strconv.Itoa(size))
			r.URL.RawQuery = q.Encode()
		}
		proxy.ServeHTTP(w, r)
	}))
	self = "http://" + srv.Listener.Addr().String()
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, follows
}

// TestUsersDataSourceReadsEveryPage lists more users than one page holds.
// The server answers in pages of two users here (smallPages), so five
// users are three pages; with the server's largest page, 1000, the test
// needed over a thousand users, which took most of its time.
func TestUsersDataSourceReadsEveryPage(t *testing.T) {
	srv, c := startParallel(t)
	proxy, follows := smallPages(t, srv.URL, 2)
	setAccEnv(t, "ROLLCALL_URL", proxy)
	const n = 5
	for i := range n {
		srv.CreateUser(t, fmt.Sprintf("bulk%04d", i), false)
	}
	g := mustCreateGroup(t, c, "few")
	var few []string
	for _, name := range []string{"bulk0001", "bulk0002", "bulk0004"} {
		u, err := c.Users.GetByUsername(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		few = append(few, u.ID)
	}
	if err := c.Groups.SetMembers(context.Background(), g.ID, few); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Users.Update(context.Background(), few[1], api.UserWriteAttributes{ExternalID: api.Some("HR-500")}, nil, ""); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{{
			Config: `
data "rollcall_users" "all" {}
data "rollcall_users" "bulk" { q = "bulk" }
data "rollcall_users" "few" { group = "few" }
data "rollcall_users" "hr" { external_id = "HR-500" }
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				// every bulk user plus the bootstrap admin
				resource.TestCheckResourceAttr("data.rollcall_users.all", "users.#", strconv.Itoa(n+1)),
				resource.TestCheckResourceAttr("data.rollcall_users.all", "ids.#", strconv.Itoa(n+1)),
				resource.TestCheckResourceAttr("data.rollcall_users.bulk", "users.#", strconv.Itoa(n)),
				resource.TestCheckResourceAttr("data.rollcall_users.bulk", "users.4.username", "bulk0004"),
				resource.TestCheckResourceAttr("data.rollcall_users.few", "users.#", "3"),
				resource.TestCheckResourceAttr("data.rollcall_users.hr", "users.#", "1"),
				resource.TestCheckResourceAttr("data.rollcall_users.hr", "users.0.username", "bulk0002"),
				resource.TestCheckResourceAttr("data.rollcall_users.hr", "ids.0", few[1]),
				func(*terraform.State) error {
					if follows.Load() == 0 {
						return fmt.Errorf("the provider followed no next link")
					}
					return nil
				},
			),
		}},
	})
}

func TestGroupDataSources(t *testing.T) {
	_, c := startParallel(t)
	g, err := c.Groups.Create(context.Background(), api.GroupWriteAttributes{
		Name: api.Some("sre"), FriendlyName: api.Some("Site Reliability"), Attributes: api.Some(map[string]string{"pager": "yes"}),
		CustomClaims: api.Some(json.RawMessage(`{"role": "sre", "level": 2}`)),
	}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	mustCreateGroup(t, c, "security")
	u := mustCreateUser(t, c, "sam")
	if err := c.Groups.AddMembers(context.Background(), g.ID, []string{u.ID}); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{
			{
				Config: fmt.Sprintf(`
data "rollcall_group" "by_name" { name = "sre" }
data "rollcall_group" "by_id" { id = %q }
data "rollcall_groups" "all" {}
data "rollcall_groups" "s" { q = "se" }
`, g.ID),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("data.rollcall_group.by_name", "id", g.ID),
					resource.TestCheckResourceAttr("data.rollcall_group.by_name", "friendly_name", "Site Reliability"),
					resource.TestCheckResourceAttr("data.rollcall_group.by_name", "attributes.pager", "yes"),
					resource.TestCheckResourceAttr("data.rollcall_group.by_name", "member_count", "1"),
					resource.TestCheckResourceAttr("data.rollcall_group.by_name", "custom_claims", `{"level":2,"role":"sre"}`),
					resource.TestCheckResourceAttr("data.rollcall_groups.s", "groups.0.custom_claims", `{}`),
					resource.TestCheckResourceAttr("data.rollcall_group.by_name", "member_ids.0", u.ID),
					resource.TestCheckNoResourceAttr("data.rollcall_group.by_name", "description"),
					resource.TestCheckResourceAttr("data.rollcall_group.by_id", "name", "sre"),
					resource.TestCheckResourceAttr("data.rollcall_groups.all", "groups.#", "2"),
					resource.TestCheckResourceAttr("data.rollcall_groups.s", "groups.#", "1"),
					resource.TestCheckResourceAttr("data.rollcall_groups.s", "groups.0.name", "security"),
				),
			},
			{
				Config:      `data "rollcall_group" "missing" { name = "nothing" }`,
				ExpectError: regexp.MustCompile(`No Rollcall group has name nothing`),
			},
		},
	})
}
