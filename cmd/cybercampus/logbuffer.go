package main

import (
	"io"
	"sync"
	"time"
)

// logBuffer batches log lines into few write system calls. The API logs one
// line per request, so a write(2) per line would be a real share of a cheap
// endpoint's cost; the buffer must never hold a line for long. Lines reach the underlying writer when maxPending bytes wait, at most flushEvery
// after the first of them was written, and on Close; a crash of the process
// loses at most that much of the log.
type logBuffer struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte
	closed  bool
	pending chan struct{} // a line waits since the last flush
	done    chan struct{}
	stopped chan struct{}
	every   time.Duration
}

const maxPending = 64 << 10

func newLogBuffer(w io.Writer, flushEvery time.Duration) *logBuffer {
	b := &logBuffer{w: w, pending: make(chan struct{}, 1), done: make(chan struct{}),
		stopped: make(chan struct{}), every: flushEvery}
	go b.flusher()
	return b
}

// Write takes one complete line (slog hands each record over in one call).
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.w.Write(p)
	}
	first := len(b.buf) == 0
	b.buf = append(b.buf, p...)
	if len(b.buf) >= maxPending {
		return len(p), b.flushLocked()
	}
	if first {
		select {
		case b.pending <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func (b *logBuffer) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	if cap(b.buf) > 4*maxPending { // do not keep a burst's buffer forever
		b.buf = nil
	} else {
		b.buf = b.buf[:0]
	}
	return err
}

func (b *logBuffer) flusher() {
	defer close(b.stopped)
	t := time.NewTimer(b.every)
	t.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-b.pending:
		}
		t.Reset(b.every)
		select {
		case <-b.done:
			t.Stop()
			return
		case <-t.C:
		}
		b.mu.Lock()
		b.flushLocked()
		b.mu.Unlock()
	}
}

// Close writes what is pending; later lines are written straight through.
func (b *logBuffer) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	err := b.flushLocked()
	b.mu.Unlock()
	close(b.done)
	<-b.stopped
	return err
}
