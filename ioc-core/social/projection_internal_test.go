package social

import (
	"testing"
	"time"
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
