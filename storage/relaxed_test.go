package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// durable is each backend's value of DurabilitySetting when commits wait
// for the disk, and relaxed its value inside TxRelaxed.
var (
	durable = map[string]string{"sqlite": "2", "postgres": "on"}
	relaxed = map[string]string{"sqlite": "1", "postgres": "off"}
)

// TestTxRelaxed: a TxRelaxed commits its writes, or rolls them back on an
// error, without waiting for the disk; and no connection the pool hands
// out afterwards is left that way, however the transaction ended (a
// commit, an error, a context cancelled inside it). Inside a Tx it joins
// that transaction, which stays durable.
func TestTxRelaxed(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.Open(t, b.URL)
			s.DB().SetMaxOpenConns(3)
			a := &storage.Actor{Username: "icssi", PrivateKeyPEM: "x", PublicKeyPEM: "y"}
			if err := s.CreateActor(ctx, a); err != nil {
				t.Fatal(err)
			}
			setting := func(tx *storage.Store) string {
				t.Helper()
				v, err := tx.DurabilitySetting(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			// Every connection of the pool, held at once so that each is
			// a different one.
			checkPool := func(when string) {
				t.Helper()
				var conns []interface{ Close() error }
				defer func() {
					for _, c := range conns {
						c.Close()
					}
				}()
				for i := 0; i < 3; i++ {
					c, err := s.DB().Conn(ctx)
					if err != nil {
						t.Fatal(err)
					}
					conns = append(conns, c)
					q := "SHOW synchronous_commit"
					if b.Name == "sqlite" {
						q = "PRAGMA synchronous"
					}
					var v string
					if err := c.QueryRowContext(ctx, q).Scan(&v); err != nil {
						t.Fatal(err)
					}
					if v != durable[b.Name] {
						t.Errorf("%s: pooled connection %d has %s, want %s (commits waiting for the disk)", when, i, v, durable[b.Name])
					}
				}
			}
			save := func(tx *storage.Store, iri string) {
				t.Helper()
				act := &storage.Activity{IRI: iri, Direction: storage.Outbound, Type: "Create",
					ActorIRI: "https://node.test/users/icssi", LocalActorID: a.ID, Body: []byte(`{}`)}
				if _, err := tx.SaveActivity(ctx, act); err != nil {
					t.Fatal(err)
				}
			}
			count := func(iri string) int {
				t.Helper()
				return storagetest.Count(t, b.URL, `SELECT COUNT(*) FROM activities WHERE iri = $1`, iri)
			}

			// Committed, relaxed inside, durable again after.
			for i := 0; i < 5; i++ {
				err := s.TxRelaxed(ctx, func(tx *storage.Store) error {
					if v := setting(tx); v != relaxed[b.Name] {
						t.Errorf("inside TxRelaxed: %s, want %s", v, relaxed[b.Name])
					}
					save(tx, "https://node.test/a/committed")
					return nil
				})
				if err != nil && i == 0 {
					t.Fatal(err)
				}
			}
			if n := count("https://node.test/a/committed"); n != 1 {
				t.Errorf("%d rows after a committed TxRelaxed, want 1", n)
			}
			checkPool("after commits")

			// An error rolls back.
			boom := errors.New("boom")
			err := s.TxRelaxed(ctx, func(tx *storage.Store) error {
				save(tx, "https://node.test/a/rolled-back")
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("TxRelaxed returned %v, want boom", err)
			}
			if n := count("https://node.test/a/rolled-back"); n != 0 {
				t.Errorf("%d rows after a failed TxRelaxed, want 0", n)
			}
			checkPool("after a rollback")

			// A context cancelled inside: nothing is committed, and the
			// connection is set back or not reused.
			cctx, cancel := context.WithCancel(ctx)
			_ = s.TxRelaxed(cctx, func(tx *storage.Store) error {
				save(tx, "https://node.test/a/cancelled")
				cancel()
				return nil
			})
			if n := count("https://node.test/a/cancelled"); n != 0 {
				t.Errorf("%d rows after a cancelled TxRelaxed, want 0", n)
			}
			checkPool("after a cancelled context")

			// Inside a Tx, TxRelaxed joins it and changes nothing.
			err = s.Tx(ctx, func(tx *storage.Store) error {
				return tx.TxRelaxed(ctx, func(inner *storage.Store) error {
					if v := setting(inner); v != durable[b.Name] {
						t.Errorf("TxRelaxed inside a Tx: %s, want the Tx's %s", v, durable[b.Name])
					}
					save(inner, "https://node.test/a/joined")
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := count("https://node.test/a/joined"); n != 1 {
				t.Errorf("%d rows after a joined TxRelaxed, want 1", n)
			}
			checkPool("at the end")
		})
	}
}
