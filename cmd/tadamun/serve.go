package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/delivery"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web"
)

// serveCmd is "tadamun serve".
func serveCmd(fs *flag.FlagSet) runFunc {
	grace := fs.Duration("shutdown-timeout", 30*time.Second, "how long to let in-flight requests finish on SIGINT/SIGTERM")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q", args[0])
		}
		return serve(ctx, a, *grace)
	}
}

// migrateCmd is "tadamun migrate".
func migrateCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		return a.withStore(ctx, func(st *storage.Store) error {
			ms, err := st.MigrationStatus(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "database schema at version %d of %d (%s)\n", ms.Applied, ms.Latest, st.Dialect())
			return nil
		})
	}
}

func serve(ctx context.Context, a *app, grace time.Duration) error {
	return a.withStore(ctx, func(st *storage.Store) error {
		client := a.client()
		if err := checkMedia(ctx, a); err != nil {
			return err
		}
		fed := federation.New(federation.Config{Scheme: a.cfg.Scheme(), Host: a.cfg.Domain, Logger: a.log, Client: client,
			MediaDir: a.mediaDir(), Media: a.media,
			InsecureRemote: a.cfg.AllowPrivate && a.cfg.InsecureHTTP, AuthorizedFetch: a.cfg.AuthorizedFetch}, st)
		if _, err := fed.EnsureInstanceActor(ctx); err != nil {
			return err
		}
		if n, err := fed.EnsureProofKeys(ctx); err != nil {
			return err
		} else if n > 0 {
			a.log.Info("object proof keys made for actors created by an earlier version", "actors", n)
		}
		// Take the address before starting anything: if it is taken there
		// is nothing to stop.
		ln, err := net.Listen("tcp", a.cfg.Listen)
		if err != nil {
			return fmt.Errorf("cannot listen on %s (setting listen): %w", a.cfg.Listen, errors.Unwrap(err))
		}
		defer ln.Close() // on early returns; the server closes it otherwise
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		host, _ := os.Hostname()
		iris := fed.IRI()
		polls := workerPolls(st.CanNotify(), a.cfg.DeliveryLease)
		dw, err := delivery.New(delivery.Config{
			WorkerID: fmt.Sprintf("%s-%d", host, os.Getpid()),
			Workers:  a.cfg.DeliveryWorkers,
			Lease:    a.cfg.DeliveryLease,
			Poll:     polls.delivery,
			// A post must end well inside its lease, or it could be claimed
			// and sent again while still under way.
			Timeout: min(10*time.Second, a.cfg.DeliveryLease/3),
			KeyID: func(username string, instance bool) string {
				if instance {
					return iris.InstanceKey()
				}
				return iris.Key(username)
			},
			Logger:  a.log,
			Metrics: reg,
		}, st, client)
		if err != nil {
			return err
		}
		fed.SetWake(dw.Notify)
		// Workers run on their own context: on shutdown the HTTP server stops
		// first (no new work arrives), then the workers. On every way out of
		// here, the workers are stopped and waited for before the store is
		// closed (withStore closes it after this function returns), so none
		// is cut off in the middle of recording a delivery.
		wctx, cancelWorkers := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var once sync.Once
		stopWorkers := func() {
			once.Do(func() {
				cancelWorkers()
				wg.Wait()
			})
		}
		defer stopWorkers()
		for name, run := range map[string]func(context.Context) error{
			"delivery":  dw.Run,
			"inbox":     func(ctx context.Context) error { return fed.RunInbox(ctx, polls.inbox) },
			"scheduler": func(ctx context.Context) error { return fed.RunScheduler(ctx, 30*time.Second) },
			"wake-ups":  func(ctx context.Context) error { return listenForWakeUps(ctx, a.log, st, dw, fed) },
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := run(wctx); err != nil {
					a.log.Error("worker stopped", "worker", name, "err", err)
				}
			}()
		}
		srv, err := web.New(web.Config{TrustedProxies: a.cfg.TrustedProxies, Version: version, Logger: a.log, Metrics: reg,
			RateLimit: a.cfg.RateLimit, MetricsAccess: web.MetricsAccess(a.cfg.Metrics), MetricsToken: a.cfg.MetricsToken,
			Language: a.cfg.Language, WebSub: web.WebSubConfig{Hubs: a.cfg.WebSubHubs, SelfHub: a.cfg.WebSubSelfHub, Client: client},
			ResponseCacheBytes: webCacheBytes(a.cfg.ResponseCacheBytes), FeedCacheBytes: webCacheBytes(a.cfg.FeedCacheBytes)}, st, fed)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.RunWebSub(wctx); err != nil {
				a.log.Error("worker stopped", "worker", "websub", "err", err)
			}
		}()
		hs := &http.Server{
			Handler:           srv.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          nil,
			TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
		}
		if n, err := st.CountUsers(ctx); err == nil && n == 0 {
			fmt.Fprintln(a.stderr, "No admin yet. Create the first one with:  tadamun user create NAME --role admin")
		}
		if actors, err := st.ListActors(ctx); err == nil && len(actors) == 0 {
			fmt.Fprintln(a.stderr, "No publishing actor yet. Create one with:  tadamun actor create USERNAME --name \"Organisation name\"")
		}
		a.log.Info("tadamun serving", "version", version, "listen", ln.Addr().String(),
			"public", a.addresses().Base(), "database", st.Dialect(), "tls", a.cfg.TLSCert != "")
		errc := make(chan error, 1)
		go func() {
			if a.cfg.TLSCert != "" {
				errc <- hs.ServeTLS(ln, a.cfg.TLSCert, a.cfg.TLSKey)
			} else {
				errc <- hs.Serve(ln)
			}
		}()
		select {
		case err := <-errc:
			a.log.Error("server failed: stopping the workers", "err", err)
			stopWorkers()
			return fmt.Errorf("server stopped: %w", err)
		case <-ctx.Done():
		}
		a.log.Info("shutting down: finishing in-flight requests", "timeout", grace)
		sctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
		stopWorkers()
		a.log.Info("stopped")
		return nil
	})
}

