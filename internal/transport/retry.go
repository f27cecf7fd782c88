package transport

// The retry policy: a pure decision from how an attempt ended to whether
// to send the call again and after how long.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Attempt is how one attempt of a call ended, as Decide needs it.
type Attempt struct {
	// N is the attempt's number, 1 for the first, not counting a resend
	// with the clock corrected.
	N int
	// Method is the HTTP method; Acts marks a call that may act on PAVE
	// in a way a repeat would repeat (see Call.Acts).
	Method string
	Acts   bool
	// Status is the answer's status, 0 when there was no answer.
	Status int
	// Err is why there was no answer (nil when there was one).
	Err error
	// RetryAfter is the wait the answer's Retry-After asked for, or 0.
	RetryAfter time.Duration
}

// Policy is how many times and how long to retry.
type Policy struct {
	// MaxRetries bounds the retries (not counting the first attempt).
	MaxRetries int
	// Base is the wait before the first retry, doubling after each, never
	// above Max.
	Base, Max time.Duration
	// MaxRetryAfter caps the wait a server's Retry-After asks for.
	MaxRetryAfter time.Duration
	// Jitter spreads a backoff wait so concurrent clients do not retry in
	// lockstep; nil is "equal jitter" (a random point in the upper half).
	Jitter func(time.Duration) time.Duration
}

// Decide says whether to send the call again after a, and the wait
// before. It is the whole rule of what is retried:
//
//   - a call that may act on PAVE (a POST; a PUT that texts a customer) is
//     sent again only when PAVE provably did not act on it: the connection
//     was refused (nothing was sent) or it answered 429 (refused before
//     processing);
//   - any other call is retried on a network error or a timeout, and on
//     408, 429, 500, 502, 503 and 504;
//   - never on an answer that cannot be used (ErrBadResponse), a refusal
//     to sign for another host (ErrForeignHost), a permanent error, or a
//     TLS failure another attempt would meet again;
//   - never beyond MaxRetries.
//
// The wait is the answer's Retry-After (capped at MaxRetryAfter) when it
// asked for one, else the backoff for attempt N.
func (p Policy) Decide(a Attempt) (retry bool, wait time.Duration) {
	if a.N > p.MaxRetries || !p.retryable(a) {
		return false, 0
	}
	if a.RetryAfter > 0 {
		return true, min(a.RetryAfter, p.MaxRetryAfter)
	}
	return true, p.backoff(a.N)
}

func (p Policy) retryable(a Attempt) bool {
	once := a.Acts || !Idempotent(a.Method)
	if a.Err != nil {
		if errors.Is(a.Err, ErrBadResponse) || errors.Is(a.Err, errPermanent) || tlsConfigError(a.Err) {
			return false
		}
		return !once || errors.Is(a.Err, syscall.ECONNREFUSED)
	}
	if once {
		return a.Status == http.StatusTooManyRequests
	}
	switch a.Status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Idempotent reports whether a repeat of the method changes nothing more
// than the first request did.
func Idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// MayHaveActed reports whether PAVE may have processed an attempt that
// ended with status (0: no answer) or err: anything but a refused
// connection, a 429, or a 4xx that refused the request.
func MayHaveActed(status int, err error) bool {
	if err != nil {
		return !errors.Is(err, syscall.ECONNREFUSED)
	}
	return status >= 500
}

// backoff returns the wait before retry n (1 for the first): Base*2^(n-1),
// capped at Max, jittered.
func (p Policy) backoff(n int) time.Duration {
	d := p.Base
	for i := 1; i < n && d < p.Max; i++ {
		if d > p.Max/2 {
			d = p.Max // doubling would pass Max, or overflow for huge values
			break
		}
		d *= 2
	}
	d = min(d, p.Max)
	if d <= 0 {
		return 0
	}
	if p.Jitter != nil {
		return p.Jitter(d)
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// errPermanent marks an error no retry can cure (see Permanent).
var errPermanent = errors.New("permanent")

type permanent struct{ error }

func (p permanent) Is(target error) bool { return target == errPermanent }
func (p permanent) Unwrap() error        { return p.error }

// Permanent marks err as one no retry can cure (a request signed for
// another account, say); errors.Is and errors.As see through it.
func Permanent(err error) error { return permanent{err} }

// tlsConfigError reports a TLS failure that another attempt would meet
// again: a certificate that does not verify (unknown authority, wrong
// host name, expired), or a server that does not speak TLS at all.
func tlsConfigError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &record) ||
		// net/http replaces the tls.RecordHeaderError of a plain-HTTP
		// server with an error of its own, without a type to match.
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// Sleep waits for d or until ctx is done, whichever is first, and returns
// ctx.Err() in the latter case.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RetryAfter reads a Retry-After header as delta-seconds or an HTTP date
// (relative to now), capped at a day; 0 when absent or unreadable.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || secs != secs {
			return 0
		}
		return time.Duration(min(secs, 24*3600) * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, 24*time.Hour)
		}
	}
	return 0
}
