// Package mailtest runs a real SMTP server (emersion/go-smtp) on loopback
// inside the test process, so tests send mail over SMTP exactly as the
// server does in production and then read what arrived.
package mailtest

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one delivered email: the envelope and the raw RFC 5322 text.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Server is a running SMTP server that accepts mail after PLAIN
// authentication with its user and password.
type Server struct {
	Addr     string // 127.0.0.1:PORT
	User     string
	Password string

	mu   sync.Mutex
	msgs []Message
	recv chan struct{}
}

// Start starts a server for t and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{User: "rollcall", Password: "s3cret", recv: make(chan struct{}, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback only, no TLS certificate to set up
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return s
}

// URL is the ROLLCALL_SMTP_URL for this server with the given sender.
func (s *Server) URL(from string) string {
	u := url.URL{Scheme: "smtp", User: url.UserPassword(s.User, s.Password), Host: s.Addr, RawQuery: url.Values{"from": {from}}.Encode()}
	return u.String()
}

// Messages returns the mail delivered so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Received is signalled once per delivered message.
func (s *Server) Received() <-chan struct{} { return s.recv }

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.User || pass != x.s.Password {
			return errors.New("invalid username or password")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, Message{From: x.from, To: x.to, Data: b})
	x.s.mu.Unlock()
	x.s.recv <- struct{}{}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
