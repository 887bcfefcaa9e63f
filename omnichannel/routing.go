package omnichannel

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// router hands queued conversations to online agents: oldest first (FIFO), to the agent of
// the conversation's team with the fewest open conversations, never above the per-agent
// cap. It runs whenever a conversation is queued or an agent frees up or comes online,
// and every few seconds, so a full queue backfills as soon as a place opens. One pass runs
// at a time in this process; each assignment is a guarded single-document write, so
// passes on several nodes cannot assign a conversation twice.
type router struct {
	m    *Module
	cap  int
	kick chan struct{}
	mu   sync.Mutex
}

func newRouter(m *Module, capPerAgent int) *router {
	if capPerAgent < 1 {
		capPerAgent = 1
	}
	return &router{m: m, cap: capPerAgent, kick: make(chan struct{}, 1)}
}

// Kick asks for a routing pass soon. It never blocks.
func (r *router) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run routes until ctx ends.
func (r *router) Run(ctx context.Context) error {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		if err := r.pass(ctx); err != nil && ctx.Err() == nil {
			r.m.log.Error("routing pass", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.kick:
		case <-t.C:
		}
	}
}

// openLoads counts the open conversations of each agent: from the routing index on the
// embedded store, by indexed counts on MongoDB.
func (r *router) openLoads(ctx context.Context, agents []string) (map[string]int, error) {
	if r.m.st.FerretDB {
		return r.m.index.loads(agents), nil
	}
	loads := make(map[string]int, len(agents))
	for _, a := range agents {
		n, err := r.m.st.C(conversationsColl).CountDocuments(ctx, bson.M{"agent": a, "state": bson.M{"$in": bson.A{StateAssigned, StatePending}}})
		if err != nil {
			return nil, fmt.Errorf("count open conversations of %s: %w", a, err)
		}
		loads[a] = int(n)
	}
	return loads, nil
}

func (r *router) pass(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var online []Presence
	var names []string
	for _, p := range r.m.hub.Agents() {
		if p.Status == PresenceOnline {
			online = append(online, p)
			names = append(names, p.Agent)
		}
	}
	if len(online) == 0 {
		return nil
	}
	loads, err := r.openLoads(ctx, names)
	if err != nil {
		return err
	}
	queue, err := r.queue(ctx)
	if err != nil {
		return err
	}
	for _, c := range queue {
		agent := r.pick(online, loads, c.Team)
		if agent == "" {
			continue // this team is full: later conversations of other teams may still go
		}
		if _, err := r.m.assign(ctx, c.ID, []State{StateQueued}, agent, "router"); err != nil {
			if err == ErrStaleState {
				continue
			}
			return err
		}
		loads[agent]++
	}
	return nil
}

// queue returns the oldest queued conversations (id and team are what a pass needs).
func (r *router) queue(ctx context.Context) ([]Conversation, error) {
	if r.m.st.FerretDB {
		return r.m.index.queue(routeBatch), nil
	}
	cur, err := r.m.st.C(conversationsColl).Find(ctx, bson.M{"state": StateQueued},
		options.Find().SetSort(bson.D{{Key: "queued_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(routeBatch))
	if err != nil {
		return nil, fmt.Errorf("read queue: %w", err)
	}
	var queue []Conversation
	if err := cur.All(ctx, &queue); err != nil {
		return nil, fmt.Errorf("read queue: %w", err)
	}
	return queue, nil
}

// routeBatch is how many queued conversations one routing pass looks at.
const routeBatch = 200

// pick returns the online agent of team with the fewest open conversations under the cap.
func (r *router) pick(online []Presence, loads map[string]int, team string) string {
	best, bestLoad := "", r.cap
	for _, p := range online {
		if !slices.Contains(p.Teams, team) {
			continue
		}
		if l := loads[p.Agent]; l < bestLoad {
			best, bestLoad = p.Agent, l
		}
	}
	return best
}

// assign gives a conversation in one of from to agent.
func (m *Module) assign(ctx context.Context, id string, from []State, agent, by string) (*Conversation, error) {
	now := time.Now().UTC()
	mk := func(p *Conversation) []events.Event {
		return []events.Event{events.MustNew("conversation.assigned", id, bson.M{"id": id, "channel": p.Channel, "agent": agent, "by": by})}
	}
	c, err := m.setState(ctx, id, from, StateAssigned, bson.M{"agent": agent, "assigned_at": now}, mk)
	if err != nil {
		return nil, err
	}
	m.hub.Publish(agentTopic(agent), mustJSON(liveEvent{Type: "assigned", ConversationID: id, Conversation: c, Agent: agent}))
	return c, nil
}

// enqueue puts a conversation in the queue of team, leaving the bot or reopening it.
func (m *Module) enqueue(ctx context.Context, id string, from []State, team, summary string) (*Conversation, error) {
	if team == "" {
		team = defaultTeam
	}
	now := time.Now().UTC()
	mk := func(p *Conversation) []events.Event {
		return []events.Event{events.MustNew("conversation.queued", id, bson.M{"id": id, "channel": p.Channel, "team": team, "summary": summary})}
	}
	c, err := m.setState(ctx, id, from, StateQueued, bson.M{"team": team, "summary": summary, "queued_at": now, "agent": ""}, mk)
	if err != nil {
		return nil, err
	}
	m.router.Kick()
	return c, nil
}
