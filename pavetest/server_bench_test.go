package pavetest_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// BenchmarkFakeServerGet measures how many authenticated requests per second
// the fake server sustains (signature check, lookup, JSON answer), driven
// by 64 goroutines sharing one SDK client over loopback. Client and server
// share the machine's cores, so this is a floor for what a load test can
// drive through it.
func BenchmarkFakeServerGet(b *testing.B) {
	srv := pavetest.NewServer(b)
	client := srv.Client()
	ctx := context.Background()
	sess, err := client.Sessions.Create(ctx, &pave.CreateSessionRequest{})
	if err != nil {
		b.Fatal(err)
	}
	key := sess.SessionKey
	b.ReportAllocs()
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.Sessions.Get(ctx, key); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkFakeServerCreate measures authenticated session creation, the
// fake server's most expensive write (validation, key generation, state).
func BenchmarkFakeServerCreate(b *testing.B) {
	srv := pavetest.NewServer(b)
	client := srv.Client()
	ctx := context.Background()
	req := &pave.CreateSessionRequest{
		Session: &pave.SessionSettings{RedirectURL: "https://dealer.example.com/done"},
		Vehicle: &pave.Vehicle{VIN: "1HGCV1F39LA012345"},
	}
	b.ReportAllocs()
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.Sessions.Create(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