// polls says how often the workers look for work nobody told them about.
type polls struct{ delivery, inbox time.Duration }

// fallbackPoll is how often workers look for work when LISTEN/NOTIFY wakes
// them: only for what no notification announced (a retry come due, a lease
// run out after a crash, a notification lost with its connection).
const fallbackPoll = 30 * time.Second

// workerPolls picks the polls. On PostgreSQL every process hears at once of
// work any other queued, so polling is a slow fallback; the delivery worker
// still looks once per lease, so rows a crashed process held go out again
// within two leases. On SQLite one process owns the file, and work queued
// by a command (tadamun publish) beside the server is found by polling.
func workerPolls(notify bool, lease time.Duration) polls {
	if notify {
		return polls{delivery: min(fallbackPoll, lease), inbox: fallbackPoll}
	}
	return polls{delivery: time.Second, inbox: 2 * time.Second}
}

// listenForWakeUps wakes this process's workers when another process on the
// same PostgreSQL database queued work for them (storage.Store.Notify); on
// SQLite it returns at once.
func listenForWakeUps(ctx context.Context, log *slog.Logger, st *storage.Store, dw *delivery.Worker, fed *federation.Service) error {
	if !st.CanNotify() {
		return nil
	}
	heard := false
	return st.Listen(ctx, storage.Listener{
		Wake: func(topic string) {
			switch topic {
			case storage.WakeDelivery:
				dw.Notify()
			case storage.WakeInbox:
				fed.WakeInbox()
			}
		},
		Ready: func() {
			if !heard {
				heard = true
				log.Info("listening for work queued by other processes", "channel", storage.WakeChannel)
			} else {
				log.Info("listening again for work queued by other processes", "channel", storage.WakeChannel)
			}
		},
		Lost: func(err error) {
			log.Warn("lost the connection that hears of other processes' work; reconnecting (workers poll meanwhile)", "err", err)
		},
	})
}

// backupCmd is "tadamun backup FILE".
func backupCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one FILE to write")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			if err := st.Backup(ctx, args[0]); err != nil {
				if errors.Is(err, storage.ErrBackupUnsupported) {
					return errors.New("this node uses PostgreSQL: back it up with pg_dump (see README)")
				}
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %s\n", args[0])
			// The media are not in the database: say where they are, so
			// that a backup is not taken for complete.
			fmt.Fprintf(a.stdout, "media are not in it: back up %s as well (README, Backup)\n", mediaWhere(a))
			return nil
		})
	}
}
