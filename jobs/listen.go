package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/lib/pq"
)

// OutboxChannel is the channel the outbox's insert trigger notifies
// (migration 00060) when the inserting transaction commits.
const OutboxChannel = "cybercampus_outbox"

// OutboxListener wakes a relay when rows are committed to the outbox.
type OutboxListener struct {
	wake      chan struct{}
	listening chan struct{}
}

// Wake receives a value soon after rows are committed to the outbox; it is
// what Relay.Wake takes.
func (o *OutboxListener) Wake() <-chan struct{} { return o.wake }

// Listening is closed once the LISTEN is active on the server: every commit
// to the outbox from then on wakes the relay (before it, the relay polls). It
// stays open if the LISTEN fails.
func (o *OutboxListener) Listening() <-chan struct{} { return o.listening }

// ListenOutbox listens for the outbox's commit notifications on its own
// connection to dsn, which must be a direct session: through PgBouncer in
// transaction mode a LISTEN is lost with the server connection it ran on. The
// listener reconnects by itself and wakes the relay after every reconnection
// (rows may have been added meanwhile); it stops when ctx ends.
func ListenOutbox(ctx context.Context, dsn string, logger *slog.Logger) *OutboxListener {
	o := &OutboxListener{wake: make(chan struct{}, 1), listening: make(chan struct{})}
	signal := func() {
		select {
		case o.wake <- struct{}{}:
		default: // a wake-up is already pending; the relay reads the whole outbox anyway
		}
	}
	l := pq.NewListener(dsn, time.Second, 30*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventConnectionAttemptFailed, pq.ListenerEventDisconnected:
			logger.Warn("outbox listener disconnected; the relay polls meanwhile", "error", err)
		case pq.ListenerEventReconnected:
			logger.Info("outbox listener reconnected")
		}
	})
	go func() {
		// Listen returns once the first connection is up and the server
		// has acknowledged the LISTEN.
		if err := l.Listen(OutboxChannel); err != nil {
			if ctx.Err() == nil {
				logger.Warn("outbox listener: LISTEN failed; the relay polls", "error", err)
			}
			return
		}
		close(o.listening)
	}()
	go func() {
		defer l.Close()
		ping := time.NewTicker(time.Minute) // finds a silently dropped connection
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-l.Notify: // nil after a reconnection
				signal()
			case <-ping.C:
				go l.Ping()
			}
		}
	}()
	return o
}
