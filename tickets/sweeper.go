package tickets

import (
	"context"
	"fmt"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
)

// Sweeper marks tickets due_soon and overdue as their deadlines cross and emits
// ticket.due_soon and ticket.overdue, once per crossing. Each pass asks the ticket index
// for the tickets whose next_deadline has come (the store's index on it, or the in-memory
// heap), so its cost follows the tickets that cross, not the tickets that are open.
type Sweeper struct {
	m     *Module
	every time.Duration
}

// sweepBatch is how many crossing tickets one query takes.
const sweepBatch = 500

// Run sweeps once the ticket index is loaded, then every interval until ctx ends.
func (s *Sweeper) Run(ctx context.Context) error {
	select { // the in-memory index answers no crossing before it is loaded
	case <-ctx.Done():
		return nil
	case <-s.m.index.ready():
	}
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		if _, err := s.m.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.m.core.Log.Error("ticket sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sweep marks every ticket whose next deadline has come and reports how many it changed.
func (m *Module) Sweep(ctx context.Context) (int, error) {
	now := m.now()
	changed := 0
	var after time.Time
	var afterCode Code
	for {
		due, err := m.index.crossing(ctx, now, after, afterCode, sweepBatch)
		if err != nil {
			return changed, fmt.Errorf("sweep: find crossing tickets: %w", err)
		}
		for _, d := range due {
			ok, err := m.sweepOne(ctx, d.code, now)
			if err != nil {
				return changed, err
			}
			if ok {
				changed++
			}
		}
		if len(due) < sweepBatch {
			return changed, nil
		}
		last := due[len(due)-1]
		after, afterCode = last.at, last.code
	}
}

// sweepOne brings one ticket's marks up to date, unless an action already did.
func (m *Module) sweepOne(ctx context.Context, code Code, now time.Time) (bool, error) {
	changed := false
	_, err := m.withTicketRetry(ctx, code, func(old *Ticket) (*Ticket, []HistoryEntry, []events.Event, error) {
		nt := cloneTicket(old)
		evs := m.schedule(nt, now, "sweeper")
		if len(evs) == 0 && sameTime(nt.NextDeadline, old.NextDeadline) {
			return nil, nil, nil, errUnchanged
		}
		changed = true
		var hist []HistoryEntry
		for _, ev := range evs {
			hist = append(hist, HistoryEntry{At: now, By: "sweeper", Action: ev.Type[len("ticket."):], From: old.Status, To: old.Status,
				Note: deadlineOf(ev)})
		}
		return nt, hist, evs, nil
	})
	if err == errUnchanged {
		return false, nil
	}
	return changed, err
}

var errUnchanged = fmt.Errorf("unchanged")

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func deadlineOf(ev events.Event) string {
	var d EventData
	if ev.Decode(&d) != nil {
		return ""
	}
	return d.Deadline + " deadline"
}
