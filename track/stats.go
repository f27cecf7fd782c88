package track

import "sync/atomic"

// Stats counts what this process's ledger did since New (a snapshot; see
// Summary for the store's figures over every replica).
type Stats struct {
	// Creates counts the POSTs sent; CreatesReused the Create calls
	// answered from the ledger without one.
	Creates       int64 `json:"creates"`
	CreatesReused int64 `json:"creates_reused"`
	// Ambiguous counts creates that ended without a clear answer, Refused
	// those PAVE or the SDK clearly refused.
	Ambiguous int64 `json:"ambiguous"`
	Refused   int64 `json:"refused"`
	// Deliveries counts deliveries committed to the inbox, Duplicates
	// those it already held.
	Deliveries int64 `json:"deliveries"`
	Duplicates int64 `json:"duplicates"`
	// Gets counts GET session requests (polls and adoptions), Results
	// GET results requests.
	Gets    int64 `json:"gets"`
	Results int64 `json:"results"`
	// Adopted counts sessions first seen in a delivery.
	Adopted int64 `json:"adopted"`
	// ByWebhook and ByPoll count completions by how the ledger learned
	// of them.
	ByWebhook int64 `json:"completed_by_webhook"`
	ByPoll    int64 `json:"completed_by_poll"`
	// Handled counts OnComplete calls that returned nil, HandlerRetries
	// those that failed (and are retried).
	Handled        int64 `json:"handled"`
	HandlerRetries int64 `json:"handler_retries"`
	// RateLimited counts 429 answers; StoreErrors failed store operations
	// of the reconciler.
	RateLimited int64 `json:"rate_limited"`
	StoreErrors int64 `json:"store_errors"`
}

// CallsPerCompletion is the tracking requests (GET session and results)
// per completion learned, the creates' POSTs excluded; 0 before any.
func (s Stats) CallsPerCompletion() float64 {
	if n := s.ByWebhook + s.ByPoll; n > 0 {
		return float64(s.Gets+s.Results) / float64(n)
	}
	return 0
}

// counters are the live Stats.
type counters struct {
	creates, createsReused, ambiguous, refused, deliveries, duplicates, gets, results, adopted,
	byWebhook, byPoll, handled, handlerRetries, rateLimited, storeErrors atomic.Int64
}

// Stats returns a snapshot of this process's counters.
func (l *Ledger) Stats() Stats {
	c := &l.stats
	return Stats{Creates: c.creates.Load(), CreatesReused: c.createsReused.Load(), Ambiguous: c.ambiguous.Load(),
		Refused: c.refused.Load(), Deliveries: c.deliveries.Load(), Duplicates: c.duplicates.Load(),
		Gets: c.gets.Load(), Results: c.results.Load(), Adopted: c.adopted.Load(), ByWebhook: c.byWebhook.Load(),
		ByPoll: c.byPoll.Load(), Handled: c.handled.Load(), HandlerRetries: c.handlerRetries.Load(),
		RateLimited: c.rateLimited.Load(), StoreErrors: c.storeErrors.Load()}
}
