package tickets_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/tickets"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The benchmarks run only with -bench (see docs/benchmarks.md for the commands and figures).

const benchClients = 32

func benchNode(b *testing.B) (*apptest.Server, *tickets.Module, string) {
	cfg := apptest.Config(b)
	tk := tickets.New()
	srv := apptest.Start(b, cfg, tk)
	return srv, tk, srv.Login(b, "agent1", "demo-agent1")
}

// parallel runs total calls of f over clients goroutines and returns the elapsed time.
func parallel(total, clients int, f func(i int) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				if err := f(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// BenchmarkCreateVsInsert creates tickets through the HTTP API (validation, routing,
// deadlines, history, events in the same write) at 32 concurrent clients, then inserts
// documents of the same size with the raw driver at 32 concurrent clients on the same
// store, and reports both rates and their ratio. Run it with -benchtime=1x; the number of
// operations is fixed by -bench.ops (default 3000).
func BenchmarkCreateVsInsert(b *testing.B) {
	srv, _, token := benchNode(b)
	total := benchOps
	body := map[string]any{"category": "roads_traffic", "ward": "20194", "address": "12 Lê Duẩn",
		"description": "Ổ gà lớn giữa đường, xe máy dễ té ngã vào ban đêm", "channel": "phone",
		"contact": map[string]any{"name": "Nguyễn Văn A", "phone": "0912345678"}, "location": map[string]any{"lat": 16.0678, "lng": 108.2208}}
	for b.Loop() {
		apiTime, err := parallel(total, benchClients, func(i int) error {
			if r := srv.Do(b, "POST", "/api/v1/tickets", token, body); r.Status != http.StatusCreated {
				return fmt.Errorf("create: %d %s", r.Status, r.Body)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		var sample bson.M
		if err := srv.App.Core.Store.C(tickets.Collection).FindOne(context.Background(), bson.M{}).Decode(&sample); err != nil {
			b.Fatal(err)
		}
		raw := srv.App.Core.Store.C("bench_raw_tickets")
		rawTime, err := parallel(total, benchClients, func(i int) error {
			doc := bson.M{}
			for k, v := range sample {
				doc[k] = v
			}
			doc["_id"] = bson.NewObjectID().Hex()
			_, err := raw.InsertOne(context.Background(), doc)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		apiRate, rawRate := float64(total)/apiTime.Seconds(), float64(total)/rawTime.Seconds()
		b.ReportMetric(apiRate, "api_creates/s")
		b.ReportMetric(rawRate, "raw_inserts/s")
		b.ReportMetric(apiRate/rawRate, "ratio")
	}
}

// seedTickets inserts n tickets straight into the store, spread over departments,
// statuses and deadlines like a year of a province's hotline, in batches.
func seedTickets(b *testing.B, srv *apptest.Server, n int, open bool, crossing int) {
	depts := []string{"SXD", "SNNMT", "PCDN", "CAPNUOC", "SYT", "SGDDT", "SNV", "STP", "CATP", "TTHCC", "VPUBND", "STC", "UBND-HAICHAU", "UBND-THANHKHE"}
	statuses := []tickets.Status{tickets.StatusClosed, tickets.StatusClosed, tickets.StatusResolved, tickets.StatusClosed,
		tickets.StatusAssigned, tickets.StatusInProgress, tickets.StatusClosed, tickets.StatusAnswered, tickets.StatusClosed, tickets.StatusNew}
	now := time.Now().UTC()
	coll := srv.App.Core.Store.C(tickets.Collection)
	const batch = 1000
	for start := 0; start < n; start += batch {
		docs := make([]any, 0, batch)
		for i := start; i < min(start+batch, n); i++ {
			created := now.Add(-time.Duration(i) * time.Minute)
			due := now.Add(time.Duration(24+i%500) * time.Hour)
			st := statuses[i%len(statuses)]
			if open {
				st = []tickets.Status{tickets.StatusAssigned, tickets.StatusInProgress}[i%2]
			}
			t := tickets.Ticket{Code: tickets.Code(fmt.Sprintf("BX%07d", i)), Status: st, Category: "roads_traffic", Ward: "20194",
				Department: depts[i%len(depts)], Description: "Ổ gà lớn giữa đường số " + fmt.Sprint(i), Channel: "phone",
				Reporter: tickets.Reporter{Channel: "phone", Phone: fmt.Sprintf("09%08d", i)}, CreatedAt: created, UpdatedAt: created,
				DueAt: &due, Version: 1, Search: "o ga lon giua duong",
				History: []tickets.HistoryEntry{{At: created, By: "agent1", Action: "create", To: st}}}
			if open {
				next := due
				if i < crossing {
					next = now.Add(-time.Minute)
					t.DueAt = &next
				}
				t.NextDeadline = &next
			}
			docs = append(docs, t)
		}
		if _, err := coll.InsertMany(context.Background(), docs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListByDepartmentStatus lists one department's assigned tickets, 50 a page,
// through the HTTP API with -bench.tickets tickets in the store (default 200,000), and
// reports the p50 and p99 latency.
func BenchmarkListByDepartmentStatus(b *testing.B) {
	srv, _, token := benchNode(b)
	seedTickets(b, srv, benchTickets, false, 0)
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		r := srv.Do(b, "GET", "/api/v1/tickets?department=SXD&status=assigned&limit=50", token, nil)
		lat = append(lat, time.Since(start))
		if r.Status != http.StatusOK {
			b.Fatalf("list: %d %s", r.Status, r.Body)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99_ms")
}

// BenchmarkSweep runs one sweep over -bench.tickets open tickets (default 200,000) of which
// 100 cross their deadline, and one where none does.
func BenchmarkSweep(b *testing.B) {
	srv, tk, _ := benchNode(b)
	seedTickets(b, srv, benchTickets, true, 100)
	for b.Loop() {
		start := time.Now()
		n, err := tk.Sweep(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		crossing := time.Since(start)
		start = time.Now()
		if _, err := tk.Sweep(context.Background()); err != nil {
			b.Fatal(err)
		}
		idle := time.Since(start)
		b.ReportMetric(float64(n), "crossed")
		b.ReportMetric(float64(crossing.Milliseconds()), "sweep_ms")
		b.ReportMetric(float64(idle.Milliseconds()), "idle_sweep_ms")
	}
}
