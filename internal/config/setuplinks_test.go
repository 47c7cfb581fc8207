package config

import (
	"strings"
	"testing"
	"time"
)

func TestSetupLinkAndMailSettings(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SetupLinkTTL != 72*time.Hour || c.SMTPURL != "" || c.AdminEmail != "admin@localhost" {
		t.Fatalf("defaults: ttl %v, smtp %q, admin email %q", c.SetupLinkTTL, c.SMTPURL, c.AdminEmail)
	}
	c, err = load(t, nil, map[string]string{
		"ROLLCALL_SETUP_LINK_TTL": "30m",
		"ROLLCALL_SMTP_URL":       "smtp://u:p@mail.example.com:587?from=id@example.com",
		"ROLLCALL_ADMIN_EMAIL":    "it@example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.SetupLinkTTL != 30*time.Minute || !strings.HasPrefix(c.SMTPURL, "smtp://u:p@") || c.AdminEmail != "it@example.com" {
		t.Fatalf("from the environment: %+v", c)
	}
	for _, bad := range []string{"it", "IT <it@example.com>", "it@example.com\x00", "it\xff@example.com"} {
		_, err := load(t, nil, map[string]string{"ROLLCALL_ADMIN_EMAIL": bad})
		if err == nil || !strings.Contains(err.Error(), "ROLLCALL_ADMIN_EMAIL") || !strings.Contains(err.Error(), "email") {
			t.Errorf("ROLLCALL_ADMIN_EMAIL=%q: %v; want it refused", bad, err)
		}
	}
	for _, bad := range []string{"3 days", "0s", "30s", "2200h"} {
		if _, err := load(t, nil, map[string]string{"ROLLCALL_SETUP_LINK_TTL": bad}); err == nil || !strings.Contains(err.Error(), "ROLLCALL_SETUP_LINK_TTL") || !strings.Contains(err.Error(), "72h") {
			t.Errorf("ROLLCALL_SETUP_LINK_TTL=%q: %v", bad, err)
		}
	}
}

// TestFirstAdminLinkTTL: the first admin's link lives an hour unless the
// flag or ROLLCALL_FIRST_ADMIN_LINK_TTL says otherwise, the flag winning.
func TestFirstAdminLinkTTL(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil || c.FirstAdminLinkTTL != time.Hour {
		t.Fatalf("default: %v, %v; want 1h", c.FirstAdminLinkTTL, err)
	}
	c, err = load(t, nil, map[string]string{"ROLLCALL_FIRST_ADMIN_LINK_TTL": "15m"})
	if err != nil || c.FirstAdminLinkTTL != 15*time.Minute {
		t.Fatalf("from the environment: %v, %v", c.FirstAdminLinkTTL, err)
	}
	c, err = load(t, []string{"--first-admin-link-ttl", "2h"}, map[string]string{"ROLLCALL_FIRST_ADMIN_LINK_TTL": "15m"})
	if err != nil || c.FirstAdminLinkTTL != 2*time.Hour {
		t.Fatalf("flag over environment: %v, %v", c.FirstAdminLinkTTL, err)
	}
	for _, bad := range []string{"soon", "30s", "73h"} {
		if _, err := load(t, nil, map[string]string{"ROLLCALL_FIRST_ADMIN_LINK_TTL": bad}); err == nil ||
			!strings.Contains(err.Error(), "ROLLCALL_FIRST_ADMIN_LINK_TTL") || !strings.Contains(err.Error(), "1h") {
			t.Errorf("ROLLCALL_FIRST_ADMIN_LINK_TTL=%q: %v", bad, err)
		}
	}
}
