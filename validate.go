package pave

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// ValidateVIN reports whether vin is 17 characters of the VIN alphabet
// (digits and letters except I, O and Q), and why not. VINs are
// case-insensitive: the SDK sends them upper case.
func ValidateVIN(vin string) (ok bool, reason string) {
	if len(vin) != 17 {
		return false, "VIN must be 17 characters, got " + strconv.Itoa(len([]rune(vin)))
	}
	for i := 0; i < len(vin); i++ {
		ch := vin[i]
		switch {
		case ch >= '0' && ch <= '9':
		case ch == 'I' || ch == 'O' || ch == 'Q' || ch == 'i' || ch == 'o' || ch == 'q':
			return false, "VIN must not contain I, O or Q (position " + strconv.Itoa(i+1) + ")"
		case ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z':
		default:
			return false, "VIN has an invalid character at position " + strconv.Itoa(i+1)
		}
	}
	return true, ""
}

// PhoneDigits returns the digits of a phone number after removing spaces,
// dashes, dots, parentheses and one leading +, and whether what remains is 7
// to 15 digits.
func PhoneDigits(phone string) (digits string, ok bool) {
	n, ok := countPhoneDigits(phone)
	if n < 0 {
		return "", false
	}
	s := strings.TrimPrefix(strings.TrimSpace(phone), "+")
	if n == len(s) {
		return s, ok // only digits: no copy
	}
	b := make([]byte, 0, n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b), ok
}

// validPhone is PhoneDigits' verdict without building the digits.
func validPhone(phone string) bool {
	_, ok := countPhoneDigits(phone)
	return ok
}

// countPhoneDigits counts the digits of a phone number written with
// spaces, dashes, dots, parentheses and one leading +; -1 when another
// character appears. ok reports 7 to 15 digits.
func countPhoneDigits(phone string) (n int, ok bool) {
	s := strings.TrimPrefix(strings.TrimSpace(phone), "+")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			n++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return -1, false
		}
	}
	return n, n >= 7 && n <= 15
}

// validateSessionKey checks a path segment before it is escaped into a URL.
func validateSessionKey(key string) string {
	switch {
	case strings.TrimSpace(key) == "":
		return "session key is empty"
	case key == "." || key == "..":
		// Escaping leaves dots alone, and a server would resolve
		// /v1/sessions/../results to /v1/results.
		return "session key must not be \".\" or \"..\""
	case strings.Contains(key, "/"):
		return "session key must not contain '/'"
	case strings.ContainsFunc(key, unicode.IsControl):
		return "session key must not contain control characters"
	case len(key) > 256:
		return "session key is longer than 256 bytes"
	}
	return ""
}

func checkSessionKey(op, key string) error {
	if msg := validateSessionKey(key); msg != "" {
		fe := fieldErrors{}
		fe.add("session_key", msg)
		return fe.err(op)
	}
	return nil
}

// validRedirectURL: an absolute URL; http(s) needs a host, custom app
// schemes (myapp://done) are allowed for deep links.
func validRedirectURL(raw string) bool {
	if strings.TrimSpace(raw) != raw || strings.ContainsFunc(raw, unicode.IsSpace) {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "file":
		// Never a deep link: a script or local content in the
		// customer's browser.
		return false
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return u.Host != ""
	}
	return u.Host != "" || u.Opaque != "" || u.Path != ""
}

func validateSessionSettings(fe fieldErrors, prefix string, s *SessionSettings) {
	if s == nil {
		return
	}
	if s.Theme != "" && !s.Theme.Known() {
		fe.add(prefix+".theme", "theme must be LITE, PRO or CAPT, got "+quote(string(s.Theme)))
	}
	if s.RedirectURL != "" && !validRedirectURL(s.RedirectURL) {
		fe.add(prefix+".redirect_url", "redirect_url must be an absolute URL (https://... or an app scheme such as myapp://done)")
	}
	validateContact(fe, prefix+".contact", s.Contact)
}

func validateOptions(fe fieldErrors, o *SessionOptions) {
	if o == nil {
		return
	}
	validateContact(fe, "options.contact", o.Contact)
	validateSMS(fe, "options.sms", o.SMS)
}

func validateContact(fe fieldErrors, prefix string, c *Contact) {
	if c == nil {
		return
	}
	if strings.TrimSpace(c.FirstName) == "" {
		fe.add(prefix+".first_name", "first_name is required when contact is sent")
	}
	if strings.TrimSpace(c.LastName) == "" {
		fe.add(prefix+".last_name", "last_name is required when contact is sent")
	}
}

