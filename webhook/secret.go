package webhook

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

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
	v, err := newVerifier("", secrets, nil, nil)
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
// secret or breaks a rule of Config.NamedSecrets.
func VerifyNamed(header http.Header, named map[string][]string) (name string, err error) {
	v, err := newVerifier("", nil, named, nil)
	if err != nil {
		return "", err
	}
	name, ok := v.verify(header)
	if !ok {
		return "", ErrUnauthorized
	}
	return name, nil
}

// SecretLookup tells a Handler (Config.SecretLookup) whose secret a
// delivery carries. It is consulted for every delivery, so the secrets may
// change while the handler runs: a dealer onboarded or removed needs no new
// handler. SecretMap is the ready implementation.
//
// The handler hashes the presented secret with SHA-256 and looks the
// digest up: the time a check takes depends neither on the secrets'
// content (a digest reveals nothing of it) nor on their number.
type SecretLookup interface {
	// LookupSecret returns the name of the secret whose SHA-256 digest is
	// digest ("" for an unnamed one), and whether there is such a secret.
	// It must be safe for concurrent use.
	LookupSecret(digest [sha256.Size]byte) (name string, ok bool)
}

// SecretMap is a SecretLookup of names and their secrets (a dealer id and
// the secret of its callback settings, say), safe for concurrent use and
// to change while a Handler uses it. Give a name two secrets while
// rotating it. The zero value is not usable: create one with NewSecretMap.
//
// A SecretMap keeps only the secrets' SHA-256 digests.
type SecretMap struct {
	mu       sync.RWMutex
	byDigest map[[sha256.Size]byte]secretEntry
	byName   map[string][][sha256.Size]byte
}

// secretEntry is the name of a secret and where it was configured, for
// error messages.
type secretEntry struct{ name, place string }

// NewSecretMap returns a SecretMap holding named (which may be nil), with
// the rules of Config.NamedSecrets: every secret usable (see NewSecret),
// no empty name, no name without secrets, no secret under two names.
func NewSecretMap(named map[string][]string) (*SecretMap, error) {
	m := newSecretMap()
	for _, name := range slices.Sorted(maps.Keys(named)) {
		if err := m.Set(name, named[name]...); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func newSecretMap() *SecretMap {
	return &SecretMap{byDigest: map[[sha256.Size]byte]secretEntry{}, byName: map[string][][sha256.Size]byte{}}
}

// Set gives name exactly the secrets given (one, or two while rotating),
// replacing those it had. It refuses an empty name, no secret, a secret
// that is not usable and one another name holds, saying where, never what.
func (m *SecretMap) Set(name string, secrets ...string) error {
	if name == "" {
		return errors.New("webhook: config: NamedSecrets has an empty name: name every secret, or put it in Secrets")
	}
	return m.set(name, true, secrets)
}

func (m *SecretMap) set(name string, named bool, secrets []string) error {
	place := func(i int) string {
		if !named {
			return fmt.Sprintf("Secrets[%d]", i)
		}
		return fmt.Sprintf("NamedSecrets[%q][%d]", name, i)
	}
	if len(secrets) == 0 {
		return fmt.Errorf("webhook: config: NamedSecrets[%q] has no secret", name)
	}
	digests := make([][sha256.Size]byte, len(secrets))
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, s := range secrets {
		if why := wire.CheckSecret(s); why != "" {
			return fmt.Errorf("webhook: config: %s %s", place(i), why)
		}
		digests[i] = sha256.Sum256([]byte(s))
		if other, taken := m.byDigest[digests[i]]; taken && other.name != name {
			return fmt.Errorf("webhook: config: %s is the same secret as %s: "+
				"a delivery carrying it could not be told apart; give each name its own secret", place(i), other.place)
		}
	}
	m.remove(name)
	for i, d := range digests {
		if _, dup := m.byDigest[d]; !dup {
			m.byDigest[d] = secretEntry{name, place(i)}
		}
	}
	m.byName[name] = digests
	return nil
}

// Remove forgets name and its secrets: its deliveries are refused from
// now on.
func (m *SecretMap) Remove(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remove(name)
}

func (m *SecretMap) remove(name string) {
	for _, d := range m.byName[name] {
		delete(m.byDigest, d)
	}
	delete(m.byName, name)
}

// LookupSecret implements SecretLookup.
func (m *SecretMap) LookupSecret(digest [sha256.Size]byte) (string, bool) {
	m.mu.RLock()
	e, ok := m.byDigest[digest]
	m.mu.RUnlock()
	return e.name, ok
}

// verifier checks the secret header of deliveries against a SecretLookup.
type verifier struct {
	header string // canonical header name
	bearer bool   // the value is "Bearer <secret>"
	lookup SecretLookup
}

// newVerifier builds the verifier of a configuration: its own lookup, or
// a SecretMap of the unnamed and named secrets.
func newVerifier(header string, secrets []string, named map[string][]string, lookup SecretLookup) (*verifier, error) {
	v := &verifier{header: "Authorization", lookup: lookup}
	if h := strings.TrimSpace(header); h != "" {
		if !wire.ValidHeaderName(h) {
			return nil, fmt.Errorf("webhook: config: Header %q is not a valid header name", h)
		}
		v.header = http.CanonicalHeaderKey(h)
	}
	v.bearer = v.header == "Authorization"
	switch {
	case lookup != nil && (len(secrets) > 0 || len(named) > 0):
		return nil, errors.New("webhook: config: SecretLookup together with Secrets or NamedSecrets: " +
			"put every secret in the lookup (see NewSecretMap)")
	case lookup != nil:
		return v, nil
	case len(secrets) == 0 && len(named) == 0:
		return nil, errors.New("webhook: config: no secret: set Secrets, NamedSecrets or SecretLookup (see NewSecret), " +
			"or InsecureSkipVerify to accept unauthenticated deliveries")
	}
	m := newSecretMap()
	if len(secrets) > 0 {
		if err := m.set("", false, secrets); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(named)) {
		if err := m.Set(name, named[name]...); err != nil {
			return nil, err
		}
	}
	v.lookup = m
	return v, nil
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
// one it carries ("" when unnamed).
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
	name, found := v.lookup.LookupSecret(*sum)
	if !ok || !found {
		return "", false
	}
	return name, true
}
