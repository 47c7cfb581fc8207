package web_test

import (
	"context"
	"crypto/sha256"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// TestAdminApplications registers an application in the admin console,
// sees its secret once (stored only as a hash), makes a new secret,
// changes every setting (refused with the API's words, audited) and
// deletes it; a wildcard redirect URI is refused with the API's words.
func TestAdminApplications(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	signInAdmin(t, srv, admin, b, "margaret")

	visit(t, b, srv.Config.PublicURL+"/admin/clients")
	waitText(t, b, "main", "No applications yet")
	fill(t, b, map[string]string{"f-name": "Grafana", "f-redirect-uris": "https://grafana.example.com/*"}, "#register-client")
	waitText(t, b, "main", "redirect URIs match exactly")

	fill(t, b, map[string]string{"f-name": "Grafana", "f-redirect-uris": "https://grafana.example.com/login/generic_oauth"}, "#register-client")
	waitText(t, b, "main", "Copy its secret now")
	secret, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector("#client-secret input").value`))
	if err != nil || len(secret) < 40 {
		t.Fatalf("secret on the page: %q %v", secret, err)
	}
	id, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector("#client-id").innerText`))
	if err != nil {
		t.Fatal(err)
	}
	o := srv.Store.(store.OIDCStore)
	c, err := o.GetOIDCClient(context.Background(), strings.TrimSpace(id))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(secret))
	if len(c.Secrets) != 1 || string(c.Secrets[0].Hash) != string(sum[:]) {
		t.Fatalf("the shown secret is not the stored one")
	}

	// Shown once: the page read again has no secret.
	visit(t, b, srv.Config.PublicURL+"/admin/clients/"+c.ID)
	if strings.Contains(pageText(b), secret) {
		t.Fatal("the secret is shown again")
	}
	click(t, b, "#rotate-secret", "/admin/clients/"+c.ID+"/rotate-secret")
	waitText(t, b, "main", "New secret made")
	if c, _ = o.GetOIDCClient(context.Background(), c.ID); len(c.Secrets) != 2 {
		t.Fatalf("secrets after rotation: %d", len(c.Secrets))
	}

	// Settings: refused with the API's words and nothing saved, then
	// saved, and the page is got again after the post (post/redirect/get).
	staff, err := admin.Groups.Create(context.Background(), api.GroupWriteAttributes{Name: api.Some("staff")}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, b, map[string]string{"f-redirect-uris": "https://grafana.example.com/*", "f-allowed-groups": "nosuch",
		"f-access-token-lifetime": "ten"}, "#save-client")
	waitText(t, b, "main", "Nothing was saved")
	for _, want := range []string{"redirect URIs match exactly", `no group is named "nosuch"`, "whole number of seconds"} {
		if !strings.Contains(pageText(b), want) {
			t.Errorf("the refused settings form does not say %q:\n%s", want, pageText(b))
		}
	}
	if got, _ := o.GetOIDCClient(context.Background(), c.ID); got.Version != c.Version {
		t.Fatalf("a refused form changed the application: version %d -> %d", c.Version, got.Version)
	}
	fill(t, b, map[string]string{
		"f-redirect-uris":             "https://grafana.example.com/login/generic_oauth\nhttps://grafana.example.com/other",
		"f-post-logout-redirect-uris": "https://grafana.example.com/",
		"f-allowed-groups":            "Staff",
		"f-access-token-lifetime":     "600",
		"f-refresh-token-lifetime":    "86400",
		"f-logo-url":                  "https://grafana.example.com/logo.svg",
		"f-launch-url":                "https://grafana.example.com/",
	}, "#save-client")
	waitText(t, b, "main", "Settings saved")
	if u, err := chromedp.Run(b, chromedp.Evaluate[string](`location.search`)); err != nil || u != "?done=csaved" {
		t.Errorf("after saving the page is %q (%v), want the application's page got again", u, err)
	}
	got, err := o.GetOIDCClient(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.RedirectURIs) != 2 || len(got.PostLogoutRedirectURIs) != 1 || len(got.AllowedGroupIDs) != 1 || got.AllowedGroupIDs[0] != staff.ID ||
		got.AccessTokenTTL != 10*time.Minute || got.IDTokenTTL != 0 || got.RefreshTokenTTL != 24*time.Hour ||
		got.LogoURL != "https://grafana.example.com/logo.svg" || got.LaunchURL != "https://grafana.example.com/" || len(got.Secrets) != 2 {
		t.Fatalf("settings saved as %+v", got)
	}
	if v, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector("#f-allowed-groups").value`)); err != nil || v != "staff" {
		t.Errorf("allowed groups shown as %q (%v)", v, err)
	}

	// The settings the API also changes: client type, grant types,
	// back-channel logout, access token format and attribute claims.
	// Refused with the API's words first, nothing saved.
	fill(t, b, map[string]string{"f-attribute-claims": "email = employee_id", "f-backchannel-logout-uri": "grafana.example.com/logout"}, "#save-client")
	waitText(t, b, "main", "Nothing was saved")
	for _, want := range []string{`claim "email" is set by Rollcall itself`, `backchannel-logout-uri entry "grafana.example.com/logout" must be an absolute`} {
		if !strings.Contains(pageText(b), want) {
			t.Errorf("the refused settings form does not say %q:\n%s", want, pageText(b))
		}
	}
	fill(t, b, map[string]string{"f-attribute-claims": "not a mapping"}, "#save-client")
	waitText(t, b, "main", `"not a mapping" is not a mapping`)
	visit(t, b, srv.Config.PublicURL+"/admin/clients/"+c.ID)
	setChecked(t, b, "#f-grant-client-credentials", true)
	fill(t, b, map[string]string{"f-client-type": "public"}, "#save-client")
	waitText(t, b, "main", "client_credentials needs a confidential client")
	if now, _ := o.GetOIDCClient(context.Background(), c.ID); now.Version != got.Version {
		t.Fatalf("a refused form changed the application: version %d -> %d", got.Version, now.Version)
	}

	visit(t, b, srv.Config.PublicURL+"/admin/clients/"+c.ID)
	setChecked(t, b, "#f-grant-device-code", true)
	fill(t, b, map[string]string{
		"f-client-type":            "public",
		"f-backchannel-logout-uri": "https://grafana.example.com/backchannel",
		"f-access-token-format":    "jwt",
		"f-attribute-claims":       "employee_number = employee_id\n\ncost_center=cost_center",
	}, "#save-client")
	// Making it public deletes its two secrets: a confirmation first, and
	// until it is confirmed nothing changes.
	waitText(t, b, "main", "Make "+got.Name+" a public application?")
	if !strings.Contains(pageText(b), "saving deletes its 2 secrets at once") {
		t.Errorf("the confirmation does not say the secrets go:\n%s", pageText(b))
	}
	if now, _ := o.GetOIDCClient(context.Background(), c.ID); now.Version != got.Version || now.Public || len(now.Secrets) != 2 {
		t.Fatalf("asking for confirmation changed the application: %+v", now)
	}
	click(t, b, "#confirm-button", "")
	waitText(t, b, "main", "Settings saved")
	// What the page shows after the redirect is what was stored.
	shown := map[string]string{}
	for _, sel := range []string{"#f-client-type", "#f-access-token-format", "#f-backchannel-logout-uri", "#f-attribute-claims"} {
		v, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector(`+jsString(sel)+`).value`))
		if err != nil {
			t.Fatal(err)
		}
		shown[sel] = v
	}
	grants, err := chromedp.Run(b, chromedp.Evaluate[string](`[...document.querySelectorAll("input[name=grant-types]:checked")].map(e => e.value).join(" ")`))
	if err != nil {
		t.Fatal(err)
	}
	if shown["#f-client-type"] != "public" || shown["#f-access-token-format"] != "jwt" || shown["#f-backchannel-logout-uri"] != "https://grafana.example.com/backchannel" ||
		shown["#f-attribute-claims"] != "cost_center = cost_center\nemployee_number = employee_id" ||
		grants != "authorization_code refresh_token "+api.GrantDeviceCode {
		t.Errorf("the page shows %v, grant types %q", shown, grants)
	}
	for _, want := range []string{"JWT (RFC 9068)", "https://grafana.example.com/backchannel", "public"} {
		if !strings.Contains(pageText(b), want) {
			t.Errorf("the settings do not show %q:\n%s", want, pageText(b))
		}
	}
	got, err = o.GetOIDCClient(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Public || len(got.Secrets) != 0 || got.AccessTokenFormat != "jwt" || got.BackchannelLogoutURI != "https://grafana.example.com/backchannel" ||
		len(got.GrantTypes) != 3 || got.GrantTypes[2] != api.GrantDeviceCode ||
		len(got.AttributeClaims) != 2 || got.AttributeClaims["employee_number"] != "employee_id" || got.AttributeClaims["cost_center"] != "cost_center" {
		t.Fatalf("settings saved as %+v", got)
	}
	evs, _, err := srv.Store.ListAuditEvents(context.Background(), store.AuditFilter{TargetID: c.ID, Action: "oidc_client.update"}, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range evs {
		a := string(e.After)
		audited = audited || e.ActorName == "margaret" && strings.Contains(a, `"public":true`) && strings.Contains(a, `"access-token-format":"jwt"`) &&
			strings.Contains(a, `"backchannel-logout-uri"`) && strings.Contains(a, `"attribute-claims"`) && strings.Contains(a, `"grant-types"`)
	}
	if !audited {
		t.Errorf("no audit event by margaret holds the change: %+v", evs)
	}

	// Back to confidential: it has no secret until one is made.
	fill(t, b, map[string]string{"f-client-type": "confidential"}, "#save-client")
	waitText(t, b, "main", "has no secret yet")
	click(t, b, "#rotate-secret", "/admin/clients/"+c.ID+"/rotate-secret")
	waitText(t, b, "main", "New secret made")
	if got, _ = o.GetOIDCClient(context.Background(), c.ID); got.Public || len(got.Secrets) != 1 {
		t.Fatalf("after making it confidential and a secret: public %v, %d secrets", got.Public, len(got.Secrets))
	}

	click(t, b, "#delete-client", "/admin/clients")
	waitText(t, b, "main", "Application deleted")
	if _, err := o.GetOIDCClient(context.Background(), c.ID); err == nil {
		t.Fatal("the application is still there")
	}
}

// setChecked ticks or unticks a checkbox.
func setChecked(t *testing.T, b context.Context, sel string, on bool) {
	t.Helper()
	js := `(() => { const el = document.querySelector(` + jsString(sel) + `); if (!el) return false; el.checked = ` + strconv.FormatBool(on) + `; return true; })()`
	if ok, err := chromedp.Run(b, chromedp.Evaluate[bool](js)); err != nil || !ok {
		t.Fatalf("set %s checked=%v: %v %v", sel, on, ok, err)
	}
}
