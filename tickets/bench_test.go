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
	"github.com/ioc1022/ioc1022/ioc-core/refdata"
	"github.com/ioc1022/ioc1022/tickets"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The benchmarks run only with -bench (see docs/benchmarks.md for the commands and figures).

const benchClients = 32

// seededNode starts a node, inserts n tickets straight into its collection (seedTickets),
// stops it and starts it again on the same store, so that the engine loads its index from
// the seeded tickets as it would at a restart.
// The nodes' clock runs late by lag until the benchmark sets it to zero, so that the
// background sweeper does not take the seeded crossings first.
func seededNode(b *testing.B, n int, open bool, crossing int, lag *atomic.Int64) (*apptest.Server, *tickets.Module, string) {
	cfg := apptest.Config(b)
	cfg.Tickets.SweepInterval = time.Hour
	clock := func() time.Time { return time.Now().Add(-time.Duration(lag.Load())) }
	firstTk := tickets.New(indexModes[*indexFlag]...)
	firstTk.SetClock(clock)
	first := apptest.Start(b, cfg, firstTk)
	start := time.Now()
	seedTickets(b, first, n, open, crossing)
	b.Logf("seeded %d tickets with InsertMany in %s", n, time.Since(start).Round(time.Millisecond))
	first.Stop(b)
	tk := tickets.New(indexModes[*indexFlag]...)
	tk.SetClock(clock)
	start = time.Now()
	srv := apptest.StartLoading(b, cfg, tk) // apptest.Start waits 2 minutes at most
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	if err := srv.App.Core.Readiness.Wait(ctx); err != nil {
		b.Fatalf("node not ready: still loading %v", srv.App.Core.Readiness.Pending())
	}
	b.Logf("restarted and loaded the ticket index in %s", time.Since(start).Round(time.Millisecond))
	if benchReload {
		start = time.Now()
		loaded, err := tk.ReloadIndex(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("then a second load of the index alone: %d tickets in %s", loaded, time.Since(start).Round(time.Millisecond))
	}
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
// deadlines, history, events in the same write) at 32 concurrent clients, and inserts
// documents of the same size with the raw driver at 32 concurrent clients on the same
// store, and reports both rates and their ratio. The two sides alternate in createRounds
// rounds, so that a change of the machine's load during the run weighs on both. Run it
// with -benchtime=1x; -bench.ops (default 3000) is the number of operations of each side.
// With -bench.wire the node talks to its store through a proxy that counts the commands.
func BenchmarkCreateVsInsert(b *testing.B) {
	var wire *wireCounter
	cfg := apptest.Config(b)
	if benchWire {
		wire, cfg.MongoDB.URI = countedStore(b)
	}
	srv := apptest.Start(b, cfg, tickets.New(indexModes[*indexFlag]...))
	token := srv.Login(b, "agent1", "demo-agent1")
	body := map[string]any{"category": "roads_traffic", "ward": "20194", "address": "12 Lê Duẩn",
		"description": "Ổ gà lớn giữa đường, xe máy dễ té ngã vào ban đêm", "channel": "phone",
		"contact": map[string]any{"name": "Nguyễn Văn A", "phone": "0912345678"}, "location": map[string]any{"lat": 16.0678, "lng": 108.2208}}
	create := func(int) error {
		if r := srv.Do(b, "POST", "/api/v1/tickets", token, body); r.Status != http.StatusCreated {
			return fmt.Errorf("create: %d %s", r.Status, r.Body)
		}
		return nil
	}
	raw := srv.App.Core.Store.C("bench_raw_tickets")
	var sample bson.M
	insert := func(int) error {
		doc := bson.M{}
		for k, v := range sample {
			doc[k] = v
		}
		doc["_id"] = bson.NewObjectID().Hex()
		_, err := raw.InsertOne(context.Background(), doc)
		return err
	}
	for b.Loop() {
		var apiTime, rawTime time.Duration
		per := max(benchOps/createRounds, 1)
		for range createRounds {
			d, err := parallel(per, benchClients, create)
			if err != nil {
				b.Fatal(err)
			}
			apiTime += d
			if sample == nil {
				if err := srv.App.Core.Store.C(tickets.Collection).FindOne(context.Background(), bson.M{}).Decode(&sample); err != nil {
					b.Fatal(err)
				}
			}
			if d, err = parallel(per, benchClients, insert); err != nil {
				b.Fatal(err)
			}
			rawTime += d
		}
		total := per * createRounds
		if wire != nil {
			time.Sleep(2 * time.Second) // the relay and the consumers catch up
			reportWire(b, "API creates and raw inserts", wire.take(), total)
		}
		apiRate, rawRate := float64(total)/apiTime.Seconds(), float64(total)/rawTime.Seconds()
		b.Logf("%d API creates in %s (%.1f/s), %d raw inserts in %s (%.1f/s), ratio %.3f", total, apiTime.Round(time.Millisecond),
			apiRate, total, rawTime.Round(time.Millisecond), rawRate, apiRate/rawRate)
		b.ReportMetric(apiRate, "api_creates/s")
		b.ReportMetric(rawRate, "raw_inserts/s")
		b.ReportMetric(apiRate/rawRate, "ratio")
	}
}

// createRounds is how many times BenchmarkCreateVsInsert alternates its two sides.
const createRounds = 4

// seedTickets inserts n tickets straight into the store with InsertMany, 1,000 a batch,
// spread over departments, categories, wards, channels, statuses and deadlines like a year
// of a province's hotline: one ticket a minute going back from now, each with a reporter, a
// location, a search text and a history entry. With open, every ticket is assigned or in
// progress with a next deadline, and the first `crossing` of them have crossed it.
func seedTickets(b *testing.B, srv *apptest.Server, n int, open bool, crossing int) {
	depts := []string{"SXD", "SNNMT", "PCDN", "CAPNUOC", "SYT", "SGDDT", "SNV", "STP", "CATP", "TTHCC", "VPUBND", "STC", "UBND-HAICHAU", "UBND-THANHKHE"}
	cats := []string{"roads_traffic", "flooding_drainage", "electricity", "water_supply", "environment", "urban_order", "land_housing"}
	wards := []string{"20194", "20227", "20200", "20209", "20242"}
	chans := []string{"phone", "zalo", "facebook", "web", "email"}
	statuses := []tickets.Status{tickets.StatusClosed, tickets.StatusClosed, tickets.StatusResolved, tickets.StatusClosed,
		tickets.StatusAssigned, tickets.StatusInProgress, tickets.StatusClosed, tickets.StatusAnswered, tickets.StatusClosed, tickets.StatusNew}
	words := []string{"Ổ gà lớn giữa đường", "Đèn đường không sáng", "Ngập nước sau mưa", "Rác thải không được thu gom",
		"Lấn chiếm vỉa hè buôn bán", "Mất điện kéo dài", "Nước sinh hoạt đục"}
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
			code := tickets.Code(fmt.Sprintf("BX%07d", i))
			desc := fmt.Sprintf("%s trước số %d đường %d", words[i%len(words)], i%300, i%97)
			t := tickets.Ticket{Code: code, Status: st, Category: cats[i%len(cats)], Ward: wards[i%len(wards)],
				Department: depts[i%len(depts)], Description: desc, Address: fmt.Sprintf("%d Lê Duẩn", i%300),
				Location: &tickets.Location{Lat: 16.0 + float64(i%1000)/10000, Lng: 108.2 + float64(i%777)/10000},
				Channel:  chans[i%len(chans)], Reporter: tickets.Reporter{Channel: chans[i%len(chans)], Name: "Nguyễn Văn A", Phone: fmt.Sprintf("09%08d", i%50000)},
				CreatedAt: created, UpdatedAt: created, DueAt: &due, Version: 1, Search: refdata.Fold(string(code) + " " + desc),
				History: []tickets.HistoryEntry{{At: created, By: "agent1", Action: "create", To: st, Department: depts[i%len(depts)]}}}
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
// reports the p50 and p99 latency. first_page and next_page ask for the same page again
// (after one request that read its tickets: the in-memory index then has their items);
// cold_pages walks on from page to page, so that every page reads its 50 tickets from the
// store; text adds a text filter; no_match filters on a category the department has no
// ticket of (the department's whole list is walked, nothing is read). With -bench.in it
// first times one store query for a page's 50 tickets by {_id: {$in: [...]}}.
func BenchmarkListByDepartmentStatus(b *testing.B) {
	srv, _, token := seededNode(b, benchTickets, false, 0, new(atomic.Int64))
	const query = "department=SXD&status=assigned&limit=50"
	start := time.Now()
	page := listPage(b, srv, token, query)
	b.Logf("first request (cold): %s", time.Since(start).Round(time.Microsecond))
	if len(page.Items) != 50 || page.NextCursor == "" {
		b.Fatalf("first page: %d items", len(page.Items))
	}
	next := page.NextCursor
	if benchIn {
		findIn(b, srv, page.Items)
	}
	for _, c := range []struct {
		name  string
		query func() string
	}{
		{"first_page", func() string { return query }},
		{"next_page", func() string { return query + "&cursor=" + page.NextCursor }},
		{"cold_pages", func() string { return query + "&cursor=" + next }},
		{"text", func() string { return query + "&text=den+duong" }},
		{"no_match", func() string { return "department=SXD&category=business&limit=50" }},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.name != "cold_pages" {
				listPage(b, srv, token, c.query()) // the page's items are read once
			}
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				p := listPage(b, srv, token, c.query())
				lat = append(lat, time.Since(start))
				if c.name == "cold_pages" {
					if p.NextCursor == "" {
						b.Fatal("cold_pages: no more pages; seed more tickets or run fewer iterations")
					}
					next = p.NextCursor
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99_ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// findIn times one find of the tickets of a page by {_id: {$in: [...]}}, without history,
// straight on the store.
func findIn(b *testing.B, srv *apptest.Server, items []tickets.Ticket) {
	var ids []string
	for _, t := range items {
		ids = append(ids, string(t.Code))
	}
	start := time.Now()
	cur, err := srv.App.Core.Store.C(tickets.Collection).Find(context.Background(), bson.M{"_id": bson.M{"$in": ids}},
		options.Find().SetProjection(bson.M{"history": 0, "search": 0, "_outbox": 0}))
	if err != nil {
		b.Fatal(err)
	}
	var got []tickets.Ticket
	if err := cur.All(context.Background(), &got); err != nil {
		b.Fatal(err)
	}
	b.Logf("one find by _id $in the %d codes of a page: %d tickets in %s", len(ids), len(got), time.Since(start).Round(time.Microsecond))
}

type ticketPage struct {
	Items      []tickets.Ticket `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

// listPage asks for one page of the ticket list and fails b unless it gets it.
func listPage(b *testing.B, srv *apptest.Server, token, query string) ticketPage {
	r := srv.Do(b, "GET", "/api/v1/tickets?"+query, token, nil)
	if r.Status != http.StatusOK {
		b.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var p ticketPage
	r.Decode(b, &p)
	return p
}

// BenchmarkSweep runs one sweep over -bench.tickets open tickets (default 200,000) of which
// -bench.crossing (default 100) have crossed their deadline, then one where none does. Run
// it with -benchtime=1x: the crossings are seeded once.
func BenchmarkSweep(b *testing.B) {
	lag := new(atomic.Int64)
	lag.Store(int64(time.Hour))
	_, tk, _ := seededNode(b, benchTickets, true, benchCrossing, lag)
	lag.Store(0)
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
		// Logged as well: a node that does not stop in time fails the benchmark after it
		// measured, and a failed benchmark prints no metrics.
		b.Logf("sweep over %d open tickets: %d crossed in %s; then an idle sweep in %s", benchTickets, n,
			crossing.Round(time.Microsecond), idle.Round(time.Microsecond))
		b.ReportMetric(float64(n), "crossed")
		b.ReportMetric(float64(crossing.Microseconds())/1000, "sweep_ms")
		if n > 0 {
			b.ReportMetric(float64(crossing.Microseconds())/1000/float64(n), "ms/crossing")
		}
		b.ReportMetric(float64(idle.Microseconds())/1000, "idle_sweep_ms")
	}
}
