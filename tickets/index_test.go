package tickets

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// TestIndexesAgree fills a store through the engine (with its in-memory index), then asks
// the in-memory index, a fresh one loaded from the store, and store queries the same
// questions: lists with every filter and cursor, duplicate candidates, crossing deadlines
// and a phone's tickets. All three must answer alike.
func TestIndexesAgree(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.Tickets.SweepInterval = time.Hour
	m := New()
	apptest.Start(t, cfg, m)
	if _, ok := m.index.(*memIndex); !ok {
		t.Skip("the store is not FerretDB: the engine uses store queries only")
	}
	ctx := context.Background()
	var tick atomic.Int64
	base := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC) // Monday 08:00 in Hà Nội time
	m.SetClock(func() time.Time { return base.Add(time.Duration(tick.Add(1)) * 17 * time.Minute) })

	cats := []string{"roads_traffic", "urban_order", "electricity", ""}
	wards := []string{"20194", "20200", ""}
	chans := []string{"phone", "zalo", "web"}
	agent := &httpapi.Principal{Username: "agent1", Role: httpapi.RoleAgent}
	var codes []Code
	for i := range 60 {
		in := NewTicket{Category: cats[i%len(cats)], Ward: wards[i%len(wards)], Channel: chans[i%len(chans)],
			Description: fmt.Sprintf("Ổ gà lớn số %d trên đường Lê Duẩn", i%7),
			Contact:     Contact{Phone: fmt.Sprintf("09050000%02d", i%5), Name: "Nguyễn Văn " + string(rune('A'+i%3))}}
		if i%2 == 0 {
			in.Location = &Location{Lat: 16.06 + float64(i%4)*0.001, Lng: 108.22}
		}
		tk, err := m.Create(ctx, in, agent)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, tk.Code)
		switch {
		case i%5 == 1 && tk.Status == StatusNew:
			_, err = m.Act(ctx, tk.Code, "reject", ActionRequest{Version: tk.Version, Reason: "Spam"}, agent)
		case i%5 == 2 && tk.Status == StatusAssigned:
			_, err = m.Act(ctx, tk.Code, "accept", ActionRequest{Version: tk.Version}, &httpapi.Principal{Username: "s", Role: httpapi.RoleSupervisor})
		case i%5 == 3 && tk.Status == StatusAssigned && tk.Department != "SXD":
			_, err = m.Act(ctx, tk.Code, "transfer", ActionRequest{Version: tk.Version, Department: "SXD", Reason: "Thuộc thẩm quyền"},
				&httpapi.Principal{Username: "s", Role: httpapi.RoleSupervisor})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	tick.Add(300) // days later: deadlines have crossed
	if _, err := m.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	tick.Add(-250)

	reloaded := newMemIndex(m.coll)
	if err := reloaded.load(ctx); err != nil {
		t.Fatal(err)
	}
	indexes := map[string]ticketIndex{"memory": m.index, "reloaded": reloaded, "store": &storeIndex{coll: m.coll}}
	yes, no := true, false
	from, to := base.Add(5*time.Hour), base.Add(12*time.Hour)
	queries := map[string]listQuery{
		"all":                     {},
		"department":              {departments: []string{"SXD"}},
		"departments":             {departments: []string{"SXD", "UBND-HAICHAU"}},
		"no department":           {departments: []string{}},
		"status":                  {statuses: []Status{StatusAssigned}},
		"statuses":                {statuses: []Status{StatusNew, StatusRejected}},
		"department & status":     {departments: []string{"SXD"}, statuses: []Status{StatusAssigned, StatusInProgress}},
		"department & one status": {departments: []string{"SXD"}, statuses: []Status{StatusAssigned}},
		"other department":        {departments: []string{"UBND-HAICHAU"}, statuses: []Status{StatusAssigned}},
		"category":                {category: "urban_order"},
		"ward":                    {ward: "20200"},
		"channel":                 {channel: "zalo"},
		"overdue":                 {overdue: &yes},
		"not overdue":             {overdue: &no},
		"text":                    {text: "so 3 tren"},
		"name":                    {text: "van b"},
		"created range":           {from: &from, to: &to},
	}
	for name, q := range queries {
		for _, limit := range []int{4, 100} {
			t.Run(fmt.Sprintf("%s/%d", name, limit), func(t *testing.T) {
				want := pages(ctx, t, indexes["store"], q, limit)
				if name != "no department" && len(want) == 0 {
					t.Fatalf("the query selects nothing: a poor test")
				}
				for iname, x := range indexes {
					if got := pages(ctx, t, x, q, limit); !slices.Equal(got, want) {
						t.Fatalf("%s index: %v\nstore: %v", iname, got, want)
					}
				}
			})
		}
	}
	t.Run("duplicates", func(t *testing.T) {
		for _, code := range codes[:12] {
			tk, err := m.load(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			want := candidates(ctx, t, indexes["store"], tk)
			for iname, x := range indexes {
				if got := candidates(ctx, t, x, tk); !slices.Equal(got, want) {
					t.Fatalf("%s: %s index: %v\nstore: %v", code, iname, got, want)
				}
			}
		}
	})
	t.Run("crossing", func(t *testing.T) {
		now := m.now().Add(40 * 24 * time.Hour)
		want := crossings(ctx, t, indexes["store"], now)
		if len(want) == 0 {
			t.Fatal("nothing crosses: a poor test")
		}
		for iname, x := range indexes {
			if got := crossings(ctx, t, x, now); !slices.Equal(got, want) {
				t.Fatalf("%s index: %v\nstore: %v", iname, got, want)
			}
		}
	})
	t.Run("phone", func(t *testing.T) {
		for _, limit := range []int{3, 50} {
			want, _ := indexes["store"].byPhone(ctx, "0905000003", limit)
			for iname, x := range indexes {
				got, err := x.byPhone(ctx, "0905000003", limit)
				if err != nil || !slices.Equal(codesOf(got), codesOf(want)) {
					t.Fatalf("%s index: %v %v\nstore: %v", iname, codesOf(got), err, codesOf(want))
				}
			}
		}
	})
}

// pages walks every page of q, limit a page, and returns the codes in order with their
// statuses.
func pages(ctx context.Context, t *testing.T, x ticketIndex, q listQuery, limit int) []string {
	t.Helper()
	var out []string
	q.limit = limit + 1
	for range 100 {
		items, err := x.list(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		more := len(items) > limit
		items = items[:min(len(items), limit)]
		for _, it := range items {
			out = append(out, string(it.Code)+":"+string(it.Status))
		}
		if !more {
			return out
		}
		last := items[len(items)-1]
		q.cursor = &listCursor{At: last.CreatedAt, Code: last.Code}
	}
	t.Fatal("more than 100 pages")
	return nil
}

func candidates(ctx context.Context, t *testing.T, x ticketIndex, tk *Ticket) []string {
	t.Helper()
	cs, err := x.duplicateCandidates(ctx, tk, tk.CreatedAt.Add(-duplicateWindow))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s %s %v %v %s", c.Code, c.Status, c.Ward, c.Location, c.CreatedAt.UnixMilli(),
			slices.Sorted(mapKeys(wordSet(c.Description)))))
	}
	return out
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func crossings(ctx context.Context, t *testing.T, x ticketIndex, now time.Time) []deadline {
	t.Helper()
	var out []deadline
	var after time.Time
	var afterCode Code
	for {
		ds, err := x.crossing(ctx, now, after, afterCode, 3)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ds...)
		if len(ds) < 3 {
			return out
		}
		after, afterCode = ds[len(ds)-1].at, ds[len(ds)-1].code
	}
}

