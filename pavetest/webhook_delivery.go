package pavetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Delivery records one webhook delivery attempt.
type Delivery struct {
	// Event is the event name, e.g. SESSION:COMPLETE.
	Event string
	// SessionKey is the session the event is about.
	SessionKey string
	// URL and Method are those of the callback setting.
	URL    string
	Method string
	// Header holds the request headers sent (the setting's headers plus
	// Content-Type and User-Agent).
	Header http.Header
	// Body is the JSON body sent.
	Body []byte
	// Attempt counts from 1.
	Attempt int
	// StatusCode is the receiver's status, 0 when there was no response.
	StatusCode int
	// Err describes a transport failure, "" otherwise.
	Err string
	// Delivered reports a 2xx answer.
	Delivered bool
	// Time is the server-clock time of the attempt.
	Time time.Time
}

// webhookUserAgent is sent with every delivery.
const webhookUserAgent = "pavetest-webhooks/1.0"

// pendingDelivery is a delivery to make, snapshotted under the lock.
type pendingDelivery struct {
	event      string
	sessionKey string
	url        string
	method     string
	headers    map[string]string
	body       []byte
}

// Deliveries returns every delivery attempt so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return snapshot(&s.deliveries, func(d Delivery) Delivery {
		d.Header = d.Header.Clone()
		d.Body = bytes.Clone(d.Body)
		return d
	})
}

// ResetDeliveries forgets the recorded delivery attempts.
func (s *Server) ResetDeliveries() {
	s.mu.Lock()
	s.deliveries.reset()
	s.mu.Unlock()
}

// WaitDeliveries blocks until every queued webhook has been delivered (or
// given up). With synchronous deliveries (the default) it returns at once.
func (s *Server) WaitDeliveries() {
	if s.queue != nil {
		s.queue.wait()
	}
}

// mergePayload appends the setting's payload keys that the event body does
// not already have, in sorted order, at the top level of the object.
func mergePayload(base []byte, payload map[string]any) []byte {
	if len(payload) == 0 {
		return base
	}
	var present map[string]json.RawMessage
	if json.Unmarshal(base, &present) != nil {
		return base
	}
	keys := make([]string, 0, len(payload))
	for k := range payload {
		if _, ok := present[k]; !ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return base
	}
	sort.Strings(keys)
	out := bytes.TrimRight(bytes.Clone(base), " \n")
	out = out[:len(out)-1] // drop the closing brace
	for _, k := range keys {
		kb, err1 := marshal(k)
		vb, err2 := marshal(payload[k])
		if err1 != nil || err2 != nil {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, kb...)
		out = append(out, ':')
		out = append(out, vb...)
	}
	return append(out, '}')
}

// eventLocked prepares the delivery of event for sess to its account's
// callback setting, if one exists. body must be a JSON object. Call with
// s.mu held.
func (s *Server) eventLocked(sess *session, event string, body []byte) []pendingDelivery {
	c := sess.acct.callbackFor(event)
	if c == nil {
		return nil
	}
	headers := make(map[string]string, len(c.Headers))
	for k, v := range c.Headers {
		headers[k] = v
	}
	return []pendingDelivery{{
		event: event, sessionKey: sess.key, url: c.URL, method: c.Method,
		headers: headers, body: mergePayload(body, c.Payload),
	}}
}

// dispatch delivers a batch in order: now (synchronous mode) or in the
// background queue. Call without s.mu held.
func (s *Server) dispatch(batch []pendingDelivery) {
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
	d := Delivery{Event: p.event, SessionKey: p.sessionKey, URL: p.url, Method: p.method, Body: p.body, Attempt: n}
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
	s.mu.Lock()
	d.Time = s.now()
	s.deliveries.add(d, s.opts.MaxRecordedRequests)
	s.mu.Unlock()
	return d.Delivered
}

// deliveryQueue delivers batches in order on one background goroutine.
type deliveryQueue struct {
	s       *Server
	mu      sync.Mutex
	cond    *sync.Cond
	items   []pendingDelivery
	busy    bool
	stopped bool
	done    chan struct{}
}

func newDeliveryQueue(s *Server) *deliveryQueue {
	q := &deliveryQueue{s: s, done: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	go q.run()
	return q
}

func (q *deliveryQueue) push(batch []pendingDelivery) {
	q.mu.Lock()
	if !q.stopped {
		q.items = append(q.items, batch...)
	}
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *deliveryQueue) run() {
	defer close(q.done)
	q.mu.Lock()
	for {
		for len(q.items) == 0 && !q.stopped {
			q.cond.Wait()
		}
		if len(q.items) == 0 {
			q.mu.Unlock()
			return
		}
		p := q.items[0]
		q.items = q.items[1:]
		q.busy = true
		q.mu.Unlock()
		q.s.deliver(p)
		q.mu.Lock()
		q.busy = false
		q.cond.Broadcast()
	}
}

// wait blocks until the queue is empty and idle.
func (q *deliveryQueue) wait() {
	q.mu.Lock()
	for (len(q.items) > 0 || q.busy) && !q.stopped {
		q.cond.Wait()
	}
	q.mu.Unlock()
}

// stop ends the worker after the remaining items (which fail fast once
// the server context is cancelled) and waits for it.
func (q *deliveryQueue) stop() {
	q.mu.Lock()
	q.stopped = true
	q.mu.Unlock()
	q.cond.Broadcast()
	<-q.done
}
