package sqlstore

import (
	"context"
	"maps"
	"runtime"
	"sync"

	"github.com/rollcall/rollcall/internal/store"
)

// Group commit of single creates.
//
// Why: a POST /users creates one user, and on SQLite each create was a
// transaction of its own on the one writer connection. Its commit appends
// every page the transaction changed to the WAL — the users table and its
// indexes, the audit table and its indexes, about 14 pages of 4 KiB for one
// user — and that commit was 29 % of the CPU of a create over HTTP
// (BenchmarkCreateUser's profile, client included), more than the inserts
// themselves. While
// one create's transaction runs, the others queue for the writer anyway.
// So CreateUser outside a transaction puts its user in a queue, and
// whichever creates are waiting when the writer is free are written
// together in one transaction through the bulk path of CreateUsers: new
// users' ids are time-ordered (UUIDv7), so a batch's users share the same
// few index pages and the commit's cost is paid once per batch. A create
// that finds the queue idle is written at once, alone: nothing waits for
// company. On PostgreSQL as many batches are in flight as the pool has
// connections, so creates are grouped (one WAL flush per batch) only when
// every connection is busy.
//
// What stays as it was, per create: CreateUser returns only after the
// transaction that holds its user has committed (a 201 is never sent for a
// user a crash could lose); each user gets its own audit event with its
// own caller and request (Meta); and a user that cannot be created (a
// username taken, an unknown group) gets exactly the error it would get
// alone, while the others of its batch are written: when the batch's bulk
// insert fails, it is rolled back and the users go in one at a time, each
// under a savepoint.

// maxCreateBatch bounds the users written in one group-commit transaction,
// so that a burst does not make one transaction (and its callers' wait)
// arbitrarily long.
const maxCreateBatch = 128

// createQueue collects the CreateUser calls waiting for a transaction.
type createQueue struct {
	mu       sync.Mutex
	pending  []*createCall
	running  int // goroutines draining the queue
	inFlight int // at most this many batches at once: 1 on SQLite (one writer)
}

// createCall is one waiting CreateUser: its input, then its result, which
// is set before done is closed.
type createCall struct {
	ctx   context.Context
	u     store.User
	m     store.Meta
	taken bool // in a batch already; guarded by createQueue.mu
	out   store.User
	err   error
	done  chan struct{}
}

// createGrouped is CreateUser outside a transaction: it queues u and waits
// until the batch that holds it has committed or failed.
func (s *Store) createGrouped(ctx context.Context, u store.User, m store.Meta) (store.User, error) {
	if err := ctx.Err(); err != nil {
		return store.User{}, err
	}
	call := &createCall{ctx: ctx, u: u, m: m, done: make(chan struct{})}
	q := s.creates
	q.mu.Lock()
	q.pending = append(q.pending, call)
	start := q.running < q.inFlight
	if start {
		q.running++
	}
	q.mu.Unlock()
	if start {
		go s.drainCreates()
	}
	select {
	case <-call.done:
		return call.out, call.err
	case <-ctx.Done():
	}
	// Given up on before its batch started, the call leaves the queue and
	// nothing is written; once in a batch, its outcome is the batch's.
	q.mu.Lock()
	if !call.taken {
		q.pending = removeCall(q.pending, call)
		q.mu.Unlock()
		return store.User{}, ctx.Err()
	}
	q.mu.Unlock()
	<-call.done
	return call.out, call.err
}

func removeCall(calls []*createCall, c *createCall) []*createCall {
	for i, x := range calls {
		if x == c {
			return append(calls[:i], calls[i+1:]...)
		}
	}
	return calls
}

// drainCreates writes batches of queued creates until the queue is empty.
func (s *Store) drainCreates() {
	q := s.creates
	for {
		// Handlers that are about to queue their create get to run first
		// (with GOMAXPROCS 1 they otherwise wait for this whole batch):
		// batches grew from 1 to about 5 users in BenchmarkCreateUser.
		runtime.Gosched()
		q.mu.Lock()
		n := min(len(q.pending), maxCreateBatch)
		if n == 0 {
			q.running--
			q.mu.Unlock()
			return
		}
		batch := make([]*createCall, n)
		copy(batch, q.pending)
		for _, c := range batch {
			c.taken = true
		}
		q.pending = append(q.pending[:0], q.pending[n:]...)
		q.mu.Unlock()
		s.writeCreates(batch)
		for _, c := range batch {
			close(c.done)
		}
	}
}

// writeCreates creates the batch's users in one transaction and sets each
// call's result. The transaction does not end when one caller gives up: it
// writes the others' users too.
func (s *Store) writeCreates(batch []*createCall) {
	ctx := context.WithoutCancel(batch[0].ctx)
	if len(batch) == 1 {
		c := batch[0]
		err := s.write(ctx, func(tx *conn) error {
			var err error
			c.out, err = (&Store{core: s.core, tx: tx}).CreateUser(ctx, c.u, c.m)
			return err
		})
		if err != nil {
			c.out, c.err = store.User{}, err
		}
		return
	}
	now := s.now()
	in := make([]store.User, len(batch))
	for i, c := range batch {
		in[i] = c.u
	}
	users, groupIDs := newUserRows(in, now)
	meta := func(i int) store.Meta { return batch[i].m }
	err := s.write(ctx, func(c *conn) error {
		for _, call := range batch {
			call.out, call.err = store.User{}, nil
		}
		if len(groupIDs) > 0 {
			if err := c.lockMemberships(ctx); err != nil {
				return err
			}
		}
		if _, err := c.q.ExecContext(ctx, "SAVEPOINT create_batch"); err != nil {
			return err
		}
		err := c.insertUsers(ctx, users, groupIDs, meta, now)
		if err == nil {
			for i, call := range batch {
				call.out = users[i]
			}
			_, err = c.q.ExecContext(ctx, "RELEASE SAVEPOINT create_batch")
			return err
		}
		if s.d.retryable(err) {
			return err // inTx runs the whole batch again
		}
		// Some user of the batch cannot be created (a conflict, an unknown
		// group, or a value the database refuses). Undo the batch and
		// create the users one by one, each under its own savepoint, so
		// that a refused one leaves no trace and the rest go in. An error
		// that breaks the transaction itself fails the savepoint's
		// rollback, and with it the batch.
		if _, err := c.q.ExecContext(ctx, "ROLLBACK TO SAVEPOINT create_batch"); err != nil {
			return err
		}
		c.bumped = nil
		one := &Store{core: s.core, tx: c}
		for i, call := range batch {
			bumped := maps.Clone(c.bumped)
			if _, err := c.q.ExecContext(ctx, "SAVEPOINT create_one"); err != nil {
				return err
			}
			out, err := one.CreateUser(ctx, users[i], call.m)
			switch {
			case err == nil:
				call.out = out
			case s.d.retryable(err):
				return err
			default:
				call.err = err
				c.bumped = bumped
				if _, err := c.q.ExecContext(ctx, "ROLLBACK TO SAVEPOINT create_one"); err != nil {
					return err
				}
			}
			if _, err := c.q.ExecContext(ctx, "RELEASE SAVEPOINT create_one"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Nothing of the batch was written; every caller hears why.
		for _, call := range batch {
			call.out, call.err = store.User{}, err
		}
	}
}
