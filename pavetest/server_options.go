package pavetest

import (
	"cmp"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/pave-go/pave"
)

// Defaults of Options.
const (
	// DefaultTimestampWindow is the accepted API-Timestamp skew (PAVE's 5 minutes).
	DefaultTimestampWindow = 300 * time.Second
	// DefaultCaptureHost is the capture-link domain.
	DefaultCaptureHost = "vehiclecapture.com"
	// DefaultWebhookRetries is how often a failed delivery is retried.
	DefaultWebhookRetries = 2
	// DefaultWebhookRetryWait is the pause between delivery attempts.
	DefaultWebhookRetryWait = 10 * time.Millisecond
	// DefaultWebhookTimeout bounds one delivery attempt.
	DefaultWebhookTimeout = 5 * time.Second
	// DefaultMaxBodyBytes caps request bodies.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxRecordedRequests bounds the request and delivery logs.
	DefaultMaxRecordedRequests = 10000
)

// Account is one PAVE account and API key the fake server knows. Its JSON
// form (GET /_fake/accounts) is the credentials, the account name and the
// default theme. Sessions
// and callback settings belong to an API key and are invisible to the others.
type Account struct {
	// Username is the account name signed into the API-Token.
	Username string `json:"username"`
	// APIKey identifies the key (sent in API-Key).
	APIKey string `json:"api_key"`
	// APISecret keys the HMAC.
	APISecret string `json:"api_secret"`
	// AccountName is the capture-link subdomain; default Username in lower case.
	AccountName string `json:"account_name,omitempty"`
	// DefaultTheme applies to sessions created without a theme; default PRO.
	DefaultTheme pave.Theme `json:"default_theme,omitempty"`
	// Live marks a live key (informational; test and live keys behave alike).
	Live bool `json:"-"`
	// AccessToken is an extra value accepted in the v2 API-Access-Token
	// header. The API key itself is always accepted there.
	AccessToken string `json:"-"`
	// APIName is reported as source.properties.api_name in results;
	// default "pavetest".
	APIName string `json:"-"`
}

// Credentials returns the SDK credentials of the account.
func (a Account) Credentials() pave.Credentials {
	return pave.Credentials{Username: a.Username, APIKey: a.APIKey, APISecret: a.APISecret}
}

