package webhook

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/pave-go/pave/internal/wire"
)

// MinSecretLen is the shortest secret NewHandler and Verify accept, and
// that pave.NewCallback registers.
const MinSecretLen = wire.MinSecretLen

// ErrUnauthorized is returned (wrapped) when a delivery lacks the secret
// header or carries a wrong secret.
var ErrUnauthorized = errors.New("webhook: secret missing or wrong")

// NewSecret returns a new random secret for a callback's Authorization
// header: 32 bytes from crypto/rand, base64url-encoded without padding (43
// characters, safe in a header and a URL).
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: NewSecret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Verify reports whether a delivery's headers carry one of secrets as
// "Authorization: Bearer <secret>" (the header pave.NewCallback registers;
// the scheme in any letter case). It returns nil when they do, an error
// matching ErrUnauthorized when they do not, and a configuration error when
// no secret is usable. For another header, use a Handler with Config.Header.
func Verify(header http.Header, secrets ...string) error {
	v, err := newVerifier("", secrets, nil)
	if err != nil {
		return err
	}
	if _, ok := v.verify(header); !ok {
		return ErrUnauthorized
	}
	return nil
}

// VerifyNamed is Verify for secrets kept under names of your own (see
// Config.NamedSecrets), for frameworks other than net/http: it returns the
// name whose secret the headers carry, an error matching ErrUnauthorized
// when they carry none, and a configuration error when named holds no
// secret or breaks a rule of Config.NamedSecrets. Every secret is
// compared, whichever matches, so the time taken does not tell which did.
func VerifyNamed(header http.Header, named map[string][]string) (name string, err error) {
	v, err := newVerifier("", nil, named)
	if err != nil {
		return "", err
	}
	name, ok := v.verify(header)
	if !ok {
		return "", ErrUnauthorized
	}
	return name, nil
}

// constantTimeEqual compares two equal-length digests without
// data-dependent timing. A variable, so a test can prove verification uses
// it.
var constantTimeEqual = subtle.ConstantTimeCompare

// verifier holds the SHA-256 digests of the accepted secrets. Comparing
// digests hides the secrets' lengths as well as their contents.
type verifier struct {
	header  string // canonical header name
	bearer  bool   // the value is "Bearer <secret>"
	digests [][sha256.Size]byte
	names   []string // names[i] names digests[i]'s secret; "" when unnamed
}

// newVerifier checks the secrets (unnamed, then named, by name) and keeps
// their digests. Configuration errors say where a bad secret is, never
// what it is.
func newVerifier(header string, secrets []string, named map[string][]string) (*verifier, error) {
	v := &verifier{header: "Authorization"}
	if h := strings.TrimSpace(header); h != "" {
		if !wire.ValidHeaderName(h) {
			return nil, fmt.Errorf("webhook: config: Header %q is not a valid header name", h)
		}
		v.header = http.CanonicalHeaderKey(h)
	}
	v.bearer = v.header == "Authorization"
	if len(secrets) == 0 && len(named) == 0 {
		return nil, errors.New("webhook: config: no secret: set Secrets or NamedSecrets (see NewSecret), " +
			"or InsecureSkipVerify to accept unauthenticated deliveries")
	}
	// where records the first place each secret was seen, to refuse one
	// secret under two names: a delivery carrying it could not be told
	// apart.
	where := make(map[[sha256.Size]byte]secretPlace, len(secrets))
	add := func(s string, p secretPlace) error {
		if why := wire.CheckSecret(s); why != "" {
			return fmt.Errorf("webhook: config: %s %s", p, why)
		}
		d := sha256.Sum256([]byte(s))
		switch first, seen := where[d]; {
		case !seen:
			where[d] = p
		case first.named != p.named || first.name != p.name:
			return fmt.Errorf("webhook: config: %s is the same secret as %s: "+
				"a delivery carrying it could not be told apart; give each name its own secret", p, first)
		}
		v.digests = append(v.digests, d)
		v.names = append(v.names, p.name)
		return nil
	}
	for i, s := range secrets {
		if err := add(s, secretPlace{index: i}); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(named)) {
		list := named[name]
		switch {
		case name == "":
			return nil, errors.New("webhook: config: NamedSecrets has an empty name: name every secret, or put it in Secrets")
		case len(list) == 0:
			return nil, fmt.Errorf("webhook: config: NamedSecrets[%q] has no secret", name)
		}
		for i, s := range list {
			if err := add(s, secretPlace{named: true, name: name, index: i}); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// secretPlace is where a secret is configured, for error messages.
type secretPlace struct {
	named bool
	name  string
	index int
}

func (p secretPlace) String() string {
	if !p.named {
		return fmt.Sprintf("Secrets[%d]", p.index)
	}
	return fmt.Sprintf("NamedSecrets[%q][%d]", p.name, p.index)
}

// presented extracts the secret from the request headers.
func (v *verifier) presented(h http.Header) (string, bool) {
	val := strings.TrimSpace(h.Get(v.header))
	if val == "" {
		return "", false
	}
	if !v.bearer {
		return val, true
	}
	scheme, token, ok := strings.Cut(val, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// verify reports whether h carries one of the secrets, and the name of the
// one it carries ("" when unnamed). Every configured secret is compared,
// whatever the outcome of the others, and the match is selected without a
// branch, so the comparisons take as long whichever secret, if any,
// matches.
func (v *verifier) verify(h http.Header) (string, bool) {
	var sum [sha256.Size]byte
	return v.verifyInto(h, &sum)
}

// verifyInto is verify hashing the presented secret into *sum, which the
// caller provides so that a request allocates nothing for the check.
func (v *verifier) verifyInto(h http.Header, sum *[sha256.Size]byte) (string, bool) {
	got, ok := v.presented(h)
	// Hash even when nothing was presented, so both paths cost the same.
	// The secret is hashed from a copy on the stack: converting it to a
	// []byte would allocate.
	var buf [256]byte
	if len(got) <= len(buf) {
		*sum = sha256.Sum256(append(buf[:0], got...))
	} else {
		*sum = sha256.Sum256([]byte(got))
	}
	match, index := 0, 0
	for i := range v.digests {
		eq := constantTimeEqual(sum[:], v.digests[i][:])
		match |= eq
		index = subtle.ConstantTimeSelect(eq, i, index)
	}
	if !ok || match != 1 {
		return "", false
	}
	return v.names[index], true
}
