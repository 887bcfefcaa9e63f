package tickets

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// doMerge marks the ticket as a duplicate of a master ticket. The duplicate's reporters (and
// those of tickets merged into it before) are then added to the master, so that the master's
// approval tells every one of them (ticket.citizen_notice).
func doMerge(ctx context.Context, c *change, req ActionRequest) error {
	if err := required("master", req.Master, "the code of the ticket this one duplicates"); err != nil {
		return err
	}
	master, err := ParseCode(req.Master)
	if err != nil {
		return httpapi.Invalid(map[string]string{"master": err.Error()})
	}
	t := c.t
	if master == t.Code {
		return httpapi.Invalid(map[string]string{"master": "a ticket cannot be merged into itself"})
	}
	mt, err := c.m.load(ctx, master)
	if err != nil {
		return httpapi.Invalid(map[string]string{"master": "no ticket " + string(master)})
	}
	if !isOpen(mt.Status) && mt.Status != StatusAnswered {
		return httpapi.Conflict("cannot merge into ticket %s: it is %s; the master must still be open", master, mt.Status)
	}
	c.reason = clean(req.Reason)
	t.Status, t.MergedInto, t.Reason = StatusMerged, master, c.reason
	c.note = "into " + string(master)
	merged := mergedOf(t)
	c.after = func(ctx context.Context) {
		if skipMergeCompletion.Load() {
			return
		}
		if err := c.m.addMerged(ctx, master, merged, c.who); err != nil {
			c.m.core.Log.Error("merge: record duplicate on master (the ticket.merged consumer retries)", "ticket", merged.Code, "master", master, "err", err)
		}
	}
	return nil
}

// skipMergeCompletion leaves the master's side of a merge to the consumer, as when the
// process dies between the two writes; for tests.
var skipMergeCompletion atomic.Bool

// mergedOf is a merged duplicate as its master records it: its code and every reporter to
// tell, its own and those of tickets merged into it before.
func mergedOf(t *Ticket) MergedTicket {
	reporters := []Reporter{t.Reporter}
	for _, m := range t.Merged {
		reporters = append(reporters, m.Reporters...)
	}
	return MergedTicket{Code: t.Code, Reporters: reporters}
}

// completeMerge consumes ticket.merged: a merge writes the duplicate first, with this event
// in the same write, and the master second. Should the process stop between the two, this
// durable consumer records the duplicate on its master when the event is delivered (again).
// It is idempotent: a master that lists the duplicate already is left alone.
func (m *Module) completeMerge(ctx context.Context, ev events.Event) error {
	var d EventData
	if err := ev.Decode(&d); err != nil || d.MergedInto == "" {
		return nil
	}
	dup, err := m.load(ctx, d.Code)
	if err != nil {
		return err
	}
	if dup.Status != StatusMerged || dup.MergedInto != d.MergedInto {
		return nil // reopened or merged elsewhere since; nothing to complete
	}
	return m.addMerged(ctx, d.MergedInto, mergedOf(dup), d.By)
}

// addMerged records a merged duplicate on its master. When the master was resolved
// meanwhile, the duplicate's reporters are told at once.
func (m *Module) addMerged(ctx context.Context, master Code, dup MergedTicket, who string) error {
	_, err := m.withTicketRetry(ctx, master, func(old *Ticket) (*Ticket, []HistoryEntry, []events.Event, error) {
		nt := cloneTicket(old)
		if slices.ContainsFunc(nt.Merged, func(x MergedTicket) bool { return x.Code == dup.Code }) {
			return nil, nil, nil, errUnchanged
		}
		now := m.now()
		nt.Merged, nt.UpdatedAt = append(nt.Merged, dup), now
		h := HistoryEntry{At: now, By: who, Action: "merge_in", From: old.Status, To: old.Status, Note: "duplicate " + string(dup.Code)}
		var evs []events.Event
		if old.Status == StatusResolved || old.Status == StatusClosed {
			answer := ""
			if old.Answer != nil {
				answer = old.Answer.Text
			}
			for _, r := range dup.Reporters {
				evs = append(evs, noticeEvent(dup.Code, master, r, NoticeResolved, answer))
			}
		}
		return nt, []HistoryEntry{h}, evs, nil
	})
	if err == errUnchanged {
		return nil
	}
	return err
}
