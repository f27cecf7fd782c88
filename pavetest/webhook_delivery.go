package pavetest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Delivery records one webhook delivery attempt, or one still pending.
type Delivery struct {
	// Event is the event name, e.g. SESSION:COMPLETE.
	Event string `json:"event"`
	// SessionKey is the session the event is about.
	SessionKey string `json:"session_key"`
	// URL and Method are those of the callback setting.
	URL    string `json:"url"`
	Method string `json:"method"`
	// Header holds the request headers sent (the setting's headers plus
	// Content-Type and User-Agent).
	Header http.Header `json:"header"`
	// Body is the JSON body sent.
	Body []byte `json:"body"`
	// Attempt counts from 1 (0 while pending).
	Attempt int `json:"attempt"`
	// StatusCode is the receiver's status, 0 when there was no response.
	StatusCode int `json:"status_code"`
	// Err describes a transport failure, "" otherwise.
	Err string `json:"error,omitempty"`
	// Delivered reports a 2xx answer.
	Delivered bool `json:"delivered"`
	// State is "delivered", "failed" (this attempt; a retry may follow),
	// "pending" (queued, not attempted yet) or "dropped" (by
	// Options.DeliveryChaos, never sent).
	State string `json:"state"`
	// Duplicate marks a second sending of a delivery made by
	// Options.DeliveryChaos.
	Duplicate bool `json:"duplicate,omitempty"`
	// Time is the server-clock time of the attempt.
	Time time.Time `json:"time"`
}

// MarshalJSON writes the body as a string, not base64.
func (d Delivery) MarshalJSON() ([]byte, error) {
	type plain Delivery
	return json.Marshal(struct {
		plain
		Body string `json:"body"`
	}{plain(d), string(d.Body)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (d *Delivery) UnmarshalJSON(b []byte) error {
	type plain Delivery
	w := struct {
		*plain
		Body string `json:"body"`
	}{plain: (*plain)(d)}
	err := json.Unmarshal(b, &w)
	if w.Body != "" {
		d.Body = []byte(w.Body)
	}
	return err
}

// clone returns d with its own copy of the header and body.
func (d Delivery) clone() Delivery {
	d.Header, d.Body = d.Header.Clone(), bytes.Clone(d.Body)
	return d
}

// webhookUserAgent is sent with every delivery.
const webhookUserAgent = "pavetest-webhooks/1.0"

// pendingDelivery is a delivery to make, snapshotted under the lock.
type pendingDelivery struct {
	seq        uint64 // the order of queuing
	event      string
	sessionKey string
	url        string
	method     string
	headers    map[string]string
	body       []byte
	duplicate  bool // a second sending made by Chaos
}

// delivery is the Delivery that records p in state.
func (p pendingDelivery) delivery(state string) Delivery {
	return Delivery{Event: p.event, SessionKey: p.sessionKey, URL: p.url, Method: p.method, Body: p.body, State: state}
}

// Deliveries returns every delivery attempt so far, oldest first, then
// the deliveries still queued (State "pending").
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	out := snapshot(&s.deliveries, Delivery.clone)
	s.mu.Unlock()
	if s.queue != nil {
		for _, p := range s.queue.queued() {
			out = append(out, p.delivery("pending").clone())
		}
	}
	return out
}

// ResetDeliveries forgets the recorded delivery attempts.
func (s *Server) ResetDeliveries() {
	s.mu.Lock()
	s.deliveries.reset()
	s.mu.Unlock()
}

// WaitDeliveries blocks until every queued webhook has been delivered (or
// given up). With synchronous deliveries (the default) it returns at once.
func (s *Server) WaitDeliveries() { _ = s.FlushDeliveries(context.Background()) }

// FlushDeliveries waits until no delivery is queued or in progress, or
// until ctx is done (its error then). With synchronous deliveries (the
// default) it returns at once.
func (s *Server) FlushDeliveries(ctx context.Context) error {
	if s.queue == nil {
		return nil
	}
	return s.queue.wait(ctx)
}

// mergePayload appends the setting's payload keys that the event body does
// not already have, in sorted order, at the top level of the object.
func mergePayload(base []byte, payload map[string]any) []byte {
	var present map[string]json.RawMessage
	if len(payload) == 0 || json.Unmarshal(base, &present) != nil {
		return base
	}
	out := bytes.TrimRight(bytes.Clone(base), " \n")
	out = out[:len(out)-1] // drop the closing brace
	for _, k := range slices.Sorted(maps.Keys(payload)) {
		member, err := marshal(map[string]any{k: payload[k]}) // {"k":v}
		if _, ok := present[k]; ok || err != nil {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, member[1:len(member)-1]...)
	}
	return append(out, '}')
}

// eventLocked prepares the delivery of event for sess to its account's
// callback setting, if one exists. body is a JSON object, or a value to
// encode as one. Call with s.mu held.
func (s *Server) eventLocked(sess *session, event string, body any) []pendingDelivery {
	c := sess.acct.callbackFor(event)
	if c == nil {
		return nil
	}
	b, ok := body.([]byte)
	if !ok {
		b, _ = marshal(body)
	}
	return []pendingDelivery{{
		event: event, sessionKey: sess.key, url: c.URL, method: c.Method,
		headers: maps.Clone(c.Headers), body: mergePayload(b, c.Payload),
	}}
}

// dispatch delivers a batch in order: now (synchronous mode) or in the
// background queue. Call without s.mu held.
func (s *Server) dispatch(batch []pendingDelivery) {
	batch = s.chaotic(batch)
	if len(batch) == 0 {
		return
	}
	if s.queue != nil {
		s.queue.push(batch)
		return
	}
	for _, p := range batch {
		s.deliver(p)
	}
}

// deliver makes up to 1+WebhookRetries attempts, recording each.
func (s *Server) deliver(p pendingDelivery) {
	for attempt := 1; attempt <= 1+s.opts.WebhookRetries; attempt++ {
		if attempt > 1 {
			t := time.NewTimer(s.opts.WebhookRetryWait)
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if s.attempt(p, attempt) {
			return
		}
	}
}

// attempt makes one delivery attempt and records it.
func (s *Server) attempt(p pendingDelivery, n int) bool {
	d := p.delivery("failed")
	d.Attempt, d.Duplicate = n, p.duplicate
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, p.method, p.url, bytes.NewReader(p.body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", webhookUserAgent)
		for k, v := range p.headers {
			req.Header.Set(k, v)
		}
		d.Header = req.Header.Clone()
		var resp *http.Response
		resp, err = s.hooks.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
			d.StatusCode = resp.StatusCode
			d.Delivered = resp.StatusCode >= 200 && resp.StatusCode <= 299
		}
	}
	if err != nil {
		d.Err = err.Error()
	}
	if d.Delivered {
		d.State = "delivered"
	}
	s.record(d)
	return d.Delivered
}

// deliveryQueues delivers in the background: one queue per receiver (the
// scheme and host of the setting's URL), each in order on a goroutine of
// its own that runs while it has work, so a slow receiver delays only its
// own deliveries.
type deliveryQueues struct {
	s       *Server
	mu      sync.Mutex
	queues  map[string][]pendingDelivery // by receiver; present while its goroutine runs
	pending int                          // queued or in progress
	idle    chan struct{}                // closed when pending reaches 0
	seq     uint64
	stopped bool
	wg      sync.WaitGroup
}

func newDeliveryQueue(s *Server) *deliveryQueues {
	return &deliveryQueues{s: s, queues: map[string][]pendingDelivery{}}
}

func (q *deliveryQueues) push(batch []pendingDelivery) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, p := range batch {
		if q.stopped {
			return
		}
		q.seq++
		p.seq = q.seq
		q.pending++
		rcv := receiverOf(p.url, false)
		list, running := q.queues[rcv]
		q.queues[rcv] = append(list, p)
		if !running {
			q.wg.Add(1)
			go q.run(rcv)
		}
	}
}

// record logs a delivery attempt, or a dropped delivery.
func (s *Server) record(d Delivery) {
	s.mu.Lock()
	d.Time = s.now()
	s.deliveries.add(d, s.opts.MaxRecordedRequests)
	s.mu.Unlock()
	if s.opts.Log != nil {
		s.logLine("kind", "delivery", "event", d.Event, "url", receiverOf(d.URL, true), "status", d.StatusCode,
			"attempt", d.Attempt, "state", d.State)
	}
}

// receiverOf names the receiver of a delivery URL: its scheme and host,
// and with path its path (never its user or query, which may hold
// secrets).
func receiverOf(raw string, path bool) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	if path {
		return u.Scheme + "://" + u.Host + u.Path
	}
	return u.Scheme + "://" + u.Host
}

