package pave

// The retry policy: what is retried and why, the backoff between attempts,
// and the server's Retry-After.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// idempotent methods may be retried after any transient failure.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// retryableStatus: idempotent requests retry on 408, 429, 500, 502, 503,
// 504. A request sent at most once (a POST, which may text a customer)
// retries only on 429, the one status that says the request was refused
// before being processed.
func retryableStatus(once bool, status int) bool {
	if once {
		return status == http.StatusTooManyRequests
	}
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableNetError: idempotent requests retry on any network error or
// per-attempt timeout; one sent at most once only when the connection was
// refused, which proves the server never saw it.
func retryableNetError(once bool, err error) bool {
	if errors.Is(err, ErrForeignHost) || errors.Is(err, ErrBadResponse) || tlsConfigError(err) {
		return false
	}
	if once {
		return errors.Is(err, syscall.ECONNREFUSED)
	}
	return true
}

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

// backoffPolicy is a capped exponential backoff. The zero value is not useful; set
// Base and Max.
type backoffPolicy struct {
	// Base is the wait before the first retry (before jitter).
	Base time.Duration
	// Max caps every computed wait.
	Max time.Duration
}

// delay returns the wait before retry number n (1 for the first retry):
// Base*2^(n-1), capped at Max, with "equal jitter" (a random point in the
// upper half), so concurrent clients do not retry in lockstep.
func (p backoffPolicy) delay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := p.Base
	for i := 1; i < n && d < p.Max; i++ {
		if d > p.Max/2 {
			d = p.Max // doubling would pass Max, or overflow for huge values
			break
		}
		d *= 2
	}
	if p.Max > 0 && d > p.Max {
		d = p.Max
	}
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleepCtx waits for d or until ctx is done, whichever is first, and returns
// ctx.Err() in the latter case.
func sleepCtx(ctx context.Context, d time.Duration) error {
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

// parseRetryAfter reads Retry-After as delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || secs != secs {
			return 0
		}
		if secs > 24*3600 {
			secs = 24 * 3600
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// Clock-skew correction (see WithClockSkewCorrection). PAVE refuses a token
// whose timestamp is more than about five minutes from its clock; like
// AWS's SDKs, a skew above 4 minutes counts, and the SDK corrects at most
// an hour (a clock further off is a problem to fix, not to paper over).
const (
	skewThreshold = 4 * time.Minute
	maxSkewFix    = time.Hour
)

// skewFrom returns PAVE's clock minus the client's signing clock, read
// from a response's Date header (whole seconds: the estimate is good to
// about a second, far inside the margin).
func (c *Client) skewFrom(h http.Header) (time.Duration, bool) {
	d, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return 0, false
	}
	return d.Sub(c.now()), true
}

// correctSkew handles a 401 whose Date shows a skew beyond skewThreshold:
// when correcting is allowed (on, first time for this call, within
// maxSkewFix) it keeps the corrected offset for every later request and
// reports true, so the request is sent once more; otherwise it records the
// skew on apiErr, whose message then names it. The decision rests on Date
// alone, never on PAVE's wording.
func (c *Client) correctSkew(ctx context.Context, cl *call, h http.Header, apiErr *APIError, allowed bool) bool {
	off, ok := c.skewFrom(h)
	if !ok || off.Abs() <= skewThreshold {
		return false
	}
	total := time.Duration(c.skew.Load()) + off // PAVE's clock minus the local one
	if allowed && c.fixSkew && total.Abs() <= maxSkewFix {
		c.skew.Store(int64(total))
		c.logger.LogAttrs(ctx, slog.LevelWarn, "pave clock skew corrected: "+describeSkew(-total)+"; fix the machine's clock (NTP)",
			slog.String("method", cl.method), slog.String("path", cl.path),
			slog.String("clock_ahead_by", (-total).Round(time.Second).String()))
		return true
	}
	apiErr.ClockSkew = -total
	return false
}
