package pavetest

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pave-go/pave"
)

// Errors returned by the Server's control methods (wrapped with detail).
var (
	// ErrSessionNotFound: no session has this key.
	ErrSessionNotFound = errors.New("pavetest: session not found")
	// ErrInvalidTransition: the operation is not allowed in the
	// session's current status.
	ErrInvalidTransition = errors.New("pavetest: operation not allowed in the session's status")
)

// Event names.
const (
	eventSMSProcess   = "SESSION:SMS_PROCESS"
	eventStageChange  = "SESSION:STAGE_CHANGE"
	eventStatusChange = "SESSION:STATUS_CHANGE"
	eventComplete     = "SESSION:COMPLETE"
	eventNoteInsert   = "SESSION:NOTE_INSERT"
)

var knownEvents = []string{eventSMSProcess, eventStageChange, eventStatusChange, eventComplete, eventNoteInsert}

// Timestamp layouts of responses: sessions use microseconds and Z, photos
// and results a numeric offset (both are observed).
const (
	layoutMicroZ = "2006-01-02T15:04:05.000000Z"
	layoutOffset = "2006-01-02T15:04:05-07:00"
)

func fmtMicro(t time.Time) string  { return t.UTC().Format(layoutMicroZ) }
func fmtOffset(t time.Time) string { return t.UTC().Format(layoutOffset) }

// smsState is the delivery state of a session's capture SMS.
type smsState int

const (
	smsNone smsState = iota // no SMS requested
	smsPending
	smsDelivered
	smsFailed
)

// account is an Account with its callback settings.
type account struct {
	Account
	apiKey    []byte        // APIKey, for constant-time comparison
	tokens    *tokenChecker // verifies the account's API-Tokens
	callbacks []*callback   // insertion order; at most one per event
}

func newAccount(a Account) *account {
	return &account{Account: a, apiKey: []byte(a.APIKey), tokens: newTokenChecker(a.Credentials())}
}

// mergeFields copies the fields of src that are set into dst: all of them
// with overwrite, else only into the fields of dst still unset. T is a
// struct of plain values (pave.Vehicle, pave.SMS) or of maps taken whole
// (a callback setting).
func mergeFields[T any](dst, src *T, overwrite bool) {
	if src == nil {
		return
	}
	d, v := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for i := range v.NumField() {
		if !v.Field(i).IsZero() && (overwrite || d.Field(i).IsZero()) {
			d.Field(i).Set(v.Field(i))
		}
	}
}

