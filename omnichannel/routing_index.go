package omnichannel

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// routingIndex is what the router reads, kept in memory on the embedded store: the queued
// conversations and each agent's open ones. It is loaded with one scan at start and then
// follows every write that changes a conversation's state or agent (conversationFor,
// setState), which this process alone makes on the embedded store. On MongoDB the router
// reads the store's indexes instead and this index is not loaded.
type routingIndex struct {
	mu     sync.Mutex
	queued map[string]queuedConv
	open   map[string]string // conversation id → agent, for assigned and pending
}

type queuedConv struct {
	ID       string
	Team     string
	QueuedAt time.Time
}

func newRoutingIndex() *routingIndex {
	return &routingIndex{queued: map[string]queuedConv{}, open: map[string]string{}}
}

// load reads the queued and open conversations from st.
func (x *routingIndex) load(ctx context.Context, st *store.Store) error {
	cur, err := st.C(conversationsColl).Find(ctx, bson.M{"state": bson.M{"$in": bson.A{StateQueued, StateAssigned, StatePending}}},
		nil)
	if err != nil {
		return fmt.Errorf("load routing index: %w", err)
	}
	var convs []Conversation
	if err := cur.All(ctx, &convs); err != nil {
		return fmt.Errorf("load routing index: %w", err)
	}
	for i := range convs {
		x.observe(&convs[i])
	}
	return nil
}

// observe records a conversation as written.
func (x *routingIndex) observe(c *Conversation) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.queued, c.ID)
	delete(x.open, c.ID)
	switch {
	case c.State == StateQueued:
		q := queuedConv{ID: c.ID, Team: c.Team}
		if c.QueuedAt != nil {
			q.QueuedAt = *c.QueuedAt
		}
		x.queued[c.ID] = q
	case c.Open() && c.Agent != "":
		x.open[c.ID] = c.Agent
	}
}

// loads counts the open conversations of each of agents.
func (x *routingIndex) loads(agents []string) map[string]int {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make(map[string]int, len(agents))
	for _, a := range agents {
		out[a] = 0
	}
	for _, a := range x.open {
		if _, ok := out[a]; ok {
			out[a]++
		}
	}
	return out
}

// queue returns up to limit queued conversations, oldest first.
func (x *routingIndex) queue(limit int) []Conversation {
	x.mu.Lock()
	qs := make([]queuedConv, 0, len(x.queued))
	for _, q := range x.queued {
		qs = append(qs, q)
	}
	x.mu.Unlock()
	slices.SortFunc(qs, func(a, b queuedConv) int {
		if c := a.QueuedAt.Compare(b.QueuedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	out := make([]Conversation, 0, min(limit, len(qs)))
	for _, q := range qs[:min(limit, len(qs))] {
		out = append(out, Conversation{ID: q.ID, Team: q.Team, State: StateQueued})
	}
	return out
}
