package track

import (
	"errors"
	"fmt"
)

var (
	// ErrAmbiguous is matched by an *AmbiguousError: a create that ended
	// without a clear answer, so the session may exist.
	ErrAmbiguous = errors.New("track: the session may exist")
	// ErrInFlight: another process is creating the session for this
	// reference and did not finish within Config.CreateWait; ask again
	// later.
	ErrInFlight = errors.New("track: a create for this reference is in flight elsewhere")
	// ErrUnknownAccount: the account is not in Config.Accounts.
	ErrUnknownAccount = errors.New("track: unknown account")
	// ErrNotFound: no record matches the Key.
	ErrNotFound = errors.New("track: no such record")
	// ErrInvalid: an argument was refused (the error names it).
	ErrInvalid = errors.New("track: invalid argument")
	// ErrState: the operation does not apply to the record in its phase
	// (the error says which).
	ErrState = errors.New("track: not possible in this phase")
)

// AmbiguousError is returned by Create for a reference whose create ended
// without a clear answer (a timeout, a 5xx, a 2xx that could not be read, a
// crash between the POST and its record): PAVE may have created the
// session, and texted the customer. The reference is never POSTed again by
// itself; it is resolved when a delivery for a session carrying it arrives
// (the reconciler adopts the session), or by an operator with Resolve or
// Abandon.
type AmbiguousError struct {
	Account string
	Ref     string
	// SessionKey is the session PAVE made, when it is known (its answer
	// came but could not be recorded): Resolve with it.
	SessionKey string
	// Err is the create's error, when this call made it; Reason the
	// recorded text of the first one otherwise.
	Err    error
	Reason string
}

// Error says which reference, why, and what to do.
func (e *AmbiguousError) Error() string {
	why := e.Reason
	if e.Err != nil {
		why = e.Err.Error()
	}
	msg := fmt.Sprintf("track: create for %s/%s ended without a clear answer, so the session may exist; "+
		"it is not sent again until a delivery resolves it or an operator calls Resolve or Abandon", e.Account, e.Ref)
	if why != "" {
		msg += ": " + why
	}
	return msg
}

// Is makes errors.Is(err, ErrAmbiguous) true.
func (e *AmbiguousError) Is(target error) bool { return target == ErrAmbiguous }

// Unwrap returns the create's error, if this call made it.
func (e *AmbiguousError) Unwrap() error { return e.Err }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
