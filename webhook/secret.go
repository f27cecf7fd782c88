package webhook

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
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
	v, err := newVerifier("", secrets)
	if err != nil {
		return err
	}
	if !v.verify(header) {
		return ErrUnauthorized
	}
	return nil
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
}

func newVerifier(header string, secrets []string) (*verifier, error) {
	v := &verifier{header: "Authorization"}
	if h := strings.TrimSpace(header); h != "" {
		if !wire.ValidHeaderName(h) {
			return nil, fmt.Errorf("webhook: config: Header %q is not a valid header name", h)
		}
		v.header = http.CanonicalHeaderKey(h)
	}
	v.bearer = v.header == "Authorization"
	if len(secrets) == 0 {
		return nil, errors.New("webhook: config: no secret: set Secrets (see NewSecret), " +
			"or InsecureSkipVerify to accept unauthenticated deliveries")
	}
	for i, s := range secrets {
		if why := wire.CheckSecret(s); why != "" {
			return nil, fmt.Errorf("webhook: config: Secrets[%d] %s", i, why)
		}
		v.digests = append(v.digests, sha256.Sum256([]byte(s)))
	}
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

// verify reports whether h carries one of the secrets. Every configured
// secret is compared, whatever the outcome of the others.
func (v *verifier) verify(h http.Header) bool {
	got, ok := v.presented(h)
	// Hash even when nothing was presented, so both paths cost the same.
	sum := sha256.Sum256([]byte(got))
	match := 0
	for i := range v.digests {
		match |= constantTimeEqual(sum[:], v.digests[i][:])
	}
	return ok && match == 1
}
