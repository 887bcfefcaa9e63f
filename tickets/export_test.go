package tickets

import (
	"context"
	"sync"
	"time"
)

// SkipMergeCompletion makes merges leave the master's side to the ticket.merged consumer,
// as when the process stops between the two writes.
func SkipMergeCompletion(skip bool) { skipMergeCompletion.Store(skip) }

// ReloadIndex loads a fresh in-memory index from the store, as Init does at start, and
// reports how many tickets it holds. Benchmarks time it.
func (m *Module) ReloadIndex(ctx context.Context) (int, error) {
	x := newMemIndex(m.coll)
	if err := x.load(ctx); err != nil {
		return 0, err
	}
	return len(x.byCode), nil
}

// HoldIndexLoad makes the module's in-memory index load, once it has read the store and
// before it records its last batch, signal reached and wait for release (or 2 minutes).
// Call it before the node starts; release may be called more than once.
func (m *Module) HoldIndexLoad() (reached <-chan struct{}, release func()) {
	at, free := make(chan struct{}), make(chan struct{})
	var reachedOnce, releaseOnce sync.Once
	m.loadHook = func() {
		reachedOnce.Do(func() { close(at) })
		select {
		case <-free:
		case <-time.After(2 * time.Minute):
		}
	}
	return at, func() { releaseOnce.Do(func() { close(free) }) }
}