type photoState struct {
	Code      pave.PhotoCode
	URL       string
	Approved  bool
	Message   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

type noteState struct {
	ID          int64
	Title       string
	Description string
	CreatedAt   time.Time
}

type session struct {
	key         string
	acct        *account
	theme       string
	status      pave.SessionStatus
	redirectURL string
	language    string
	createdAt   time.Time
	updatedAt   time.Time
	startedAt   time.Time
	endedAt     time.Time
	options     pave.SessionOptions // client_id, contact and reference (its SMS is unused: see sms)
	sms         *pave.SMS
	smsStatus   smsState
	resent      bool
	vehicle     pave.Vehicle
	photos      []*photoState
	shots       int // photo attempts, for distinct URLs on retakes
	notes       []noteState
	results     []byte
	due         time.Time    // when the results of a CONFIRM session are due (zero: not waiting)
	damages     []damageJSON // the damages of a repeat inspection (nil: generated)

	hotspotPhotos  []pave.HotspotPhoto
	hotspotResults []byte // nil until the photos uploaded are processed

	// viewJSON's cache: the encoded view and its length, nil until asked
	// for and after every change (see invalidate).
	cachedJSON []byte
	cachedLen  string
}

// viewJSON returns the session's view encoded as GET /v1/sessions/{key}
// answers it, and its length as a decimal string. The encoding is kept
// until invalidate: the view depends only on the session's own fields
// (and the server's fixed capture host), never on the clock. The slice is
// never modified afterwards, so it may be written after the lock is
// released. Call with the server's lock held.
func (s *session) viewJSON(o *Options) ([]byte, string, error) {
	if s.cachedJSON != nil {
		return s.cachedJSON, s.cachedLen, nil
	}
	b, err := marshal(s.view(o))
	if err != nil {
		return nil, "", err
	}
	s.cachedJSON, s.cachedLen = b, strconv.Itoa(len(b))
	return b, s.cachedLen, nil
}

// invalidate drops viewJSON's cache. Every change to a field the view
// shows goes through control (the lifecycle methods) or
// handleUpdateSession, which call it. Call with the server's lock held.
func (s *session) invalidate() { s.cachedJSON, s.cachedLen = nil, "" }

// photoCodes lists the 13 standard views in code order.
var photoCodes = slices.Sorted(slices.Values(captureOrder))

func (s *session) photo(code pave.PhotoCode) *photoState {
	for _, p := range s.photos {
		if p.Code == code {
			return p
		}
	}
	return nil
}

func (s *session) allAccepted() bool {
	for _, c := range photoCodes {
		if p := s.photo(c); p == nil || !p.Approved {
			return false
		}
	}
	return true
}

func (s *session) captureURL(host string) string {
	return "https://" + s.acct.AccountName + "." + host + "/" + s.key
}

// --- deterministic randomness ---

// newRand returns a PCG generator seeded from seed and the given labels.
func newRand(seed int64, labels ...string) *rand.Rand {
	h := fnv.New64a()
	for _, l := range labels {
		h.Write([]byte(l))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

const (
	upper    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	upperNum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	hexChars = "0123456789abcdef"
)

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// newSessionKey returns a key in the observed format [A-Z]{3}-[A-Z0-9]{10}.
func newSessionKey(r *rand.Rand) string {
	return randString(r, upper, 3) + "-" + randString(r, upperNum, 10)
}

func uuidLike(r *rand.Rand) string {
	s := randString(r, hexChars, 32)
	return s[:8] + "-" + s[8:12] + "-4" + s[13:16] + "-" + string("89ab"[r.IntN(4)]) + s[17:20] + "-" + s[20:]
}

// generateAccount builds the default account from the seed.
func generateAccount(seed int64) Account {
	r := newRand(seed, "account")
	return Account{
		Username:     "pavetest",
		APIKey:       uuidLike(r),
		APISecret:    "sk-test-" + randString(r, hexChars, 32),
		AccountName:  "pavetest",
		DefaultTheme: pave.ThemePro,
		APIName:      "pavetest",
	}
}

// --- JSON views ---

type optionsJSON struct {
	ClientID  string         `json:"client_id,omitempty"`
	SMS       *pave.SMS      `json:"sms,omitempty"`
	Contact   *pave.Contact  `json:"contact,omitempty"`
	Reference map[string]any `json:"reference,omitempty"`
}

type sessionJSON struct {
	SessionKey       string          `json:"session_key"`
	Theme            string          `json:"theme"`
	Active           bool            `json:"active"`
	Status           string          `json:"status"`
	RedirectURL      *string         `json:"redirect_url"`
	InspectStartedAt *string         `json:"inspect_started_at"`
	InspectEndedAt   *string         `json:"inspect_ended_at"`
	CreatedAt        string          `json:"created_at"`
	UpdatedAt        string          `json:"updated_at"`
	Language         string          `json:"language"`
	CaptureURL       string          `json:"capture_url"`
	Options          optionsJSON     `json:"options"`
	Vehicle          *sessionVehJSON `json:"vehicle"`
}

// sessionVehJSON is the vehicle of GET Session Data: odom_reading is a
// string with thousands separators, as in the documented example.
type sessionVehJSON struct {
	pave.Vehicle
	OdomReading string `json:"odom_reading,omitempty"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := fmtMicro(t)
	return &s
}

// shown returns the vehicle and SMS as answers show them: masked as
// PAVE's PII-mask key setting does (the last six VIN characters, all but
// the first two of a plate, the last four digits of a phone) with
// Options.MaskPII.
func (s *session) shown(o *Options) (pave.Vehicle, *pave.SMS) {
	v, sms := s.vehicle, s.sms
	if !o.MaskPII {
		return v, sms
	}
	if len(v.VIN) > 11 {
		v.VIN = v.VIN[:11] + strings.Repeat("X", len(v.VIN)-11)
	}
	if len(v.VRM) > 2 {
		v.VRM = v.VRM[:2] + strings.Repeat("X", len(v.VRM)-2)
	}
	if sms != nil {
		c := *sms
		c.To, c.From = maskPhone(c.To), maskPhone(c.From)
		sms = &c
	}
	return v, sms
}

// maskPhone replaces the last four digits of a phone number with X.
func maskPhone(p string) string {
	b := []byte(p)
	for i, n := len(b)-1, 0; i >= 0 && n < 4; i-- {
		if b[i] >= '0' && b[i] <= '9' {
			b[i], n = 'X', n+1
		}
	}
	return string(b)
}

// view renders the session as GET /v1/sessions/{key} does (viewJSON
// encodes and caches it). Call with the server's lock held.
func (s *session) view(o *Options) sessionJSON {
	out := sessionJSON{
		SessionKey:       s.key,
		Theme:            s.theme,
		Active:           s.status != pave.StatusExpired && s.status != pave.StatusInvalid,
		Status:           string(s.status),
		RedirectURL:      optString(s.redirectURL),
		InspectStartedAt: optTime(s.startedAt),
		InspectEndedAt:   optTime(s.endedAt),
		CreatedAt:        fmtMicro(s.createdAt),
		UpdatedAt:        fmtMicro(s.updatedAt),
		Language:         s.language,
		CaptureURL:       s.captureURL(o.CaptureHost),
	}
	v, sms := s.shown(o)
	out.Options = optionsJSON{ClientID: s.options.ClientID, SMS: sms, Contact: s.options.Contact,
		Reference: s.options.Reference}
	if v != (pave.Vehicle{}) {
		out.Vehicle = &sessionVehJSON{Vehicle: v}
		if v.OdomReading != 0 {
			out.Vehicle.OdomReading = thousands(int64(v.OdomReading))
		}
	}
	return out
}

// resultsPhotoJSON is a photo as the results show it; photoJSON adds its
// dates for GET photos.
type resultsPhotoJSON struct {
	PhotoCode       int    `json:"photo_code"`
	PhotoLabel      string `json:"photo_label"`
	URL             string `json:"url"`
	Approved        bool   `json:"approved"`
	ApprovedMessage string `json:"approved_message"`
}

type photoJSON struct {
	resultsPhotoJSON
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func (p *photoState) resultsView() resultsPhotoJSON {
	return resultsPhotoJSON{PhotoCode: int(p.Code), PhotoLabel: string(p.Code.Label()), URL: p.URL,
		Approved: p.Approved, ApprovedMessage: p.Message}
}

func (p *photoState) view() photoJSON {
	return photoJSON{p.resultsView(), fmtOffset(p.CreatedAt), fmtOffset(p.UpdatedAt)}
}

type noteJSON struct {
	ID          int64  `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	CreatedAt   string `json:"created_at"`
}

func (n noteState) view() noteJSON {
	return noteJSON{ID: n.ID, Title: n.Title, Description: n.Description, CreatedAt: fmtMicro(n.CreatedAt)}
}

// thousands formats n with comma separators ("41,250").
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// notFoundMessage is the documented 404 body text.
func notFoundMessage(key string) string {
	return fmt.Sprintf("Session %s cannot be found.", key)
}
