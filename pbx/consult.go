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

// consult is an agent's own call through the PBX, to another agent's extension or to an
// outside number, that an attended transfer can hand over: the agent holds the caller, calls
// the target, and sends REFER on the caller's leg with a Refer-To whose Replaces names this
// call. The target's leg then joins the caller and the agent's legs are hung up.
type consult struct {
	agent  string                     // the calling agent's username
	a      *diago.DialogServerSession // the agent's phone → PBX
	b      *diago.DialogClientSession // PBX → the target
	bLeg   *leg
	target Transfer // kind and target of b
	cancel context.CancelFunc

	mu     sync.Mutex
	taken  bool // handed to a caller by an attended transfer
	closed bool // the consult's bridge is over without a hand-over
}

// take hands the target's leg over to a transfer; false when the consult ended first.
func (cs *consult) take() bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return false
	}
	cs.taken = true
	cs.cancel()
	return true
}

// close marks the consult's bridge over and reports whether the target's leg was taken.
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
	out, err := m.dg.Invite(ctx, uri, diago.InviteOptions{Originator: d})
	cancel()
	if err != nil {
		m.missedRing(to.Username, d.Context().Err() != nil)
		_ = d.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
		return
	}
	m.callState(to.Username, []AgentState{Ringing}, func(s *AgentStatus) { s.State, s.Missed, s.Calls = OnCall, 0, s.Calls+1 })
	if !m.consultBridge(d, from, out, Transfer{Kind: TransferAgent, Target: to.Username}) {
		m.startWrapUp(to.Username)
	}
}

// consultBridge answers the agent's phone and bridges it with out until either hangs up or an
// attended transfer takes out over; it reports whether it was taken (then out is no longer
// this call's to hang up).
func (m *Module) consultBridge(d *diago.DialogServerSession, from agentInfo, out *diago.DialogClientSession, t Transfer) bool {
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
	cs := &consult{agent: from.Username, a: d, b: out, bLeg: ol, target: t, cancel: cancel}
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

// takeOver carries out an attended transfer: the consult's target joins the caller (an agent
// talks with the caller as after a queue answer, an outside number as after an IVR transfer).
// When the target hung up first, the caller goes back to queue q.
func (c *call) takeOver(q *Queue, t *Transfer) {
	cs := t.consult
	if !cs.take() {
		c.queue(q)
		return
	}
	if t.Kind == TransferAgent {
		c.m.Live.PutCall(c.live("talking"))
		c.withAgent(q, t.Target, cs.b, cs.bLeg, false)
		return
	}
	defer hangup(cs.b)
	by := "caller"
	if bridge(context.Background(), c.leg, cs.bLeg, nil) == 1 {
		by = "transferee"
	}
	c.finish(OutcomeTransferred, by)
}
