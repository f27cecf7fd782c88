package paveotel

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pave-go/pave"
)

// timeoutError is a net.Error that timed out, as a dialer's may be.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestErrorType(t *testing.T) {
	t.Parallel()
	// As net/http wraps them: *url.Error over *net.OpError over the cause.
	wrap := func(op string, err error) error {
		return &url.Error{Op: "Get", URL: "https://openapi.paveapi.com/v1/sessions/ABC-0123456789",
			Err: &net.OpError{Op: op, Net: "tcp", Err: &os.SyscallError{Syscall: op, Err: err}}}
	}
	tests := []struct {
		name   string
		status int
		err    error
		want   string
	}{
		{"success", 200, nil, ""},
		{"no answer, no error", 0, nil, ""},
		{"an answer that is not a success", 404, errors.New("pave: GET /v1/sessions/ABC-0123456789: 404"), "404"},
		{"a status without an error", 503, nil, "503"},
		{"an unusual status", 999, errors.New("HTTP 999"), "999"},
		{"canceled", 0, &url.Error{Op: "Get", Err: context.Canceled}, "canceled"},
		{"bad response", 0, fmt.Errorf("%w: unexpected 101 Switching Protocols", pave.ErrBadResponse), "bad_response"},
		{"dns", 0, &url.Error{Op: "Get", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host",
			Name: "openapi.paveapi.com", IsNotFound: true}}}, "dns"},
		{"the context's deadline", 0, fmt.Errorf("attempt: %w", context.DeadlineExceeded), "timeout"},
		{"a deadline of the connection", 0, wrap("read", os.ErrDeadlineExceeded), "timeout"},
		{"a net.Error timing out", 0, &url.Error{Op: "Get", Err: timeoutError{}}, "timeout"},
		{"connection refused", 0, wrap("connect", syscall.ECONNREFUSED), "connection_refused"},
		{"connection reset", 0, wrap("read", syscall.ECONNRESET), "connection_reset"},
		{"broken pipe", 0, wrap("write", syscall.EPIPE), "connection_reset"},
		{"closed before the answer", 0, &url.Error{Op: "Get", Err: io.EOF}, "connection_reset"},
		{"body cut short", 0, fmt.Errorf("reading response body: %w", io.ErrUnexpectedEOF), "connection_reset"},
		{"unknown authority", 0, &url.Error{Op: "Get", Err: &tls.CertificateVerificationError{
			Err: x509.UnknownAuthorityError{}}}, "tls"},
		{"wrong host name", 0, x509.HostnameError{Host: "openapi.paveapi.com"}, "tls"},
		{"expired certificate", 0, x509.CertificateInvalidError{Reason: x509.Expired}, "tls"},
		{"not TLS", 0, &url.Error{Op: "Get", Err: tls.RecordHeaderError{Msg: "not a TLS handshake"}}, "tls"},
		{"anything else", 0, errors.New("pave: GET /v1/sessions/ABC-0123456789: something new"), "_OTHER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, errorType(tt.status, tt.err))
		})
	}
}

func TestStatusClass(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]string{0: "", 99: "_OTHER", 100: "1xx", 204: "2xx", 302: "3xx", 404: "4xx",
		429: "4xx", 500: "5xx", 599: "5xx", 600: "_OTHER", 999: "_OTHER", -1: "_OTHER"} {
		assert.Equal(t, want, statusClass(status), "status %d", status)
	}
}
