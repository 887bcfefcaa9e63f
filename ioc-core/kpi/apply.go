package kpi

import (
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
)

// terminal statuses end a ticket's open life.
func terminal(status string) bool {
	return status == "closed" || status == "merged" || status == "rejected"
}

// pending statuses are those where the department still owes work: only they can be
// overdue or due soon.
func pending(status string) bool {
	return status == "new" || status == "assigned" || status == "in_progress"
}

func (p *Projection) applyTicketLocked(ev events.Event) error {
	var d ticketData
	if err := ev.Decode(&d); err != nil {
		return err
	}
	code := d.Code
	if code == "" {
		code = ev.Subject
	}
	key := TicketKey{Dept: p.internLocked(d.Department), Category: p.internLocked(d.Category),
		Ward: p.internLocked(d.Ward), Channel: p.internLocked(d.channel())}
	open := p.st.Open[code]
	s := &p.st.Tickets
	switch ev.Type {
	case "ticket.created":
		s.add(orAt(d.CreatedAt, ev.At), key, func(c *TicketCell) {
			c.Received++
			if d.Department != "" {
				c.Assigned++
			}
		})
	case "ticket.assigned", "ticket.transferred":
		if d.Department != "" {
			s.add(ev.At, key, func(c *TicketCell) { c.Assigned++ })
		}
	case "ticket.resolved":
		at := orAt(d.ResolvedAt, ev.At)
		s.add(at, key, func(c *TicketCell) {
			c.Resolved++
			if !d.CreatedAt.IsZero() && !at.Before(d.CreatedAt) {
				dur := at.Sub(d.CreatedAt)
				c.ResolutionN++
				c.ResolutionMS += dur.Milliseconds()
				c.Resolution.Add(dur.Seconds())
			}
		})
	case "ticket.closed":
		at := orAt(d.ClosedAt, ev.At)
		s.add(at, key, func(c *TicketCell) {
			c.Closed++
			if d.DueAt.IsZero() || !at.After(d.DueAt) {
				c.ClosedOnTime++
			}
		})
	case "ticket.rated":
		if d.Rating >= 1 && d.Rating <= 5 {
			s.add(ev.At, key, func(c *TicketCell) {
				c.Rated++
				if d.Rating >= 4 {
					c.RatedGood++
				}
			})
		}
	case "ticket.reopened":
		s.add(ev.At, key, func(c *TicketCell) { c.Reopened++ })
	case "ticket.rejected":
		s.add(ev.At, key, func(c *TicketCell) { c.Rejected++ })
	}
	if ev.Type == "ticket.transferred" || ev.Type == "ticket.returned" {
		// Forwarding counts once per ticket, against the department that gave it up.
		if open == nil || !open.Forwarded {
			from := key
			if open != nil && open.Key.Dept != 0 {
				from.Dept = open.Key.Dept
			}
			s.add(ev.At, from, func(c *TicketCell) { c.Forwarded++ })
		}
	}
	p.trackTicketLocked(code, key, &d, open, ev.Type)
	return nil
}

func (p *Projection) trackTicketLocked(code string, key TicketKey, d *ticketData, open *OpenTicket, typ string) {
	if terminal(d.Status) {
		delete(p.st.Open, code)
		return
	}
	if open == nil {
		open = &OpenTicket{}
		p.st.Open[code] = open
	}
	open.Key = key
	if d.Status != "" {
		open.Status = d.Status
	}
	open.DueAt = d.DueAt
	if typ == "ticket.transferred" || typ == "ticket.returned" {
		open.Forwarded = true
	}
}

func (p *Projection) applyCallLocked(ev events.Event) error {
	var d callData
	if err := ev.Decode(&d); err != nil {
		return err
	}
	id := d.ID
	if id == "" {
		id = ev.Subject
	}
	key := HotlineKey{Queue: p.internLocked(d.Queue)}
	at := orAt(d.ArrivedAt, ev.At)
	live := p.st.Calls[id]
	if live == nil && ev.Type != "call.ended" {
		live = &LiveCall{ArrivedAt: at, Outbound: d.outbound()}
		p.st.Calls[id] = live
	}
	if live != nil {
		live.Queue = key.Queue
	}
	if d.outbound() || (live != nil && live.Outbound) {
		if ev.Type == "call.ended" {
			p.st.Hotline.add(at, key, func(c *HotlineCell) { c.Outbound++ })
			delete(p.st.Calls, id)
		}
		return nil
	}
	T, short := float64(p.st.Params.ServiceLevelS), float64(p.st.Params.ShortAbandonS)
	switch ev.Type {
	case "call.arrived":
		p.st.Hotline.add(at, key, func(c *HotlineCell) { c.Arrived++ })
		p.st.Channels.add(at, ChannelKey{Channel: p.internLocked("phone")}, func(c *ChannelCell) { c.Contacts++ })
	case "call.queued":
		live.QueuedAt = orAt(d.QueuedAt, ev.At)
	case "call.answered":
		if live.Left {
			return nil
		}
		live.Left = true
		wait := d.waitSeconds(orAt(d.AnsweredAt, ev.At))
		p.st.Hotline.add(at, key, func(c *HotlineCell) {
			c.Offered++
			c.Answered++
			c.WaitMS += ms(wait)
			if wait <= T {
				c.AnsweredWithinT++
			}
		})
	case "call.abandoned":
		if live.Left {
			return nil
		}
		live.Left = true
		p.countAbandonLocked(at, key, d.waitSeconds(orAt(d.EndedAt, ev.At)), T, short)
	case "call.callback_requested", "call.voicemail":
		if live.Left {
			return nil
		}
		live.Left = true
		p.st.Hotline.add(at, key, func(c *HotlineCell) {
			c.Offered++
			if ev.Type == "call.voicemail" {
				c.Voicemails++
			} else {
				c.Callbacks++
			}
		})
	case "call.ended":
		p.endCallLocked(ev, &d, live, at, key, T, short)
		delete(p.st.Calls, id)
	}
	return nil
}

