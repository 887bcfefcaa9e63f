package app

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Readiness tracks the start-up loads still under way: in-memory indexes a module fills from
// the store after the node listens. GET /readyz answers 503 naming them until there are none.
// Safe for concurrent use.
type Readiness struct {
	mu      sync.Mutex
	pending map[string]int // name → loads of that name under way
	changed chan struct{}  // closed and replaced at every change
}

func newReadiness() *Readiness {
	return &Readiness{pending: map[string]int{}, changed: make(chan struct{})}
}

// Loading records that a load named name has begun. done records its end; calling it again
// does nothing.
func (r *Readiness) Loading(name string) (done func()) {
	r.mu.Lock()
	r.pending[name]++
	r.notifyLocked()
	r.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.pending[name]--; r.pending[name] <= 0 {
				delete(r.pending, name)
			}
			r.notifyLocked()
		})
	}
}

func (r *Readiness) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Pending returns the names of the loads under way, sorted; none when the node is ready.
func (r *Readiness) Pending() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.pending))
	for name := range r.pending {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Wait returns nil once no load named in names is under way (any load, when names is empty),
// or ctx's error.
func (r *Readiness) Wait(ctx context.Context, names ...string) error {
	for {
		r.mu.Lock()
		busy := len(r.pending) > 0
		if len(names) > 0 {
			busy = slices.ContainsFunc(names, func(n string) bool { return r.pending[n] > 0 })
		}
		changed := r.changed
		r.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// startLoad is a load registered with Core.Load, run by App.Run.
type startLoad struct {
	name string
	fn   func(ctx context.Context) error
	done func()
}

// Backoff of a failed start-up load before it runs again.
const (
	loadRetryFirst = time.Second
	loadRetryMax   = 30 * time.Second
)

// run runs the load until it succeeds or ctx ends, waiting longer after each failure.
func (l startLoad) run(ctx context.Context, c *Core) {
	wait := loadRetryFirst
	for {
		start := time.Now()
		err := l.fn(ctx)
		if err == nil {
			c.Log.Info("start-up load done", "load", l.name, "took", time.Since(start).Round(time.Millisecond))
			l.done()
			return
		}
		if ctx.Err() != nil {
			return
		}
		c.Log.Error("start-up load failed; retrying", "load", l.name, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, loadRetryMax)
	}
}
