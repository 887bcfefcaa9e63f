package streams

import (
	"sync"
)

// Message is one frame to subscribers: a channel's snapshot or a delta. Data is encoded
// once per publish and shared by every subscriber.
type Message struct {
	Channel string `json:"channel"`
	Type    string `json:"type"` // snapshot, delta or dropped
	Seq     int64  `json:"seq"`
	Data    []byte `json:"-"`
}

// Subscriber is one consumer's queue. A subscriber whose queue is full when a message
// comes is dropped: its Done channel closes and it receives nothing more, so one slow
// consumer never delays the others.
type Subscriber struct {
	C    chan Message
	done chan struct{}
	once sync.Once
}

// NewSubscriber returns a subscriber queueing up to buffer messages.
func NewSubscriber(buffer int) *Subscriber {
	return &Subscriber{C: make(chan Message, buffer), done: make(chan struct{})}
}

// Done is closed when the subscriber was dropped for being slow.
func (s *Subscriber) Done() <-chan struct{} { return s.done }

func (s *Subscriber) drop() { s.once.Do(func() { close(s.done) }) }

// offer queues m without blocking; it reports false when the queue was full.
func (s *Subscriber) offer(m Message) bool {
	select {
	case <-s.done:
		return false
	default:
	}
	select {
	case s.C <- m:
		return true
	default:
		s.drop()
		return false
	}
}

// Broker fans messages out to the subscribers of a channel. The in-process Memory broker
// serves one node; a broker over NATS or Redis would let dashboards on any node see every
// node's publications.
type Broker interface {
	Publish(m Message)
	Subscribe(channel string, s *Subscriber) (unsubscribe func())
}

// Memory is the in-process Broker.
type Memory struct {
	mu   sync.RWMutex
	subs map[string]map[*Subscriber]struct{}
}

// NewMemory returns an empty in-process broker.
func NewMemory() *Memory { return &Memory{subs: map[string]map[*Subscriber]struct{}{}} }

// Publish offers m to every subscriber of m.Channel; full subscribers are dropped and removed.
func (b *Memory) Publish(m Message) {
	b.mu.RLock()
	var slow []*Subscriber
	for s := range b.subs[m.Channel] {
		if !s.offer(m) {
			slow = append(slow, s)
		}
	}
	b.mu.RUnlock()
	if len(slow) == 0 {
		return
	}
	b.mu.Lock()
	for _, s := range slow {
		delete(b.subs[m.Channel], s)
	}
	b.mu.Unlock()
}

// Subscribe adds s to channel until unsubscribe is called.
func (b *Memory) Subscribe(channel string, s *Subscriber) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	set := b.subs[channel]
	if set == nil {
		set = map[*Subscriber]struct{}{}
		b.subs[channel] = set
	}
	set[s] = struct{}{}
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs[channel], s)
		if len(b.subs[channel]) == 0 {
			delete(b.subs, channel)
		}
	}
}
