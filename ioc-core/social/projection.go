package social

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The topic projection: a topic document holds the figures of its items (count,
// sentiment split, term and ward counts, first and last time). Items are the truth; a
// batch's items are stored first, then each topic they join is updated once, in one
// single-document write that also raises the topic's `batch` to the batch's id. Batch ids
// are ObjectIDs made under the module's write lock, so they grow in the order batches are
// written: an item counts in its topic exactly when the topic's batch is not older than
// the item's. The topic writes happen in the background (projector), several batches at
// a time. Items stored but not counted (a crash, or a store error, between the item
// insert and the topic write) are counted at the next start by recoverTopics. With one
// writer (the embedded store, or one node on MongoDB) this is exact.

// topicDelta is what a set of items adds to one topic.
type topicDelta struct {
	items     int
	sentiment map[string]int
	terms     map[string]int
	wards     map[string]int
	first     time.Time
	last      time.Time
	batch     string
	of        []*Item // the items it counts
}

func (d *topicDelta) add(it *Item) {
	if d.items == 0 || it.PublishedAt.Before(d.first) {
		d.first = it.PublishedAt
	}
	if it.PublishedAt.After(d.last) {
		d.last = it.PublishedAt
	}
	d.items++
	d.sentiment[it.Sentiment.Label]++
	for _, t := range it.Terms {
		d.terms[t]++
	}
	for _, w := range it.Wards {
		d.wards[w]++
	}
	d.batch = max(d.batch, it.Batch)
	d.of = append(d.of, it)
}

// update is the single-document write that applies d.
func (d *topicDelta) update() bson.M {
	inc := bson.M{"items": d.items}
	for _, k := range slices.Sorted(maps.Keys(d.sentiment)) {
		inc["sentiment."+k] = d.sentiment[k]
	}
	for t, n := range d.terms {
		inc["term_counts."+t] = n
	}
	for w, n := range d.wards {
		inc["wards."+w] = n
	}
	return bson.M{"$inc": inc, "$min": bson.M{"first_at": d.first}, "$max": bson.M{"last_at": d.last, "batch": d.batch}}
}

// deltas groups items by topic.
func deltas(items []*Item) map[string]*topicDelta {
	out := map[string]*topicDelta{}
	for _, it := range items {
		if it.Topic == "" {
			continue
		}
		d := out[it.Topic]
		if d == nil {
			d = &topicDelta{sentiment: map[string]int{}, terms: map[string]int{}, wards: map[string]int{}}
			out[it.Topic] = d
		}
		d.add(it)
	}
	return out
}

// projector counts stored items in their topics in the background: a batch's items are
// queued after its insert (in batch order, under m.writeMu) and each flush applies all
// queued batches with one write per topic, so a burst of batches costs one write per
// topic, not per batch. Reads of topics flush first. A failed write is judged by the
// topic's mark: applied, or queued again (in front) with the topics not yet written, for
// the next flush. When the mark cannot be read, nothing more is counted until the next
// start (a later mark would hide the failed items), when recoverTopics counts them. Safe
// for concurrent use.
type projector struct {
	m       *Module
	kick    chan struct{}
	flushMu sync.Mutex // one flush at a time: deltas are applied in batch order

	mu      sync.Mutex // guards the fields below
	pending []*Item
	stopped bool
}

func newProjector(m *Module) *projector {
	return &projector{m: m, kick: make(chan struct{}, 1)}
}

// add queues the stored items of a batch. The caller holds m.writeMu.
func (p *projector) add(items []*Item) {
	if len(items) == 0 {
		return
	}
	p.mu.Lock()
	p.pending = append(p.pending, items...)
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run flushes whenever batches are queued, and once more at shutdown.
func (p *projector) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = p.flush(fctx)
			return nil
		case <-p.kick:
			_ = p.flush(ctx)
		}
	}
}

// flush applies every queued item to its topic.
func (p *projector) flush(ctx context.Context) error {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	items, stopped := p.pending, p.stopped
	p.pending = nil
	p.mu.Unlock()
	if stopped || len(items) == 0 {
		return nil
	}
	var undone []*Item
	var failed error
	for id, d := range deltas(items) {
		if failed == nil {
			err := p.m.applyDelta(ctx, id, d)
			if err == nil {
				continue
			}
			// The update is one document with its mark: the mark tells whether it was applied.
			applied, cerr := p.m.topicCounted(ctx, id, d.batch)
			if cerr != nil {
				p.stop(errors.Join(err, cerr))
				return err
			}
			if applied {
				continue
			}
			failed = err
		}
		undone = append(undone, d.of...)
	}
	if failed != nil { // retried at the next flush (the last one runs at shutdown)
		p.mu.Lock()
		p.pending = append(undone, p.pending...)
		p.mu.Unlock()
		if ctx.Err() == nil { // not a shutdown or a caller gone
			p.m.log.Warn("topic counting deferred", "items", len(undone), "err", failed)
		}
	}
	return failed
}

