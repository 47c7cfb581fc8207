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
