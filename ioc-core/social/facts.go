package social

import (
	"slices"
	"sync"
	"time"
)

// factIndex answers the alert engine's measures from process memory on FerretDB, where a
// filter on `at` reads the whole items collection: with the seeded rules that is 33 reads
// of every item each evaluation (a spike rule measures its window and the same hours of 7
// past days). It holds the grouping fields of the items published in the last factsKept,
// by hour of publication; it is loaded at start with the deduplication index and fed
// after each insert (this node is the store's only writer). The grouping fields of an
// item never change once stored. Safe for concurrent use.
type factIndex struct {
	keep time.Duration

	mu      sync.RWMutex // guards the fields below
	cut     time.Time    // items published before cut are not held
	buckets map[int64][]*Item
	strs    map[string]string // interned terms, wards, rules: items repeat them
}

// factsKept covers a spike rule's 7 past days and a window of up to a day.
const factsKept = 9 * 24 * time.Hour

func newFactIndex(now time.Time, keep time.Duration) *factIndex {
	return &factIndex{keep: keep, cut: now.Add(-keep), buckets: map[int64][]*Item{}, strs: map[string]string{}}
}

func hourOf(t time.Time) int64 { return t.Unix() / 3600 }

// add holds the grouping fields of a stored item published after the cut.
func (f *factIndex) add(it *Item) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if it.PublishedAt.Before(f.cut) {
		return
	}
	fact := &Item{PublishedAt: it.PublishedAt, Topic: it.Topic, Category: f.intern(it.Category), Source: f.intern(it.Source),
		Sentiment: Sentiment{Label: f.intern(it.Sentiment.Label)}, Rules: f.internAll(it.Rules), Terms: f.internAll(it.Terms),
		Wards: f.internAll(it.Wards)}
	h := hourOf(it.PublishedAt)
	f.buckets[h] = append(f.buckets[h], fact)
}

func (f *factIndex) intern(s string) string {
	if v, ok := f.strs[s]; ok {
		return v
	}
	f.strs[s] = s
	return s
}

func (f *factIndex) internAll(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = f.intern(s)
	}
	return out
}

// prune forgets the items published before now minus keep.
func (f *factIndex) prune(now time.Time) {
	cut := now.Add(-f.keep)
	f.mu.Lock()
	defer f.mu.Unlock()
	if hourOf(cut) <= hourOf(f.cut) {
		return
	}
	for h := range f.buckets {
		if h < hourOf(cut) {
			delete(f.buckets, h)
		}
	}
	f.cut = time.Unix(hourOf(cut)*3600, 0)
}

// each calls visit with every held item published in [from, to) that has every filter
// value; ok is false when the index does not hold the whole range (the store must answer).
func (f *factIndex) each(from, to time.Time, filter map[string]string, visit func(*Item)) (ok bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if from.Before(f.cut) {
		return false
	}
	for h := hourOf(from); h <= hourOf(to); h++ {
		for _, it := range f.buckets[h] {
			if !it.PublishedAt.Before(from) && it.PublishedAt.Before(to) && hasAll(it, filter) {
				visit(it)
			}
		}
	}
	return true
}

// hasAll reports whether it has every dimension value of filter.
func hasAll(it *Item, filter map[string]string) bool {
	for dim, v := range filter {
		if !slices.Contains(groupsOf(it, dim), v) {
			return false
		}
	}
	return true
}