func (p *Projection) countAbandonLocked(at time.Time, key HotlineKey, wait, T, short float64) {
	p.st.Hotline.add(at, key, func(c *HotlineCell) {
		if wait < short {
			c.ShortAbandoned++
			return
		}
		c.Offered++
		c.Abandoned++
		if wait > T {
			c.AbandonedAfterT++
		}
	})
}

// endCallLocked counts the handling time of an answered call, and classifies a call that
// ended without a queue outcome: still waiting in the queue is an abandon, never queued is
// an IVR-only call.
func (p *Projection) endCallLocked(ev events.Event, d *callData, live *LiveCall, at time.Time, key HotlineKey, T, short float64) {
	if !d.AnsweredAt.IsZero() {
		p.st.Hotline.add(at, key, func(c *HotlineCell) {
			c.Handled++
			c.TalkMS += ms(d.TalkS)
			c.HoldMS += ms(d.HoldS)
			c.WrapMS += ms(d.WrapS)
		})
		if live != nil && !live.Left { // answered without a call.answered event
			live.Left = true
			wait := d.waitSeconds(d.AnsweredAt)
			p.st.Hotline.add(at, key, func(c *HotlineCell) {
				c.Offered++
				c.Answered++
				c.WaitMS += ms(wait)
				if wait <= T {
					c.AnsweredWithinT++
				}
			})
		}
		return
	}
	if live == nil || live.Left {
		return
	}
	queuedAt := orAt(d.QueuedAt, live.QueuedAt)
	if queuedAt.IsZero() {
		p.st.Hotline.add(at, key, func(c *HotlineCell) { c.IVROnly++ })
		return
	}
	if d.QueuedAt.IsZero() {
		d.QueuedAt = queuedAt
	}
	p.countAbandonLocked(at, key, d.waitSeconds(orAt(d.EndedAt, ev.At)), T, short)
}

func (p *Projection) applyAgentLocked(ev events.Event) error {
	var d agentData
	if err := ev.Decode(&d); err != nil {
		return err
	}
	name := d.Agent
	if name == "" {
		name = ev.Subject
	}
	at := orAt(d.At, ev.At)
	if prev := p.st.Agents[name]; prev != nil && at.After(prev.Since) {
		p.addAgentTimeLocked(prev.Class, prev.Since, at)
	}
	class := classify(d.State)
	if class == AgentOut {
		delete(p.st.Agents, name)
		return nil
	}
	p.st.Agents[name] = &LiveAgent{Class: class, Since: at}
	return nil
}

// maxAgentSpan bounds the time attributed to one state, so that a lost logout does not
// fill weeks of buckets.
const maxAgentSpan = 24 * time.Hour

// addAgentTimeLocked adds the time from a to b in class to the buckets it spans.
func (p *Projection) addAgentTimeLocked(class AgentClass, a, b time.Time) {
	if b.Sub(a) > maxAgentSpan {
		a = b.Add(-maxAgentSpan)
	}
	for t := a; t.Before(b); {
		end := fineStart(t).Add(Fine)
		if end.After(b) {
			end = b
		}
		d := end.Sub(t).Milliseconds()
		p.st.Hotline.add(t, HotlineKey{}, func(c *HotlineCell) { addAgentMS(c, class, d) })
		t = end
	}
}

func addAgentMS(c *HotlineCell, class AgentClass, d int64) {
	switch class {
	case AgentReady:
		c.AgentReadyMS += d
	case AgentOnCall:
		c.AgentOnCallMS += d
	case AgentWrapUp:
		c.AgentWrapMS += d
	default:
		c.AgentPauseMS += d
	}
}

func (p *Projection) applyConversationLocked(ev events.Event) error {
	var d conversationData
	if err := ev.Decode(&d); err != nil {
		return err
	}
	key := ChannelKey{Channel: p.internLocked(d.Channel)}
	s := &p.st.Channels
	switch ev.Type {
	case "conversation.created":
		s.add(ev.At, key, func(c *ChannelCell) { c.Contacts++ })
	case "conversation.queued":
		s.add(ev.At, key, func(c *ChannelCell) { c.HandedOff++ })
	case "conversation.assigned":
		s.add(ev.At, key, func(c *ChannelCell) { c.Assigned++ })
	case "conversation.resolved":
		s.add(ev.At, key, func(c *ChannelCell) {
			c.Resolved++
			if d.ByBot && !d.HandedOff {
				c.BotContained++
			}
		})
	case "message.received":
		s.add(ev.At, key, func(c *ChannelCell) { c.MessagesIn++ })
	case "message.sent":
		s.add(ev.At, key, func(c *ChannelCell) { c.MessagesOut++ })
	}
	return nil
}
