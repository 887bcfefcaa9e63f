package tickets_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/tickets"
)

// BenchmarkStartUp restarts a node over -bench.tickets seeded tickets (default 200,000) and
// reports how long it took to listen and how long until /readyz answered 200, with what a
// list and a create answered while the index loaded, and how long they took.
func BenchmarkStartUp(b *testing.B) {
	cfg := apptest.Config(b)
	cfg.Tickets.SweepInterval = time.Hour
	first := apptest.Start(b, cfg, tickets.New())
	start := time.Now()
	seedTickets(b, first, benchTickets, false, 0)
	b.Logf("seeded %d tickets with InsertMany in %s", benchTickets, time.Since(start).Round(time.Millisecond))
	first.Stop(b)
	b.ResetTimer()
	start = time.Now()
	srv := apptest.StartLoading(b, cfg, tickets.New())
	listening := time.Since(start)
	b.Logf("listening %s after the start", listening.Round(time.Millisecond))
	r := srv.Do(b, "GET", "/readyz", "", nil)
	b.Logf("readyz at once: %d %s", r.Status, r.Body)
	token := srv.Login(b, "agent1", "demo-agent1")
	at := time.Now()
	r = srv.Do(b, "GET", "/api/v1/tickets?limit=50", token, nil)
	b.Logf("list while loading: %d %s in %s (Retry-After %q)", r.Status, r.Body, time.Since(at).Round(time.Millisecond), r.Header.Get("Retry-After"))
	at = time.Now()
	r = srv.Do(b, "POST", "/api/v1/tickets", token, map[string]any{"category": "roads_traffic", "ward": "20194",
		"description": "Ổ gà lớn giữa đường trước số 12", "channel": "phone"})
	created := tickets.Created{Ticket: &tickets.Ticket{}}
	if r.Status == http.StatusCreated {
		r.Decode(b, &created)
	}
	b.Logf("create while loading: %d in %s, duplicates_unchecked %v", r.Status, time.Since(at).Round(time.Millisecond), created.DuplicatesUnchecked)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	for {
		r := srv.Do(b, "GET", "/readyz", "", nil)
		if r.Status == http.StatusOK {
			break
		}
		if ctx.Err() != nil {
			b.Fatalf("not ready after 40 minutes: %s", r.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	ready := time.Since(start)
	b.StopTimer()
	b.Logf("ready (readyz 200) %s after the start", ready.Round(time.Millisecond))
	r = srv.Do(b, "GET", "/api/v1/tickets?text="+string(created.Code), token, nil)
	b.Logf("list of the ticket created during the load, when ready: %d %s", r.Status, r.Body)
	b.ReportMetric(listening.Seconds(), "s-to-listen")
	b.ReportMetric(ready.Seconds(), "s-to-ready")
}
