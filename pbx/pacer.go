package pbx

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/emiago/diago/media"
)

// G.711 at 8 kHz: one byte a sample, 160 samples (20 ms) a packet.
const (
	frameBytes  = 160
	framePeriod = 20 * time.Millisecond
)

// pacer sends the prompts of every call: one goroutine and one 20 ms ticker for all the streams
// playing, where diago's playback runs a goroutine and a ticker per stream. With hundreds of
// prompts and hold music playing at once, the scheduler then wakes one goroutine a tick instead of
// hundreds, and the payloads are slices of prompts encoded once (prompts.encoded), so a packet
// costs no encoding and no allocation. When nothing plays it waits without a ticker.
type pacer struct {
	mu      sync.Mutex
	streams []*playout
	closed  bool // Run has ended: play returns at once
	kick    chan struct{}
}

// playout is one prompt being sent to one leg.
type playout struct {
	w    *media.RTPPacketWriter
	pt   uint8
	data []byte      // G.711 payload of codec pt, a multiple of frameBytes
	stop func() bool // asked every tick: true ends the playout early
	done chan struct{}

	off      int  // next byte to send; owned by the pacer's goroutine
	stopped  bool // ended by stop (or a write error), not by its end; set before done closes
	finished bool
}

func newPacer() *pacer { return &pacer{kick: make(chan struct{}, 1)} }

// play sends data to w in 20 ms packets from the pacer's goroutine and returns when it has all
// been sent (false) or stop said so (true). Calls for one writer must not overlap.
func (p *pacer) play(w *media.RTPPacketWriter, pt uint8, data []byte, stop func() bool) (stopped bool) {
	s := &playout{w: w, pt: pt, data: data, stop: stop, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return true
	}
	p.streams = append(p.streams, s)
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
	<-s.done
	return s.stopped
}

// Run sends the streams' packets every 20 ms until ctx ends; it then ends every stream.
func (p *pacer) Run(ctx context.Context) error {
	t := time.NewTicker(framePeriod)
	defer t.Stop()
	var batch []*playout
	for {
		p.mu.Lock()
		idle := len(p.streams) == 0
		p.mu.Unlock()
		if idle {
			t.Stop()
			select {
			case <-ctx.Done():
				p.endAll()
				return nil
			case <-p.kick:
			}
			t.Reset(framePeriod)
		} else {
			select {
			case <-ctx.Done():
				p.endAll()
				return nil
			case <-t.C:
			case <-p.kick: // a new stream while others play: it starts at the next tick
				continue
			}
		}
		batch = p.tick(batch[:0])
	}
}

// tick sends one packet of every stream and ends those that are over.
func (p *pacer) tick(batch []*playout) []*playout {
	p.mu.Lock()
	batch = append(batch, p.streams...)
	p.mu.Unlock()
	over := 0
	for _, s := range batch {
		if s.stop != nil && s.stop() {
			s.stopped, s.finished = true, true
			over++
			continue
		}
		end := min(s.off+frameBytes, len(s.data))
		_, err := s.w.WriteSamples(s.data[s.off:end], uint32(end-s.off), false, s.pt)
		s.off = end
		if err != nil || s.off >= len(s.data) {
			s.stopped, s.finished = err != nil, true
			over++
		}
	}
	if over > 0 {
		p.mu.Lock()
		p.streams = slices.DeleteFunc(p.streams, func(s *playout) bool { return s.finished })
		p.mu.Unlock()
		for _, s := range batch {
			if s.finished {
				close(s.done)
			}
		}
	}
	clear(batch) // no references kept to ended streams
	return batch
}

// endAll ends every stream (shutdown).
func (p *pacer) endAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, s := range p.streams {
		s.stopped = true
		close(s.done)
	}
	p.streams = nil
}
