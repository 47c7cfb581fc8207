package oidc

import (
	"context"
	"sync"

	"github.com/rollcall/rollcall/internal/store"
)

// memo keeps, for the length of one request, what the library's storage
// calls would otherwise read again. A code exchange asked the store for the
// client four times (to find it, to check its secret, to issue the tokens,
// for the ID token's claims) and for the person twice (may they still use
// the client, then their claims), and ended with a write transaction that
// could never delete anything: the library's DeleteAuthRequest, for a
// request that has a code and is therefore kept to recognise a replay.
// Within one request the repeated reads add nothing (a change that lands
// between them could as well have landed just after the request), and the
// memo lives in the request's context only, so nothing is kept beyond the
// request: every request still reads the database afresh, as DESIGN.md
// asks of state shared by several instances.
type memo struct {
	mu       sync.Mutex
	clients  map[string]store.OIDCClient
	people   map[string]person
	withCode map[string]bool // authorization requests found by their code
}

const memoKey ctxKey = 1

// withMemo returns ctx with a fresh memo.
func withMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey, &memo{})
}

// memoOf returns the request's memo, or nil outside a request; a nil memo
// remembers nothing.
func memoOf(ctx context.Context) *memo {
	m, _ := ctx.Value(memoKey).(*memo)
	return m
}

func (m *memo) client(id string) (store.OIDCClient, bool) {
	if m == nil {
		return store.OIDCClient{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.clients[id]
	return c, ok
}

func (m *memo) putClient(c store.OIDCClient) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.clients == nil {
		m.clients = map[string]store.OIDCClient{}
	}
	m.clients[c.ID] = c
}

// person is a user with their groups' claims (store.GetUserForClaims).
type person struct {
	user   store.User
	groups []store.Group
}

func (m *memo) person(id string) (person, bool) {
	if m == nil {
		return person{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.people[id]
	return p, ok
}

func (m *memo) putPerson(p person) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.people == nil {
		m.people = map[string]person{}
	}
	m.people[p.user.ID] = p
}

// markCode records that the authorization request id was found by its
// code.
func (m *memo) markCode(id string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.withCode == nil {
		m.withCode = map[string]bool{}
	}
	m.withCode[id] = true
}

func (m *memo) hasCode(id string) bool {
	if m == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.withCode[id]
}
