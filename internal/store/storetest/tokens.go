package storetest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

func hash(secret string) []byte {
	h := sha256.Sum256([]byte("rc_" + secret))
	return h[:]
}

func testTokens(t *testing.T, s store.Store) {
	u := createUser(t, s, "svc")
	exp := time.Now().Add(90 * 24 * time.Hour).Round(0) // nanoseconds, to be truncated
	tok, err := s.CreateToken(ctx, store.Token{UserID: u.ID, Name: "terraform", Hash: hash("a"), Prefix: "rc_AbC", ExpiresAt: &exp}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.ID) != 36 || tok.LastUsedAt != nil {
		t.Errorf("created token %+v", tok)
	}
	checkTime(t, "token created", tok.CreatedAt)
	wantExp := exp.UTC().Truncate(time.Microsecond)
	if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(wantExp) || tok.ExpiresAt.Location() != time.UTC {
		t.Errorf("expires %v, want %v", tok.ExpiresAt, wantExp)
	}
	got, err := s.GetToken(ctx, tok.ID)
	if err != nil || !reflect.DeepEqual(got, tok) {
		t.Errorf("GetToken\n%+v, %v\nwant\n%+v", got, err, tok)
	}
	got, err = s.GetTokenByHash(ctx, hash("a"))
	if err != nil || !reflect.DeepEqual(got, tok) {
		t.Errorf("GetTokenByHash\n%+v, %v\nwant\n%+v", got, err, tok)
	}
	_, err = s.GetTokenByHash(ctx, hash("b"))
	wantErr(t, "unknown hash", err, store.ErrNotFound)
	_, err = s.GetToken(ctx, uid(404))
	wantErr(t, "unknown token id", err, store.ErrNotFound)

	_, err = s.CreateToken(ctx, store.Token{UserID: u.ID, Name: "dup", Hash: hash("a"), Prefix: "rc_AbC"}, meta)
	wantConflict(t, "same hash", err, "token")
	_, err = s.CreateToken(ctx, store.Token{UserID: uid(404), Name: "orphan", Hash: hash("c"), Prefix: "rc_c"}, meta)
	wantRefs(t, "token for unknown user", err, "user", uid(404))

	other := createUser(t, s, "other")
	t2, err := s.CreateToken(ctx, store.Token{UserID: other.ID, Name: "ci", Hash: hash("d"), Prefix: "rc_d"}, meta)
	if err != nil {
		t.Fatal(err)
	}
	toks, next, err := s.ListTokens(ctx, store.TokenFilter{UserID: other.ID}, store.Page{})
	if err != nil || next != "" || len(toks) != 1 || toks[0].ID != t2.ID {
		t.Errorf("tokens of other: %+v, %q, %v", toks, next, err)
	}
	if !slices.Equal(tok.Scopes, []string{store.ScopeAdmin}) || !slices.Equal(toks[0].Scopes, []string{store.ScopeAdmin}) {
		t.Errorf("a token made without scopes has %q and %q, want [admin]", tok.Scopes, toks[0].Scopes)
	}
	// Scopes come back normalised (sorted, once each) from every read.
	t3, err := s.CreateToken(ctx, store.Token{UserID: other.ID, Name: "okta", Hash: hash("e"), Prefix: "rc_e",
		Scopes: []string{store.ScopeSCIM, store.ScopeSCIM}}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetToken(ctx, t3.ID); err != nil || !slices.Equal(got.Scopes, []string{store.ScopeSCIM}) || !slices.Equal(t3.Scopes, got.Scopes) {
		t.Errorf("scim token: created %q, read %q, %v", t3.Scopes, got.Scopes, err)
	}
	if got, _, err := s.GetTokenAndOwner(ctx, hash("e")); err != nil || !got.HasScope(store.ScopeSCIM) || got.HasScope(store.ScopeAdmin) {
		t.Errorf("scim token by hash: %q, %v", got.Scopes, err)
	}

	if err := s.DeleteToken(ctx, tok.ID, meta); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetTokenByHash(ctx, hash("a"))
	wantErr(t, "revoked token", err, store.ErrNotFound)
	wantErr(t, "revoke again", s.DeleteToken(ctx, tok.ID, meta), store.ErrNotFound)

	ev := allAudit(t, s, store.AuditFilter{TargetID: tok.ID})
	if len(ev) != 2 || ev[0].Action != "token.delete" || ev[1].Action != "token.create" {
		t.Fatalf("token audit %+v", ev)
	}
	if ev[1].TargetType != "token" || ev[1].TargetName != "terraform" {
		t.Errorf("token event target %+v", ev[1])
	}
	jsonEqual(t, "token.create after", ev[1].After, obj{"name": "terraform", "prefix": "rc_AbC", "user-id": u.ID, "scopes": []string{"admin"}, "expires-at": wantExp})
	jsonEqual(t, "token.delete before", ev[0].Before, obj{"name": "terraform", "prefix": "rc_AbC", "user-id": u.ID, "scopes": []string{"admin"}, "expires-at": wantExp})
	for _, e := range allAudit(t, s, store.AuditFilter{}) {
		for _, enc := range []string{hex.EncodeToString(hash("a")), base64.StdEncoding.EncodeToString(hash("a")),
			base64.RawURLEncoding.EncodeToString(hash("a"))[:20]} {
			if strings.Contains(string(e.Before)+string(e.After), enc) {
				t.Errorf("audit event %s holds the token hash: %s %s", e.Action, e.Before, e.After)
			}
		}
	}
}

func testTokenPaging(t *testing.T, s store.Store) {
	u := createUser(t, s, "many")
	err := s.Atomic(ctx, func(tx store.Store) error {
		// One transaction: many share a created_at, so order falls to the id.
		for i := range 12 {
			_, err := tx.CreateToken(ctx, store.Token{UserID: u.ID, Name: fmt.Sprint(i), Hash: hash(fmt.Sprint(i)), Prefix: "rc_x"}, meta)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all, _, err := s.ListTokens(ctx, store.TokenFilter{}, store.Page{})
	if err != nil || len(all) != 12 {
		t.Fatalf("ListTokens: %d, %v", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.CreatedAt.After(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID >= b.ID) {
			t.Fatalf("tokens not ordered by created-at then id at %d", i)
		}
	}
	var got []string
	p := store.Page{Limit: 5}
	for {
		toks, next, err := s.ListTokens(ctx, store.TokenFilter{UserID: u.ID}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range toks {
			got = append(got, tk.ID)
		}
		if next == "" {
			break
		}
		p.After = next
	}
	var wantOrder []string
	for _, tk := range all {
		wantOrder = append(wantOrder, tk.ID)
	}
	if !reflect.DeepEqual(got, wantOrder) {
		t.Errorf("paged tokens %v\nwant %v", got, wantOrder)
	}
}

func testTouchTokens(t *testing.T, s store.Store) {
	u := createUser(t, s, "toucher")
	a, err := s.CreateToken(ctx, store.Token{UserID: u.ID, Name: "a", Hash: hash("ta"), Prefix: "rc_a"}, meta)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateToken(ctx, store.Token{UserID: u.ID, Name: "b", Hash: hash("tb"), Prefix: "rc_b"}, meta)
	if err != nil {
		t.Fatal(err)
	}
	n := countAudit(t, s)
	t1 := time.Now().Add(time.Second)
	if err := s.TouchTokens(ctx, map[string]time.Time{a.ID: t1, b.ID: t1.Add(time.Minute), uid(404): t1}); err != nil {
		t.Fatal(err)
	}
	ga, _ := s.GetToken(ctx, a.ID)
	gb, _ := s.GetTokenByHash(ctx, hash("tb"))
	w1 := t1.UTC().Truncate(time.Microsecond)
	if ga.LastUsedAt == nil || !ga.LastUsedAt.Equal(w1) || gb.LastUsedAt == nil || !gb.LastUsedAt.Equal(w1.Add(time.Minute)) {
		t.Errorf("last used %v %v, want %v and a minute later", ga.LastUsedAt, gb.LastUsedAt, w1)
	}
	// An older time does not move it back.
	if err := s.TouchTokens(ctx, map[string]time.Time{a.ID: t1.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if ga, _ := s.GetToken(ctx, a.ID); !ga.LastUsedAt.Equal(w1) {
		t.Errorf("older touch moved last used to %v", ga.LastUsedAt)
	}
	if err := s.TouchTokens(ctx, nil); err != nil {
		t.Errorf("TouchTokens(nil): %v", err)
	}
	if m := countAudit(t, s); m != n {
		t.Errorf("touching tokens wrote %d audit events", m-n)
	}
}

// testTokenCap: CreateTokenWithin stores tokens until the owner holds
// maxLive live ones, then fails with ErrTooManyTokens; expired tokens do
// not count, a revoked (deleted) one frees its place, and 20 creates at
// once for one user store exactly as many as the cap allows.
func testTokenCap(t *testing.T, s store.Store) {
	u := createUser(t, s, "capped")
	past := time.Now().Add(-time.Hour)
	if _, err := s.CreateToken(ctx, store.Token{UserID: u.ID, Name: "old", Hash: hash("cap-old"), Prefix: "rc_old", ExpiresAt: &past}, meta); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		tok, err := s.CreateTokenWithin(ctx, store.Token{UserID: u.ID, Name: "t", Hash: hash(fmt.Sprint("cap", i)), Prefix: "rc_cap"}, 3, meta)
		if err != nil {
			t.Fatalf("token %d of 3: %v", i+1, err)
		}
		ids = append(ids, tok.ID)
	}
	if _, err := s.CreateTokenWithin(ctx, store.Token{UserID: u.ID, Name: "t", Hash: hash("cap-4"), Prefix: "rc_cap"}, 3, meta); !errors.Is(err, store.ErrTooManyTokens) {
		t.Fatalf("4th token with a cap of 3: %v, want ErrTooManyTokens", err)
	}
	if n, err := s.CountLiveTokens(ctx, u.ID, time.Now()); n != 3 || err != nil {
		t.Fatalf("CountLiveTokens = %d, %v; want 3 (the expired one does not count)", n, err)
	}
	if err := s.DeleteToken(ctx, ids[0], meta); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTokenWithin(ctx, store.Token{UserID: u.ID, Name: "t", Hash: hash("cap-5"), Prefix: "rc_cap"}, 3, meta); err != nil {
		t.Fatalf("after revoking one: %v", err)
	}

	v := createUser(t, s, "racer")
	const n, limit = 20, 5
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.CreateTokenWithin(ctx, store.Token{UserID: v.ID, Name: "r", Hash: hash(fmt.Sprint("race", i)), Prefix: "rc_race"}, limit, meta)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrTooManyTokens):
			t.Errorf("concurrent create: %v", err)
		}
	}
	if live, _ := s.CountLiveTokens(ctx, v.ID, time.Now()); ok != limit || live != limit {
		t.Errorf("%d concurrent creates with a cap of %d: %d succeeded, %d live; want %d", n, limit, ok, live, limit)
	}
}
