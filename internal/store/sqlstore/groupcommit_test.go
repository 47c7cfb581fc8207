package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

// groupCommitBackends runs fn on a new SQLite file and a new PostgreSQL
// database.
func groupCommitBackends(t *testing.T, fn func(t *testing.T, s *Store)) {
	for _, b := range []struct {
		name string
		dsn  func(*testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "gc.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			s, err := Open(context.Background(), b.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			fn(t, s)
		})
	}
}

// TestGroupCommitBatchWithRefusals writes one batch in which some users
// cannot be created: each of those gets the error it would get alone, the
// others are written with their memberships and one audit event each that
// names their own request.
func TestGroupCommitBatchWithRefusals(t *testing.T) {
	groupCommitBackends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		g, err := s.CreateGroup(ctx, store.Group{Name: "staff"}, store.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, store.User{Username: "taken", Email: "taken@example.com"}, store.Meta{}); err != nil {
			t.Fatal(err)
		}
		unknown := uuid.NewString()
		in := []store.User{
			{Username: "alice", Email: "alice@example.com", GroupIDs: []string{g.ID}},
			{Username: "bob", Email: "bob@example.com"},
			{Username: "taken", Email: "other@example.com"},                              // username of an existing user
			{Username: "alice2", Email: "ALICE@example.com"},                             // alice's email, other case
			{Username: "carol", Email: "carol@example.com", GroupIDs: []string{unknown}}, // unknown group
			{Username: "dave", Email: "dave@example.com", GroupIDs: []string{g.ID}, Title: "Boss"},
			{Username: "bob", Email: "bob2@example.com"}, // bob, earlier in the same batch
		}
		batch := make([]*createCall, len(in))
		for i, u := range in {
			batch[i] = &createCall{ctx: ctx, u: u, m: store.Meta{ActorName: "tester", RequestID: "req-" + u.Username + "-" + string(rune('0'+i))}, done: make(chan struct{})}
		}
		s.writeCreates(batch)

		wantConflict := map[int]string{2: "username", 3: "email", 6: "username"}
		for i, c := range batch {
			var conflict *store.ConflictError
			var ref *store.ReferenceError
			switch {
			case wantConflict[i] != "":
				if !errors.As(c.err, &conflict) || conflict.Field != wantConflict[i] {
					t.Errorf("user %d (%s): err = %v, want a conflict on %s", i, in[i].Username, c.err, wantConflict[i])
				}
			case i == 4:
				if !errors.As(c.err, &ref) || ref.Kind != "group" || !slices.Equal(ref.IDs, []string{unknown}) {
					t.Errorf("user 4 (carol): err = %v, want unknown group %s", c.err, unknown)
				}
			default:
				if c.err != nil {
					t.Fatalf("user %d (%s): %v", i, in[i].Username, c.err)
				}
				got, err := s.GetUser(ctx, c.out.ID)
				if err != nil || got.Username != in[i].Username || got.Title != in[i].Title || got.Version != 1 ||
					!slices.Equal(got.GroupIDs, normIDs(in[i].GroupIDs)) || !got.CreatedAt.Equal(c.out.CreatedAt) {
					t.Errorf("user %d stored as %+v, %v; returned %+v", i, got, err, c.out)
				}
				events, _, err := s.ListAuditEvents(ctx, store.AuditFilter{TargetID: c.out.ID}, store.Page{})
				if err != nil || len(events) != 1 || events[0].Action != "user.create" ||
					events[0].RequestID != c.m.RequestID || events[0].ActorName != "tester" {
					t.Errorf("user %d audit events = %+v, %v; want one user.create of %s", i, events, err, c.m.RequestID)
				}
			}
			if c.err != nil && c.out.ID != "" {
				t.Errorf("user %d failed but has a result %+v", i, c.out)
			}
		}
		for _, name := range []string{"alice2", "carol"} {
			if _, err := s.GetUserByUsername(ctx, name); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("refused user %s: GetUserByUsername = %v, want not found", name, err)
			}
		}
		if u, err := s.GetUserByUsername(ctx, "bob"); err != nil || u.Email != "bob@example.com" {
			t.Errorf("bob = %+v, %v; want the first bob", u, err)
		}
		got, err := s.GetGroup(ctx, g.ID)
		if err != nil || !slices.Equal(got.MemberIDs, normIDs([]string{batch[0].out.ID, batch[5].out.ID})) {
			t.Errorf("group members = %v, %v; want alice and dave", got.MemberIDs, err)
		}
		events, _, err := s.ListAuditEvents(ctx, store.AuditFilter{Action: "user.create"}, store.Page{Limit: 100})
		if err != nil || len(events) != 1+3 {
			t.Errorf("%d user.create events, %v; want 4 (taken, alice, bob, dave)", len(events), err)
		}
	})
}

