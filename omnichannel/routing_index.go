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
// conversations and each agent's open ones. It is loaded with one scan after the node
// listens (RoutingLoad) and follows every write that changes a conversation's state or
// agent (conversationFor, setState), which this process alone makes on the embedded store.
// Writes go on during the load: a conversation a write reported wins over what the load
// read, which is never newer. Until the load is done the index queues nothing, so the
// router assigns nothing on a partial count of the agents' open conversations. On MongoDB
// the router reads the store's indexes instead and this index is not loaded.
type routingIndex struct {
	mu       sync.Mutex
	queued   map[string]queuedConv
	open     map[string]string // conversation id → agent, for assigned and pending
	loading  bool              // between startLoading and the end of load
	observed map[string]bool   // conversations written while loading
}

// RoutingLoad names the start-up load of the routing index in GET /readyz.
const RoutingLoad = "omnichannel.routing"

// loadRoutingIndex is the start-up load of the routing index (app.Core.Load); the router
// runs a pass as soon as it is done.
func (m *Module) loadRoutingIndex(ctx context.Context) error {
	if err := m.index.load(ctx, m.st); err != nil {
		return err
	}
	m.router.Kick()
	return nil
}

type queuedConv struct {
	ID       string
	Team     string
	QueuedAt time.Time
}

func newRoutingIndex() *routingIndex {
	return &routingIndex{queued: map[string]queuedConv{}, open: map[string]string{}}
}

// startLoading makes the index queue nothing, and record the conversations written, until
// load is done.
func (x *routingIndex) startLoading() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.loading, x.observed = true, map[string]bool{}
}

// load reads the queued and open conversations from st, keeping what writes reported
// meanwhile. It may run again after an error.
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
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range convs {
		if !x.observed[convs[i].ID] {
			x.observeLocked(&convs[i])
		}
	}
	x.loading, x.observed = false, nil
	return nil
}

// observe records a conversation as written.
func (x *routingIndex) observe(c *Conversation) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.loading {
		x.observed[c.ID] = true
	}
	x.observeLocked(c)
}

func (x *routingIndex) observeLocked(c *Conversation) {
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

// queue returns up to limit queued conversations, oldest first; none while loading.
func (x *routingIndex) queue(limit int) []Conversation {
	x.mu.Lock()
	if x.loading {
		x.mu.Unlock()
		return nil
	}
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
