package social

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Batch ids grow in the order they are made, whatever the clock does, and stay above the
// ids found in the store at start.
func TestBatchSeqOrdered(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	var q batchSeq
	q.observe("6b0239e0133123b4f6c3b852") // an ObjectID id of an earlier version: ignored
	future := (&batchSeq{}).next(t0.Add(time.Hour))
	q.observe(future) // written before a clock step back
	steps := []struct {
		name string
		now  time.Time
	}{
		{"clock behind the stored batch", t0},
		{"same instant", t0},
		{"clock ahead", t0.Add(2 * time.Hour)},
		{"clock steps back", t0.Add(time.Minute)},
	}
	prev := future
	for _, s := range steps {
		id := q.next(s.now)
		if id <= prev || len(id) != 17 {
			t.Errorf("%s: %s after %s", s.name, id, prev)
		}
		prev = id
	}
	if "6b0239e0133123b4f6c3b852" >= future {
		t.Errorf("new ids must sort after ObjectID ids")
	}
}

// A flush that cannot write (here: its context has ended) keeps its items for the next
// flush, which counts each once.
func TestProjectorRetriesUnwrittenTopics(t *testing.T) {
	m := New()
	cfg := apptest.Config(t)
	cfg.IOC.Alerts.EvalInterval = time.Hour
	apptest.Start(t, cfg, alerts.New(), m)
	p := newProjector(m) // not running: flushed by hand
	now := time.Now().UTC()
	var items []*Item
	for i := range 6 {
		items = append(items, &Item{Topic: fmt.Sprint("retry-topic-", i%2), Batch: m.batches.next(now), PublishedAt: now,
			Terms: []string{"ngap", "duong"}, Sentiment: Sentiment{Label: Negative}})
	}
	p.add(items[:3])
	p.add(items[3:])
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.flush(ended); err == nil {
		t.Fatal("a flush with an ended context wrote")
	}
	if err := p.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.flush(context.Background()); err != nil { // nothing left: no double count
		t.Fatal(err)
	}
	for _, id := range []string{"retry-topic-0", "retry-topic-1"} {
		var tp Topic
		if err := m.st.C(TopicsCollection).FindOne(context.Background(), bson.M{"_id": id}).Decode(&tp); err != nil {
			t.Fatal(err)
		}
		if tp.Items != 3 || tp.TermCount["ngap"] != 3 || tp.Sentiment[Negative] != 3 {
			t.Errorf("%s: %d items, terms %v, sentiment %v; want 3 each", id, tp.Items, tp.TermCount, tp.Sentiment)
		}
	}
}
