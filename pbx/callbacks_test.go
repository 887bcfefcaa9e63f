package pbx

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// callbacksKept returns the documents of pbx_callbacks.
func (n *node) callbacksKept(t *testing.T) []pendingCallback {
	t.Helper()
	cur, err := n.srv.App.Core.Store.C(callbacksCollection).Find(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var all []pendingCallback
	if err := cur.All(context.Background(), &all); err != nil {
		t.Fatal(err)
	}
	return all
}

// TestSIPpCallbackAfterRestart: a caller asks for a callback while no agent is free; the node
// stops with the callback pending (kept in pbx_callbacks) and starts again on the same store.
// When agent1 becomes available on the new node, the callback is placed (agent first, then the
// citizen through the trunk), its outcome lands in the call record and pbx_callbacks is empty.
func TestSIPpCallbackAfterRestart(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.PBX.WrapUp = 200 * time.Millisecond
	n := startNodeWith(t, cfg)
	citizenPort := freePort(t)
	dp := DemoDialplan()
	dp.Trunks[0].Outbound = "127.0.0.1:" + strconv.Itoa(citizenPort)
	if r := n.srv.Do(t, "PUT", "/api/v1/pbx/dialplan", n.srv.Admin(t), dp); r.Status != 200 {
		t.Fatalf("dialplan: %d %s", r.Status, r.Body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := n.sipp(ctx, t, "caller_callback.xml", "-s", "1022"); err != nil {
		t.Fatal(err)
	}
	r := n.lastCall(t)
	if r.Outcome != OutcomeCallback || r.Callback == nil || r.Callback.Status != "pending" {
		t.Fatalf("record %+v", r)
	}
	var kept []pendingCallback
	for deadline := time.Now().Add(10 * time.Second); len(kept) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		kept = n.callbacksKept(t)
	}
	if len(kept) != 1 || kept[0].ID != r.ID || kept[0].Status != "pending" || kept[0].Queue != "hotline" || kept[0].Attempts != 0 {
		t.Fatalf("pbx_callbacks before the restart: %+v", kept)
	}
	n.srv.Stop(t)

	n = startNodeWith(t, cfg)
	evs, got := n.connectCallback(ctx, t, r, citizenPort)
	wantTypes(t, evs, "call.arrived", "call.ivr_exited", "call.queued", "call.callback_requested", "call.ended", "call.callback_connected")
	if c := got.Callback; c.Status != "connected" || c.Agent != "agent1" || c.Attempts != 1 || c.TalkS < 2 || c.DoneAt == nil {
		t.Fatalf("callback %+v", c)
	}
	if kept := n.callbacksKept(t); len(kept) != 0 {
		t.Fatalf("pbx_callbacks after the callback connected: %+v", kept)
	}
}

// BenchmarkCallbackPoll measures one poll of the callback poller with calls call records in the
// store (CALLBACK_BENCH_CALLS, 20,000 by default) of which 5 wait for a callback that no free
// agent can take: "pbx_callbacks" is the poll as it is (it reads that collection),
// "calls_query" the query the poller made before on the call records.
func BenchmarkCallbackPoll(b *testing.B) {
	calls := 20000
	if v, err := strconv.Atoi(os.Getenv("CALLBACK_BENCH_CALLS")); err == nil && v > 0 {
		calls = v
	}
	cfg := apptest.Config(b)
	p := New()
	srv := apptest.Start(b, cfg, p)
	ctx := context.Background()
	dp := DemoDialplan()
	dp.Trunks[0].Outbound = "127.0.0.1:9"
	if err := p.SetDialplan(ctx, dp, "bench"); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	for i := 0; i < calls; i += 1000 {
		docs := make([]any, 0, 1000)
		for j := i; j < min(i+1000, calls); j++ {
			r := CallRecord{ID: CallID(bson.NewObjectID().Hex()), Caller: "0912345678", DID: "1022", Queue: "hotline",
				Outcome: OutcomeAnswered, ArrivedAt: now.Add(-time.Duration(j) * time.Second), Path: []Step{}}
			if j < 5 {
				r.Outcome = OutcomeCallback
				r.Callback = &Callback{Status: "pending", Queue: "hotline", NextAt: now, UpdatedAt: now}
				p.keepCallback(pendingCallback{ID: r.ID, Queue: "hotline", Status: "pending", NextAt: now, UpdatedAt: now})
			}
			docs = append(docs, r)
		}
		if _, err := srv.App.Core.Store.C(callsCollection).InsertMany(ctx, docs); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("pbx_callbacks", func(b *testing.B) {
		for b.Loop() {
			if err := p.callbacksOnce(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("calls_query", func(b *testing.B) {
		for b.Loop() {
			cur, err := p.st.C(callsCollection).Find(ctx, bson.M{"callback.status": "pending", "callback.next_at": bson.M{"$lte": time.Now().UTC()}},
				options.Find().SetSort(bson.D{{Key: "callback.next_at", Value: 1}}).SetLimit(20))
			if err != nil {
				b.Fatal(err)
			}
			var due []CallRecord
			if err := cur.All(ctx, &due); err != nil || len(due) != 5 {
				b.Fatalf("%d due, %v", len(due), err)
			}
		}
	})
}

// leftCallback is the record of a call whose callback a node left (status, one attempt made
// or none), written as that node wrote it.
func leftCallback(status string, attempts int) CallRecord {
	left := time.Now().UTC().Add(-callbackStale - time.Minute)
	return CallRecord{ID: CallID(bson.NewObjectID().Hex()), Caller: "0912345678", DID: "1022", Queue: "hotline",
		Outcome: OutcomeCallback, ArrivedAt: left, EndedAt: &left, Path: []Step{},
		Callback: &Callback{Status: status, Queue: "hotline", Attempts: attempts, NextAt: left, UpdatedAt: left}}
}

// placesCallback checks that node n places r's callback: agent1 is rung, then the citizen
// through the trunk to citizenPort; the outcome is in the record with the attempt counted,
// and pbx_callbacks is empty after.
func (n *node) placesCallback(t *testing.T, r CallRecord, citizenPort int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	evs, got := n.connectCallback(ctx, t, r, citizenPort)
	wantTypes(t, evs, "call.callback_connected")
	if c := got.Callback; c.Status != "connected" || c.Agent != "agent1" || c.Attempts != r.Callback.Attempts+1 || c.DoneAt == nil {
		t.Fatalf("callback %+v", c)
	}
	if kept := n.callbacksKept(t); len(kept) != 0 {
		t.Fatalf("pbx_callbacks after the callback connected: %+v", kept)
	}
}

// callbackNode is a node whose outbound trunk goes to a free port, which it returns.
func callbackNode(t *testing.T, cfg config.Config) (*node, int) {
	t.Helper()
	n := startNodeWith(t, cfg)
	port := freePort(t)
	dp := DemoDialplan()
	dp.Trunks[0].Outbound = "127.0.0.1:" + strconv.Itoa(port)
	if r := n.srv.Do(t, "PUT", "/api/v1/pbx/dialplan", n.srv.Admin(t), dp); r.Status != 200 {
		t.Fatalf("dialplan: %d %s", r.Status, r.Body)
	}
	return n, port
}

// TestSIPpCallbackLeftDialing: a callback marked dialing by a node that stopped beating for
// longer than callbackStale (its pbx_callbacks document and call record written as such a
// node leaves them) is placed again by this node.
func TestSIPpCallbackLeftDialing(t *testing.T) {
	t.Parallel()
	n, port := callbackNode(t, apptest.Config(t))
	r := leftCallback("dialing", 1)
	st := n.srv.App.Core.Store
	if _, err := st.C(callsCollection).InsertOne(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	cb := pendingCallback{ID: r.ID, Queue: "hotline", Status: "dialing", Attempts: 1, NextAt: r.Callback.NextAt,
		UpdatedAt: r.Callback.UpdatedAt}
	if _, err := st.C(callbacksCollection).InsertOne(context.Background(), cb); err != nil {
		t.Fatal(err)
	}
	n.placesCallback(t, r, port)
}

// TestSIPpCallbackAdoptedAtStart: a call record shows a pending callback that pbx_callbacks
// lacks (kept by an older version): the node started on that store adopts and places it.
func TestSIPpCallbackAdoptedAtStart(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	n, port := callbackNode(t, cfg)
	r := leftCallback("pending", 0)
	if _, err := n.srv.App.Core.Store.C(callsCollection).InsertOne(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	n.srv.Stop(t)
	n = startNodeWith(t, cfg) // the dialplan (outbound trunk to port) is in the store
	n.placesCallback(t, r, port)
}
