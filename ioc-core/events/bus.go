package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"
)

// Collections of the event log.
const (
	LogCollection        = "events"
	cursorCollection     = "event_cursors"
	deadLetterCollection = "event_deadletters"
	queueCollection      = "event_queue"
)

// pollInterval bounds how late the relay and consumers notice writes made by another node.
const pollInterval = 500 * time.Millisecond

// Handler processes one event. It must be idempotent: after a crash an event may come again.
type Handler func(ctx context.Context, ev Event) error

// Bus relays staged events into the log and feeds the consumers. Sources and consumers are
// registered before Run; Kick, Publish and Read may be called at any time.
type Bus struct {
	st  *store.Store
	log *slog.Logger

	mu        sync.Mutex
	sources   []string
	consumers []*consumer

	kick     chan struct{}
	hints    map[Ref]struct{} // documents known to have staged events; guarded by mu
	hintQ    []Ref            // the same, in the order they were kicked; guarded by mu
	stopping atomic.Bool      // the node is stopping: the relay leaves what it can for the next start
	fullScan bool             // a writer kicked without naming its document; guarded by mu
	appended notifier
	nextSeq  int64 // owned by the relay goroutine
	recent   tail  // the newest events, on FerretDB
}

// Ref names a document that staged events.
type Ref struct {
	Coll string
	ID   any // the document's _id: a string or an ObjectID
}

// NewBus returns a bus on st. Its own queue collection is a source from the start.
func NewBus(st *store.Store, log *slog.Logger) *Bus {
	b := &Bus{st: st, log: log, kick: make(chan struct{}, 1), hints: map[Ref]struct{}{}, fullScan: true}
	b.sources = []string{queueCollection}
	return b
}

// Init creates the indexes of the log and of every source registered so far.
func (b *Bus) Init(ctx context.Context) error {
	if err := b.st.EnsureIndexes(ctx, LogCollection, store.UniqueIndex("seq"), store.Index("type", "seq")); err != nil {
		return err
	}
	for _, s := range b.sourceList() {
		if err := b.st.EnsureIndexes(ctx, s, store.Index(fieldPending)); err != nil {
			return err
		}
	}
	return nil
}

// Source registers a collection whose documents stage events.
func (b *Bus) Source(coll string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sources = append(b.sources, coll)
}

func (b *Bus) sourceList() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.sources...)
}

// Kick tells the relay that a write staged events in the documents refs. It never blocks.
// Name the documents: the embedded store answers only _id lookups from its tables and scans
// a whole collection for any other filter, so a Kick without refs costs a scan of every source.
func (b *Bus) Kick(refs ...Ref) {
	b.mu.Lock()
	if len(refs) == 0 {
		b.fullScan = true
	}
	b.addHints(refs)
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// addHints queues refs not queued yet; b.mu must be held.
func (b *Bus) addHints(refs []Ref) {
	for _, r := range refs {
		if _, ok := b.hints[r]; !ok {
			b.hints[r] = struct{}{}
			b.hintQ = append(b.hintQ, r)
		}
	}
}

// takeHints removes and returns up to n of the oldest hints; b.mu must be held.
func (b *Bus) takeHints(n int) []Ref {
	n = min(n, len(b.hintQ))
	out := append([]Ref(nil), b.hintQ[:n]...)
	b.hintQ = b.hintQ[n:]
	if len(b.hintQ) == 0 {
		b.hintQ = nil // let the array go
	}
	for _, r := range out {
		delete(b.hints, r)
	}
	return out
}

// Publish stores events that belong to no document of their own (a presence change, a
// live call state) durably, then kicks the relay.
func (b *Bus) Publish(ctx context.Context, evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	doc := struct {
		ID     string `bson:"_id"`
		Outbox `bson:",inline"`
	}{ID: evs[0].ID, Outbox: NewOutbox(evs...)}
	if _, err := b.st.C(queueCollection).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("publish %s: %w", evs[0].Type, err)
	}
	b.Kick(Ref{Coll: queueCollection, ID: doc.ID})
	return nil
}

// Subscribe registers a consumer with a durable cursor under name. It receives the events
// whose type starts with one of prefixes (all events when none are given), in log order.
func (b *Bus) Subscribe(name string, h Handler, prefixes ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.consumers = append(b.consumers, &consumer{name: name, prefixes: prefixes, handle: h, bus: b})
}

