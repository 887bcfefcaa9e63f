package omnichannel

import (
	"sort"
	"sync"
	"time"
)

// memoryHub is the Hub of a single node.
type memoryHub struct {
	mu       sync.RWMutex
	subs     map[string]map[*subscription]struct{}
	presence map[string]*Presence
}

type subscription struct{ deliver func([]byte) }

// NewMemoryHub returns a hub for one node.
func NewMemoryHub() Hub {
	return &memoryHub{subs: map[string]map[*subscription]struct{}{}, presence: map[string]*Presence{}}
}

func (h *memoryHub) Publish(topic string, payload []byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs[topic] {
		s.deliver(payload)
	}
}

func (h *memoryHub) Subscribe(topic string, deliver func([]byte)) func() {
	s := &subscription{deliver: deliver}
	h.mu.Lock()
	if h.subs[topic] == nil {
		h.subs[topic] = map[*subscription]struct{}{}
	}
	h.subs[topic][s] = struct{}{}
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[topic], s)
		if len(h.subs[topic]) == 0 {
			delete(h.subs, topic)
		}
	}
}

func (h *memoryHub) presenceLocked(agent string) *Presence {
	p := h.presence[agent]
	if p == nil {
		p = &Presence{Agent: agent, Status: PresenceOffline, Teams: []string{defaultTeam}, Since: time.Now().UTC()}
		h.presence[agent] = p
	}
	return p
}

func (p *Presence) set(s PresenceStatus) {
	if p.Status != s {
		p.Status, p.Since = s, time.Now().UTC()
	}
}

func (h *memoryHub) Connected(agent string, teams []string) Presence {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.presenceLocked(agent)
	p.Sockets++
	if len(teams) > 0 {
		p.Teams = teams
	}
	p.set(PresenceOnline)
	return *p
}

func (h *memoryHub) Disconnected(agent string) Presence {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.presenceLocked(agent)
	if p.Sockets > 0 {
		p.Sockets--
	}
	if p.Sockets == 0 && p.Status == PresenceOnline {
		p.set(PresenceAway)
	}
	return *p
}

func (h *memoryHub) SetStatus(agent string, status PresenceStatus, teams []string) Presence {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.presenceLocked(agent)
	if len(teams) > 0 {
		p.Teams = teams
	}
	p.set(status)
	return *p
}

func (h *memoryHub) Agents() []Presence {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]Presence, 0, len(h.presence))
	for _, p := range h.presence {
		cp := *p
		cp.Teams = append([]string(nil), p.Teams...)
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Agent < out[j].Agent })
	return out
}
