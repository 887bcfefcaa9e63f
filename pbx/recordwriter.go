package pbx

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Record writer tuning.
const (
	recordBatch        = 256              // call records per round (inserts: one command)
	recordUpdateBatch  = 64               // updates per bulk command (each is one statement on FerretDB)
	recordWriteTimeout = 60 * time.Second // one write command (a timed-out command may still run on the server)
	recordBackoffMin   = 100 * time.Millisecond
	recordBackoffMax   = 5 * time.Second
	recordDrain        = 20 * time.Second // shutdown: time to write what is queued
)

// recordSink is where the writer puts call records: the calls collection, or a test's
// slow and failing wrapper around it. Every write names one document by its bare _id
// (FerretDB 1.24 scans the whole collection for any other filter).
type recordSink interface {
	// InsertMany inserts new records, unordered.
	InsertMany(ctx context.Context, docs []any) error
	// BulkWrite applies updates by _id, unordered.
	BulkWrite(ctx context.Context, models []mongo.WriteModel) error
	// Exists reports whether the record with _id id is in the store.
	Exists(id CallID) (bool, error)
}

// collSink is the calls collection.
type collSink struct{ c *mongo.Collection }

func (s collSink) InsertMany(ctx context.Context, docs []any) error {
	_, err := s.c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	return err
}

func (s collSink) BulkWrite(ctx context.Context, models []mongo.WriteModel) error {
	_, err := s.c.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	return err
}

func (s collSink) Exists(id CallID) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), recordWriteTimeout)
	defer cancel()
	err := s.c.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, err
}

// recordWriter is the node's one writer of call records, off the media path. A call hands it
// the record as it is now with the fields that changed and the events to stage; the writer
// coalesces a call's changes that are not written yet (a call whose insert is still queued is
// inserted once, whole, with all its events), writes many calls per command (InsertMany of
// new records, one bulk update by _id of the others) and never drops a change: a failed or
// timed-out write is retried with backoff, merged with what came after it. The queue counts
// calls, not writes; when it holds limit calls the node refuses NEW calls (full reports it),
// so memory stays bounded without losing records of accepted calls. Run drains it on
// shutdown within recordDrain.
type recordWriter struct {
	log      *slog.Logger
	sink     recordSink
	kick     func(ids ...CallID)
	limit    int
	busy     func() bool // calls still in progress (shutdown waits for their last writes)
	drainFor time.Duration

	mu       sync.Mutex
	pending  map[CallID]*recordEntry
	order    []CallID // pending ids, oldest first
	inflight int
	wasFull  bool
	wake     chan struct{}

	written, inserted, failures, refusedFull prometheus.Counter
}

// recordEntry is what is still to be written of one call.
type recordEntry struct {
	id     CallID
	insert bool       // the document is not in the store yet
	unsure bool       // an insert of it failed without an answer: it may be in the store
	snap   CallRecord // the record as it is now (an insert writes it whole)
	set    bson.M     // fields changed since the last write (an update sets them)
	evs    []events.Event
}

func newRecordWriter(log *slog.Logger, sink recordSink, kick func(ids ...CallID), limit int, busy func() bool) *recordWriter {
	return &recordWriter{log: log, sink: sink, kick: kick, limit: limit, busy: busy, drainFor: recordDrain,
		pending: map[CallID]*recordEntry{}, wake: make(chan struct{}, 1),
		written: prometheus.NewCounter(prometheus.CounterOpts{Name: "pbx_call_record_writes_total",
			Help: "Call record changes written to the store (one per call and write)."}),
		inserted: prometheus.NewCounter(prometheus.CounterOpts{Name: "pbx_call_records_inserted_total",
			Help: "Call records created in the store (one per accepted call)."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "pbx_call_record_write_failures_total",
			Help: "Failed call record write commands (retried, nothing dropped)."}),
		refusedFull: prometheus.NewCounter(prometheus.CounterOpts{Name: "pbx_calls_refused_record_backlog_total",
			Help: "New calls refused with 503 because the call record queue was full."}),
	}
}

// collectors are the writer's metrics.
func (w *recordWriter) collectors() []prometheus.Collector {
	backlog := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pbx_call_record_backlog",
		Help: "Calls whose record changes wait to be written."}, func() float64 { return float64(w.backlog()) })
	return []prometheus.Collector{w.written, w.inserted, w.failures, w.refusedFull, backlog}
}

// backlog is the number of calls with changes not yet written.
func (w *recordWriter) backlog() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending) + w.inflight
}

// full reports whether the queue holds limit calls: the node then refuses new calls. It
// logs an error when the queue becomes full.
func (w *recordWriter) full() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	full := len(w.pending)+w.inflight >= w.limit
	if full {
		w.refusedFull.Inc()
		if !w.wasFull {
			w.log.Error("call record queue full: refusing new calls until the store catches up",
				"queued_calls", len(w.pending)+w.inflight, "limit", w.limit)
		}
	}
	w.wasFull = full
	return full
}

