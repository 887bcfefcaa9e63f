package omnichannel

import (
	"sync"
)

// workQueue is work of this process waiting in memory, in arrival order: inbound items to
// ingest, messages to follow up, outbound messages to retry. The store stays the record:
// an item is written before it is queued, so a restart finds it again.
//
// On the embedded store this process is the store's only writer, so what it queues as it
// writes, plus one scan at start, is all the work there is; the embedded store answers any
// filter other than a bare _id by reading the whole collection, which a poll would do every
// time. On MongoDB the queue is also fed by a periodic indexed poll, for work written by
// other nodes. An item is held once from push until done, so a poll that finds an item
// being processed does not queue it twice.
type workQueue[T any] struct {
	mu    sync.Mutex
	order []string
	items map[string]T
	held  map[string]bool // queued or being processed
	kick  chan struct{}
}

func newWorkQueue[T any]() *workQueue[T] {
	return &workQueue[T]{items: map[string]T{}, held: map[string]bool{}, kick: make(chan struct{}, 1)}
}

// push queues item under key unless the key is already held. It never blocks.
func (q *workQueue[T]) push(key string, item T) {
	q.mu.Lock()
	if q.held[key] {
		q.mu.Unlock()
		return
	}
	q.held[key] = true
	q.items[key] = item
	q.order = append(q.order, key)
	q.mu.Unlock()
	q.wake()
}

// wake tells the worker to look at the queue. It never blocks.
func (q *workQueue[T]) wake() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// take removes up to n items, oldest first; their keys stay held until done.
func (q *workQueue[T]) take(n int) []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = min(n, len(q.order))
	out := make([]T, 0, n)
	for _, k := range q.order[:n] {
		out = append(out, q.items[k])
		delete(q.items, k)
	}
	q.order = append(q.order[:0], q.order[n:]...)
	return out
}

// done releases key: a later push queues it again.
func (q *workQueue[T]) done(key string) {
	q.mu.Lock()
	delete(q.held, key)
	q.mu.Unlock()
}

// len reports how many items wait.
func (q *workQueue[T]) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order)
}
