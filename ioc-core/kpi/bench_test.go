package kpi

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// ticketEvents makes the events of n tickets spread over a year: created, resolved,
// closed and rated, with realistic dimensions. It calls emit with batches in log order.
func ticketEvents(n int, seed uint64, emit func([]events.Event)) {
	rng := rand.New(rand.NewPCG(seed, 7))
	cats := []string{"roads_traffic", "flooding_drainage", "electricity", "water_supply", "environment", "urban_order",
		"land_housing", "civil_status", "business", "health", "education", "social_welfare", "security_order", "public_service", "other"}
	depts := []string{"SXD", "SXD", "PCDN", "CAPNUOC", "SNNMT", "SXD", "SNNMT", "STP", "STC", "SYT", "SGDDT", "SNV", "CATP", "TTHCC", "VPUBND"}
	chans := []string{"phone", "zalo", "facebook", "email", "web", "app", "telegram", "open311"}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, Zone)
	year := 365 * 24 * time.Hour
	var batch []events.Event
	seq := int64(0)
	mk := func(typ, code string, at time.Time, d bson.M) {
		seq++
		ev := events.MustNew(typ, code, d)
		ev.At, ev.Seq = at, seq
		batch = append(batch, ev)
	}
	for i := range n {
		created := start.Add(time.Duration(float64(year) * float64(i) / float64(n)))
		c := rng.IntN(len(cats))
		code := fmt.Sprintf("PA%07d", i)
		base := bson.M{"code": code, "category": cats[c], "department": depts[c], "ward": fmt.Sprintf("20%03d", rng.IntN(94)),
			"channel": chans[rng.IntN(len(chans))], "created_at": created, "due_at": created.Add(10 * 24 * time.Hour)}
		with := func(k string, v any, status string) bson.M {
			m := bson.M{"status": status}
			for a, b := range base {
				m[a] = b
			}
			if k != "" {
				m[k] = v
			}
			return m
		}
		mk("ticket.created", code, created, with("", nil, "assigned"))
		resolved := created.Add(time.Duration(rng.ExpFloat64() * float64(5*24*time.Hour)))
		mk("ticket.resolved", code, resolved, with("resolved_at", resolved, "resolved"))
		closed := resolved.Add(time.Hour)
		mk("ticket.closed", code, closed, with("closed_at", closed, "closed"))
		mk("ticket.rated", code, closed.Add(time.Hour), with("rating", 1+rng.IntN(5), "closed"))
		if len(batch) >= 4000 {
			emit(batch)
			batch = nil
		}
	}
	emit(batch)
}

// BenchmarkIngest measures events per second folded into the buckets (the projection's
// Apply, payload decoding included; reading the log from the store is not).
func BenchmarkIngest(b *testing.B) {
	var evs []events.Event
	ticketEvents(25000, 1, func(batch []events.Event) { evs = append(evs, batch...) })
	b.ResetTimer()
	applied := 0
	for b.Loop() {
		p := NewProjection(Params{ServiceLevelS: 20, ShortAbandonS: 5, FineRetentionS: 62 * 86400})
		for i := 0; i < len(evs); i += 1000 {
			p.Apply(evs[i:min(i+1000, len(evs))]...)
		}
		applied += len(evs)
	}
	b.ReportMetric(float64(applied)/b.Elapsed().Seconds(), "events/s")
}

var (
	yearOnce sync.Once
	yearProj *Projection
	yearInfo string
)

// yearOfTickets is a projection of 1,000,000 tickets over a year (4,000,000 events).
func yearOfTickets(b *testing.B) *Projection {
	yearOnce.Do(func() {
		p := NewProjection(Params{ServiceLevelS: 20, ShortAbandonS: 5, FineRetentionS: 62 * 86400})
		start := time.Now()
		ticketEvents(1_000_000, 2, func(batch []events.Event) { p.Apply(batch...) })
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		yearProj = p
		yearInfo = fmt.Sprintf("built in %s; %d ticket cells; heap %d MiB", time.Since(start).Round(time.Second),
			p.st.Tickets.cells(), ms.HeapAlloc>>20)
	})
	b.Log(yearInfo)
	return yearProj
}

func benchQuery(b *testing.B, r Range, f Filter) {
	p := yearOfTickets(b)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, Zone)
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		p.Tickets(r, f, now, 8*time.Hour)
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

func BenchmarkTicketsQueryYear(b *testing.B) {
	benchQuery(b, NewRange(time.Date(2025, 1, 1, 0, 0, 0, 0, Zone), time.Date(2026, 1, 1, 0, 0, 0, 0, Zone)), Filter{})
}

func BenchmarkTicketsQueryYearOneDepartment(b *testing.B) {
	benchQuery(b, NewRange(time.Date(2025, 1, 1, 0, 0, 0, 0, Zone), time.Date(2026, 1, 1, 0, 0, 0, 0, Zone)),
		Filter{Departments: []string{"SXD"}})
}

// A range with ragged ends reads days and 15-minute buckets as well as months.
func BenchmarkTicketsQueryRaggedRange(b *testing.B) {
	benchQuery(b, NewRange(time.Date(2025, 3, 14, 9, 45, 0, 0, Zone), time.Date(2025, 11, 20, 16, 15, 0, 0, Zone)), Filter{})
}