// Options configure a fake server. The zero value is usable: one generated
// account, strict timestamps (the form PAVE documents), a 300-second
// window, the real clock, and answers shaped only as PAVE's docs show them.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0" (a free port). It
	// must be a loopback address unless ControlToken is set (a container
	// listening on 0.0.0.0, say).
	Addr string
	// ControlToken, when set, must be presented as "Authorization: Bearer
	// <token>" on every control request (/_fake/...). Without it, control
	// requests are accepted only with a Host header naming the server's
	// own loopback address. Either way, requests a web browser sends
	// across origins are refused (see the package documentation), so a
	// page the developer visits cannot drive the fake or read what it
	// recorded.
	ControlToken string
	// Accounts are the known API keys; the first is the default account
	// (Server.Credentials). When empty, one account is generated from Seed.
	Accounts []Account
	// Seed makes session keys, generated accounts, photo URLs and results
	// deterministic: the same seed and the same calls give the same data.
	Seed int64
	// Now is the server clock (default time.Now). Server.AdvanceClock
	// shifts it.
	Now func() time.Time
	// TimestampWindow is how far API-Timestamp may be from the server
	// clock, either way; default 300 seconds.
	TimestampWindow time.Duration
	// Timestamps is how API-Timestamp is read: Strict (the default) accepts
	// only the form PAVE's docs show, Lenient also the forms PAVE's own
	// samples and others' code send, which PAVE may refuse.
	Timestamps TimestampMode
	// CaptureHost is the capture-link domain; default vehiclecapture.com.
	CaptureHost string
	// RichWebhooks adds fields PAVE does not document to every delivery:
	// "event" on every event (PAVE shows it on COMPLETE only), the session
	// key of SMS_PROCESS, STAGE_CHANGE's photo_code and photo_label, and
	// STATUS_CHANGE's previous_status and updated_at. PAVE does not promise
	// them, and code that needs them sees empty values in production: by
	// default the fake sends only the documented fields (plus the setting's
	// payload, which PAVE merges into every delivery).
	RichWebhooks bool
	// ResultsVehicleInSession puts the results' vehicle inside "session",
	// beside user_account and source, as PAVE's results sample reads when
	// its braces are counted as printed. By default it sits at the top
	// level, the other reading. The SDK accepts both.
	ResultsVehicleInSession bool
	// NotReadyStatus is the status of the "Session is not yet completed."
	// answer to GET results before COMPLETE. PAVE lists that body under its
	// 200 sample and documents no other status, so the default is 200;
	// set 400 (say) to test code against another reading.
	NotReadyStatus int
	// HotspotsCroppedImages adds, to each Hotspots damage, a link to an
	// image cropped around it (as cropped_image_url). PAVE promises such a
	// link without naming its field, so by default it is left out.
	HotspotsCroppedImages bool
	// HotspotsAutoProcess makes a Hotspots upload produce results at once.
	// By default (false) results stay "not yet completed" until
	// Server.ProcessHotspots is called, as production processes them later.
	HotspotsAutoProcess bool
	// WebhookRetries is how many times a failed delivery is retried;
	// 0 means DefaultWebhookRetries, a negative value means no retries.
	WebhookRetries int
	// WebhookRetryWait is the pause between delivery attempts; default 10ms.
	WebhookRetryWait time.Duration
	// WebhookTimeout bounds one delivery attempt; default 5 s.
	WebhookTimeout time.Duration
	// WebhookClient sends deliveries; default a private client.
	WebhookClient *http.Client
	// AsyncWebhooks delivers webhooks in the background, in order, instead
	// of before the lifecycle method returns. Server.WaitDeliveries waits
	// for the queue to drain.
	AsyncWebhooks bool
	// MaskPII masks, in every answer and delivery, VINs (the last six
	// characters), plates and phone numbers (the last four digits) as
	// PAVE's PII-mask key setting does: its samples show
	// JN1CV6AR9BMXXXXXX and 647-455-XXXX.
	MaskPII bool
	// ResultsDelay holds every session's results back, as PAVE's "24HR
	// Queued Results" mode may ("delayed for up to 24 hours"): Complete
	// stops at CONFIRM, and the server completes the session, firing
	// its deliveries, once its clock is this far past the end of the
	// capture (advance it with AdvanceClock or POST /_fake/clock).
	ResultsDelay time.Duration
	// Chaos makes deliveries and results misbehave (see Chaos); the zero
	// value, none.
	Chaos Chaos
	// Log, when set, receives one line per API request (method, path,
	// status, refusal reason, milliseconds) and per webhook delivery
	// attempt (event, receiver URL without its query, status, attempt,
	// state): key=value text, or JSON lines with LogJSON. Never a secret,
	// token, phone, name or body.
	Log     io.Writer
	LogJSON bool
	// MaxBodyBytes caps request bodies (413 above); default 1 MiB.
	MaxBodyBytes int64
	// MaxRecordedRequests bounds Server.Requests and Server.Deliveries
	// (oldest dropped first); default 10000.
	MaxRecordedRequests int
}

// Option adjusts Options for NewServer and Start. Any func(*Options) is one,
// so a field without a With* helper is set with
// func(o *pavetest.Options) { o.HotspotsCroppedImages = true }.
type Option func(*Options)

// WithOptions replaces all options with o (later options still apply).
func WithOptions(o Options) Option { return func(dst *Options) { *dst = o } }

// WithAccounts sets the accounts; the first is the default account.
func WithAccounts(accounts ...Account) Option {
	return func(o *Options) { o.Accounts = append([]Account(nil), accounts...) }
}

// WithRichWebhooks adds the undocumented fields to deliveries (see
// Options.RichWebhooks).
func WithRichWebhooks() Option { return func(o *Options) { o.RichWebhooks = true } }

// WithTimestamps sets how API-Timestamp is read (see Options.Timestamps).
func WithTimestamps(mode TimestampMode) Option { return func(o *Options) { o.Timestamps = mode } }

// WithClock sets the server clock.
func WithClock(now func() time.Time) Option { return func(o *Options) { o.Now = now } }

// WithSeed sets the seed of generated keys and data.
func WithSeed(seed int64) Option { return func(o *Options) { o.Seed = seed } }

