package tickets

import (
	"context"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
)

// Deadlines: a ticket has up to two. AcceptDueAt, while it waits in a department's inbox
// (assigned): the category's AcceptHours of working time after it was assigned. DueAt, the
// answer: the category's AnswerDays working days after it was received (sla.AddWorkingDays),
// moved by granted extensions and set afresh on reopen. Marks cross once each: the answer's
// due_soon (tickets.due_soon_hours of working time before DueAt), the answer's overdue, and the
// acceptance's overdue. NextDeadline is the earliest mark still to cross, so the sweeper finds
// exactly the tickets that cross with an index on it.

// isOpen reports whether the clock runs for a status: the hotline or a department owes work.
func isOpen(s Status) bool { return s == StatusNew || s == StatusAssigned || s == StatusInProgress }

// setAnswerDeadline sets DueAt to the category's answer time counted from `from`.
func (m *Module) setAnswerDeadline(ctx context.Context, t *Ticket, from time.Time) error {
	if t.Category == "" {
		t.DueAt = nil
		return nil
	}
	cat, err := m.category(ctx, t.Category)
	if err != nil {
		return err
	}
	due := m.cal.AddWorkingDays(from, cat.AnswerDays)
	t.DueAt = &due
	return nil
}

// setAcceptDeadline sets AcceptDueAt for a ticket assigned at `at`.
func (m *Module) setAcceptDeadline(ctx context.Context, t *Ticket, at time.Time) error {
	hours := 8
	if t.Category != "" {
		cat, err := m.category(ctx, t.Category)
		if err != nil {
			return err
		}
		hours = cat.AcceptHours
	}
	due := m.cal.AddWorking(at, time.Duration(hours)*time.Hour)
	t.AcceptDueAt, t.AcceptOverdue = &due, false
	return nil
}

// schedule brings the ticket's marks up to date at now: it sets the marks whose instant has
// come and returns their events, clears marks whose deadline moved into the future, and sets
// NextDeadline to the earliest mark still to cross (none when the clock does not run).
func (m *Module) schedule(t *Ticket, now time.Time, by string) []events.Event {
	var evs []events.Event
	var next *time.Time
	consider := func(at time.Time) {
		if next == nil || at.Before(*next) {
			next = &at
		}
	}
	mark := func(flag *bool, at *time.Time, typ, deadline string) {
		switch {
		case at == nil:
		case *flag && at.After(now):
			*flag = false // the deadline moved (extension, reopen): it can cross again
			consider(*at)
		case *flag:
		case !at.After(now):
			*flag = true
			ev := ticketEvent(typ, t, typ[len("ticket."):], by, t.Status, "")
			evs = append(evs, withDeadline(ev, deadline))
		default:
			consider(*at)
		}
	}
	if !isOpen(t.Status) || (t.Waiting != nil && t.Waiting.Paused) {
		t.NextDeadline = nil
		return nil
	}
	if t.Status == StatusAssigned {
		mark(&t.AcceptOverdue, t.AcceptDueAt, EventOverdue, "accept")
	}
	if t.DueAt != nil {
		soon := m.cal.SubWorking(*t.DueAt, time.Duration(m.cfg.DueSoonHours)*time.Hour)
		mark(&t.DueSoon, &soon, EventDueSoon, "answer")
		mark(&t.Overdue, t.DueAt, EventOverdue, "answer")
	}
	t.NextDeadline = next
	return evs
}

// withDeadline sets the deadline field of a due_soon or overdue event.
func withDeadline(ev events.Event, deadline string) events.Event {
	var d EventData
	if err := ev.Decode(&d); err != nil {
		return ev
	}
	d.Deadline = deadline
	out := events.MustNew(ev.Type, ev.Subject, d)
	out.ID, out.At = ev.ID, ev.At
	return out
}

// endWait ends a ticket's wait for the citizen at now. When the clock stood still, each
// deadline moves by the working time it stood, so the department loses none of its time.
func (m *Module) endWait(t *Ticket, now time.Time) {
	w := t.Waiting
	t.Waiting = nil
	if w == nil || !w.Paused {
		return
	}
	d := m.cal.WorkingBetween(w.Since, now)
	if d <= 0 {
		return
	}
	for _, at := range []**time.Time{&t.DueAt, &t.AcceptDueAt} {
		if *at != nil {
			moved := m.cal.AddWorking(**at, d)
			*at = &moved
		}
	}
	t.PausedSeconds += int64(d / time.Second)
}
