package redisdedup_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/pave-go/pave/webhook"
	"github.com/pave-go/pave/webhook/redisdedup"
)

// Two replicas of a receiver share one Redis: PAVE's duplicate delivery is
// acknowledged by the second without calling the Handler again.
func ExampleNew() {
	// In production, the Redis every replica reaches; here, an in-process
	// one.
	mr, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close() // the caller owns the client

	const secret = "example-secret-Vd3kQ9sLr2Xw7ZpT" // from webhook.NewSecret
	newReplica := func() http.Handler {
		h, err := webhook.NewHandler(webhook.Config{
			Secrets:     []string{secret},
			DedupWindow: 10 * time.Minute,
			DedupStore:  redisdedup.New(rdb),
			Handler: func(ctx context.Context, ev *webhook.Event) error {
				fmt.Println("handling", ev.Name, "for", ev.SessionKey)
				return nil
			},
		})
		if err != nil {
			log.Fatal(err)
		}
		return h
	}
	replicas := []http.Handler{newReplica(), newReplica()}

	// PAVE delivers the same event twice, and the load balancer sends each
	// copy to another replica.
	body := `{"event": "SESSION:STATUS_CHANGE", "session_key": "LKH-7Q2M9XK4TB", "status": "STARTED"}`
	for i, h := range replicas {
		req := httptest.NewRequest(http.MethodPost, "/pave/webhooks", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println("replica", i, "answered", rec.Code)
	}
	// Output:
	// handling SESSION:STATUS_CHANGE for LKH-7Q2M9XK4TB
	// replica 0 answered 204
	// replica 1 answered 204
}
