package pbx

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"
)

// consult is an agent's own call through the PBX, to another agent's extension, a queue or
// an outside number, that an attended transfer can hand over: the agent holds the caller, calls
// the target, and sends REFER on the caller's leg with a Refer-To whose Replaces names this
// call. The target's leg then joins the caller and the agent's legs are hung up.
type consult struct {
	agent  string                     // the calling agent's username
	a      *diago.DialogServerSession // the agent's phone → PBX
	target Transfer                   // kind and target of the call
	cancel context.CancelFunc

	mu     sync.Mutex
	b      consultLeg // the target's leg once answered (none while a queue's agents ring)
	taken  bool       // handed to a caller by an attended transfer
	closed bool       // the consult is over without a hand-over
}

// consultLeg is the answered leg of a consult: PBX → the target.
type consultLeg struct {
	agent string // the agent on it (a call to an agent or a queue); "" for an outside number
	d     *diago.DialogClientSession
	leg   *leg
}

// answered records the target's answer; false when the consult was taken or ended meanwhile
// (the caller then hangs b up).
func (cs *consult) answered(b consultLeg) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.taken || cs.closed {
		return false
	}
	cs.b = b
	return true
}

// take hands the consult over to a transfer with the target's leg as it is (none when a
// queue's agents still ring); false when the consult ended first.
func (cs *consult) take() (consultLeg, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return consultLeg{}, false
	}
	cs.taken = true
	cs.cancel()
	return cs.b, true
}

// close marks the consult over and reports whether it was taken.
func (cs *consult) close() (taken bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closed = !cs.taken
	return cs.taken
}

// callAgent connects an agent's call to another agent's extension: the target must be
// available and registered (486 busy, 480 not registered); its phone is rung for up to 30 s.
func (m *Module) callAgent(d *diago.DialogServerSession, from, to agentInfo) {
	uri, ok := m.locs.lookup(to.Extension)
	if !ok || to.Username == from.Username {
		_ = d.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
		return
	}
	if !m.callState(to.Username, []AgentState{Available}, func(s *AgentStatus) { s.State, s.Call = Ringing, "" }) {
		_ = d.Respond(sip.StatusBusyHere, "Busy Here", nil)
		return
	}
	_ = d.Ringing()
	ctx, cancel := context.WithTimeout(d.Context(), 30*time.Second)
	// From stays the calling agent's; the offer is the held caller's (consultOrigin).
	fromHdr := &sip.FromHeader{Address: *d.InviteRequest.From().Address.Clone(), Params: sip.NewParams()}
	fromHdr.Params.Add("tag", sip.GenerateTagN(16))
	out, err := m.dg.Invite(ctx, uri, diago.InviteOptions{Originator: m.consultOrigin(from.Username, d),
		Headers: []sip.Header{fromHdr}})
	cancel()
	if err != nil {
		m.missedRing(to.Username, d.Context().Err() != nil)
		_ = d.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
		return
	}
	m.callState(to.Username, []AgentState{Ringing}, func(s *AgentStatus) { s.State, s.Missed, s.Calls = OnCall, 0, s.Calls+1 })
	if !m.consultBridge(d, from, out, to.Username, Transfer{Kind: TransferAgent, Target: to.Username}) {
		m.startWrapUp(to.Username)
	}
}

// consultBridge answers the agent's phone and bridges it with out (agent's leg, or an
// outside number's when agent is "") until either hangs up or an attended transfer takes out
// over; it reports whether it was taken (then out is no longer this call's to hang up).
func (m *Module) consultBridge(d *diago.DialogServerSession, from agentInfo, out *diago.DialogClientSession, agent string, t Transfer) bool {
	if err := d.AnswerOptions(diago.AnswerOptions{Codecs: answerCodecs}); err != nil {
		hangup(out)
		return false
	}
	al, err1 := newLeg(&d.DialogMedia)
	ol, err2 := newLeg(&out.DialogMedia)
	if err1 != nil || err2 != nil {
		hangup(out)
		return false
	}
	ctx, cancel := context.WithCancel(d.Context())
	defer cancel()
	cs := &consult{agent: from.Username, a: d, target: t, cancel: cancel, b: consultLeg{agent: agent, d: out, leg: ol}}
	id := d.InviteRequest.CallID().Value()
	m.consults.Store(id, cs)
	bridge(ctx, al, ol, nil)
	m.consults.CompareAndDelete(id, cs)
	if cs.close() {
		return true
	}
	hangup(out)
	return false
}

// callQueue serves an agent's call to queue q (to transfer a caller there attended): the PBX
// answers, plays q's music on hold and rings q's agents as the queue would (once no caller
// waits ahead), then bridges the calling agent with the one who answered. A REFER with
// Replaces naming this call hands the caller over: to that agent, or into q when none had
// answered yet.
func (m *Module) callQueue(d *diago.DialogServerSession, from agentInfo, q *Queue) {
	if err := d.AnswerOptions(diago.AnswerOptions{Codecs: answerCodecs}); err != nil {
		return
	}
	al, err := newLeg(&d.DialogMedia)
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(d.Context())
	defer cancel()
	cs := &consult{agent: from.Username, a: d, target: Transfer{Kind: TransferQueue, Target: q.Name}, cancel: cancel}
	id := d.InviteRequest.CallID().Value()
	m.consults.Store(id, cs)
	defer m.consults.CompareAndDelete(id, cs)
	name, out := m.consultQueue(ctx, d, al, q, m.callOfAgent(from.Username))
	if out == nil {
		cs.close()
		return
	}
	m.callState(name, []AgentState{Ringing}, func(s *AgentStatus) { s.State, s.Missed, s.Calls = OnCall, 0, s.Calls+1 })
	ol, err := newLeg(&out.DialogMedia)
	if err != nil || !cs.answered(consultLeg{agent: name, d: out, leg: ol}) {
		hangup(out)
		cs.close()
		m.startWrapUp(name)
		return
	}
	bridge(ctx, al, ol, nil)
	m.consults.CompareAndDelete(id, cs)
	if cs.close() {
		return
	}
	hangup(out)
	m.startWrapUp(name)
}