func validateVehicle(fe fieldErrors, v *Vehicle) {
	if v == nil {
		return
	}
	if v.VIN != "" {
		if ok, reason := ValidateVIN(v.VIN); !ok {
			fe.add("vehicle.vin", reason)
		}
	}
	if v.OdomReading < 0 {
		fe.add("vehicle.odom_reading", "odom_reading must not be negative")
	}
	if v.Year != 0 && (v.Year < 1900 || v.Year > 2100) {
		fe.add("vehicle.year", "year must be between 1900 and 2100, got "+strconv.Itoa(int(v.Year)))
	}
}

func validateSMS(fe fieldErrors, prefix string, s *SMS) {
	if s == nil {
		return
	}
	if s.To != "" {
		if !validPhone(s.To) {
			fe.add(prefix+".to", "phone number must have 7 to 15 digits")
		}
	}
	if s.From != "" {
		if !validPhone(s.From) {
			fe.add(prefix+".from", "phone number must have 7 to 15 digits")
		}
	}
}

// Validate checks the request as the SDK does before sending it and returns
// a *ValidationError listing every problem, or nil. Case alone is never a
// problem: "lite", "miles" and a lower-case VIN are sent in their
// documented case.
func (r *CreateSessionRequest) Validate() error {
	if r == nil {
		return nil
	}
	return r.normalized().validate()
}

// validate checks a request already normalized.
func (r *CreateSessionRequest) validate() error {
	if r == nil {
		return nil
	}
	fe := validateParts(r.Session, r.Vehicle, r.SMS)
	validateOptions(fe, r.Options)
	return fe.err("Sessions.Create")
}

// Validate checks the request as the SDK does before sending it and returns
// a *ValidationError listing every problem, or nil. Case alone is never a
// problem (see CreateSessionRequest.Validate).
func (r *UpdateSessionRequest) Validate() error {
	if r == nil {
		return nil
	}
	return r.normalized().validate()
}

// validate checks a request already normalized.
func (r *UpdateSessionRequest) validate() error {
	return validateParts(r.Session, r.Vehicle, r.SMS).err("Sessions.Update")
}

// validateParts checks what create and update bodies share.
func validateParts(s *SessionSettings, v *Vehicle, sms *SMS) fieldErrors {
	fe := fieldErrors{}
	validateSessionSettings(fe, "session", s)
	validateVehicle(fe, v)
	validateSMS(fe, "sms", sms)
	return fe
}

// normalized returns r with the values PAVE documents in one case written
// in it (theme, odom_unit, VIN), copying what it changes: the caller's
// request is never modified.
func (r *CreateSessionRequest) normalized() *CreateSessionRequest {
	if r == nil {
		return nil
	}
	s, v := normalSettings(r.Session), normalVehicle(r.Vehicle)
	if s == r.Session && v == r.Vehicle {
		return r
	}
	out := *r
	out.Session, out.Vehicle = s, v
	return &out
}

// normalized: see CreateSessionRequest.normalized.
func (r *UpdateSessionRequest) normalized() *UpdateSessionRequest {
	s, v := normalSettings(r.Session), normalVehicle(r.Vehicle)
	if s == r.Session && v == r.Vehicle {
		return r
	}
	out := *r
	out.Session, out.Vehicle = s, v
	return &out
}

func normalSettings(s *SessionSettings) *SessionSettings {
	if s == nil {
		return nil
	}
	if c := s.Theme.canonical(); c != "" && c != s.Theme {
		cp := *s
		cp.Theme = c
		return &cp
	}
	return s
}

func normalVehicle(v *Vehicle) *Vehicle {
	if v == nil {
		return nil
	}
	unit := v.OdomUnit.canonical()
	vin := strings.ToUpper(strings.TrimSpace(v.VIN))
	if (unit == "" || unit == v.OdomUnit) && vin == v.VIN {
		return v
	}
	cp := *v
	cp.VIN = vin
	if unit != "" {
		cp.OdomUnit = unit
	}
	return &cp
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return `"` + strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s) + `"`
}

// fieldErrors accumulates validation messages.
type fieldErrors map[string][]string

func (f fieldErrors) add(field, msg string) { f[field] = append(f[field], msg) }

func (f fieldErrors) err(op string) error {
	if len(f) == 0 {
		return nil
	}
	return &ValidationError{Op: op, Errors: f}
}
