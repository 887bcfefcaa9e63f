package pbx

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Transfer is one transfer of a call by the agent who had it (REFER from the phone): blind,
// or attended (the agent had called the target first; Refer-To with Replaces).
type Transfer struct {
	At       time.Time `bson:"at" json:"at"`
	By       string    `bson:"by" json:"by"`         // the agent who transferred
	Kind     string    `bson:"kind" json:"kind"`     // agent, queue, number
	Target   string    `bson:"target" json:"target"` // agent's username, queue name or outside number
	Attended bool      `bson:"attended,omitempty" json:"attended,omitempty"`
	// Agent is, for an attended transfer to a queue, the queue's agent who took the call.
	Agent string `bson:"agent,omitempty" json:"agent,omitempty"`

	consult     *consult     // the agent's call to the target, for an attended transfer
	replacement *replacement // the dialog that replaced the agent's leg (INVITE with Replaces)
}

// Transfer target kinds.
const (
	TransferAgent  = "agent"
	TransferQueue  = "queue"
	TransferNumber = "number"
)

var errNoTransferTarget = errors.New("transfer target is no agent extension, queue or number")

// transferTarget resolves the user part of a Refer-To: an agent's extension, a queue's name,
// or an outside number when there is an outbound trunk.
func (m *Module) transferTarget(user string) (Transfer, error) {
	if a, ok := m.dir.byExtension(user); ok {
		return Transfer{Kind: TransferAgent, Target: a.Username}, nil
	}
	dp := m.dialplan.Load()
	if dp.queue(user) != nil {
		return Transfer{Kind: TransferQueue, Target: user}, nil
	}
	if validNumber(user) && dp.outboundTrunk() != nil {
		return Transfer{Kind: TransferNumber, Target: user}, nil
	}
	return Transfer{}, errNoTransferTarget
}

// onRefer takes a REFER from an agent's phone within a call the PBX bridged to it (diago
// answers 406): blind transfer of the caller to another agent, a queue or an outside number.
// The REFER must come in the agent leg's dialog (Call-ID and both tags); it is answered 202,
// the phone is told the outcome by NOTIFY (sipfrag 200) and its leg is hung up, and the
// call's goroutine re-routes the caller.
func (m *Module) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	respond := func(code int, reason string) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
	}
	v, ok := m.agentLegs.Load(req.CallID().Value())
	if !ok {
		respond(sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	c := v.(*call)
	c.mu.Lock()
	ad := c.agentLeg
	c.mu.Unlock()
	if ad == nil || !inDialog(ad, req) {
		respond(sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	if !sameHost(req.Source(), ad.InviteResponse.Source()) {
		// Toll fraud: a transfer may send the caller out through the trunk, so only the phone
		// that answered the leg (the registered, authenticated agent's) may ask for one.
		m.log.Info("refer refused: not from the agent's phone", "call", c.rec.ID, "source", req.Source())
		respond(sip.StatusForbidden, "Forbidden")
		return
	}
	hs := req.GetHeaders("Refer-To")
	if len(hs) != 1 {
		respond(sip.StatusBadRequest, "Bad Request - one Refer-To")
		return
	}
	var to sip.Uri
	val := strings.TrimSpace(hs[0].Value())
	if i := strings.IndexByte(val, '<'); i >= 0 {
		if j := strings.IndexByte(val[i:], '>'); j > 0 {
			val = val[i+1 : i+j]
		}
	}
	if err := sip.ParseUri(val, &to); err != nil || to.User == "" {
		respond(sip.StatusBadRequest, "Bad Request - Refer-To")
		return
	}
	var t Transfer
	if replaces, ok := uriHeader(to, "Replaces"); ok {
		c.mu.Lock()
		agent := c.rec.Agent
		c.mu.Unlock()
		cs := m.replacedConsult(replaces, agent)
		if cs == nil {
			respond(sip.StatusCallTransactionDoesNotExists, "Replaced Dialog Does Not Exist")
			return
		}
		t = cs.target
		t.Attended, t.consult = true, cs
	} else {
		var err error
		if t, err = m.transferTarget(to.User); err != nil {
			respond(sip.StatusNotFound, "Not Found")
			return
		}
	}
	if !c.setTransfer(t) {
		respond(sip.StatusRequestPending, "Request Pending")
		return
	}
	respond(sip.StatusAccepted, "Accepted")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := notifyRefer(ctx, ad, 200, "OK")
		cancel()
		if err != nil {
			m.log.Info("refer notify", "call", c.rec.ID, "err", err)
		}
		// A deadline of its own: a slow NOTIFY must not leave the BYE with an expired one.
		hangup(ad)
		// A BYE does not close the leg's media (diago closes it when the dialog ends, which
		// may wait for the BYE's answer): close it, so that the bridge, and the call's
		// goroutine carrying out the transfer, see the leg end now.
		_ = ad.DialogMedia.Close()
	}()
}

// sameHost reports whether two host:port addresses have the same host.
func sameHost(a, b string) bool {
	ha, _, errA := net.SplitHostPort(a)
	hb, _, errB := net.SplitHostPort(b)
	return errA == nil && errB == nil && ha == hb
}

// uriHeader returns a header of a SIP URI (sip:x@y?Replaces=...), case-insensitively.
func uriHeader(u sip.Uri, name string) (string, bool) {
	if u.Headers == nil {
		return "", false
	}
	if v, ok := u.Headers.Get(name); ok {
		return v, true
	}
	for _, k := range u.Headers.Keys() {
		if strings.EqualFold(k, name) {
			return u.Headers.Get(k)
		}
	}
	return "", false
}

// inDialog reports whether req belongs to the dialog of the agent leg d (the phone's tag
// in From, the PBX's in To).
func inDialog(d *diago.DialogClientSession, req *sip.Request) bool {
	if req.From() == nil || req.To() == nil || d.InviteResponse == nil || d.InviteResponse.To() == nil ||
		d.InviteRequest.From() == nil {
		return false
	}
	phoneTag, _ := d.InviteResponse.To().Params.Get("tag")
	ourTag, _ := d.InviteRequest.From().Params.Get("tag")
	fromTag, _ := req.From().Params.Get("tag")
	toTag, _ := req.To().Params.Get("tag")
	return phoneTag != "" && fromTag == phoneTag && toTag == ourTag
}

// notifyRefer tells the referrer the outcome of its REFER and ends the implicit subscription.
func notifyRefer(ctx context.Context, d *diago.DialogClientSession, code int, reason string) error {
	target := d.InviteRequest.Recipient
	if c := d.InviteResponse.Contact(); c != nil {
		target = c.Address
	}
	req := sip.NewRequest(sip.NOTIFY, target)
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	req.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason=noresource"))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte("SIP/2.0 " + strconv.Itoa(code) + " " + reason))
	_, err := d.Do(ctx, req)
	return err
}

// setTransfer records a transfer asked for the current agent leg; false when one is pending.
func (c *call) setTransfer(t Transfer) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.transfer != nil {
		return false
	}
	c.transfer = &t
	return true
}

func (c *call) takeTransfer() *Transfer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.transfer
	c.transfer = nil
	return t
}

