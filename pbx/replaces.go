package pbx

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"
)

// replacement is a phone's dialog that took an agent's leg of a call over by an INVITE with a
// Replaces header (RFC 3891): the call's goroutine bridges the caller with it, then closes done.
type replacement struct {
	d    *diago.DialogServerSession
	leg  *leg
	done chan struct{}
}

// replaces parses a Replaces header value: Call-ID;to-tag=...;from-tag=... (ok false when the
// Call-ID or a tag is missing).
func replaces(v string) (callID, toTag, fromTag string, ok bool) {
	if u, err := url.QueryUnescape(v); err == nil {
		v = u
	}
	parts := strings.Split(v, ";")
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(k) {
		case "to-tag":
			toTag = val
		case "from-tag":
			fromTag = val
		}
	}
	callID = strings.TrimSpace(parts[0])
	return callID, toTag, fromTag, callID != "" && toTag != "" && fromTag != ""
}

// agentLegCall returns the call whose agent leg is the dialog a Replaces value names, and that
// leg's agent, or nil. The tags are matched as a pair in either order (phones differ on whose
// tag is "to").
func (m *Module) agentLegCall(value string) *call {
	id, toTag, fromTag, ok := replaces(value)
	if !ok {
		return nil
	}
	v, found := m.agentLegs.Load(id)
	if !found {
		return nil
	}
	c := v.(*call)
	c.mu.Lock()
	ad := c.agentLeg
	c.mu.Unlock()
	if ad == nil || ad.InviteResponse == nil || ad.InviteResponse.To() == nil {
		return nil
	}
	phoneTag, _ := ad.InviteResponse.To().Params.Get("tag")
	ourTag, _ := ad.InviteRequest.From().Params.Get("tag")
	if (fromTag == phoneTag && toTag == ourTag) || (fromTag == ourTag && toTag == phoneTag) {
		return c
	}
	return nil
}

// replaceAgentLeg serves an authenticated agent's INVITE with a Replaces header naming the
// agent leg of a call in progress (a phone taking a colleague's call over, or a phone finishing
// an attended transfer by INVITE): it is answered, the named leg is hung up, and the caller is
// bridged with this dialog until either side hangs up. The record keeps an attended transfer to
// agent a and a becomes the call's agent. A Replaces naming no agent leg gets 481.
func (m *Module) replaceAgentLeg(d *diago.DialogServerSession, a agentInfo, value string) {
	c := m.agentLegCall(value)
	if c == nil {
		_ = d.Respond(sip.StatusCallTransactionDoesNotExists, "Replaced Dialog Does Not Exist", nil)
		return
	}
	if err := d.AnswerOptions(diago.AnswerOptions{Codecs: answerCodecs}); err != nil {
		m.log.Warn("replaces: answer", "call", c.rec.ID, "err", err)
		return
	}
	l, err := newLeg(&d.DialogMedia)
	if err != nil {
		m.log.Warn("replaces: media", "call", c.rec.ID, "err", err)
		hangup(d)
		return
	}
	r := &replacement{d: d, leg: l, done: make(chan struct{})}
	if !c.setTransfer(Transfer{Kind: TransferAgent, Target: a.Username, Attended: true, replacement: r}) {
		m.log.Info("replaces: a transfer of that leg is already under way", "call", c.rec.ID)
		hangup(d)
		return
	}
	c.mu.Lock()
	old := c.agentLeg
	c.mu.Unlock()
	if old != nil {
		_ = old.DialogMedia.Close() // its bridge ends; the call's goroutine takes the replacement
	}
	select {
	case <-r.done:
	case <-c.ctx.Done():
		select { // the caller left: the call's goroutine still ends the replacement's bridge
		case <-r.done:
		case <-time.After(5 * time.Second):
		}
	}
}

// withReplacement bridges the caller with the dialog that replaced the agent's leg until either
// hangs up, then ends the call; the replacing agent then goes to wrap-up.
func (c *call) withReplacement(q *Queue, t *Transfer) {
	m, r := c.m, t.replacement
	defer close(r.done)
	m.callState(t.Target, []AgentState{LoggedOut, Available, Ringing, WrapUp, Paused},
		func(s *AgentStatus) { s.State, s.Missed, s.Calls = OnCall, 0, s.Calls+1 })
	c.mu.Lock()
	c.startTalkLocked(time.Now())
	c.mu.Unlock()
	m.Live.PutCall(c.live("talking"))
	by := "caller"
	if bridge(context.Background(), c.leg, r.leg, c.recordWith(t.Target, TransferAgent, q.Record)) == 1 {
		by = "agent"
	}
	hangup(r.d)
	if c.rec.AnsweredAt != nil {
		m.queues.observeTalk(q.Name, time.Since(*c.rec.AnsweredAt))
	}
	c.finish(OutcomeAnswered, by)
	m.startWrapUp(t.Target)
}
