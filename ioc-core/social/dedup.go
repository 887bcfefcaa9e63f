package social

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// dedupIndex answers the two lookups of every ingested item — by canonical URL and by
// SimHash band — from process memory. It is used on FerretDB, where this node is the only
// writer and where any filter other than a bare _id scans the whole collection. It is
// loaded from the store at start and updated after each insert. Safe for concurrent use.
type dedupIndex struct {
	mu     sync.RWMutex
	byURL  map[string]string // url_key → item id
	bands  map[string][]bandEntry
	window time.Duration
}

type bandEntry struct {
	id      string
	simhash int64
	at      time.Time
}

func newDedupIndex(window time.Duration) *dedupIndex {
	return &dedupIndex{byURL: map[string]string{}, bands: map[string][]bandEntry{}, window: window}
}

// load reads every item's URL key, and the bands of the items of the window, and shows
// each item to visit (with the fields the topic recovery and the alert measures need).
func (d *dedupIndex) load(ctx context.Context, m *Module, visit func(*Item)) error {
	fields := bson.M{"_id": 1, "url_key": 1, "simhash": 1, "bands": 1, "rules": 1, "category": 1, "source": 1}
	maps.Copy(fields, recoveryFields)
	cur, err := m.st.C(ItemsCollection).Find(ctx, bson.M{}, options.Find().SetProjection(fields))
	if err != nil {
		return fmt.Errorf("load the deduplication index: %w", err)
	}
	defer cur.Close(ctx)
	cut := m.now().Add(-d.window)
	for cur.Next(ctx) {
		var it Item
		if err := cur.Decode(&it); err != nil {
			return fmt.Errorf("load the deduplication index: %w", err)
		}
		d.add(&it, cut)
		visit(&it)
	}
	return cur.Err()
}

// add records a stored item (its bands only when published after cut).
func (d *dedupIndex) add(it *Item, cut time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.byURL[it.URLKey] = it.ID
	if it.PublishedAt.Before(cut) {
		return
	}
	for _, b := range it.Bands {
		d.bands[b] = append(d.bands[b], bandEntry{id: it.ID, simhash: it.SimHash, at: it.PublishedAt})
	}
}

func (d *dedupIndex) url(key string) (string, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	id, ok := d.byURL[key]
	return id, ok
}

// near returns the id of an item of the window before it sharing a band with it and within
// maxBits of its SimHash.
func (d *dedupIndex) near(it *Item, maxBits int) (string, bool) {
	cut := it.PublishedAt.Add(-d.window)
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, b := range it.Bands {
		for _, e := range d.bands[b] {
			if !e.at.Before(cut) && Hamming(uint64(e.simhash), uint64(it.SimHash)) <= maxBits {
				return e.id, true
			}
		}
	}
	return "", false
}