// transferred ends agent's part of the call and sends the caller where the agent asked:
// another agent (back to queue q if that agent is not free or does not answer), a queue,
// or an outside number through the trunk; for an attended transfer, the party the agent
// consulted (back to queue q if that call ended first).
func (c *call) transferred(q *Queue, agent string, ad *diago.DialogClientSession, t *Transfer) {
	m := c.m
	c.setHold(false, time.Now()) // a hold by the agent's phone ends with its leg
	hangup(ad)
	if c.rec.AnsweredAt != nil {
		m.queues.observeTalk(q.Name, time.Since(*c.rec.AnsweredAt))
	}
	m.startWrapUp(agent)
	var took consultLeg
	handedOver := t.replacement != nil // the target has the caller (else: back to the queue)
	if t.consult != nil && c.ctx.Err() == nil {
		var ok bool
		if took, ok = t.consult.take(); ok {
			handedOver = true
			if t.Kind == TransferQueue {
				t.Agent = took.agent
			}
		}
	}
	if !handedOver {
		t.consult = nil // the consult ended first, or the caller left: it goes on without them
	}
	now := time.Now()
	t.At, t.By = now.UTC(), agent
	c.setAndEmit("call.transferred", func(r *CallRecord) bson.M {
		c.endTalkLocked(now)
		r.Transfers = append(r.Transfers, *t)
		set := bson.M{"transfers": r.Transfers}
		switch {
		case handedOver && t.Kind == TransferAgent:
			r.Agent = t.Target
		case handedOver && t.Agent != "":
			r.Agent, r.Queue = t.Agent, t.Target
			set["queue"] = r.Queue
		default:
			return set
		}
		set["agent"] = r.Agent
		return set
	})
	if c.ctx.Err() != nil {
		if t.replacement != nil {
			hangup(t.replacement.d)
			close(t.replacement.done)
		}
		if took.d != nil { // taken just as the caller left
			hangup(took.d)
			if took.agent != "" {
				m.startWrapUp(took.agent)
			}
		}
		c.finish(OutcomeAnswered, "caller")
		return
	}
	switch {
	case t.replacement != nil:
		c.withReplacement(q, t)
	case t.Attended && t.consult == nil:
		c.queue(q)
	case t.consult != nil:
		c.takeOver(q, t, took)
	case t.Kind == TransferNumber:
		c.transferOut(t.Target)
	case t.Kind == TransferQueue:
		c.queue(m.dialplan.Load().queue(t.Target))
	default:
		agents := m.queues.claim(&Queue{Name: q.Name, Members: []string{t.Target}, Strategy: Linear}, c.rec.ID)
		if len(agents) > 0 {
			hold := newHold(c, q)
			done := c.ring(q, agents, hold)
			hold.stop()
			if done {
				return
			}
		}
		c.queue(q)
	}
}
