package social

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// batchWriter holds what one ingest batch does to the store: the new items and the
// repeats of items already stored. The batch is judged in order, so a repeat of an item
// earlier in the same batch is a duplicate of it.
type batchWriter struct {
	m       *Module
	id      string      // the batch's id, stored on its items and on the topics it counts
	local   *dedupIndex // the new items of this batch
	fresh   []*Item
	byID    map[string]*Item     // fresh items by id
	repeats map[string]*repeatOf // stored items repeated, by id
}

// repeatOf is how often a stored item was seen again in a batch, with the newest reach.
type repeatOf struct {
	n     int
	reach *Reach
}

// storeBatchLocked deduplicates the analysed candidates (nil for invalid items), stores
// the new ones in one insert and counts them in their topics. The caller holds m.writeMu,
// so this node's index and topic projection see one batch at a time.
func (m *Module) storeBatchLocked(ctx context.Context, in []Incoming, cands []*Item, out []Result) ([]Result, error) {
	b := &batchWriter{m: m, id: m.batches.next(m.now()), local: newDedupIndex(30 * 24 * time.Hour),
		byID: map[string]*Item{}, repeats: map[string]*repeatOf{}}
	for i, it := range cands {
		if it == nil {
			continue
		}
		r, err := b.judge(ctx, it, in[i].Reach)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	if err := b.insert(ctx, out); err != nil {
		return nil, err
	}
	if err := b.countRepeats(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// judge decides whether it is new, a duplicate or a near duplicate; a new item joins its
// topic and the batch.
func (b *batchWriter) judge(ctx context.Context, it *Item, reach *Reach) (Result, error) {
	id, err := b.urlDuplicate(ctx, it.URLKey)
	if err != nil {
		return Result{}, err
	}
	if id != "" {
		b.repeat(id, reach)
		return Result{Status: StatusDuplicate, ID: id, Of: id}, nil
	}
	if !it.analysed { // known to the index when analysis began, gone since: cannot happen on one writer
		b.m.analyzer.Analyze(it)
		it.analysed = true
	}
	if it.words >= minNearDupWords {
		id, err := b.nearDuplicate(ctx, it)
		if err != nil {
			return Result{}, err
		}
		if id != "" {
			b.repeat(id, nil)
			return Result{Status: StatusNearDuplicate, ID: id, Of: id}, nil
		}
	}
	it.Topic, _ = b.m.topics.assign(it.Terms, it.PublishedAt)
	it.Batch = b.id
	b.local.add(it, time.Time{})
	b.fresh = append(b.fresh, it)
	b.byID[it.ID] = it
	return Result{Status: StatusStored, ID: it.ID}, nil
}

// repeat counts one more sighting of item id (stored before or new in this batch).
func (b *batchWriter) repeat(id string, reach *Reach) {
	if it, ok := b.byID[id]; ok {
		it.Duplicates++
		if reach != nil {
			it.Reach = reach
		}
		return
	}
	r := b.repeats[id]
	if r == nil {
		r = &repeatOf{}
		b.repeats[id] = r
	}
	r.n++
	if reach != nil {
		r.reach = reach
	}
}

// urlDuplicate returns the id of the item with URL key key, in this batch or stored.
func (b *batchWriter) urlDuplicate(ctx context.Context, key string) (string, error) {
	if id, ok := b.local.url(key); ok {
		return id, nil
	}
	if b.m.dedup != nil {
		id, _ := b.m.dedup.url(key)
		return id, nil
	}
	dup, err := b.m.storedByURLKey(ctx, key)
	if err != nil || dup == nil {
		return "", err
	}
	return dup.ID, nil
}

// nearDuplicate returns the id of an item of the last 30 days, in this batch or stored,
// whose SimHash is within the configured distance of it's.
func (b *batchWriter) nearDuplicate(ctx context.Context, it *Item) (string, error) {
	if id, ok := b.local.near(it, b.m.cfg.NearDuplicate); ok {
		return id, nil
	}
	if b.m.dedup != nil {
		id, _ := b.m.dedup.near(it, b.m.cfg.NearDuplicate)
		return id, nil
	}
	return b.m.storedNearDuplicate(ctx, it)
}

// insert stores the new items in one unordered insert. An item another node or poller
// stored meanwhile (unique url_key) is reported as a duplicate of the stored one.
func (b *batchWriter) insert(ctx context.Context, out []Result) error {
	if len(b.fresh) == 0 {
		return nil
	}
	docs := make([]any, len(b.fresh))
	for i, it := range b.fresh {
		docs[i] = it
	}
	_, err := b.m.st.C(ItemsCollection).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	lost := map[int]bool{}
	if err != nil {
		var bw mongo.BulkWriteException
		if !errors.As(err, &bw) || bw.WriteConcernError != nil {
			return b.failed(ctx, fmt.Errorf("store %d items: %w", len(docs), err))
		}
		for _, we := range bw.WriteErrors {
			if !mongo.IsDuplicateKeyError(we) {
				return b.failed(ctx, fmt.Errorf("store %d items: %w", len(docs), err))
			}
			lost[we.Index] = true
		}
	}
	var stored, raced []*Item
	for i, it := range b.fresh {
		if lost[i] {
			raced = append(raced, it)
		} else {
			stored = append(stored, it)
		}
	}
	b.m.indexStored(stored)
	b.m.ingested.Add(int64(len(stored)))
	b.m.proj.add(stored)
	for _, it := range raced {
		if err := b.reportRaced(ctx, it, out); err != nil {
			return err
		}
	}
	return nil
}

// failed handles an insert that failed for another reason than duplicates: some items
// may be stored. Those found by _id are indexed and counted like any; when they cannot be
// looked up, topic counting stops until the next start, since a later batch's mark would
// hide them (see projection.go).
func (b *batchWriter) failed(ctx context.Context, err error) error {
	var stored []*Item
	for _, it := range b.fresh {
		lerr := b.m.st.C(ItemsCollection).FindOne(ctx, bson.M{"_id": it.ID}, options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
		switch {
		case lerr == nil:
			stored = append(stored, it)
		case !store.IsNotFound(lerr):
			b.m.proj.stop(errors.Join(err, lerr))
			return err
		}
	}
	b.m.indexStored(stored)
	b.m.proj.add(stored)
	return err
}

// indexStored adds stored items to the in-process indexes (embedded store).
func (m *Module) indexStored(items []*Item) {
	if m.dedup == nil {
		return
	}
	for _, it := range items {
		m.dedup.add(it, time.Time{})
	}
	m.facts.prune(m.now())
	for _, it := range items {
		m.facts.add(it)
	}
}

// reportRaced rewrites the result of an item whose insert lost the race on url_key.
func (b *batchWriter) reportRaced(ctx context.Context, it *Item, out []Result) error {
	dup, err := b.m.storedByURLKey(ctx, it.URLKey)
	if err != nil || dup == nil {
		return errors.Join(fmt.Errorf("reload duplicate %s", it.URLKey), err)
	}
	for i := range out {
		switch {
		case out[i].Status == StatusStored && out[i].ID == it.ID:
			out[i] = Result{Status: StatusDuplicate, ID: dup.ID, Of: dup.ID}
		case out[i].Of == it.ID: // a repeat of it earlier in this batch
			out[i].ID, out[i].Of = dup.ID, dup.ID
		}
	}
	b.repeat(dup.ID, it.Reach)
	b.repeats[dup.ID].n += it.Duplicates
	return nil
}

// countRepeats counts the repeats of stored items, one update per item, refreshing its
// reach when the repeat carries figures (a poll of the same post later).
func (b *batchWriter) countRepeats(ctx context.Context) error {
	for id, r := range b.repeats {
		u := bson.M{"$inc": bson.M{"duplicates": r.n}}
		if r.reach != nil {
			u["$set"] = bson.M{"reach": r.reach}
		}
		if _, err := b.m.st.C(ItemsCollection).UpdateByID(ctx, id, u); err != nil {
			return fmt.Errorf("count duplicate of %s: %w", id, err)
		}
	}
	return nil
}

// storedByURLKey looks an item up by URL key in the store.
func (m *Module) storedByURLKey(ctx context.Context, key string) (*Item, error) {
	var it Item
	err := m.st.C(ItemsCollection).FindOne(ctx, bson.M{"url_key": key}, options.FindOne().SetProjection(bson.M{"_id": 1, "reach": 1})).Decode(&it)
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up item by url: %w", err)
	}
	return &it, nil
}

// storedNearDuplicate looks up by SimHash band, in the store, an item of the last 30 days
// within the configured distance of it (MongoDB, where bands are indexed).
func (m *Module) storedNearDuplicate(ctx context.Context, it *Item) (string, error) {
	cur, err := m.st.C(ItemsCollection).Find(ctx, bson.M{"bands": bson.M{"$in": it.Bands}, "at": bson.M{"$gte": it.PublishedAt.Add(-30 * 24 * time.Hour)}},
		options.Find().SetProjection(bson.M{"_id": 1, "simhash": 1}).SetLimit(200))
	if err != nil {
		return "", fmt.Errorf("near-duplicate lookup: %w", err)
	}
	var cands []Item
	if err := cur.All(ctx, &cands); err != nil {
		return "", fmt.Errorf("near-duplicate lookup: %w", err)
	}
	for i := range cands {
		if Hamming(uint64(cands[i].SimHash), uint64(it.SimHash)) <= m.cfg.NearDuplicate {
			return cands[i].ID, nil
		}
	}
	return "", nil
}
