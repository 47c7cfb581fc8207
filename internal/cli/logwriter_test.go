package cli

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the flusher writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBufferedLogFlushesWithinTheInterval(t *testing.T) {
	var out syncBuffer
	b := newBufferedLog(&out)
	defer b.Close()
	fmt.Fprintln(b, "a line")
	deadline := time.Now().Add(10 * logFlushInterval)
	for out.String() != "a line\n" {
		if time.Now().After(deadline) {
			t.Fatalf("after %v the output holds %q, want the line", 10*logFlushInterval, out.String())
		}
		time.Sleep(logFlushInterval / 4)
	}
}

func TestBufferedLogKeepsConcurrentLinesWholeAndCloseWritesTheRest(t *testing.T) {
	var out syncBuffer
	b := newBufferedLog(&out)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				fmt.Fprintf(b, "writer %d line %d %s\n", g, i, strings.Repeat("x", 40))
			}
		}()
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*2000 {
		t.Fatalf("%d lines written, want %d", len(lines), 8*2000)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		var g, i int
		var pad string
		if n, err := fmt.Sscanf(l, "writer %d line %d %s", &g, &i, &pad); n != 3 || err != nil || len(pad) != 40 {
			t.Fatalf("a line was torn or mixed: %q", l)
		}
		seen[l] = true
	}
	if len(seen) != 8*2000 {
		t.Fatalf("%d distinct lines, want %d", len(seen), 8*2000)
	}
}
