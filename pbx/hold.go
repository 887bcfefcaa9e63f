package pbx

import (
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// watchHold sees the re-INVITEs of a call's legs (the caller's, or the agent's phone holding
// the caller) and keeps the call's hold time: an accepted offer that is sendonly or inactive
// (or to 0.0.0.0) starts a hold, one that is not ends it. diago answers the re-INVITE itself;
// tx is the pendingInvites wrapper that knows its final status.
func (m *Module) watchHold(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if req.Method != sip.INVITE || len(req.Body()) == 0 || req.To() == nil || req.CallID() == nil {
			next(req, tx)
			return
		}
		if tag, _ := req.To().Params.Get("tag"); tag == "" {
			next(req, tx)
			return
		}
		next(req, tx)
		it, ok := tx.(*inviteTx)
		if !ok || it.final.Load()/100 != 2 {
			return
		}
		if c := m.callOfLeg(req.CallID().Value()); c != nil {
			c.setHold(offersHold(req.Body()), time.Now())
		}
	}
}

// callOfLeg returns the call one of whose legs has SIP Call-ID id, or nil.
func (m *Module) callOfLeg(id string) *call {
	if v, ok := m.calls.Load(id); ok {
		return v.(*call)
	}
	if v, ok := m.agentLegs.Load(id); ok {
		return v.(*call)
	}
	return nil
}

// setHold starts (on) or ends a hold of the call at now; repeated offers change nothing.
func (c *call) setHold(on bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case on && c.heldSince.IsZero():
		c.heldSince = now
		c.m.log.Info("call held", "call", c.rec.ID)
	case !on && !c.heldSince.IsZero():
		c.endHoldLocked(now)
		c.m.log.Info("call resumed", "call", c.rec.ID, "hold_s", c.rec.HoldS)
	}
}

// endHoldLocked adds the hold in progress to the record's hold time (c.mu held).
func (c *call) endHoldLocked(now time.Time) {
	if c.heldSince.IsZero() {
		return
	}
	c.held += now.Sub(c.heldSince)
	c.heldSince = time.Time{}
	c.rec.HoldS = seconds(c.held)
}
