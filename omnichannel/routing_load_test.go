package omnichannel

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"
)

// TestRoutingIndexLoadKeepsWrites loads a routing index from stored conversations while
// writes report newer states: a conversation resolved during the load stays out of the
// queue, one queued during the load is in it, and nothing is queued before the load ends.
func TestRoutingIndexLoadKeepsWrites(t *testing.T) {
	m := New(nil)
	node(t, m, nil)
	if !m.st.FerretDB {
		t.Skip("the routing index is used on the embedded store only")
	}
	ctx := context.Background()
	at := time.Now().UTC().Add(-time.Hour)
	stored := []any{
		Conversation{ID: "rl-queued", ThreadKey: "rl-1", State: StateQueued, Team: "hotline", QueuedAt: &at},
		Conversation{ID: "rl-resolved-meanwhile", ThreadKey: "rl-2", State: StateQueued, Team: "hotline", QueuedAt: &at},
		Conversation{ID: "rl-open", ThreadKey: "rl-3", State: StateAssigned, Team: "hotline", Agent: "agent1"},
	}
	if _, err := m.st.C(conversationsColl).InsertMany(ctx, stored); err != nil {
		t.Fatal(err)
	}
	x := newRoutingIndex()
	x.startLoading()
	later := time.Now().UTC()
	x.observe(&Conversation{ID: "rl-resolved-meanwhile", State: StateResolved, Team: "hotline"})
	x.observe(&Conversation{ID: "rl-new", State: StateQueued, Team: "hotline", QueuedAt: &later})
	if q := x.queue(10); len(q) != 0 {
		t.Fatalf("queue while loading: %v", q)
	}
	if err := x.load(ctx, m.st); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range x.queue(10) {
		ids = append(ids, c.ID)
	}
	if want := []string{"rl-queued", "rl-new"}; !slices.Equal(ids, want) {
		t.Errorf("queue after the load: %v, want %v", ids, want)
	}
	if got, want := x.loads([]string{"agent1", "agent2"}), map[string]int{"agent1": 1, "agent2": 0}; !maps.Equal(got, want) {
		t.Errorf("open loads after the load: %v, want %v", got, want)
	}
}