func codesOf(ts []Ticket) []Code {
	var out []Code
	for _, t := range ts {
		out = append(out, t.Code)
	}
	return out
}

// BenchmarkMemIndexSize fills an in-memory index with 200,000 tickets like those of a
// province's hotline (a one-line description, an address, a reporter's name and phone, a
// location, a next deadline) and reports the heap it holds, per ticket and in all, and the
// size of the list items it holds among it.
func BenchmarkMemIndexSize(b *testing.B) {
	const n = 200000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		x := newMemIndex(nil)
		now := time.Now().UTC()
		for i := range n {
			created, next := now.Add(-time.Duration(n-i)*time.Minute), now.Add(time.Duration(i%500)*time.Hour)
			x.put(&Ticket{Code: Code(fmt.Sprintf("PA%07d", i)), Version: 1, Status: StatusAssigned,
				Category: "roads_traffic", Ward: "20194", Department: "SXD", Channel: "phone",
				Description: fmt.Sprintf("Ổ gà lớn giữa đường trước số %d đường Lê Duẩn, xe máy dễ té ngã vào ban đêm", i%300),
				Address:     fmt.Sprintf("%d Lê Duẩn, phường Hải Châu", i%300),
				Reporter:    Reporter{Name: "Nguyễn Văn A", Phone: fmt.Sprintf("+849%08d", i%50000)},
				Location:    &Location{Lat: 16.06, Lng: 108.22}, CreatedAt: created, NextDeadline: &next})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		b.ReportMetric(held/n, "bytes/ticket")
		b.ReportMetric(held/(1<<20), "MiB")
		b.ReportMetric(float64(x.itemBytes)/(1<<20), "items_MiB")
		runtime.KeepAlive(x)
	}
}
