package mail_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/mail"
	"github.com/rollcall/rollcall/internal/mail/mailtest"
)

func TestParseRefusesWhatCannotWork(t *testing.T) {
	for raw, want := range map[string]string{
		"http://mail.example.com?from=a@example.com":  "scheme \"http\" is not supported",
		"smtp://mail.example.com:587":                 "no from address",
		"smtp://mail.example.com?from=not-an-address": "is not an email address",
		"smtp://:587?from=a@example.com":              "has no host",
	} {
		_, err := mail.Parse(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", raw, err, want)
		}
	}
	s, err := mail.Parse("smtps://u:topsecret@mail.example.com?from=Rollcall+%3Crc@example.com%3E")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.String(); got != "smtps://mail.example.com:465 from rc@example.com" || strings.Contains(got, "topsecret") {
		t.Errorf("String() = %q", got)
	}
}

// TestSendOverSMTP delivers a message to a real SMTP server on loopback
// and reads it back as a mail client would.
func TestSendOverSMTP(t *testing.T) {
	srv := mailtest.Start(t)
	s, err := mail.Parse(srv.URL("Rollcall <rollcall@example.com>"))
	if err != nil {
		t.Fatal(err)
	}
	link := "http://localhost:8080/setup/" + strings.Repeat("x", 43)
	err = s.Send(context.Background(), mail.Message{
		To:      netmail.Address{Name: "Zoë Ådams", Address: "zoe@example.com"},
		Subject: "Set up your Rollcall passkey",
		Body:    "Hello Zoë,\n\nopen this link:\n\n" + link + "\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].From != "rollcall@example.com" || len(msgs[0].To) != 1 || msgs[0].To[0] != "zoe@example.com" {
		t.Fatalf("envelope: %+v", msgs)
	}
	m, err := netmail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	to, _ := m.Header.AddressList("To")
	if subject != "Set up your Rollcall passkey" || len(to) != 1 || to[0].Name != "Zoë Ådams" {
		t.Fatalf("headers: subject %q, to %v", subject, to)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	if !strings.Contains(string(body), "\r\n"+link+"\r\n") || !strings.Contains(string(body), "Hello Zoë") {
		t.Fatalf("body does not hold the link on a line of its own:\n%s", body)
	}

	bad, _ := mail.Parse(strings.Replace(srv.URL("rollcall@example.com"), "s3cret", "wrong", 1))
	if err := bad.Send(context.Background(), mail.Message{To: netmail.Address{Address: "zoe@example.com"}, Subject: "x", Body: "x"}); err == nil ||
		!strings.Contains(err.Error(), `signing in to `+srv.Addr+` as "rollcall"`) {
		t.Fatalf("wrong password: %v", err)
	}
}
