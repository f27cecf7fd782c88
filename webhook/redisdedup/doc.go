// Package redisdedup is a webhook.Store on Redis: it suppresses PAVE's
// duplicate webhook deliveries across every replica of a receiver that
// shares one Redis, where webhook's default store works only inside one
// process.
//
// Give it to webhook.Config.DedupStore together with a DedupWindow:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"}) // or NewUniversalClient, NewClusterClient
//	defer rdb.Close() // the caller owns the client: the Store never closes it
//	h, err := webhook.NewHandler(webhook.Config{
//		Secrets:     []string{secret},
//		DedupWindow: 10 * time.Minute,
//		DedupStore:  redisdedup.New(rdb),
//		Handler:     handle,
//	})
//
// # How it works
//
// Each delivery has one key, the prefix (DefaultPrefix unless WithPrefix
// says otherwise) followed by the delivery's id. Claim sets it with
// SET key "pending:<token>" NX PX <ttl>, so among the replicas exactly one
// claim wins, with a token of 16 random bytes; a claim that fails reads the
// key to tell a delivery handled ("done") from one still in progress.
// Settle runs a Lua script that changes the key only while it still holds
// its own token's claim: a handled delivery becomes "done" for the window,
// a failed one is deleted so that PAVE's next attempt is handled. A claim
// whose replica died expires after the claim's ttl, and a Settle that comes
// after that, when another replica may hold a newer claim, changes nothing.
//
// Every command touches one key, so the Store works on a single Redis, a
// Sentinel-managed one and a Redis Cluster alike. The keys hold only
// "pending:<token>" or "done", never anything from the delivery.
//
// Redis replicates asynchronously: a failover can lose a recent claim and
// let a duplicate through. Keep the Handler idempotent, as PAVE delivers at
// least once anyway.
//
// This package is the only one of the SDK that depends on go-redis;
// package webhook itself links only the standard library.
package redisdedup