// TestGroupCommitConcurrent creates users from many goroutines at once,
// with one username sent by several of them: exactly one of those wins.
func TestGroupCommitConcurrent(t *testing.T) {
	groupCommitBackends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const n = 60
		errs := make(chan error, n)
		for i := range n {
			go func() {
				u := store.User{Username: "user" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Email: uuid.NewString() + "@example.com"}
				if i%4 == 0 {
					u.Username = "same"
				}
				_, err := s.CreateUser(ctx, u, store.Meta{RequestID: "r"})
				errs <- err
			}()
		}
		ok, conflicts := 0, 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrConflict):
				conflicts++
			default:
				t.Errorf("unexpected error %v", err)
			}
		}
		if ok != n-n/4+1 || conflicts != n/4-1 {
			t.Errorf("%d created, %d conflicts; want %d and %d", ok, conflicts, n-n/4+1, n/4-1)
		}
		if c, err := s.CountUsers(ctx); err != nil || c != ok {
			t.Errorf("CountUsers = %d, %v; want %d", c, err, ok)
		}
	})
}

// TestGroupCommitGiveUp: a create whose caller gives up while it waits in
// the queue leaves it and writes nothing.
func TestGroupCommitGiveUp(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "gc.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := s.creates
	q.mu.Lock()
	q.running = q.inFlight // as if a batch were being written
	q.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := s.CreateUser(ctx, store.User{Username: "gone", Email: "gone@example.com"}, store.Meta{})
		done <- err
	}()
	for {
		q.mu.Lock()
		n := len(q.pending)
		q.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateUser after cancel = %v, want context.Canceled", err)
	}
	q.mu.Lock()
	left := len(q.pending)
	q.running = 0
	q.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d calls left in the queue", left)
	}
	if _, err := s.GetUserByUsername(context.Background(), "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetUserByUsername(gone) = %v, want not found", err)
	}
}

// TestGroupCommitDatabaseRefusal: a value only the database refuses (a NUL
// character, which PostgreSQL text cannot hold) fails that one user, not
// the batch it was written with.
func TestGroupCommitDatabaseRefusal(t *testing.T) {
	groupCommitBackends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var batch []*createCall
		for _, title := range []string{"fine", "nul\x00here", "also fine"} {
			u := store.User{Username: uuid.NewString(), Email: uuid.NewString() + "@example.com", Title: title}
			batch = append(batch, &createCall{ctx: ctx, u: u, done: make(chan struct{})})
		}
		s.writeCreates(batch)
		for i, c := range batch {
			refused := i == 1 && s.d == postgresDialect
			if refused != (c.err != nil) {
				t.Errorf("user %d (title %q): err = %v; want refused = %v", i, c.u.Title, c.err, refused)
				continue
			}
			_, err := s.GetUserByUsername(ctx, c.u.Username)
			if refused != errors.Is(err, store.ErrNotFound) {
				t.Errorf("user %d: GetUserByUsername = %v; stored: %v", i, err, !refused)
			}
		}
	})
}
