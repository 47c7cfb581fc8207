package server_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/server"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/rollcall/rollcall/internal/testserver"
)

func setupLinkBody(sendEmail bool) map[string]any {
	return map[string]any{"data": map[string]any{"type": "setup-links", "attributes": map[string]any{"send-email": sendEmail}}}
}

// TestSetupLinks covers POST /api/v1/users/{id}/setup-links: who may make
// one, the configured lifetime, the optional body, and email requests
// without SMTP or with a failing mail server.
func TestSetupLinks(t *testing.T) {
	// The SMTP URL points at a port nobody listens on: mailing fails, the
	// link is still made.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadSMTP := ln.Addr().String()
	ln.Close()
	srv := testserver.Start(t, testserver.WithConfig(func(c *config.Config) { c.SetupLinkTTL = 2 * time.Hour }))
	ada := createUser(t, srv, map[string]any{"username": "ada", "email": "ada@example.com"})
	path := "/api/v1/users/" + ada.ID + "/setup-links"

	// No body at all: the defaults (the API still wants the media type).
	r := call(t, srv, req{method: "POST", path: path, token: srv.AdminToken, header: map[string]string{"Content-Type": api.MediaType}})
	mustStatus(t, r, http.StatusCreated)
	var doc api.Document[api.SetupLink]
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	l := doc.Data
	if l.Type != "setup-links" || !strings.HasPrefix(l.Attributes.URL, srv.URL+"/setup/") || l.Attributes.EmailSent ||
		l.Relationships.User.Data == nil || l.Relationships.User.Data.ID != ada.ID {
		t.Fatalf("setup link %s", r.Body)
	}
	if d := time.Until(l.Attributes.ExpiresAt); d < 119*time.Minute || d > 2*time.Hour {
		t.Fatalf("expires in %v, want the configured 2h", d)
	}
	r2 := call(t, srv, req{method: "POST", path: path, token: srv.AdminToken, body: setupLinkBody(false)})
	mustStatus(t, r2, http.StatusCreated)
	if strings.Contains(string(r2.Body), l.Attributes.URL) {
		t.Fatal("two requests returned the same link")
	}

	wantError(t, call(t, srv, req{method: "POST", path: path, token: srv.AdminToken, body: setupLinkBody(true)}),
		http.StatusUnprocessableEntity, api.CodeEmailUnavailable, "/data/attributes/send-email")
	wantError(t, call(t, srv, req{method: "POST", path: path, token: srv.AdminToken, noValidate: true,
		body: map[string]any{"data": map[string]any{"type": "users"}}}), http.StatusBadRequest, api.CodeInvalidDocument, "/data/type")
	wantError(t, call(t, srv, req{method: "POST", path: "/api/v1/users/2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71/setup-links", token: srv.AdminToken, body: setupLinkBody(false)}),
		http.StatusNotFound, api.CodeNotFound, "")

	bob := srv.CreateUser(t, "bob", false)
	bobTok := srv.NewToken(t, bob.ID, nil)
	wantError(t, call(t, srv, req{method: "POST", path: path, token: bobTok, body: setupLinkBody(false)}), http.StatusNotFound, api.CodeNotFound, "")
	wantError(t, call(t, srv, req{method: "POST", path: "/api/v1/users/" + bob.ID + "/setup-links", token: bobTok, body: setupLinkBody(false)}),
		http.StatusForbidden, api.CodeForbidden, "")
	wantError(t, call(t, srv, req{method: "POST", path: path, body: setupLinkBody(false)}), http.StatusUnauthorized, api.CodeUnauthorized, "")

	mailing := testserver.Start(t, testserver.WithConfig(func(c *config.Config) {
		c.SMTPURL = "smtp://rc:pw@" + deadSMTP + "?from=rollcall@example.com"
	}))
	grace := createUser(t, mailing, map[string]any{"username": "grace", "email": "grace@example.com"})
	r = call(t, mailing, req{method: "POST", path: "/api/v1/users/" + grace.ID + "/setup-links", token: mailing.AdminToken, body: setupLinkBody(true)})
	mustStatus(t, r, http.StatusCreated)
	var withWarning struct {
		Data api.SetupLink     `json:"data"`
		Meta map[string]string `json:"meta"`
	}
	if err := json.Unmarshal(r.Body, &withWarning); err != nil {
		t.Fatal(err)
	}
	if withWarning.Data.Attributes.EmailSent || withWarning.Data.Attributes.URL == "" ||
		!strings.Contains(withWarning.Meta["warning"], "could not be emailed to grace@example.com") {
		t.Fatalf("failed mail: %s", r.Body)
	}
}

// TestBadSMTPURLStopsTheServer: a wrong ROLLCALL_SMTP_URL is reported at
// start, not at the first email.
func TestBadSMTPURLStopsTheServer(t *testing.T) {
	cfg := config.Default()
	cfg.SMTPURL = "smtp://mail.example.com:587"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = server.New(cfg, st, nil)
	if err == nil || !strings.Contains(err.Error(), "ROLLCALL_SMTP_URL") || !strings.Contains(err.Error(), "no from address") {
		t.Fatalf("server.New with an SMTP URL without from: %v", err)
	}
}