// WithTimestampWindow sets the accepted API-Timestamp skew.
func WithTimestampWindow(d time.Duration) Option {
	return func(o *Options) { o.TimestampWindow = d }
}

// WithHotspotsAutoProcess makes Hotspots uploads produce results at once.
func WithHotspotsAutoProcess() Option { return func(o *Options) { o.HotspotsAutoProcess = true } }

// WithWebhookRetries sets the retry count (negative: none) and the wait
// between delivery attempts.
func WithWebhookRetries(retries int, wait time.Duration) Option {
	return func(o *Options) { o.WebhookRetries, o.WebhookRetryWait = retries, wait }
}

// WithAsyncWebhooks delivers webhooks in the background (see Options.AsyncWebhooks).
func WithAsyncWebhooks() Option { return func(o *Options) { o.AsyncWebhooks = true } }

// normalize fills defaults and validates.
func (o Options) normalize() (Options, error) {
	o.Addr = cmp.Or(o.Addr, "127.0.0.1:0")
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return o, fmt.Errorf("pavetest: Addr %q: %v", o.Addr, err)
	}
	if !loopback(host) && o.ControlToken == "" {
		return o, fmt.Errorf("pavetest: Addr %q is not a loopback address; set ControlToken to listen on it", o.Addr)
	}
	if o.ControlToken != "" && (len(o.ControlToken) < 16 || strings.ContainsFunc(o.ControlToken, func(r rune) bool { return r <= ' ' || r == 0x7f })) {
		return o, fmt.Errorf("pavetest: ControlToken must be at least 16 bytes without spaces or control characters")
	}
	if err := o.Chaos.validate(); err != nil {
		return o, err
	}
	if o.ResultsDelay < 0 {
		return o, fmt.Errorf("pavetest: ResultsDelay is negative")
	}
	if o.Timestamps != Strict && o.Timestamps != Lenient {
		return o, fmt.Errorf("pavetest: unknown TimestampMode %d", o.Timestamps)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NotReadyStatus == 0 {
		o.NotReadyStatus = http.StatusOK
	} else if o.NotReadyStatus < 200 || o.NotReadyStatus > 599 {
		return o, fmt.Errorf("pavetest: NotReadyStatus %d is not an HTTP status", o.NotReadyStatus)
	}
	o.TimestampWindow = positiveOr(o.TimestampWindow, DefaultTimestampWindow)
	o.CaptureHost = cmp.Or(o.CaptureHost, DefaultCaptureHost)
	o.WebhookRetries = max(cmp.Or(o.WebhookRetries, DefaultWebhookRetries), 0) // negative: none
	o.WebhookRetryWait = positiveOr(o.WebhookRetryWait, DefaultWebhookRetryWait)
	o.WebhookTimeout = positiveOr(o.WebhookTimeout, DefaultWebhookTimeout)
	o.MaxBodyBytes = positiveOr(o.MaxBodyBytes, DefaultMaxBodyBytes)
	o.MaxRecordedRequests = positiveOr(o.MaxRecordedRequests, DefaultMaxRecordedRequests)
	if len(o.Accounts) == 0 {
		o.Accounts = []Account{generateAccount(o.Seed)}
	}
	accts := make([]Account, len(o.Accounts))
	seen := map[string]bool{}
	for i, a := range o.Accounts {
		if err := a.Credentials().Validate(); err != nil {
			return o, fmt.Errorf("pavetest: account %d: %v", i, err)
		}
		if seen[a.APIKey] {
			return o, fmt.Errorf("pavetest: account %d: duplicate API key", i)
		}
		seen[a.APIKey] = true
		a.AccountName = cmp.Or(a.AccountName, strings.ToLower(a.Username))
		a.DefaultTheme = cmp.Or(a.DefaultTheme, pave.ThemePro)
		a.APIName = cmp.Or(a.APIName, "pavetest")
		if !a.DefaultTheme.Known() {
			return o, fmt.Errorf("pavetest: account %d: unknown default theme %q", i, a.DefaultTheme)
		}
		accts[i] = a
	}
	o.Accounts = accts
	return o, nil
}

// positiveOr is v, or def when v is zero or negative.
func positiveOr[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
