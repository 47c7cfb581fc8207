// Package mail sends Rollcall's few emails (setup links) over SMTP.
//
// The server is configured by one URL, ROLLCALL_SMTP_URL:
//
//	smtp://user:password@mail.example.com:587?from=rollcall@example.com
//	smtps://user:password@mail.example.com:465?from=rollcall@example.com
//
// smtp:// upgrades to TLS with STARTTLS, which a remote server must offer
// (only a relay on a loopback address is spoken to in clear text);
// smtps:// speaks TLS from the start. The from parameter is required.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Sender sends mail through one SMTP server. It is safe for concurrent use:
// each message opens its own connection.
type Sender struct {
	addr     string // host:port
	host     string
	implicit bool // smtps://
	user     string
	password string
	from     mail.Address
	timeout  time.Duration
	// TLSConfig, when set, replaces the default TLS settings (tests use it
	// to trust their own certificate).
	TLSConfig *tls.Config
}

// Parse builds a Sender from an SMTP URL such as
// smtp://user:pass@mail.example.com:587?from=rollcall@example.com.
func Parse(raw string) (*Sender, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("SMTP URL is not a URL; use smtp://user:password@host:587?from=rollcall@example.com")
	}
	s := &Sender{timeout: 30 * time.Second}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.implicit = true
	default:
		return nil, fmt.Errorf("SMTP URL scheme %q is not supported; use smtp:// (STARTTLS when offered) or smtps:// (TLS from the start)", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, fmt.Errorf("SMTP URL has no host; use smtp://user:password@host:587?from=rollcall@example.com")
	}
	port := u.Port()
	if port == "" {
		port = "587"
		if s.implicit {
			port = "465"
		}
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
	}
	from := u.Query().Get("from")
	if from == "" {
		return nil, fmt.Errorf("SMTP URL has no from address; add ?from=rollcall@example.com (the sender of the emails)")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("SMTP URL from address %q is not an email address such as rollcall@example.com or \"Rollcall <rollcall@example.com>\"", from)
	}
	s.from = *addr
	return s, nil
}

// String describes the server without its password, for logs.
func (s *Sender) String() string {
	scheme := "smtp"
	if s.implicit {
		scheme = "smtps"
	}
	return scheme + "://" + s.addr + " from " + s.from.Address
}

// Message is one plain-text email to one person.
type Message struct {
	To      mail.Address
	Subject string
	Body    string // plain text; lines may use \n
	// HTML, when set, is sent beside Body as the HTML alternative
	// (multipart/alternative): mail programs show one of the two.
	HTML string
}

// Send delivers m, or returns an error that says which step failed.
func (s *Sender) Send(ctx context.Context, m Message) error {
	deadline := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	dialer := &net.Dialer{Deadline: deadline}
	conn, err := dialer.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("sending email: connecting to SMTP server %s: %w", s.addr, err)
	}
	_ = conn.SetDeadline(deadline)
	tlsConfig := s.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	}
	var c *smtp.Client
	switch {
	case s.implicit:
		c = smtp.NewClient(tls.Client(conn, tlsConfig))
	case isLoopback(s.host):
		// A relay on this machine: nothing crosses the network.
		c = smtp.NewClient(conn)
	default:
		if c, err = smtp.NewClientStartTLS(conn, tlsConfig); err != nil {
			conn.Close()
			return fmt.Errorf("sending email: STARTTLS with %s failed (%w); Rollcall sends mail to a remote server only over TLS: use a server that offers STARTTLS, or smtps://", s.addr, err)
		}
	}
	defer c.Close()
	if s.user != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.user, s.password)); err != nil {
			return fmt.Errorf("sending email: signing in to %s as %q: %w", s.addr, s.user, err)
		}
	}
	if err := c.SendMail(s.from.Address, []string{m.To.Address}, bytes.NewReader(s.compose(m, time.Now()))); err != nil {
		return fmt.Errorf("sending email to %s through %s: %w", m.To.Address, s.addr, err)
	}
	if err := c.Quit(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("sending email: closing the SMTP session with %s: %w", s.addr, err)
	}
	return nil
}

// compose renders the RFC 5322 message: UTF-8 text, quoted-printable, and
// with an HTML part the two as multipart/alternative.
func (s *Sender) compose(m Message, now time.Time) []byte {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", s.from.String())
	header("To", m.To.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", fmt.Sprintf("<%d.rollcall@%s>", now.UnixNano(), s.host))
	header("MIME-Version", "1.0")
	qp := func(w io.Writer, s string) {
		q := quotedprintable.NewWriter(w)
		_, _ = q.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")))
		_ = q.Close()
	}
	if m.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		qp(&b, m.Body)
		return b.Bytes()
	}
	var parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	header("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	for _, p := range []struct{ typ, body string }{{"text/plain; charset=utf-8", m.Body}, {"text/html; charset=utf-8", m.HTML}} {
		w, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {p.typ}, "Content-Transfer-Encoding": {"quoted-printable"}})
		qp(w, p.body)
	}
	_ = mw.Close()
	b.Write(parts.Bytes())
	return b.Bytes()
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
