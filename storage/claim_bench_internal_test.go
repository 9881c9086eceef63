//go:build unix

package storage

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkClaimSizes claims a queue of 1,000 deliveries to 1,000 hosts
// and settles each claim, either always 32 rows at a time or with the
// size changing from claim to claim (4 to 32) as the delivery worker's
// free slots make it; one op is one claimed row, and "cpu-us/row" is the
// process's CPU per row (the wall time is mostly the commits' flushes).
// With the limits bound as bare parameters, SQLite planned the changing
// claim anew nearly every time: 71–77 µs of CPU per row against 46–47 for
// the fixed size; with bound(), 58–67 (the rest of the gap is the smaller
// claims' share of each commit).
func BenchmarkClaimSizes(b *testing.B) {
	for _, changing := range []bool{false, true} {
		name := "fixed"
		if changing {
			name = "changing"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s := openSQLite(b)
			a := &Actor{Username: "icssi", PrivateKeyPEM: "x", PublicKeyPEM: "y"}
			if err := s.CreateActor(ctx, a); err != nil {
				b.Fatal(err)
			}
			boxes := make([]string, 1000)
			for i := range boxes {
				boxes[i] = fmt.Sprintf("http://h%d.example/inbox", i)
			}
			claimed, round := 0, 0
			var cpu time.Duration
			b.ResetTimer()
			for claimed < b.N {
				b.StopTimer()
				act := &Activity{IRI: fmt.Sprintf("https://node.example/a%d", round), Direction: Outbound, Type: "Create",
					ActorIRI: "https://node.example/u", LocalActorID: a.ID, Body: []byte("{}")}
				round++
				if _, err := s.SaveActivity(ctx, act); err != nil {
					b.Fatal(err)
				}
				if _, err := s.EnqueueDeliveries(ctx, act.ID, a.ID, boxes); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				c0 := processCPU()
				for n := 0; claimed < b.N; n++ {
					limit := 32
					if changing {
						limit = 4 + n%29
					}
					list, err := s.ClaimDeliveries(ctx, "bench", time.Minute, limit, nil)
					if err != nil {
						b.Fatal(err)
					}
					if len(list) == 0 {
						break
					}
					done := make([]DeliveredAnswer, len(list))
					for i, d := range list {
						done[i] = DeliveredAnswer{ID: d.ID, Status: 202, Host: d.Host}
					}
					if _, err := s.DeliveriesDone(ctx, done); err != nil {
						b.Fatal(err)
					}
					claimed += len(list)
				}
				cpu += processCPU() - c0
			}
			b.ReportMetric(float64(cpu.Microseconds())/float64(claimed), "cpu-us/row")
		})
	}
}

// processCPU is the CPU time, user and system, the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
