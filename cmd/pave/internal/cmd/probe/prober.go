package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// prober sends the probe's requests.
type prober struct {
	creds  pave.Credentials
	base   string
	plain  *http.Client // unsigned: the signing variants set their own headers
	signed *http.Client // through the SDK's SigningTransport
	tokens []string     // every token sent, for the scrub
	key    string       // the session made, for the scrub
}

func newProber(creds pave.Credentials, base string) *prober {
	tr := pave.NewTransport()
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := &prober{creds: creds, base: base, plain: &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: noRedirect}}
	if st, err := pave.NewSigningTransport(creds, base, tr, nil); err == nil {
		p.signed = &http.Client{Transport: st, Timeout: 30 * time.Second, CheckRedirect: noRedirect}
	}
	return p
}

// run sends the sequence and returns the report and the exit outcome.
func (p *prober) run(ctx context.Context) (rep Report, outcome error) {
	rep = Report{Tool: "pave probe", Version: pave.Version, BaseURL: p.base,
		Time: time.Now().UTC().Format(pave.TimestampLayout), Redacted: redactions}
	for _, v := range Variants {
		row := p.variant(ctx, v)
		rep.Rows = append(rep.Rows, row)
		if row.Accepted {
			rep.Accepted = append(rep.Accepted, v.step)
		} else {
			rep.Refused = append(rep.Refused, v.step)
		}
	}
	canonical := rep.Rows[0] // the first variant is the SDK's own
	fail := func(code int, format string, a ...any) (Report, error) { return rep, cmdutil.Exitf(code, format, a...) }
	switch {
	case ctx.Err() != nil:
		return fail(cmdutil.ExitError, "probe: interrupted; no session was created")
	case canonical.Error != "":
		return fail(cmdutil.ExitError, "probe: GET /v1/callbacks failed (%s); no session was created",
			p.scrubText(canonical.Error))
	case canonical.Status == http.StatusUnauthorized:
		return fail(cmdutil.ExitUnauthorized,
			"probe: PAVE refused the canonical signature (401); run pave doctor. No session was created")
	case !canonical.Accepted:
		return fail(cmdutil.ExitError, "probe: GET /v1/callbacks answered %d; no session was created", canonical.Status)
	}
	rows, outcome := p.sessionSteps(ctx)
	rep.Rows = append(rep.Rows, rows...)
	return rep, outcome
}

// variant sends GET /v1/callbacks signed as v says, with net/http alone.
func (p *prober) variant(ctx context.Context, v variant) Row {
	row := Row{Step: v.step, What: v.what, Request: "GET /v1/callbacks", TimestampForm: v.form}
	ts := v.timestamp(time.Now())
	token := p.creds.Token(ts)
	if v.upperHex {
		token = strings.ToUpper(token)
	}
	p.tokens = append(p.tokens, token)
	p.send(ctx, p.plain, &row, http.MethodGet, "/v1/callbacks", "", func(h http.Header) {
		names := [3]string{pave.HeaderAPIKey, pave.HeaderAPITimestamp, pave.HeaderAPIToken}
		for i, val := range []string{p.creds.APIKey, ts, token} {
			if v.lowerHeaders {
				names[i] = strings.ToLower(names[i])
			}
			h[names[i]] = []string{val} // a direct write keeps the name as given
		}
	})
	return row
}