// Read returns up to limit events of the log after seq, in order, optionally only those whose
// type starts with prefix.
func (b *Bus) Read(ctx context.Context, after int64, limit int, prefix string) ([]Event, error) {
	if evs, ok := b.recent.read(after, limit, prefix); ok {
		return evs, nil
	}
	filter := bson.M{"seq": bson.M{"$gt": after}}
	if prefix != "" {
		filter["type"] = bson.M{"$regex": "^" + regexpQuote(prefix)}
	}
	cur, err := b.st.C(LogCollection).Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("read events after %d: %w", after, err)
	}
	var evs []Event
	if err := cur.All(ctx, &evs); err != nil {
		return nil, fmt.Errorf("read events after %d: %w", after, err)
	}
	return evs, nil
}

// Run relays and consumes until ctx ends, then drains what the relay had started.
func (b *Bus) Run(ctx context.Context) error {
	if err := b.loadSeq(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return err
	}
	if b.st.FerretDB {
		b.recent.reset(b.nextSeq)
	}
	stopWatch := context.AfterFunc(ctx, func() { b.stopping.Store(true) })
	defer stopWatch()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.relayLoop(ctx) })
	b.mu.Lock()
	cs := append([]*consumer(nil), b.consumers...)
	b.mu.Unlock()
	for _, c := range cs {
		g.Go(func() error { return c.run(ctx) })
	}
	return g.Wait()
}

func (b *Bus) loadSeq(ctx context.Context) error {
	var last Event
	err := b.st.C(LogCollection).FindOne(ctx, bson.M{},
		options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})).Decode(&last)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("load last event seq: %w", err)
	}
	b.nextSeq = last.Seq + 1
	return nil
}

func (b *Bus) relayLoop(ctx context.Context) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		// A relay pass uses a context that outlives shutdown briefly, so staged events
		// read before the stop are written whole.
		moved, err := b.relayPass(context.WithoutCancel(ctx))
		if err != nil && ctx.Err() == nil {
			b.log.Error("event relay", "err", err)
		}
		if moved > 0 {
			b.appended.broadcast()
			if ctx.Err() != nil {
				return nil // the rest stays staged in its documents for the next start
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-b.kick:
		case <-t.C:
			// Other nodes write to a shared MongoDB, where the pending flag is indexed;
			// the embedded store has only this process as its writer.
			if !b.st.Embedded {
				b.mu.Lock()
				b.fullScan = true
				b.mu.Unlock()
			}
		}
	}
}

// hintsPerPass bounds the documents one relay pass takes, so that consumers hear of the first
// events of a burst without waiting for the whole burst, and a stop waits for one pass only.
const hintsPerPass = 256

// loadConcurrency bounds the reads of hinted documents in one pass.
const loadConcurrency = 8

