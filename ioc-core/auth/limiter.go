package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a set of token buckets by key, each refilled to n per window. It lives in this
// process; on several nodes each node limits on its own (a shared one would sit in the store).
type limiter struct {
	window time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
	sweeps  int
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(window time.Duration) *limiter {
	return &limiter{window: window, buckets: map[string]*bucket{}}
}

// allow takes one token of key's bucket of n per window; when there is none it says how long
// to wait.
func (l *limiter) allow(key string, n int) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.window/time.Duration(n)), n)}
		l.buckets[key] = b
		l.sweepLocked(now)
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweepLocked drops buckets idle long enough to be full again, every 1024 new keys.
func (l *limiter) sweepLocked(now time.Time) {
	l.sweeps++
	if l.sweeps%1024 != 0 {
		return
	}
	for k, b := range l.buckets {
		if now.Sub(b.seen) > l.window {
			delete(l.buckets, k)
		}
	}
}

// Limiter is a keyed rate limit for other packages (the public ticket lookup, webhooks).
type Limiter struct{ l *limiter }

// NewLimiter returns a limit of n per window for each key.
func NewLimiter(window time.Duration) *Limiter { return &Limiter{newLimiter(window)} }

// Allow takes one of key's n per window, or says how long to wait.
func (l *Limiter) Allow(key string, n int) (bool, time.Duration) { return l.l.allow(key, n) }

// Exhausted says, without taking anything, whether key has used up its n per window, and
// how long until it may try again: for limits that count only failures.
func (l *Limiter) Exhausted(key string, n int) (bool, time.Duration) {
	now := time.Now()
	l.l.mu.Lock()
	defer l.l.mu.Unlock()
	b := l.l.buckets[key]
	if b == nil {
		return false, 0
	}
	if tokens := b.lim.TokensAt(now); tokens < 1 {
		return true, time.Duration((1 - tokens) * float64(l.l.window) / float64(n))
	}
	return false, 0
}
