//go:build unix

// Package nettest holds the network helpers the tests of every module
// share.
package nettest

import (
	"fmt"
	"syscall"
	"testing"
)

// RefusedAddr returns a loopback host:port that refuses connections for the
// rest of the test: a socket bound to the port but not listening holds it,
// so no server a parallel test starts can take it (a listener opened and
// closed would free the port for the next one).
func RefusedAddr(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("nettest: socket: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("nettest: bind: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("nettest: getsockname: %v", err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}
