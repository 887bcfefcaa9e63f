package social

import (
	"context"
	"fmt"
	"maps"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Source measures the social indicators for the alert engine (prefix "social"). Items are
// counted at their publication time.
type Source struct{ m *Module }

// dims maps the dimensions of the social indicators to item fields; an item counts once
// per distinct value of an array field.
var dims = map[string]struct{ field string }{
	"keyword":   {"rules"},
	"term":      {"terms"},
	"ward":      {"wards"},
	"topic":     {"topic"},
	"category":  {"category"},
	"source":    {"source"},
	"sentiment": {"sentiment.label"},
}

var dimNames = []string{"keyword", "topic", "category", "ward", "source", "sentiment", "term"}

// minShareItems is the number of items a group needs for its negative share to be given:
// one negative post of two is not a trend.
const minShareItems = 5

// Indicators implements alerts.Source.
func (s *Source) Indicators() []alerts.Indicator {
	return []alerts.Indicator{
		{Name: "social.items", Summary: "Social items published in the window", Kind: "count", GroupBy: dimNames},
		{Name: "social.negative", Summary: "Negative social items published in the window", Kind: "count", GroupBy: dimNames},
		{Name: "social.negative_share", Summary: "Share of negative items in the window (groups of at least 5 items)", Kind: "ratio", GroupBy: dimNames},
	}
}

// Measure implements alerts.Source. On the embedded store the items of the last days come
// from process memory (factIndex); older ranges, and MongoDB, query the store.
func (s *Source) Measure(ctx context.Context, q alerts.Query) (map[string]float64, error) {
	if !s.m.isLoaded() {
		return s.measure(ctx, q, nil) // the store answers until the facts are loaded
	}
	return s.measure(ctx, q, s.m.facts)
}

// measure answers q from facts when it holds the range (facts may be nil), else from the store.
func (s *Source) measure(ctx context.Context, q alerts.Query, facts *factIndex) (map[string]float64, error) {
	for k := range q.Filter {
		if _, ok := dims[k]; !ok {
			return nil, fmt.Errorf("social items have no dimension %q", k)
		}
	}
	if _, ok := dims[q.GroupBy]; !ok && q.GroupBy != "" {
		return nil, fmt.Errorf("social items cannot be grouped by %q", q.GroupBy)
	}
	filter := maps.Clone(q.Filter)
	if q.Indicator == "social.negative" {
		if filter == nil {
			filter = map[string]string{}
		}
		filter["sentiment"] = Negative
	}
	total, neg := map[string]float64{}, map[string]float64{}
	count := func(it *Item) {
		for _, g := range groupsOf(it, q.GroupBy) {
			total[g]++
			if it.Sentiment.Label == Negative {
				neg[g]++
			}
		}
	}
	if facts == nil || !facts.each(q.From, q.To, filter, count) {
		if err := s.storedItems(ctx, q, filter, count); err != nil {
			return nil, err
		}
	}
	switch q.Indicator {
	case "social.items", "social.negative":
		if q.GroupBy == "" && len(total) == 0 {
			total[""] = 0
		}
		return total, nil
	case "social.negative_share":
		out := map[string]float64{}
		for g, n := range total {
			if n >= minShareItems {
				out[g] = neg[g] / n
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown indicator %s", q.Indicator)
}

// storedItems calls visit with every stored item published in the query's range that has
// every filter value.
func (s *Source) storedItems(ctx context.Context, q alerts.Query, filter map[string]string, visit func(*Item)) error {
	f := bson.M{"at": bson.M{"$gte": q.From, "$lt": q.To}}
	for k, v := range filter {
		f[dims[k].field] = v
	}
	cur, err := s.m.st.C(ItemsCollection).Find(ctx, f, options.Find().SetProjection(bson.M{"rules": 1, "terms": 1, "wards": 1,
		"topic": 1, "category": 1, "source": 1, "sentiment.label": 1}))
	if err != nil {
		return fmt.Errorf("measure %s: %w", q.Indicator, err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var it Item
		if err := cur.Decode(&it); err != nil {
			return fmt.Errorf("measure %s: %w", q.Indicator, err)
		}
		visit(&it)
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("measure %s: %w", q.Indicator, err)
	}
	return nil
}

// groupsOf returns the values of dimension dim of an item ("" when not grouped).
func groupsOf(it *Item, dim string) []string {
	switch dim {
	case "":
		return []string{""}
	case "keyword":
		return it.Rules
	case "term":
		return it.Terms
	case "ward":
		return it.Wards
	case "topic":
		return nonEmpty(it.Topic)
	case "category":
		return nonEmpty(it.Category)
	case "source":
		return nonEmpty(it.Source)
	case "sentiment":
		return nonEmpty(it.Sentiment.Label)
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
