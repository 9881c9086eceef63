package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Several serve processes may share one PostgreSQL database. When one of
// them queues work (deliveries after a publish, an inbound activity) it
// tells the others at once with PostgreSQL's NOTIFY, so their workers need
// not poll every second to find it. SQLite has one process per file: there
// the process wakes its own workers, and Notify and Listen do nothing.

// WakeChannel is the PostgreSQL notification channel the processes of one
// node listen on.
const WakeChannel = "tadamun_wake"

// What a wake-up is about: the payload of a notification on WakeChannel.
const (
	WakeDelivery = "delivery" // deliveries were queued
	WakeInbox    = "inbox"    // an inbound activity was stored
)

// wakeTopics is every topic, for a wake-up after a lost connection, when
// notifications may have been missed.
var wakeTopics = []string{WakeDelivery, WakeInbox}

// Listening delays after the listening connection is lost: the first retry
// waits listenRetry, each failure doubles it, up to listenRetryMax.
const (
	listenRetry    = 500 * time.Millisecond
	listenRetryMax = 30 * time.Second
)

// CanNotify reports whether Notify reaches other processes: true on
// PostgreSQL.
func (s *Store) CanNotify() bool { return s.dialect.name == "postgres" }

// Notify tells every process listening on this database (itself included)
// that work of the given topic is waiting. Inside Tx the notification goes
// out when the transaction commits, and not at all if it rolls back: that is
// how PostgreSQL's NOTIFY works, and just what a worker needs, since it can
// only claim committed rows. On SQLite it does nothing.
func (s *Store) Notify(ctx context.Context, topic string) error {
	if !s.CanNotify() {
		return nil
	}
	if _, err := s.q.ExecContext(ctx, `SELECT pg_notify($1, $2)`, WakeChannel, topic); err != nil {
		return fmt.Errorf("storage: notify %s: %w", topic, err)
	}
	return nil
}

// Listener says what Listen does with what it hears.
type Listener struct {
	// Wake is called with the topic of each notification (WakeDelivery,
	// WakeInbox, or a topic of a later version, to be ignored). It must not
	// block for long: notifications wait while it runs.
	Wake func(topic string)
	// Lost, if set, is told why the listening connection failed; Listen
	// then connects again after a pause, and calls Wake with every topic
	// once it listens again, since notifications sent meanwhile are lost.
	Lost func(err error)
	// Ready, if set, is called each time the connection listens.
	Ready func()
}

// Listen receives the notifications sent with Notify by every process on
// this database until ctx ends, then returns nil. It holds a PostgreSQL
// connection of its own, outside the pool, waiting on it with pgx's
// WaitForNotification; a lost connection is reopened with growing pauses.
// On SQLite it returns at once: there is no other process to hear from.
func (s *Store) Listen(ctx context.Context, l Listener) error {
	if !s.CanNotify() {
		return nil
	}
	if l.Wake == nil {
		return errors.New("storage: listen: no Wake function")
	}
	var cfg *pgx.ConnConfig
	delay := listenRetry
	for first := true; ctx.Err() == nil; first = false {
		var err error
		if cfg == nil {
			cfg, err = s.pgConfig(ctx)
		}
		if err == nil {
			var listening bool
			listening, err = s.listenOnce(ctx, cfg, l, !first)
			if listening {
				delay = listenRetry // it worked for a while: start the pauses afresh
			}
		}
		if ctx.Err() != nil {
			break
		}
		if l.Lost != nil {
			l.Lost(err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		delay = min(2*delay, listenRetryMax)
	}
	return nil
}

// listenOnce opens a connection, listens and hands notifications to l until
// the connection fails or ctx ends. listening reports whether LISTEN took
// effect; catchUp wakes every topic once it has.
func (s *Store) listenOnce(ctx context.Context, cfg *pgx.ConnConfig, l Listener, catchUp bool) (listening bool, err error) {
	cc := cfg.Copy()
	// The pool's configuration routes notifications to the connection it
	// was taken from; unset, pgx buffers them for WaitForNotification.
	cc.OnNotification = nil
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return false, fmt.Errorf("storage: listen: connect: %s", cleanPgError(err))
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{WakeChannel}.Sanitize()); err != nil {
		return false, fmt.Errorf("storage: listen: %w", err)
	}
	if l.Ready != nil {
		l.Ready()
	}
	if catchUp {
		for _, t := range wakeTopics {
			l.Wake(t)
		}
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("storage: listen: %w", err)
		}
		if n.Channel == WakeChannel {
			l.Wake(n.Payload)
		}
	}
}

// pgConfig is the connection configuration of the pool, taken from one of
// its connections, so the listening connection goes where the pool goes.
func (s *Store) pgConfig(ctx context.Context) (*pgx.ConnConfig, error) {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("storage: listen: %w", err)
	}
	defer c.Close()
	var cfg *pgx.ConnConfig
	err = c.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("storage: listen: the driver connection is a %T, not pgx", dc)
		}
		cfg = pc.Conn().Config()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cfg, nil
}
