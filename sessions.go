package pave

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"

	"github.com/pave-go/pave/internal/endpoint"
	"github.com/pave-go/pave/internal/redact"
	"github.com/pave-go/pave/internal/transport"
	"github.com/pave-go/pave/internal/wire"
)

// SessionsService is the inspection-session API. Get it from Client.Sessions.
type SessionsService struct {
	c *Client
}

// String describes the service by its client, without any credential.
func (s *SessionsService) String() string { return "pave.SessionsService{" + s.c.describe() + "}" }

// Format prints String for every verb.
func (s *SessionsService) Format(f fmt.State, verb rune) { redact.Print(f, verb, s.String()) }

// Create starts an inspection session (POST /v1/sessions). The request is
// validated first; a *ValidationError is returned without any network call.
// A nil request creates a session with the API key's defaults.
//
// Create is retried only when PAVE provably did not process it (connection
// refused, 429), so a customer is never texted twice.
func (s *SessionsService) Create(ctx context.Context, req *CreateSessionRequest, opts ...CallOption) (*Session, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	req = req.normalized()
	if err := req.validate(); err != nil {
		return nil, err
	}
	body := any(req)
	if req == nil {
		body = struct{}{}
	}
	return s.session(ctx, newCall(endpoint.CreateSession, body))
}