// relayPass relays the oldest hinted documents, and every source when a full scan is due.
func (b *Bus) relayPass(ctx context.Context) (int, error) {
	b.mu.Lock()
	full := b.fullScan
	b.fullScan = false
	hints := b.takeHints(hintsPerPass)
	more := len(b.hintQ) > 0
	b.mu.Unlock()
	if more {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	moved := 0
	if full {
		n, err := b.relayOnce(ctx)
		if err != nil {
			b.requeue(true, hints)
			return n, err
		}
		if n > 0 {
			b.requeue(true, nil) // scan again until a scan finds nothing: a batch has a limit
		}
		moved += n
	}
	staged := make([]*stagedDoc, len(hints))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(loadConcurrency)
	for i, r := range hints {
		g.Go(func() error {
			var d stagedDoc
			err := b.st.C(r.Coll).FindOne(gctx, bson.M{"_id": r.ID},
				options.FindOne().SetProjection(bson.M{fieldStaged: 1, fieldRev: 1, fieldPending: 1})).Decode(&d)
			if store.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("load staged events of %s %v: %w", r.Coll, r.ID, err)
			}
			if d.Pending {
				staged[i] = &d
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.requeue(false, hints)
		return moved, err
	}
	var colls []string
	byColl := map[string][]stagedDoc{}
	for i, d := range staged {
		if d == nil {
			continue
		}
		coll := hints[i].Coll
		if _, seen := byColl[coll]; !seen {
			colls = append(colls, coll)
		}
		byColl[coll] = append(byColl[coll], *d)
	}
	for _, coll := range colls {
		n, err := b.relayDocs(ctx, coll, byColl[coll])
		moved += n
		if err != nil {
			b.requeue(false, hints)
			return moved, err
		}
	}
	return moved, nil
}

// requeue puts back work a failed pass did not finish.
func (b *Bus) requeue(full bool, hints []Ref) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fullScan = b.fullScan || full
	b.addHints(hints)
}

// stagedDoc is the outbox part of any source document.
type stagedDoc struct {
	ID     any `bson:"_id"`
	Outbox `bson:",inline"`
}

// relayOnce moves the staged events of one batch of documents per source into the log.
func (b *Bus) relayOnce(ctx context.Context) (int, error) {
	moved := 0
	for _, src := range b.sourceList() {
		cur, err := b.st.C(src).Find(ctx, bson.M{fieldPending: true},
			options.Find().SetLimit(256).SetProjection(bson.M{fieldStaged: 1, fieldRev: 1, fieldPending: 1}))
		if err != nil {
			return moved, fmt.Errorf("scan %s: %w", src, err)
		}
		var docs []stagedDoc
		if err := cur.All(ctx, &docs); err != nil {
			return moved, fmt.Errorf("scan %s: %w", src, err)
		}
		n, err := b.relayDocs(ctx, src, docs)
		moved += n
		if err != nil {
			return moved, err
		}
	}
	return moved, nil
}

// relayDocs appends the staged events of docs to the log in one write when it can, then
// clears their outboxes in one more.
func (b *Bus) relayDocs(ctx context.Context, src string, docs []stagedDoc) (int, error) {
	if len(docs) == 0 {
		return 0, nil
	}
	var evs []any
	for _, d := range docs {
		for _, ev := range d.Staged {
			ev.Seq = b.nextSeq + int64(len(evs))
			evs = append(evs, ev)
		}
	}
	n := len(evs)
	if n > 0 {
		if _, err := b.st.C(LogCollection).InsertMany(ctx, evs); err == nil {
			b.nextSeq += int64(n)
			b.recent.add(appended(evs))
			b.appended.broadcast() // consumers need not wait for the outboxes to be cleared
		} else {
			// Some were in the log already (a pass cut short), or another relay ran: go one
			// by one from the newest sequence number.
			if err := b.loadSeq(ctx); err != nil {
				return 0, err
			}
			if n, err = b.appendEach(ctx, docs); err != nil {
				return n, fmt.Errorf("relay from %s: %w", src, err)
			}
			b.appended.broadcast()
		}
	}
	// Clear only outboxes that nothing was staged in meanwhile; the others are taken again by
	// the next pass, and their events already in the log are recognised by their ids.
	clear := bson.M{"$set": bson.M{fieldStaged: bson.A{}, fieldPending: false}}
	for _, d := range docs {
		if b.stopping.Load() {
			// Left pending: the next start's full scan finds these, and their events already
			// in the log are recognised by their ids.
			return n, nil
		}
		cleared, err := b.st.UpdateByID(ctx, src, d.ID, bson.M{fieldRev: d.Rev}, clear, nil)
		if err != nil {
			return n, fmt.Errorf("clear outbox in %s: %w", src, err)
		}
		if !cleared {
			b.requeue(false, []Ref{{Coll: src, ID: d.ID}})
			continue
		}
		if src == queueCollection {
			if _, err := b.st.C(src).DeleteOne(ctx, bson.M{"_id": d.ID}); err != nil {
				return n, fmt.Errorf("drop published events: %w", err)
			}
		}
	}
	return n, nil
}

func appended(evs []any) []Event {
	out := make([]Event, len(evs))
	for i, ev := range evs {
		out[i] = ev.(Event)
	}
	return out
}

func (b *Bus) appendEach(ctx context.Context, docs []stagedDoc) (int, error) {
	n := 0
	for _, d := range docs {
		for _, ev := range d.Staged {
			ok, err := b.appendLog(ctx, ev)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
	}
	return n, nil
}

// appendLog inserts ev with the next sequence number. It reports false when ev was already in
// the log (a relay pass interrupted after the insert).
func (b *Bus) appendLog(ctx context.Context, ev Event) (bool, error) {
	for attempt := 0; attempt < 3; attempt++ {
		ev.Seq = b.nextSeq
		_, err := b.st.C(LogCollection).InsertOne(ctx, ev)
		if err == nil {
			b.nextSeq++
			b.recent.add([]Event{ev})
			return true, nil
		}
		if !store.IsDuplicate(err) {
			return false, err
		}
		n, cerr := b.st.C(LogCollection).CountDocuments(ctx, bson.M{"_id": ev.ID})
		if cerr != nil {
			return false, cerr
		}
		if n > 0 {
			return false, nil
		}
		// Another relay took this sequence number: continue after the newest.
		if err := b.loadSeq(ctx); err != nil {
			return false, err
		}
	}
	return false, fmt.Errorf("event %s: no free sequence number after 3 tries", ev.ID)
}

func regexpQuote(s string) string {
	var sb strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			sb.WriteByte('\\')
		}
		sb.WriteRune(r)
	}
	return sb.String()
}
