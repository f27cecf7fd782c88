package pavetest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkReset1000Sessions is POST /_fake/reset, in process, with 1,000
// COMPLETE sessions stored; filling the server again is outside the timed
// part.
func BenchmarkReset1000Sessions(b *testing.B) {
	srv := NewServer(b)
	proto, err := srv.Client().Sessions.Create(context.Background(), nil)
	if err == nil {
		err = srv.Complete(proto.SessionKey)
	}
	if err != nil {
		b.Fatal(err)
	}
	srv.mu.Lock()
	tmpl := *srv.sessions[proto.SessionKey]
	srv.mu.Unlock()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		srv.mu.Lock()
		for i := range 1000 {
			s := tmpl
			s.key = fmt.Sprintf("BEN-%010d", i)
			srv.sessions[s.key] = &s
		}
		srv.mu.Unlock()
		req := httptest.NewRequest(http.MethodPost, "/_fake/reset", nil)
		req.Host = srv.addr
		rec := httptest.NewRecorder()
		b.StartTimer()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || len(srv.sessions) != 0 {
			b.Fatalf("reset: %d %s", rec.Code, rec.Body)
		}
	}
}
