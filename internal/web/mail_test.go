package web_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"regexp"
	"testing"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/mail/mailtest"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestSetupLinkByEmail configures the server with a real SMTP server on
// loopback, asks the API to email a setup link, and follows the link from
// the delivered mail in the browser to a registered passkey.
func TestSetupLinkByEmail(t *testing.T) {
	smtp := mailtest.Start(t)
	srv := startServer(t, testserver.WithConfig(func(c *config.Config) { c.SMTPURL = smtp.URL("Rollcall <rollcall@example.com>") }))
	admin := adminClient(t, srv)
	ctx := context.Background()
	lin := createUser(t, admin, "lin", "Lin", "Chen")

	link, err := admin.Users.CreateSetupLink(ctx, lin.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if !link.Attributes.EmailSent {
		t.Fatalf("email-sent is false; server log:\n%s", srv.Logs())
	}
	msgs := smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(msgs))
	}
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "lin@example.com" || msgs[0].From != "rollcall@example.com" {
		t.Fatalf("envelope from %q to %v; want rollcall@example.com to lin@example.com", msgs[0].From, msgs[0].To)
	}
	m, err := netmail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if subject != "Set up your Rollcall passkey" {
		t.Fatalf("subject %q", subject)
	}
	if to, err := m.Header.AddressList("To"); err != nil || to[0].Address != "lin@example.com" || to[0].Name != "Lin Chen" {
		t.Fatalf("To header %v, %v", to, err)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	found := regexp.MustCompile(`http://localhost:\d+/setup/[A-Za-z0-9_-]{43}`).Find(body)
	if string(found) != link.Attributes.URL {
		t.Fatalf("the mail's link %q is not the link the API returned %q; body:\n%s", found, link.Attributes.URL, body)
	}

	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	visit(t, b, string(found))
	waitText(t, b, "main", "Welcome, Lin Chen")
	click(t, b, "#passkey-button", "/account")
	waitText(t, b, "main", "Your passkey is set up")
}

// TestAdminConsoleEmailsSetupLink creates a user in the admin console with
// "Email the setup link" ticked: the mail reaches the new user.
func TestAdminConsoleEmailsSetupLink(t *testing.T) {
	smtp := mailtest.Start(t)
	srv := startServer(t, testserver.WithConfig(func(c *config.Config) { c.SMTPURL = smtp.URL("rollcall@example.com") }))
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	signInAdmin(t, srv, adminClient(t, srv), b, "margaret")
	visit(t, b, srv.URL+"/admin/users/new")
	click(t, b, "#f-send-email", "")
	fill(t, b, map[string]string{"f-username": "hedy", "f-email": "hedy@example.com", "f-first-name": "Hedy", "f-last-name": "Lamarr"}, "main form button[type=submit]")
	waitText(t, b, "main", "Setup link created and emailed to hedy@example.com")
	msgs := smtp.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "hedy@example.com" {
		t.Fatalf("delivered: %+v", msgs)
	}
	if !bytes.Contains(msgs[0].Data, []byte("Hello Hedy Lamarr")) {
		t.Fatalf("mail:\n%s", msgs[0].Data)
	}
}
