package social

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
)

// startWithFacts starts a node with social listening and a keyword rule "ngap" (ngập), with
// alerts evaluated hourly only; it skips where the in-memory measures are not used.
func startWithFacts(tb testing.TB) *Module {
	tb.Helper()
	m := New()
	cfg := apptest.Config(tb)
	cfg.IOC.Alerts.EvalInterval = time.Hour
	apptest.Start(tb, cfg, alerts.New(), m)
	if m.facts == nil {
		tb.Skip("the in-memory measures are used on the embedded store only")
	}
	rule := KeywordRule{ID: "ngap", Name: "Ngập", Keywords: []string{"ngập"}, Enabled: true}
	if _, err := m.SaveKeywordRule(context.Background(), rule, true, "test"); err != nil {
		tb.Fatal(err)
	}
	return m
}

// The alert measures from process memory equal those from the store, for every grouping
// and with filters, in and out of the range the memory holds.
func TestFactIndexMeasuresLikeTheStore(t *testing.T) {
	m := startWithFacts(t)
	ctx := context.Background()
	now := time.Now().UTC()
	texts := []string{"Đường ngập sâu ở phường Thạch Thang, dân rất bức xúc", "Cảm ơn phường Hòa Cường Bắc đã dọn rác nhanh",
		"Ngập nặng trên đường Núi Thành sau mưa lớn", "Mất điện cả buổi ở Hải Châu"}
	var items []Incoming
	for i := range 40 {
		items = append(items, Incoming{ID: fmt.Sprint("f", i), Text: fmt.Sprintf("%s (%d)", texts[i%len(texts)], i),
			PublishedAt: now.Add(-time.Duration(i) * 97 * time.Minute)})
	}
	if _, err := m.Ingest(ctx, "ingest:test", KindIngest, items); err != nil {
		t.Fatal(err)
	}
	src := &Source{m}
	mem := m.facts
	ranges := []struct{ from, to time.Time }{{now.Add(-26 * time.Hour), now.Add(-24 * time.Hour)}, {now.Add(-80 * time.Hour), now.Add(time.Minute)}}
	for _, ind := range []string{"social.items", "social.negative", "social.negative_share"} {
		for _, dim := range []string{"", "keyword", "ward", "sentiment", "term", "topic"} {
			for _, filter := range []map[string]string{nil, {"keyword": "ngap", "ward": "20194"}} {
				for ri, r := range ranges {
					q := alerts.Query{Indicator: ind, GroupBy: dim, Filter: filter, From: r.from, To: r.to, Now: now}
					got, err := src.measure(ctx, q, mem)
					if err != nil {
						t.Fatal(err)
					}
					want, err := src.measure(ctx, q, nil)
					if err != nil {
						t.Fatal(err)
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%s by %q filter %v range %d: memory %v, store %v", ind, dim, filter, ri, got, want)
					}
				}
			}
		}
	}
	if !mem.each(now.Add(-time.Hour), now, nil, func(*Item) {}) || mem.each(now.Add(-factsKept-time.Hour), now, nil, func(*Item) {}) {
		t.Error("the memory must answer recent ranges and leave older ones to the store")
	}
}

// BenchmarkMeasure is one alert measure (items of the last hour by keyword) over 5,000
// stored items of the last 3 days, from process memory and from the embedded store.
func BenchmarkMeasure(b *testing.B) {
	m := startWithFacts(b)
	ctx := context.Background()
	now := time.Now().UTC()
	words := []string{"ngập", "rác", "điện", "nước", "cống", "đường", "cầu", "chợ", "trường", "bụi", "cây", "đèn"}
	for done := 0; done < 5000; done += 500 {
		var items []Incoming
		for i := done; i < done+500; i++ {
			items = append(items, Incoming{ID: fmt.Sprint("m", i), PublishedAt: now.Add(-time.Duration(i) * 52 * time.Second),
				Text: fmt.Sprintf("Phường Thạch Thang: %s %s %s ở kiệt %d phản ánh %s", words[i%12], words[(i/12)%12], words[(i/144)%12], i, words[(i*5)%12])})
		}
		if _, err := m.Ingest(ctx, "ingest:bench", KindIngest, items); err != nil {
			b.Fatal(err)
		}
	}
	q := alerts.Query{Indicator: "social.items", GroupBy: "keyword", From: now.Add(-time.Hour), To: now, Now: now}
	src := &Source{m}
	for _, c := range []struct {
		name  string
		facts *factIndex
	}{{"memory", m.facts}, {"store", nil}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := src.measure(ctx, q, c.facts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
