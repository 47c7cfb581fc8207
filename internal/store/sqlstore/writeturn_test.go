package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestSQLiteWritersTakeTurns: with the one write connection busy,
// transactions get it in the order they asked for it, and one whose
// request is canceled while it waits gives up without writing.
func TestSQLiteWritersTakeTurns(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "turns.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	hold, held := make(chan struct{}), make(chan struct{})
	go s.write(ctx, func(*conn) error { //nolint:errcheck // holds the writer only
		close(held)
		<-hold
		return nil
	})
	<-held

	const writers = 8
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
	)
	canceled, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error, 1)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.write(ctx, func(*conn) error { //nolint:errcheck // records the order only
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				return nil
			})
		}()
		if i == writers/2 {
			go func() {
				gaveUp <- s.write(canceled, func(*conn) error { return errors.New("a canceled writer ran") })
			}()
		}
		time.Sleep(20 * time.Millisecond) // so that each has asked before the next
	}
	cancel()
	select {
	case err := <-gaveUp:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the canceled writer: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the canceled writer still waits for its turn")
	}
	close(hold)
	wg.Wait()
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7}; !slices.Equal(order, want) {
		t.Fatalf("writers ran in the order %v, want the order they asked in %v", order, want)
	}
}
