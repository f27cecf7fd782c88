//go:build !unix

package nettest

import (
	"net"
	"testing"
)

// RefusedAddr returns a loopback host:port nothing listens on: a port
// just freed, which a parallel test may take again (unix systems hold it).
func RefusedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("nettest: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
