// Command seed fills a Rollcall database with the benchmark's users
// (bench/internal/dataset) straight through the store, in large Atomic
// batches, so that a million users take minutes rather than the hours a
// request per user would. Every user is created the normal way, with its
// audit event, so the tables look as they would after real use.
//
//	go run ./bench/seed -database ./rollcall.db -from 0 -to 1000000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rollcall/rollcall/bench/internal/dataset"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
)

func main() {
	database := flag.String("database", "", "SQLite file path or postgres:// URL (required)")
	from := flag.Int("from", 0, "index of the first user to create")
	to := flag.Int("to", 1000, "index after the last user to create")
	batch := flag.Int("batch", 5000, "users per transaction")
	workers := flag.Int("workers", 1, "transactions in flight at once (SQLite has one writer; 2 helps PostgreSQL)")
	flag.Parse()
	if err := run(*database, *from, *to, *batch, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(database string, from, to, batch, workers int) error {
	if database == "" {
		return errors.New("-database is required: an SQLite file path or a postgres:// URL")
	}
	if from < 0 || to < from || batch < 1 || workers < 1 {
		return fmt.Errorf("need 0 <= -from (%d) <= -to (%d), -batch >= 1 and -workers >= 1", from, to)
	}
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, database, sqlstore.WithMaxConns(workers+1))
	if err != nil {
		return err
	}
	defer st.Close()

	start := time.Now()
	var next atomic.Int64
	next.Store(int64(from))
	var done atomic.Int64
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(int64(batch))) - batch
				if lo >= to {
					return
				}
				hi := min(lo+batch, to)
				if err := createBatch(ctx, st, lo, hi); err != nil {
					errc <- fmt.Errorf("users %d-%d: %w", lo, hi-1, err)
					return
				}
				if n := done.Add(int64(hi - lo)); n%100000 < int64(hi-lo) {
					fmt.Fprintf(os.Stderr, "seed: %d users in %s\n", n, time.Since(start).Round(time.Second))
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "seed: created users %d-%d (%d) in %s, %.0f users/s\n", from, to-1, to-from,
		el.Round(time.Millisecond), float64(to-from)/el.Seconds())
	return nil
}

func createBatch(ctx context.Context, st store.Store, lo, hi int) error {
	meta := store.Meta{ActorName: "bench-seed"}
	return st.Atomic(ctx, func(tx store.Store) error {
		for i := lo; i < hi; i++ {
			_, err := tx.CreateUser(ctx, store.User{
				ID:         dataset.ID(i),
				Username:   dataset.Username(i),
				Email:      dataset.Email(i),
				FirstName:  dataset.FirstName(i),
				LastName:   dataset.LastName(i),
				Department: "engineering",
				ExternalID: dataset.ExternalID(i),
				Attributes: map[string]string{},
			}, meta)
			if err != nil {
				return err
			}
		}
		return nil
	})
}
