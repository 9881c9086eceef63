package storage_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// durable is each backend's value of DurabilitySetting when commits wait
// for the disk, and relaxed its value inside TxRelaxed.
var (
	durable = map[string]string{"sqlite": "2", "postgres": "on"}
	relaxed = map[string]string{"sqlite": "1", "postgres": "off"}
)

// TestTxRelaxed: a TxRelaxed commits its writes, or rolls them back,
// without waiting for the disk; and no connection the pool hands out
// afterwards is left that way, however the transaction ended: a commit, an
// error, a panic, runtime.Goexit (t.Fatal), a context cancelled inside it,
// or (SQLite) a failure to set the connection back, after which the
// connection must be dropped. Inside a Tx it joins that transaction, which
// stays durable.
func TestTxRelaxed(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.Open(t, b.URL)
			// Three connections, all kept when idle, so that checkPool sees
			// every one the transactions used.
			s.DB().SetMaxOpenConns(3)
			s.DB().SetMaxIdleConns(3)
			a := &storage.Actor{Username: "icssi", PrivateKeyPEM: "x", PublicKeyPEM: "y"}
			if err := s.CreateActor(ctx, a); err != nil {
				t.Fatal(err)
			}
			setting := func(tx *storage.Store) string {
				v, err := tx.DurabilitySetting(ctx)
				if err != nil {
					t.Error(err)
				}
				return v
			}
			checkPool := func(when string) {
				t.Helper()
				var conns []interface{ Close() error }
				defer func() {
					for _, c := range conns {
						c.Close()
					}
				}()
				for i := 0; i < 3; i++ {
					cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					c, err := s.DB().Conn(cctx)
					cancel()
					if err != nil {
						t.Fatalf("%s: connection %d: %v", when, i, err)
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
			save := func(tx *storage.Store, iri string) error {
				act := &storage.Activity{IRI: iri, Direction: storage.Outbound, Type: "Create",
					ActorIRI: "https://node.test/users/icssi", LocalActorID: a.ID, Body: []byte(`{}`)}
				_, err := tx.SaveActivity(ctx, act)
				return err
			}
			count := func(iri string) int {
				t.Helper()
				return storagetest.Count(t, b.URL, `SELECT COUNT(*) FROM activities WHERE iri = $1`, iri)
			}

			t.Run("commit", func(t *testing.T) {
				for i := 0; i < 5; i++ {
					err := s.TxRelaxed(ctx, func(tx *storage.Store) error {
						if v := setting(tx); v != relaxed[b.Name] {
							t.Errorf("inside TxRelaxed: %s, want %s", v, relaxed[b.Name])
						}
						if i > 0 {
							return nil
						}
						return save(tx, "https://node.test/a/committed")
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				if n := count("https://node.test/a/committed"); n != 1 {
					t.Errorf("%d rows after a committed TxRelaxed, want 1", n)
				}
				checkPool("after commits")
			})

			t.Run("error", func(t *testing.T) {
				boom := errors.New("boom")
				err := s.TxRelaxed(ctx, func(tx *storage.Store) error {
					if err := save(tx, "https://node.test/a/error"); err != nil {
						return err
					}
					return boom
				})
				if !errors.Is(err, boom) {
					t.Fatalf("TxRelaxed returned %v, want boom", err)
				}
				if n := count("https://node.test/a/error"); n != 0 {
					t.Errorf("%d rows after a failed TxRelaxed, want 0", n)
				}
				checkPool("after an error")
			})

			t.Run("panic", func(t *testing.T) {
				func() {
					defer func() {
						if p := recover(); p != "boom" {
							t.Errorf("recovered %v, want the panic to go on up", p)
						}
					}()
					_ = s.TxRelaxed(ctx, func(tx *storage.Store) error {
						if err := save(tx, "https://node.test/a/panic"); err != nil {
							return err
						}
						panic("boom")
					})
				}()
				if n := count("https://node.test/a/panic"); n != 0 {
					t.Errorf("%d rows after a panic, want 0", n)
				}
				checkPool("after a panic")
			})

			// runtime.Goexit, as t.Fatal inside a transaction does: the
			// transaction is rolled back (on SQLite the write lock would
			// otherwise stay taken) and the call does not hang.
			t.Run("goexit", func(t *testing.T) {
				for _, tx := range []struct {
					name string
					run  func(context.Context, func(*storage.Store) error) error
				}{{"TxRelaxed", s.TxRelaxed}, {"Tx", s.Tx}} {
					done := make(chan struct{})
					go func() {
						defer close(done)
						_ = tx.run(ctx, func(tx *storage.Store) error {
							if err := save(tx, "https://node.test/a/goexit"); err != nil {
								return err
							}
							runtime.Goexit()
							return nil
						})
					}()
					select {
					case <-done:
					case <-time.After(10 * time.Second):
						t.Fatalf("%s: runtime.Goexit inside left it hanging", tx.name)
					}
					if n := count("https://node.test/a/goexit"); n != 0 {
						t.Errorf("%s: %d rows after runtime.Goexit, want 0", tx.name, n)
					}
					wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					err := s.Tx(wctx, func(tx *storage.Store) error { return save(tx, "https://node.test/a/after-"+tx.Dialect()) })
					cancel()
					if err != nil {
						t.Errorf("%s: a write after runtime.Goexit: %v", tx.name, err)
					}
				}
				checkPool("after runtime.Goexit")
			})

			t.Run("cancelled", func(t *testing.T) {
				cctx, cancel := context.WithCancel(ctx)
				err := s.TxRelaxed(cctx, func(tx *storage.Store) error {
					if err := save(tx, "https://node.test/a/cancelled"); err != nil {
						return err
					}
					cancel()
					return nil
				})
				if err == nil {
					t.Error("TxRelaxed with its context cancelled inside returned no error")
				}
				if n := count("https://node.test/a/cancelled"); n != 0 {
					t.Errorf("%d rows after a cancelled TxRelaxed, want 0", n)
				}
				checkPool("after a cancelled context")
			})

			if b.Name == "sqlite" {
				t.Run("restore fails", func(t *testing.T) {
					undo := storage.SetRestoreSynchronousSQL("SELECT no_such_function()")
					for i := 0; i < 3; i++ {
						if err := s.TxRelaxed(ctx, func(tx *storage.Store) error { return nil }); err != nil {
							t.Fatal(err)
						}
					}
					undo()
					checkPool("after a failed restore")
				})
			}

			t.Run("joined", func(t *testing.T) {
				err := s.Tx(ctx, func(tx *storage.Store) error {
					return tx.TxRelaxed(ctx, func(inner *storage.Store) error {
						if v := setting(inner); v != durable[b.Name] {
							t.Errorf("TxRelaxed inside a Tx: %s, want the Tx's %s", v, durable[b.Name])
						}
						return save(inner, "https://node.test/a/joined")
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
		})
	}
}