// sessionSteps creates a session without SMS, reads it and its results,
// and deletes it (deferred: whatever happens in between).
func (p *prober) sessionSteps(ctx context.Context) (rows []Row, outcome error) {
	if p.signed == nil {
		return nil, cmdutil.Exitf(cmdutil.ExitError, "probe: cannot sign for %s", p.base)
	}
	create, key := p.signedRow(ctx, "session.create", "create a session without SMS", http.MethodPost, "/v1/sessions",
		`{"session":{"client_id":"pave-probe"}}`)
	rows = append(rows, create)
	switch {
	case !create.Accepted:
		return rows, cmdutil.Exitf(cmdutil.ExitError, "probe: creating a session failed (see the report); nothing to delete")
	case key == "":
		return rows, cmdutil.Exitf(cmdutil.ExitError,
			"probe: the create answer carried no session_key (see the report); nothing to delete")
	}
	p.key = key
	keyPath := "/v1/sessions/" + url.PathEscape(key)
	defer func() {
		// A fresh context: the session is deleted even after Ctrl-C.
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		del, _ := p.signedRow(dctx, "session.delete", "delete the session", http.MethodDelete, keyPath, "")
		rows = append(rows, del)
		if !del.Accepted {
			outcome = cmdutil.Exitf(cmdutil.ExitError, "probe: could not delete session %s (see the report): "+
				"delete it with pave sessions delete %s", key, key)
			return
		}
		after, _ := p.signedRow(dctx, "session.get-deleted", "read the session after the delete", http.MethodGet, keyPath, "")
		rows = append(rows, after)
	}()
	for _, s := range [][3]string{{"session.get", "read the session", keyPath},
		{"session.results", "read its results before completion", keyPath + "/results"}} {
		r, _ := p.signedRow(ctx, s[0], s[1], http.MethodGet, s[2], "")
		rows = append(rows, r)
		if r.Error != "" {
			return rows, cmdutil.Exitf(cmdutil.ExitError, "probe: %s failed: %s", s[0], p.scrubText(r.Error))
		}
		if s[0] == "session.get" && !r.Accepted {
			outcome = cmdutil.Exitf(cmdutil.ExitError, "probe: reading the session answered %d (see the report)", r.Status)
		}
	}
	return rows, outcome
}

// signedRow sends one request through the SDK's signing transport and
// returns its row and the session_key of the answer.
func (p *prober) signedRow(ctx context.Context, step, what, method, path, body string) (Row, string) {
	row := Row{Step: step, What: what, Request: strings.TrimSpace(method + " " + path + " " + body)}
	var k struct {
		SessionKey string `json:"session_key"`
	}
	_ = json.Unmarshal(p.send(ctx, p.signed, &row, method, path, body, nil), &k)
	return row, k.SessionKey
}

// send sends method path (with a JSON body unless "") with hc, sign
// setting the signing headers unless nil, fills row from the answer and
// returns its body.
func (p *prober) send(ctx context.Context, hc *http.Client, row *Row, method, path, body string,
	sign func(http.Header)) []byte {
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, strings.NewReader(body))
	if err != nil {
		row.Error = err.Error()
		return nil
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pave-cli/"+pave.Version+" probe")
	if sign != nil {
		sign(req.Header)
	}
	resp, err := hc.Do(req)
	if err != nil {
		row.Error = err.Error()
		return nil
	}
	defer resp.Body.Close()
	row.Status, row.Proto = resp.StatusCode, resp.Proto
	row.Accepted = resp.StatusCode >= 200 && resp.StatusCode < 300
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		row.Error = "reading the body: " + err.Error()
	}
	describeBody(raw, resp.Header.Get("Content-Type"), row)
	return raw
}

// describeBody sets the row's message, body kind and shape.
func describeBody(raw []byte, contentType string, row *Row) {
	if len(bytes.TrimSpace(raw)) == 0 {
		row.Body = "empty"
		return
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		mt, _, _ := mime.ParseMediaType(contentType)
		if mt == "" {
			mt = "no Content-Type"
		}
		row.Body = fmt.Sprintf("not JSON (%s, %d bytes)", mt, len(raw))
		return
	}
	row.Body = "json"
	if m, ok := v.(map[string]any); ok {
		row.Message, _ = m["message"].(string)
	}
	row.Shape = map[string][]string{}
	ShapeOf(v, "$", 0, row.Shape)
	if len(row.Shape) == 0 {
		row.Shape = nil
	}
}

// ShapeOf records the sorted keys of every object in v, by path.
func ShapeOf(v any, path string, depth int, out map[string][]string) {
	if depth > 6 {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		keys := slices.Collect(maps.Keys(t))
		out[path] = slices.Compact(slices.Sorted(slices.Values(append(out[path], keys...))))
		for _, k := range keys {
			ShapeOf(t[k], path+"."+k, depth+1, out)
		}
	case []any:
		for i, e := range t {
			if i >= 20 {
				break
			}
			ShapeOf(e, path+"[]", depth+1, out)
		}
	}
}
