package streams

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// Snapshot returns the current state of a channel for a new subscriber.
type Snapshot func(ctx context.Context, channel string) (any, error)

// Allow says whether a principal may subscribe to a channel.
type Allow func(p *httpapi.Principal, channel string) bool

type provider struct {
	prefix string // a channel name, or a prefix ending in "."
	snap   Snapshot
	allow  Allow
}

// Hub is the dashboards' stream hub: modules declare channels with a snapshot function and
// an access rule, and publish deltas; WebSocket and SSE clients subscribe.
type Hub struct {
	broker Broker
	buffer int
	seq    atomic.Int64

	mu        sync.RWMutex
	providers []provider
	last      map[string]map[string]json.RawMessage // channel → last state, for field deltas
}

// NewHub returns a hub on broker; each subscriber queues up to buffer messages.
func NewHub(broker Broker, buffer int) *Hub {
	return &Hub{broker: broker, buffer: buffer, last: map[string]map[string]json.RawMessage{}}
}

// Provide declares the channel name (or, ending in ".", every channel with that prefix).
func (h *Hub) Provide(name string, snap Snapshot, allow Allow) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.providers = append(h.providers, provider{prefix: name, snap: snap, allow: allow})
}

func (h *Hub) provider(channel string) (provider, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, p := range h.providers {
		if p.prefix == channel || (strings.HasSuffix(p.prefix, ".") && strings.HasPrefix(channel, p.prefix) && len(channel) > len(p.prefix)) {
			return p, true
		}
	}
	return provider{}, false
}

// Publish sends data as a delta of channel to its subscribers.
func (h *Hub) Publish(channel string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("stream %s: %w", channel, err)
	}
	h.broker.Publish(Message{Channel: channel, Type: "delta", Seq: h.seq.Add(1), Data: raw})
	return nil
}

// PublishState publishes only the top-level fields of state (a JSON object) that changed
// since the last PublishState of channel, nothing when none did.
func (h *Hub) PublishState(channel string, state any) error {
	raw, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("stream %s: %w", channel, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return fmt.Errorf("stream %s: state is not an object: %w", channel, err)
	}
	h.mu.Lock()
	prev := h.last[channel]
	h.last[channel] = fields
	h.mu.Unlock()
	delta := map[string]json.RawMessage{}
	for k, v := range fields {
		if !reflect.DeepEqual([]byte(prev[k]), []byte(v)) {
			delta[k] = v
		}
	}
	if len(delta) == 0 {
		return nil
	}
	return h.Publish(channel, delta)
}

// session is one client's set of subscriptions, all feeding one queue.
type session struct {
	hub   *Hub
	sub   *Subscriber
	p     *httpapi.Principal
	unsub map[string]func()
}

func (h *Hub) newSession(p *httpapi.Principal) *session {
	return &session{hub: h, sub: NewSubscriber(h.buffer), p: p, unsub: map[string]func(){}}
}

// subscribe checks access, subscribes, then returns the snapshot frame: deltas published
// after the subscription follow it in the queue.
func (s *session) subscribe(ctx context.Context, channel string) (Message, error) {
	prov, ok := s.hub.provider(channel)
	if !ok {
		return Message{}, fmt.Errorf("no channel %q", channel)
	}
	if prov.allow != nil && !prov.allow(s.p, channel) {
		return Message{}, fmt.Errorf("you may not subscribe to %q", channel)
	}
	if _, dup := s.unsub[channel]; !dup {
		s.unsub[channel] = s.hub.broker.Subscribe(channel, s.sub)
	}
	snap, err := prov.snap(ctx, channel)
	if err != nil {
		return Message{}, fmt.Errorf("snapshot of %s: %w", channel, err)
	}
	raw, err := json.Marshal(snap)
	if err != nil {
		return Message{}, err
	}
	return Message{Channel: channel, Type: "snapshot", Seq: s.hub.seq.Load(), Data: raw}, nil
}

func (s *session) unsubscribe(channel string) {
	if f, ok := s.unsub[channel]; ok {
		f()
		delete(s.unsub, channel)
	}
}

func (s *session) close() {
	for c := range s.unsub {
		s.unsubscribe(c)
	}
}

// frame is the JSON a client receives.
func frame(m Message) []byte {
	head, _ := json.Marshal(struct {
		Channel string `json:"channel"`
		Type    string `json:"type"`
		Seq     int64  `json:"seq"`
	}{m.Channel, m.Type, m.Seq})
	if len(m.Data) == 0 {
		return head
	}
	out := make([]byte, 0, len(head)+len(m.Data)+8)
	out = append(out, head[:len(head)-1]...)
	out = append(out, `,"data":`...)
	out = append(out, m.Data...)
	return append(out, '}')
}
