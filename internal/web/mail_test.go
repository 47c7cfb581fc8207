package web_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"regexp"
	"strings"
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
	parts := mailParts(t, m)
	body := []byte(parts["text/plain"])
	found := regexp.MustCompile(`http://localhost:\d+/setup/[A-Za-z0-9_-]{43}`).Find(body)
	if string(found) != link.Attributes.URL {
		t.Fatalf("the mail's link %q is not the link the API returned %q; body:\n%s", found, link.Attributes.URL, body)
	}
	// The HTML part says the same, with the link as a button.
	html := parts["text/html"]
	for _, want := range []string{"Hello Lin Chen,", `<strong>lin</strong>`, `href="` + link.Attributes.URL + `"`, "Set up your passkey", "The link works once and expires on"} {
		if !strings.Contains(html, want) {
			t.Fatalf("the HTML part lacks %q:\n%s", want, html)
		}
	}
	if !strings.Contains(string(body), "Hello Lin Chen,") {
		t.Fatalf("the text part:\n%s", body)
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

// mailParts reads a delivered message into its parts by media type: the
// text and HTML alternatives of a multipart/alternative message, each
// decoded from quoted-printable.
func mailParts(t *testing.T, m *netmail.Message) map[string]string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("the mail is %q (%v), want multipart/alternative with a text and an HTML part", m.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		typ, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		var body []byte
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body, err = io.ReadAll(quotedprintable.NewReader(p))
		} else {
			body, err = io.ReadAll(p)
		}
		if err != nil {
			t.Fatal(err)
		}
		out[typ] = string(body)
	}
	if out["text/plain"] == "" || out["text/html"] == "" {
		t.Fatalf("mail parts: %v", out)
	}
	return out
}