// insert queues a new record with its first events.
func (w *recordWriter) insert(r CallRecord, evs ...events.Event) {
	w.put(&recordEntry{id: r.ID, insert: true, snap: r, set: bson.M{}, evs: evs})
}

// update queues changed fields of a record (snap is the whole record as it is now) and
// events to stage with them.
func (w *recordWriter) update(snap CallRecord, set bson.M, evs ...events.Event) {
	w.put(&recordEntry{id: snap.ID, snap: snap, set: set, evs: evs})
}

func (w *recordWriter) put(e *recordEntry) {
	w.mu.Lock()
	if old, ok := w.pending[e.id]; ok {
		old.merge(e)
	} else {
		w.pending[e.id] = e
		w.order = append(w.order, e.id)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// merge adds the later changes n to e.
func (e *recordEntry) merge(n *recordEntry) {
	e.snap = n.snap
	for k, v := range n.set {
		e.set[k] = v
	}
	e.evs = append(e.evs, n.evs...)
}

// requeue puts back entries whose write failed, ahead of what came after them.
func (w *recordWriter) requeue(failed []*recordEntry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inflight -= len(failed)
	front := make([]CallID, 0, len(failed))
	for _, e := range failed {
		if later, ok := w.pending[e.id]; ok {
			// Changes that came while e was in flight go after it.
			e.merge(later)
			w.pending[e.id] = e
			continue
		}
		w.pending[e.id] = e
		front = append(front, e.id)
	}
	w.order = append(front, w.order...)
}

// take removes up to n entries, oldest first.
func (w *recordWriter) take(n int) []*recordEntry {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*recordEntry, 0, min(n, len(w.order)))
	i := 0
	for ; i < len(w.order) && len(out) < n; i++ {
		id := w.order[i]
		if e, ok := w.pending[id]; ok {
			delete(w.pending, id)
			out = append(out, e)
		}
	}
	w.order = w.order[i:]
	if len(w.order) == 0 {
		w.order = nil
	}
	w.inflight += len(out)
	return out
}

// Run writes until ctx ends, then drains the queue (calls still ending included) for at
// most recordDrain and logs what it could not write.
func (w *recordWriter) Run(ctx context.Context) error {
	backoff := time.Duration(0)
	for {
		if backoff > 0 {
			select {
			case <-ctx.Done():
				return w.drain()
			case <-time.After(backoff):
			}
		} else if w.backlog() == 0 {
			select {
			case <-ctx.Done():
				return w.drain()
			case <-w.wake:
			}
		}
		if w.flush() {
			backoff = 0
		} else {
			backoff = min(max(2*backoff, recordBackoffMin), recordBackoffMax)
		}
	}
}

func (w *recordWriter) drain() error {
	deadline := time.Now().Add(w.drainFor)
	backoff := recordBackoffMin
	for time.Now().Before(deadline) {
		if w.backlog() == 0 {
			if w.busy == nil || !w.busy() {
				return nil
			}
			select {
			case <-w.wake:
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		if !w.flush() {
			time.Sleep(backoff)
			backoff = min(2*backoff, recordBackoffMax)
		}
	}
	if n := w.backlog(); n > 0 {
		w.log.Error("call records not written at shutdown", "calls", n)
	}
	return nil
}

// flush writes one batch; it reports false when some write failed (requeued).
func (w *recordWriter) flush() bool {
	batch := w.take(recordBatch)
	if len(batch) == 0 {
		return true
	}
	var ins, rep, upd []*recordEntry
	for _, e := range batch {
		if e.insert && e.unsure {
			rep = append(rep, e)
		} else if e.insert {
			ins = append(ins, e)
		} else if len(e.set) > 0 || len(e.evs) > 0 {
			upd = append(upd, e)
		} else {
			w.done(e)
		}
	}
	var failed []*recordEntry
	if len(ins) > 0 {
		failed = append(failed, w.writeInserts(ins)...)
	}
	if len(rep) > 0 {
		failed = append(failed, w.writeUnsure(rep)...)
	}
	if len(upd) > 0 {
		failed = append(failed, w.writeUpdates(upd)...)
	}
	if len(failed) > 0 {
		w.requeue(failed)
		return false
	}
	return true
}

// done counts e written.
func (w *recordWriter) done(e *recordEntry) {
	w.mu.Lock()
	w.inflight--
	w.mu.Unlock()
}

func (e *recordEntry) doc() CallRecord {
	d := e.snap
	d.Outbox = events.NewOutbox(e.evs...)
	return d
}

func (w *recordWriter) writeInserts(es []*recordEntry) []*recordEntry {
	docs := make([]any, len(es))
	for i, e := range es {
		docs[i] = e.doc()
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordWriteTimeout)
	defer cancel()
	err := w.sink.InsertMany(ctx, docs)
	bad, all := writeErrors(err)
	var failed, replace []*recordEntry
	var ok []CallID
	for i, e := range es {
		switch werr, hit := bad[i]; {
		case all:
			// No answer: the store may have written it. Sent again as a replacement by
			// _id with upsert (an insert would meet duplicates, which FerretDB handles slowly).
			e.unsure = true
			failed = append(failed, e)
		case hit && werr.Code == 11000:
			replace = append(replace, e)
		case hit:
			failed = append(failed, e)
		default:
			ok = append(ok, e.id)
		}
	}
	if len(failed) > 0 {
		w.failures.Inc()
		w.log.Error("write call records (retrying)", "calls", len(failed), "err", err)
	}
	w.inserted.Add(float64(len(ok)))
	w.succeeded(ok)
	if len(replace) > 0 {
		failed = append(failed, w.writeWhole(replace)...)
	}
	return failed
}

// writeUnsure writes records whose insert got no answer: each is looked up by _id (a
// replacement or an upsert, or an insert meeting duplicates, is slow on FerretDB 1.24);
// those found get all their fields set and their events staged, the others are inserted.
func (w *recordWriter) writeUnsure(es []*recordEntry) []*recordEntry {
	var ins, present, failed []*recordEntry
	for _, e := range es {
		found, err := w.sink.Exists(e.id)
		switch {
		case err != nil:
			failed = append(failed, e)
		case found:
			present = append(present, e)
		default:
			e.unsure = false
			ins = append(ins, e)
		}
	}
	if len(failed) > 0 {
		w.failures.Inc()
		w.log.Error("look up call records (retrying)", "calls", len(failed))
	}
	if len(ins) > 0 {
		failed = append(failed, w.writeInserts(ins)...)
	}
	if len(present) > 0 {
		failed = append(failed, w.writeWhole(present)...)
	}
	return failed
}

// writeWhole sets every field of records already in the store and stages their events.
func (w *recordWriter) writeWhole(es []*recordEntry) []*recordEntry {
	var failed, upd []*recordEntry
	for _, e := range es {
		set, err := wholeSet(e.snap)
		if err != nil {
			w.log.Error("call record", "call", e.id, "err", err)
			failed = append(failed, e)
			continue
		}
		maps.Copy(set, e.set)
		upd = append(upd, &recordEntry{id: e.id, snap: e.snap, set: set, evs: e.evs})
	}
	out := w.writeUpdates(upd)
	for _, u := range out {
		for _, e := range es {
			if e.id == u.id {
				failed = append(failed, e)
			}
		}
	}
	if len(out) == 0 {
		w.inserted.Add(float64(len(upd)))
	}
	return failed
}

// wholeSet is every field of r but its _id and outbox, for a $set.
func wholeSet(r CallRecord) (bson.M, error) {
	r.Outbox = events.Outbox{}
	b, err := bson.Marshal(r)
	if err != nil {
		return nil, err
	}
	var m bson.M
	if err := bson.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "_id")
	return m, nil
}

func (w *recordWriter) writeUpdates(es []*recordEntry) []*recordEntry {
	var failed []*recordEntry
	for len(es) > 0 {
		n := min(len(es), recordUpdateBatch)
		failed = append(failed, w.writeUpdateChunk(es[:n])...)
		es = es[n:]
	}
	return failed
}

func (w *recordWriter) writeUpdateChunk(es []*recordEntry) []*recordEntry {
	models := make([]mongo.WriteModel, len(es))
	for i, e := range es {
		models[i] = mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": e.id}).SetUpdate(stageDoc(e.set, e.evs...))
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordWriteTimeout)
	defer cancel()
	err := w.sink.BulkWrite(ctx, models)
	bad, all := writeErrors(err)
	var failed []*recordEntry
	var ok []CallID
	for i, e := range es {
		if _, hit := bad[i]; all || hit {
			failed = append(failed, e)
			continue
		}
		ok = append(ok, e.id)
	}
	if len(failed) > 0 {
		w.failures.Inc()
		w.log.Error("update call records (retrying)", "calls", len(failed), "err", err)
	}
	w.succeeded(ok)
	return failed
}

func (w *recordWriter) succeeded(ids []CallID) {
	if len(ids) == 0 {
		return
	}
	w.mu.Lock()
	w.inflight -= len(ids)
	w.mu.Unlock()
	w.written.Add(float64(len(ids)))
	if w.kick != nil {
		w.kick(ids...)
	}
}

// writeErrors splits a write's error: the failed documents by index, or all when the
// command itself failed (timeout, connection).
func writeErrors(err error) (map[int]mongo.BulkWriteError, bool) {
	if err == nil {
		return nil, false
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && bwe.WriteConcernError == nil && len(bwe.WriteErrors) > 0 {
		out := make(map[int]mongo.BulkWriteError, len(bwe.WriteErrors))
		for _, we := range bwe.WriteErrors {
			out[we.Index] = we
		}
		return out, false
	}
	return nil, true
}
