package pbx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// flakySink is the real calls collection behind a store that is slow and fails: every
// failEvery-th command fails before writing, the second and every lostEvery-th one write and
// then lose their answer (as a timeout does), and each command takes delay longer. (The
// writer coalesces: on a loaded machine a run may make only a few commands, and both kinds of
// failure must still happen.)
type flakySink struct {
	inner                collSink
	delay                time.Duration
	failEvery, lostEvery int64
	n, fails, lost       atomic.Int64
}

var errInjected = errors.New("injected: context deadline exceeded")

func (s *flakySink) step(ctx context.Context, write func() error) error {
	time.Sleep(s.delay)
	n := s.n.Add(1)
	if fe := atomic.LoadInt64(&s.failEvery); fe > 0 && n%fe == 0 {
		s.fails.Add(1)
		return errInjected
	}
	err := write()
	if err == nil && s.lostEvery > 0 && (n == 2 || n%s.lostEvery == 0) {
		s.lost.Add(1)
		return errInjected
	}
	return err
}

func (s *flakySink) InsertMany(ctx context.Context, docs []any) error {
	return s.step(ctx, func() error { return s.inner.InsertMany(ctx, docs) })
}

func (s *flakySink) Exists(id CallID) (bool, error) { return s.inner.Exists(id) }

func (s *flakySink) BulkWrite(ctx context.Context, models []mongo.WriteModel) error {
	return s.step(ctx, func() error { return s.inner.BulkWrite(ctx, models) })
}

// TestRecordWriterLosesNothing pushes the records of many calls (insert, IVR exit, queued,
// end) from concurrent calls through the writer onto a slow store that fails commands and
// loses answers of commands it applied, then stops the writer (shutdown drain): every
// record is in the store with its final state and every event of its call.
func TestRecordWriterLosesNothing(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	coll := srv.App.Core.Store.C(callsCollection)
	sink := &flakySink{inner: collSink{coll}, delay: 5 * time.Millisecond, failEvery: 3, lostEvery: 7}
	var kicked atomic.Int64
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	active := atomic.Int64{}
	w := newRecordWriter(log, sink, func(ids ...CallID) { kicked.Add(int64(len(ids))) }, 100000,
		func() bool { return active.Load() > 0 })
	w.drainFor = 90 * time.Second // a loaded test machine; the node's own is recordDrain
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	const calls, workers = 600, 12
	ids := make([]CallID, calls)
	var wg sync.WaitGroup
	active.Add(workers)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer active.Add(-1)
			for i := g; i < calls; i += workers {
				ids[i] = CallID(bson.NewObjectID().Hex())
				r := CallRecord{ID: ids[i], Caller: fmt.Sprintf("09%08d", i), DID: "1022", Path: []Step{},
					ArrivedAt: time.Now().UTC().Truncate(time.Millisecond)}
				w.insert(r, r.event("call.arrived"))
				if i%2 == 0 {
					time.Sleep(time.Millisecond) // some inserts are written before the updates come
				}
				r.Path = append(r.Path, Step{Menu: "main", Digits: "1", At: r.ArrivedAt})
				r.IVRExitedAt = ptr(r.ArrivedAt)
				w.update(r, bson.M{"ivr_exited_at": r.IVRExitedAt, "path": r.Path}, r.event("call.ivr_exited"))
				r.Queue, r.QueuedAt = "hotline", ptr(r.ArrivedAt)
				w.update(r, bson.M{"queue": r.Queue, "queued_at": r.QueuedAt}, r.event("call.queued"))
				r.Outcome, r.HangupBy, r.EndedAt, r.WaitS = OutcomeAbandoned, "caller", ptr(r.ArrivedAt), 1.5
				w.update(r, bson.M{"outcome": r.Outcome, "hangup_by": r.HangupBy, "ended_at": r.EndedAt, "wait_s": r.WaitS},
					r.event("call.abandoned"), r.event("call.ended"))
			}
		}()
	}
	// Shut down while the last calls are still ending: the drain writes them.
	time.Sleep(50 * time.Millisecond)
	cancel()
	wg.Wait()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(120 * time.Second):
		t.Fatal("writer did not drain within 120 s")
	}
	if sink.fails.Load() == 0 || sink.lost.Load() == 0 {
		t.Fatalf("the sink injected no failure (fails %d, lost answers %d)", sink.fails.Load(), sink.lost.Load())
	}
	if n := w.backlog(); n != 0 {
		t.Fatalf("backlog %d after drain", n)
	}

	cur, err := coll.Find(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var got []CallRecord
	if err := cur.All(context.Background(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != calls {
		t.Fatalf("%d records in the store, want %d", len(got), calls)
	}
	byID := map[CallID]CallRecord{}
	for _, r := range got {
		byID[r.ID] = r
	}
	want := []string{"call.arrived", "call.ivr_exited", "call.queued", "call.abandoned", "call.ended"}
	dup := 0
	for i, id := range ids {
		r, ok := byID[id]
		if !ok {
			t.Fatalf("call %d (%s) lost", i, id)
		}
		if r.Outcome != OutcomeAbandoned || r.HangupBy != "caller" || r.EndedAt == nil || r.WaitS != 1.5 ||
			r.Queue != "hotline" || r.QueuedAt == nil || r.IVRExitedAt == nil || len(r.Path) != 1 || r.Caller != fmt.Sprintf("09%08d", i) {
			t.Fatalf("call %d: record not in its final state: %+v", i, r)
		}
		// Events in order; a write whose answer was lost and that was sent again may stage
		// its events twice (consumers are idempotent), never fewer.
		j := 0
		for _, ev := range r.Staged {
			if j < len(want) && ev.Type == want[j] {
				j++
			}
		}
		if j != len(want) {
			t.Fatalf("call %d: events %v, want %v in order", i, types(r.Staged), want)
		}
		if len(r.Staged) > len(want) {
			dup++
		}
	}
	if kicked.Load() < calls {
		t.Fatalf("kicked %d records, want at least %d", kicked.Load(), calls)
	}
	t.Logf("%d calls, %d commands (%d failed, %d answers lost), %d records with events staged twice",
		calls, sink.n.Load(), sink.fails.Load(), sink.lost.Load(), dup)
}

// TestRecordWriterFullRefusesNewCalls: with the store down, the queue fills to its limit,
// full() reports it (the node answers new calls 503) and nothing queued is dropped; when the
// store is back everything is written.
func TestRecordWriterFullRefusesNewCalls(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	coll := srv.App.Core.Store.C(callsCollection)
	sink := &flakySink{inner: collSink{coll}, failEvery: 1}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := newRecordWriter(log, sink, nil, 50, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for i := range 50 {
		if w.full() {
			t.Fatalf("full after %d calls, limit 50", i)
		}
		r := CallRecord{ID: CallID(bson.NewObjectID().Hex()), Path: []Step{}, ArrivedAt: time.Now().UTC()}
		w.insert(r, r.event("call.arrived"))
	}
	if !w.full() {
		t.Fatal("not full with 50 calls queued and the store down")
	}
	time.Sleep(300 * time.Millisecond) // a few failed attempts
	if n := w.backlog(); n != 50 {
		t.Fatalf("backlog %d, want 50 (nothing dropped)", n)
	}
	atomic.StoreInt64(&sink.failEvery, 0) // the store is back
	deadline := time.Now().Add(20 * time.Second)
	for w.backlog() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if w.full() {
		t.Fatal("still full after the store came back")
	}
	cancel()
	<-done
	n, err := coll.CountDocuments(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 50 {
		t.Fatalf("%d records written, want 50", n)
	}
}
