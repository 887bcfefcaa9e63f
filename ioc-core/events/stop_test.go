package events_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A relay stopped in the middle of a burst leaves the rest staged; the next start relays it,
// and every event is in the log exactly once.
func TestRelayStoppedMidBurstLosesAndRepeatsNothing(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, store.Options{URI: os.Getenv("MONGODB_URI"), DataDir: t.TempDir(),
		Database: "ioctest_" + bson.NewObjectID().Hex()}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.DB.Drop(ctx); _ = st.Close(ctx) })

	type note struct {
		ID            string `bson:"_id"`
		events.Outbox `bson:",inline"`
	}
	const n = 700 // more than one pass takes
	var refs []events.Ref
	for i := range n {
		id := bson.NewObjectID().Hex()
		ev := events.MustNew("note.created", id, bson.M{"i": i})
		if _, err := st.C("notes").InsertOne(ctx, note{ID: id, Outbox: events.NewOutbox(ev)}); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, events.Ref{Coll: "notes", ID: id})
	}
	logged := func() int64 {
		c, err := st.C(events.LogCollection).CountDocuments(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	run := func(stopWhen func() bool) {
		bus := events.NewBus(st, quiet)
		bus.Source("notes")
		if err := bus.Init(ctx); err != nil {
			t.Fatal(err)
		}
		bus.Kick(refs...)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- bus.Run(rctx) }()
		deadline := time.Now().Add(60 * time.Second)
		for !stopWhen() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the relay did not stop within 30 s")
		}
	}
	run(func() bool { return logged() > 0 })
	first := logged()
	t.Logf("the first run put %d of %d events in the log before it stopped", first, n)
	pending := func() int64 {
		c, err := st.C("notes").CountDocuments(ctx, bson.M{"_outbox_pending": true})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	run(func() bool { return pending() == 0 })

	if got := logged(); got != n {
		t.Fatalf("%d events in the log after the restart, want %d (first run: %d)", got, n, first)
	}
	cur, err := st.C(events.LogCollection).Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var evs []events.Event
	if err := cur.All(ctx, &evs); err != nil {
		t.Fatal(err)
	}
	seqs := map[int64]bool{}
	for _, ev := range evs {
		if seqs[ev.Seq] {
			t.Fatalf("sequence number %d twice", ev.Seq)
		}
		seqs[ev.Seq] = true
	}
	for s := int64(1); s <= n; s++ {
		if !seqs[s] {
			t.Fatalf("sequence number %d missing", s)
		}
	}
}
