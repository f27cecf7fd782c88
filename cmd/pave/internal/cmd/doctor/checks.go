package doctor

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/internal/transport"
)

// reachCheck connects to the base URL's host (through the proxy the
// environment names, when it names one) and times the connection.
func reachCheck(f *cmdutil.Factory, u *url.URL) Check {
	hostPort := func(u *url.URL) string {
		port := cmp.Or(u.Port(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		return net.JoinHostPort(u.Hostname(), port)
	}
	target, via := hostPort(u), ""
	if proxy, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err == nil && proxy != nil {
		target, via = hostPort(proxy), " (the proxy the environment names)"
	}
	ctx, cancel := context.WithTimeout(f.Ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", target)
	if err != nil {
		return Check{Name: "reachable", Status: Fail, Detail: fmt.Sprintf("cannot connect to %s%s: %s", target, via, err),
			Fix: "check the host and port of the base URL, the network, and any firewall or proxy (HTTPS_PROXY) in the way"}
	}
	defer conn.Close()
	tcp := time.Since(start)
	if u.Scheme != "https" || via != "" {
		return Check{Name: "reachable", Status: OK, Detail: fmt.Sprintf("TCP connection to %s%s in %s", target, via,
			round(tcp))}
	}
	tc := tls.Client(conn, &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(ctx); err != nil {
		return Check{Name: "reachable", Status: Fail, Detail: fmt.Sprintf("TLS handshake with %s failed: %s", target, err),
			Fix: "something between you and the host intercepts TLS (a proxy or antivirus), or the system's CA " +
				"certificates are out of date"}
	}
	return Check{Name: "reachable", Status: OK,
		Detail: fmt.Sprintf("TCP+TLS connection to %s in %s (TCP %s)", target, round(time.Since(start)), round(tcp))}
}

func round(d time.Duration) time.Duration {
	if d > 10*time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

const syncFix = "synchronise this machine's clock (enable NTP, e.g. timedatectl set-ntp true, or the system's date " +
	"and time settings): PAVE accepts a token for five minutes around its own time"

// clockCheck reads the clock from the signed call: PAVE (and the SDK,
// from its Date header) names a skew of more than four minutes in a 401.
func clockCheck(err error) Check {
	var ae *pave.APIError
	switch {
	case errors.As(err, &ae) && ae.ClockSkew != 0:
		return Check{Name: "clock", Status: Fail, auth: true, Detail: transport.DescribeSkew(ae.ClockSkew), Fix: syncFix}
	case err == nil || ae != nil:
		return Check{Name: "clock", Status: OK, Detail: "your clock agrees with PAVE's (no skew of more than four minutes)"}
	}
	return Check{Name: "clock", Status: Skip, Detail: "the signed call got no answer"}
}

// signedCallCheck reports the outcome of GET /v1/callbacks.
func signedCallCheck(list []pave.Callback, err error) Check {
	c := Check{Name: "signed call", Status: Fail}
	var ae *pave.APIError
	switch {
	case err == nil:
		c.Status, c.Detail = OK, "GET /v1/callbacks answered 200: "+plural(len(list), "callback setting")
		return c
	case !errors.As(err, &ae):
		c.Detail = "GET /v1/callbacks failed: " + strings.TrimPrefix(err.Error(), "pave: ")
		c.Fix = "the host answered the connection but not the request: check the base URL points at the PAVE API " +
			"and nothing in between (a proxy) drops requests"
		return c
	}
	msg := ae.Message
	if msg == "" {
		msg = http.StatusText(ae.StatusCode)
	}
	c.Detail = fmt.Sprintf("GET /v1/callbacks answered %d %q", ae.StatusCode, msg)
	lower := strings.ToLower(ae.Message)
	switch {
	case ae.StatusCode == http.StatusUnauthorized:
		c.auth = true
		switch {
		case strings.Contains(lower, "expired"):
			c.Detail += ": the token was refused as expired"
			if ae.ClockSkew != 0 {
				c.Detail += ", " + transport.DescribeSkew(ae.ClockSkew)
			}
			c.Fix = syncFix
		case strings.Contains(lower, "token"):
			c.Detail += ": PAVE knows the API key but the token does not verify"
			c.Fix = "the API secret is not this key's, or the username is not the account name PAVE signs with " +
				"(the primary account, not a dashboard login): copy both again from Dashboard > Developer > API Keys"
		default:
			c.Detail += ": PAVE does not accept these credentials"
			c.Fix = "check each: the API key exists and is not revoked (Dashboard > Developer > API Keys), the API secret " +
				"is that key's, the username is the primary account name, and the clock is right"
		}
	case ae.StatusCode == http.StatusForbidden:
		c.Fix = "the key is known but may not use this endpoint: ask PAVE support to enable API access for it"
	case ae.StatusCode == http.StatusNotFound:
		c.Fix = "the base URL does not point at the PAVE API (a wrong host or path prefix): use " + pave.DefaultBaseURL
	case ae.StatusCode == http.StatusTooManyRequests:
		c.Status, c.Fix = Warn, "PAVE is rate limiting this key: wait and try again"
	case ae.StatusCode >= 500:
		c.Fix = "PAVE (or something in front of it) has a problem: try again later"
	default:
		c.Fix = "an unexpected answer to a read-only call: run pave probe --yes and attach its report to an issue"
	}
	return c
}
