package pbx

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// pendingInvites keeps the server transaction of every INVITE, by Call-ID, From tag and CSeq
// number, until the transaction ends (not merely until its handler returns), so that an ACK to a
// non-2xx answer or a CANCEL still reaches its transaction when it carries a branch other than
// the INVITE's. RFC 3261 §17.1.1.3 and §9.1 want the INVITE's branch, but SIPp scenarios written
// with [branch] on every message (and RFC 2543 phones) send a new one; sipgo's transaction layer
// then passes them up as requests of their own.
//
// It also ends a non-2xx answered INVITE's transaction when the same phone sends the next INVITE
// of that call leg (higher CSeq, e.g. the one answering a 407 challenge): that phone has the
// answer, so it is acknowledged even if its ACK is late or lost.
//
// Without this, after a 407 challenge an unmatched or late ACK left the 407 retransmitted (timer
// G) for up to 32 s; SIPp takes the To tag of every response it receives, so a retransmitted 407
// arriving after the authenticated INVITE's 200 made its ACK or BYE name the refused dialog (481)
// and the answered call never ended (the 500-bridge benchmark's failures).
type pendingInvites struct {
	txs  sync.Map // inviteKey → *inviteTx, until the transaction terminates
	legs sync.Map // Call-ID and From tag → *inviteTx, the leg's latest INVITE
}

// inviteTx is an INVITE's server transaction that remembers the final status it answered.
type inviteTx struct {
	sip.ServerTransaction
	tx    *sip.ServerTx // the transaction itself, to feed it an ACK or a CANCEL; nil if not one
	cseq  uint32
	final atomic.Int32
}

// Respond implements sip.ServerTransaction.
func (t *inviteTx) Respond(res *sip.Response) error {
	if !res.IsProvisional() {
		t.final.Store(int32(res.StatusCode))
	}
	return t.ServerTransaction.Respond(res)
}

// inviteKey names the INVITE an ACK or CANCEL belongs to, and legKey its call leg (Call-ID and
// From tag); "" when a header is missing.
func inviteKey(req *sip.Request) (key, legKey string) {
	cid, from, cseq := req.CallID(), req.From(), req.CSeq()
	if cid == nil || from == nil || cseq == nil {
		return "", ""
	}
	tag, _ := from.Params.Get("tag")
	leg := cid.Value() + "\x00" + tag
	return leg + "\x00" + strconv.FormatUint(uint64(cseq.SeqNo), 10), leg
}

// wrap returns next with INVITEs tracked while they are served, and ACKs and CANCELs that the
// transaction layer did not match handed to their INVITE's transaction.
func (p *pendingInvites) wrap(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		key, leg := inviteKey(req)
		if key == "" {
			next(req, tx)
			return
		}
		switch req.Method {
		case sip.INVITE:
			next(req, p.track(req, tx, key, leg))
			return
		case sip.ACK:
			// An ACK to a 2xx is a transaction of its own and goes on to the dialog.
			if it := p.load(key); it != nil && it.final.Load() >= 300 {
				_ = it.tx.Receive(req)
				return
			}
		case sip.CANCEL:
			if it := p.load(key); it != nil && it.final.Load() == 0 {
				_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
				_ = it.tx.Receive(req) // answers the INVITE 487 and ends its dialog
				return
			}
		}
		next(req, tx)
	}
}

// track registers an INVITE's transaction until it terminates and acknowledges the leg's
// previous INVITE if it was answered non-2xx (see pendingInvites).
func (p *pendingInvites) track(req *sip.Request, tx sip.ServerTransaction, key, leg string) *inviteTx {
	it := &inviteTx{ServerTransaction: tx, cseq: req.CSeq().SeqNo}
	it.tx, _ = tx.(*sip.ServerTx)
	if it.tx == nil {
		return it // not sipgo's transaction: nothing to feed ACKs to
	}
	if _, loaded := p.txs.LoadOrStore(key, it); loaded {
		return it // one INVITE served twice: the first keeps the key
	}
	if prev, ok := p.legs.Swap(leg, it); ok {
		if old := prev.(*inviteTx); old.cseq < it.cseq && old.final.Load() >= 300 {
			// Its phone answered the challenge, so it has the 4xx: acknowledge it for the phone.
			// Confirmed, the transaction still absorbs late copies of its INVITE (timer I).
			_ = old.tx.Receive(impliedAck(req, old.cseq))
		}
	}
	forget := func(string, error) {
		p.txs.CompareAndDelete(key, it)
		p.legs.CompareAndDelete(leg, it)
	}
	if !it.tx.OnTerminate(forget) {
		forget("", nil)
	}
	return it
}

// impliedAck is the ACK a phone owes for its INVITE numbered cseq, built from its next INVITE.
func impliedAck(next *sip.Request, cseq uint32) *sip.Request {
	ack := sip.NewRequest(sip.ACK, next.Recipient)
	for _, name := range []string{"Via", "From", "To", "Call-ID"} {
		sip.CopyHeaders(name, next, ack)
	}
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.ACK})
	ack.SetSource(next.Source())
	return ack
}

func (p *pendingInvites) load(key string) *inviteTx {
	v, ok := p.txs.Load(key)
	if !ok || v.(*inviteTx).tx == nil {
		return nil
	}
	return v.(*inviteTx)
}