// run delivers the queue of receiver rcv until it is empty.
func (q *deliveryQueues) run(rcv string) {
	defer q.wg.Done()
	q.mu.Lock()
	for len(q.queues[rcv]) > 0 {
		p := q.queues[rcv][0]
		q.queues[rcv] = q.queues[rcv][1:]
		q.mu.Unlock()
		q.s.deliver(p)
		q.mu.Lock()
		q.done(1)
	}
	delete(q.queues, rcv)
	q.mu.Unlock()
}

// done counts n deliveries finished. Call with q.mu held.
func (q *deliveryQueues) done(n int) {
	q.pending -= n
	if q.pending == 0 && q.idle != nil {
		close(q.idle)
		q.idle = nil
	}
}

// queued returns the deliveries not yet attempted, in queuing order.
func (q *deliveryQueues) queued() []pendingDelivery {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []pendingDelivery
	for _, list := range q.queues {
		out = append(out, list...)
	}
	slices.SortFunc(out, func(a, b pendingDelivery) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// wait blocks until nothing is pending or ctx is done.
func (q *deliveryQueues) wait(ctx context.Context) error {
	q.mu.Lock()
	if q.pending == 0 {
		q.mu.Unlock()
		return nil
	}
	if q.idle == nil {
		q.idle = make(chan struct{})
	}
	idle := q.idle
	q.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// clear drops the deliveries not yet attempted.
func (q *deliveryQueues) clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for rcv, list := range q.queues {
		q.done(len(list))
		q.queues[rcv] = list[:0]
	}
}

// stop drops what is queued and waits for the deliveries in progress (cut
// short by the server's context).
func (q *deliveryQueues) stop() {
	q.mu.Lock()
	q.stopped = true
	q.mu.Unlock()
	q.clear()
	q.wg.Wait()
}