// consultQueue waits in queue q for the agent's call d (media al) with music on hold, ringing
// q's agents when one is free and no caller waits ahead, until one answers (its name and leg)
// or ctx ends ("" and nil). orig is the call the agent holds (nil if none): the rung agents get
// its caller's screen pop, and their status names it.
func (m *Module) consultQueue(ctx context.Context, d *diago.DialogServerSession, al *leg, q *Queue, orig *call) (string, *diago.DialogClientSession) {
	hold := newHoldOn(ctx, al, m.prompts, q)
	defer hold.stop()
	// The queue's agent is rung as for orig's caller (whose codecs come first in the offer):
	// it is with that caller that its leg is bridged after the transfer.
	via := &call{d: d}
	if orig != nil {
		orig.mu.Lock()
		via.rec.ID, via.d = orig.rec.ID, orig.d
		orig.mu.Unlock()
	}
	for ctx.Err() == nil {
		changed := m.Live.Changed()
		if m.queues.length(q.Name) < len(m.queues.eligible(q)) {
			if agents := m.queues.claim(q, via.rec.ID); len(agents) > 0 {
				for _, name := range agents {
					if orig != nil {
						go m.screenPop(name, orig)
					}
				}
				name, out := m.ringAgents(ctx, q, agents, func(rctx context.Context, name string) (*diago.DialogClientSession, error) {
					return m.inviteAgent(rctx, name, via)
				})
				if out != nil {
					return name, out
				}
				continue
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return "", nil
}

// consultOrigin is the dialog whose offer an agent's own call d copies (codecs in its order):
// the caller the agent has now, with whom the target's leg is bridged after an attended
// transfer; d itself when the agent has no caller.
func (m *Module) consultOrigin(agent string, d *diago.DialogServerSession) diago.DialogSession {
	if c := m.callOfAgent(agent); c != nil && c.d != nil {
		return c.d
	}
	return d
}

// callOfAgent returns the call agent is bridged with now, or nil.
func (m *Module) callOfAgent(agent string) *call {
	var found *call
	m.agentLegs.Range(func(_, v any) bool {
		c := v.(*call)
		c.mu.Lock()
		if c.rec.Agent == agent {
			found = c
		}
		c.mu.Unlock()
		return found == nil
	})
	return found
}

// replacedConsult returns the consult of agent that a Replaces value (RFC 3891: Call-ID;
// to-tag=...;from-tag=..., URI-escaped inside Refer-To) names, or nil. The tags are matched
// as a pair in either order: phones differ on whose tag is "to".
func (m *Module) replacedConsult(replaces, agent string) *consult {
	if v, err := url.QueryUnescape(replaces); err == nil {
		replaces = v
	}
	parts := strings.Split(replaces, ";")
	var toTag, fromTag string
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(k) {
		case "to-tag":
			toTag = v
		case "from-tag":
			fromTag = v
		}
	}
	val, ok := m.consults.Load(strings.TrimSpace(parts[0]))
	if !ok {
		return nil
	}
	cs := val.(*consult)
	if cs.agent != agent {
		return nil
	}
	phoneTag, _ := cs.a.InviteRequest.From().Params.Get("tag")
	ourTag, _ := cs.a.InviteRequest.To().Params.Get("tag") // diago puts our tag in its copy
	if (fromTag == phoneTag && toTag == ourTag) || (fromTag == ourTag && toTag == phoneTag) {
		return cs
	}
	return nil
}

// takeOver carries out an attended transfer with the consult's leg b: an agent (called
// directly or through a queue) talks with the caller as after a queue answer, an outside number
// as after an IVR transfer; a queue none of whose agents had answered yet takes the caller in.
// The recording, if any, goes on with the new party.
func (c *call) takeOver(q *Queue, t *Transfer, b consultLeg) {
	m := c.m
	if t.Kind == TransferQueue {
		if tq := m.dialplan.Load().queue(t.Target); tq != nil {
			q = tq
		}
		if b.d == nil {
			c.queue(q)
			return
		}
	}
	if b.agent != "" {
		c.mu.Lock()
		c.startTalkLocked(time.Now())
		c.mu.Unlock()
		m.Live.PutCall(c.live("talking"))
		c.withAgent(q, b.agent, b.d, b.leg, q.Record)
		return
	}
	defer hangup(b.d)
	by := "caller"
	if bridge(context.Background(), c.leg, b.leg, c.recordWith(t.Target, TransferNumber, false)) == 1 {
		by = "transferee"
	}
	c.finish(OutcomeTransferred, by)
}