// session runs cl and decodes the session it answers. A 2xx without a
// session key is not a session: ErrBadResponse, never an empty Session.
func (s *SessionsService) session(ctx context.Context, cl *call) (*Session, error) {
	var out *Session
	err := s.c.do(ctx, cl, func(res *transport.Result) (err error) {
		if out, err = decodeSession(res.Body); err != nil {
			if cl.Method == http.MethodPost {
				err = fmt.Errorf("%w; PAVE answered %d, so the session may exist%s: look it up (client_id, reference) "+
					"before creating another", err, res.Status, keyHint(res.Body))
			}
			return badResponse(cl, res, err)
		}
		s.fillCaptureURL(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sessionKeyIn finds a session key in a body too broken to decode.
var sessionKeyIn = regexp.MustCompile(`"session_key"\s*:\s*"([A-Za-z0-9-]{1,64})"`)

// keyHint names the session key an undecodable create answer carries.
func keyHint(body []byte) string {
	if m := sessionKeyIn.FindSubmatch(body); m != nil {
		return " (session_key " + string(m[1]) + ")"
	}
	return ""
}

// decodeSession decodes a session; one without a session_key is an error.
func decodeSession(body []byte) (*Session, error) {
	if wire.IsNull(body) {
		return nil, errors.New("empty body where a session was expected")
	}
	var out Session
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("decoding session: %w", err)
	}
	if out.SessionKey == "" {
		return nil, errors.New("the session in the response has no session_key")
	}
	return &out, nil
}

// Get returns a session's current state (GET /v1/sessions/{key}). The
// vehicle may be sparse until the VIN has been captured.
func (s *SessionsService) Get(ctx context.Context, key string, opts ...CallOption) (*Session, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := checkSessionKey("Sessions.Get", key); err != nil {
		return nil, err
	}
	return s.session(ctx, newCall(endpoint.GetSession, nil, key))
}

// Photos returns the photos captured so far with their quality-check
// verdicts (GET /v1/sessions/{key}/photos). It may be called during capture.
func (s *SessionsService) Photos(ctx context.Context, key string, opts ...CallOption) ([]Photo, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := checkSessionKey("Sessions.Photos", key); err != nil {
		return nil, err
	}
	var out []Photo
	if err := s.getList(ctx, newCall(endpoint.Photos, nil, key), &out, "photos"); err != nil {
		return nil, err
	}
	return out, nil
}

// Notes returns the notes attached to a session (GET
// /v1/sessions/{key}/notes). The response shape is undocumented: a list, or
// an object wrapping one under "data" or "notes", is accepted, and each
// Note keeps its raw JSON.
func (s *SessionsService) Notes(ctx context.Context, key string, opts ...CallOption) ([]Note, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := checkSessionKey("Sessions.Notes", key); err != nil {
		return nil, err
	}
	var out []Note
	if err := s.getList(ctx, newCall(endpoint.Notes, nil, key), &out, "notes"); err != nil {
		return nil, err
	}
	return out, nil
}

// getList GETs a JSON list that may come bare or wrapped in an object
// under "data" or under the given key.
func (s *SessionsService) getList(ctx context.Context, cl *call, out any, key string) error {
	return s.c.do(ctx, cl, func(res *transport.Result) error {
		if err := decodeList(res.Body, out, key); err != nil {
			return badResponse(cl, res, err)
		}
		return nil
	})
}

func decodeList(body []byte, out any, key string) error {
	list := wire.Unwrap(body, "data", key)
	if wire.IsNull(list) {
		return nil
	}
	if list[0] != '[' {
		return fmt.Errorf("decoding response: expected a list, or an object with %q or \"data\"", key)
	}
	if err := json.Unmarshal(list, out); err != nil {
		return fmt.Errorf("decoding response: %w", err)
	}
	return nil
}

// Results returns the inspection results of a COMPLETE session (GET
// /v1/sessions/{key}/results). For a session that is not complete yet the
// error matches ErrNotReady; use WaitForResults to poll.
func (s *SessionsService) Results(ctx context.Context, key string, opts ...CallOption) (*Results, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := checkSessionKey("Sessions.Results", key); err != nil {
		return nil, err
	}
	cl := newCall(endpoint.Results, nil, key)
	var out *Results
	err = s.c.do(ctx, cl, func(res *transport.Result) (err error) {
		if out, err = decodeResults(res.Body); err != nil {
			return badResponse(cl, res, fmt.Errorf("decoding results: %w", err))
		}
		if out.Session.SessionKey == "" {
			// No session: PAVE's "not yet completed" sample is a 200 with a
			// message alone.
			var m struct {
				Message string `json:"message"`
			}
			_ = wire.Decode(res.Body, &m)
			return s.c.messageOnly(cl, res, m.Message)
		}
		s.fillCaptureURL(&out.Session)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update changes a session's settings (PUT /v1/sessions/{key}); send only
// what changes. PAVE's state rules apply (theme only while IDLE, and so on).
// PAVE does not document the response body: when it is a session, it is
// returned; otherwise the session is fetched with Get.
func (s *SessionsService) Update(ctx context.Context, key string, req *UpdateSessionRequest, opts ...CallOption) (*Session, error) {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := checkSessionKey("Sessions.Update", key); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, &ValidationError{Op: "Sessions.Update", Errors: map[string][]string{"": {"request is nil"}}}
	}
	req = req.normalized()
	if err := req.validate(); err != nil {
		return nil, err
	}
	// A PUT that changes the SMS can text the customer: like a POST, it
	// is sent at most once.
	cl := newCall(endpoint.UpdateSession, req, key)
	cl.Acts = req.SMS != nil
	var out *Session
	err = s.c.do(ctx, cl, func(res *transport.Result) error {
		if sess, err := decodeSession(res.Body); err == nil {
			s.fillCaptureURL(sess)
			out = sess
		}
		return nil // the body is undocumented: the session is read back below
	})
	if err != nil || out != nil {
		return out, err
	}
	return s.Get(ctx, key)
}

// Delete removes a session that has not started (DELETE
// /v1/sessions/{key}). A started session yields a 400 *APIError.
func (s *SessionsService) Delete(ctx context.Context, key string, opts ...CallOption) error {
	ctx, err := withCall(ctx, opts)
	if err != nil {
		return err
	}
	if err := checkSessionKey("Sessions.Delete", key); err != nil {
		return err
	}
	return s.c.do(ctx, newCall(endpoint.DeleteSession, nil, key), nil)
}

// fillCaptureURL builds the documented capture link when the answer lacks
// one; the link is marked derived, so that encoding the session leaves it
// out (see Session.MarshalJSON).
func (s *SessionsService) fillCaptureURL(sess *Session) {
	if sess.CaptureURL == "" && sess.SessionKey != "" {
		sess.CaptureURL = "https://" + url.PathEscape(s.c.username) + ".vehiclecapture.com/" + url.PathEscape(sess.SessionKey)
		sess.derivedLink = sess.CaptureURL
	}
}

// WaitForResults polls the session until it is COMPLETE and returns its
// results. It returns a *SessionEndedError (errors.Is ErrSessionEnded) on
// EXPIRED or INVALID, the context's error when ctx ends, and any
// non-transient API error (404, 401) at once. Transient failures that
// outlast the client's own retries (5xx, 429, network) do not end the wait.
//
// Inspections typically take 10 to 20 minutes after capture: give ctx a
// deadline, or prefer the SESSION:COMPLETE webhook.
func (s *SessionsService) WaitForResults(ctx context.Context, key string, opts ...CallOption) (*Results, error) {
	if err := checkSessionKey("Sessions.WaitForResults", key); err != nil {
		return nil, err
	}
	return poll(ctx, "results of "+key, opts, func(ctx context.Context) (*Results, bool, error) {
		sess, err := s.Get(ctx, key)
		switch {
		case err != nil:
			return nil, false, err
		case sess.Status == StatusExpired || sess.Status == StatusInvalid:
			return nil, true, &SessionEndedError{SessionKey: key, Status: sess.Status}
		case sess.Status != StatusComplete:
			return nil, false, nil
		}
		res, err := s.Results(ctx, key)
		if errors.Is(err, ErrNotReady) {
			return nil, false, nil
		}
		return res, err == nil, err
	})
}
