package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the flusher and the test.
type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) state() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.writes
}

func TestLogBuffer(t *testing.T) {
	t.Run("lines arrive in order in few writes, within the flush interval", func(t *testing.T) {
		var out lockedBuffer
		b := newLogBuffer(&out, 50*time.Millisecond)
		defer b.Close()
		var want strings.Builder
		for i := range 1000 {
			line := fmt.Sprintf("{\"n\":%d}\n", i)
			want.WriteString(line)
			b.Write([]byte(line))
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			got, writes := out.state()
			if got == want.String() {
				if writes > 5 {
					t.Errorf("1000 lines took %d writes, want a few", writes)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 2s the writer holds %d of %d bytes", len(got), want.Len())
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	t.Run("a burst beyond the limit is written at once", func(t *testing.T) {
		var out lockedBuffer
		b := newLogBuffer(&out, time.Hour)
		defer b.Close()
		line := bytes.Repeat([]byte("x"), 1023)
		line = append(line, '\n')
		for range maxPending / len(line) {
			b.Write(line)
		}
		if got, _ := out.state(); len(got) != maxPending/len(line)*len(line) {
			t.Fatalf("%d bytes written before the hour-long interval, want all %d", len(got), maxPending/len(line)*len(line))
		}
	})
	t.Run("close writes what waits, later lines go straight through", func(t *testing.T) {
		var out lockedBuffer
		b := newLogBuffer(&out, time.Hour)
		b.Write([]byte("a\n"))
		if got, _ := out.state(); got != "" {
			t.Fatalf("written before the interval: %q", got)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		b.Write([]byte("b\n"))
		if got, _ := out.state(); got != "a\nb\n" {
			t.Fatalf("got %q, want both lines", got)
		}
		if err := b.Close(); err != nil {
			t.Fatal("a second Close failed:", err)
		}
	})
	t.Run("concurrent writers never interleave a line", func(t *testing.T) {
		var out lockedBuffer
		b := newLogBuffer(&out, time.Millisecond)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 500 {
					b.Write([]byte(fmt.Sprintf("g%d-%d-%s\n", g, i, strings.Repeat("y", 100))))
				}
			})
		}
		wg.Wait()
		b.Close()
		got, _ := out.state()
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if len(lines) != 8*500 {
			t.Fatalf("%d lines, want %d", len(lines), 8*500)
		}
		for _, l := range lines {
			if !strings.HasSuffix(l, strings.Repeat("y", 100)) || strings.Count(l, "g") != 1 {
				t.Fatalf("interleaved line %q", l)
			}
		}
	})
}
