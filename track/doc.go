// Package track is a durable ledger for PAVE inspections: it never loses
// one and never creates one twice, across crashes, deploys and replicas.
//
// Each SDK call is safe on its own; an integration as a whole is not. PAVE
// has no idempotency key and no endpoint listing sessions, so a create that
// times out leaves the caller unable to tell whether the customer was
// texted, and a job queue retrying it texts them twice. PAVE documents no
// webhook retries, ordering or signature, so a COMPLETE delivery that
// arrives during a deploy may never come again; and results may be queued
// for up to a day. The ledger answers each:
//
//   - Create records the intent (account, reference) before the POST,
//     writes the reference into the session, and never POSTs a reference
//     twice: an unclear answer leaves it ambiguous (*AmbiguousError) until a
//     delivery names the session or an operator resolves it.
//   - Inbox answers PAVE's deliveries only after committing them; the
//     application's code runs later, from the store.
//   - Run polls every session not yet final, politely (backoff from
//     MinBackoff to MaxBackoff, jitter, a per-account budget, 429 and
//     Retry-After honoured), fetches the results of each COMPLETE session
//     once, stores them as PAVE sent them, and calls OnComplete with a
//     stable id, at least once, never concurrently for one session. States
//     only move forward along PAVE's lifecycle.
//   - Sessions started outside the API (dashboard, shareable links,
//     widgets) reach the same inbox and are adopted and followed too.
//
// The store is one SQLite file by default (a pure-Go driver, no set-up, one
// process) or PostgreSQL for several replicas, which claim work with
// leases (SELECT ... FOR UPDATE SKIP LOCKED): the work of a replica that
// dies is taken over when its leases expire. The schema is migrated on
// Open; a database migrated by newer code is refused.
//
//	store, err := track.Open(ctx, "sqlite:ledger.db") // or "postgres://..."
//	ledger, err := track.New(track.Config{
//		Store:    store,
//		Accounts: map[string]*pave.Client{"lakeside": lakeside, "northgate": northgate},
//		OnComplete: func(ctx context.Context, c *track.Completion) error {
//			// c.ID is stable: use it as a unique key in your own table.
//			return saveInspection(ctx, c.ID, c.Ref, c.Results)
//		},
//	})
//	inbox, err := ledger.Inbox(track.InboxConfig{Secrets: map[string][]string{
//		"lakeside": {lakesideSecret}, "northgate": {northgateSecret}}})
//	http.Handle("/pave", inbox)
//	go ledger.Run(ctx)
//	rec, err := ledger.Create(ctx, "lakeside", "lead-4471", req) // rec.CaptureURL
//
// Operators list, show, retry, resolve and abandon records with List,
// Show, Retry, Resolve and Abandon (all JSON-able), read counters with
// Stats and Summary, and delete finished records with Purge. The ledger
// logs every state change with slog, never a phone number, a name or a
// secret, and stores none beyond the results PAVE sent (set
// Config.DropResults to drop those once handled).
//
// What PAVE never tells us bounds what the ledger can promise: a session
// created by an unanswered POST is found only when PAVE mentions it (a
// delivery) or an operator names it, since PAVE has no way to look a
// session up by client_id.
package track