// topicCounted reports whether topic's mark has reached batch (read even when ctx ended).
func (m *Module) topicCounted(ctx context.Context, topic, batch string) (bool, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var t struct {
		Batch string `bson:"batch"`
	}
	err := m.st.C(TopicsCollection).FindOne(rctx, bson.M{"_id": topic}, options.FindOne().SetProjection(bson.M{"batch": 1})).Decode(&t)
	if store.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the mark of topic %s: %w", topic, err)
	}
	return t.Batch >= batch, nil
}

// stop ends topic counting until the next start, when recoverTopics counts what was missed.
func (p *projector) stop(err error) {
	p.mu.Lock()
	p.stopped, p.pending = true, nil
	p.mu.Unlock()
	p.m.log.Error("topic counting stopped until the next start", "err", err)
}

// batchSeq makes batch ids: "s" and 16 hex digits of a number that grows with every batch
// (the clock in nanoseconds, or one more than the last when the clock is behind it), so
// ids compare as strings in the order batches are written, even across a clock step back
// or a restart (the sequence starts above every mark and batch found at start). Ids of
// this form sort after the ObjectID hex ids of earlier versions. Safe for concurrent use.
type batchSeq struct {
	mu   sync.Mutex
	last uint64
}

func (q *batchSeq) next(now time.Time) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.last = max(q.last+1, uint64(now.UnixNano()))
	return fmt.Sprintf("s%016x", q.last)
}

// observe raises the sequence above a stored batch id.
func (q *batchSeq) observe(id string) {
	var n uint64
	if _, err := fmt.Sscanf(id, "s%016x", &n); err != nil {
		return
	}
	q.mu.Lock()
	q.last = max(q.last, n)
	q.mu.Unlock()
}

func (m *Module) applyDelta(ctx context.Context, topic string, d *topicDelta) error {
	_, err := m.st.C(TopicsCollection).UpdateByID(ctx, topic, d.update(), options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("count topic %s: %w", topic, err)
	}
	return nil
}

// topicRecovery finds the stored items a topic does not count yet.
type topicRecovery struct {
	marks   map[string]string // topic → its batch mark
	pending []*Item
	seq     *batchSeq // raised above every batch seen
}

// loadTopicMarks reads every topic's batch mark.
func (m *Module) loadTopicMarks(ctx context.Context) (*topicRecovery, error) {
	cur, err := m.st.C(TopicsCollection).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1, "batch": 1}))
	if err != nil {
		return nil, fmt.Errorf("load topic marks: %w", err)
	}
	var ts []struct {
		ID    string `bson:"_id"`
		Batch string `bson:"batch"`
	}
	if err := cur.All(ctx, &ts); err != nil {
		return nil, fmt.Errorf("load topic marks: %w", err)
	}
	r := &topicRecovery{marks: map[string]string{}, seq: &m.batches}
	for _, t := range ts {
		r.marks[t.ID] = t.Batch
		r.seq.observe(t.Batch)
	}
	return r, nil
}

// visit keeps it when its topic does not count it.
func (r *topicRecovery) visit(it *Item) {
	r.seq.observe(it.Batch)
	if it.Topic != "" && it.Batch != "" && it.Batch > r.marks[it.Topic] {
		r.pending = append(r.pending, it)
	}
}

// recoveryFields are the item fields the recovery needs.
var recoveryFields = bson.M{"topic": 1, "batch": 1, "sentiment.label": 1, "terms": 1, "wards": 1, "at": 1}

// recoveryWindow is how far back a start looks for uncounted items on MongoDB (on the
// embedded store it reads every item anyway, for the deduplication index).
const recoveryWindow = 7 * 24 * time.Hour

// recoverTopics counts the pending items in their topics.
func (m *Module) recoverTopics(ctx context.Context, r *topicRecovery) error {
	for id, d := range deltas(r.pending) {
		if err := m.applyDelta(ctx, id, d); err != nil {
			return err
		}
	}
	if len(r.pending) > 0 {
		m.log.Info("counted items missing from their topics", "items", len(r.pending))
	}
	return nil
}

// recoverTopicsFromStore finds and counts the uncounted items of the recovery window
// (MongoDB: batch is indexed).
func (m *Module) recoverTopicsFromStore(ctx context.Context) error {
	r, err := m.loadTopicMarks(ctx)
	if err != nil {
		return err
	}
	cut := fmt.Sprintf("s%016x", m.now().Add(-recoveryWindow).UnixNano())
	cur, err := m.st.C(ItemsCollection).Find(ctx, bson.M{"batch": bson.M{"$gte": cut}}, options.Find().SetProjection(recoveryFields))
	if err != nil {
		return fmt.Errorf("find uncounted items: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var it Item
		if err := cur.Decode(&it); err != nil {
			return fmt.Errorf("find uncounted items: %w", err)
		}
		r.visit(&it)
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("find uncounted items: %w", err)
	}
	return m.recoverTopics(ctx, r)
}
