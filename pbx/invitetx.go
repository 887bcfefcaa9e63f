package pbx

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// pendingInvites keeps the server transaction of every INVITE being served, by Call-ID, From
// tag and CSeq number, so that an ACK to a non-2xx answer or a CANCEL still reaches its
// transaction when it carries a branch other than the INVITE's. RFC 3261 §17.1.1.3 and §9.1 want
// the INVITE's branch, but SIPp scenarios written with [branch] on every message (and RFC 2543
// phones) send a new one; sipgo's transaction layer then passes them up as requests of their own.
//
// Without this, after a 407 challenge the unmatched ACK leaves the 407 retransmitted for 32 s; the
// caller takes the retransmission's To tag as its peer's, so its BYE after the authenticated
// INVITE lands on the refused dialog and the answered call never ends.
type pendingInvites struct {
	txs sync.Map // inviteKey → *inviteTx
}

// inviteTx is an INVITE's server transaction that remembers the final status it answered.
type inviteTx struct {
	sip.ServerTransaction
	tx    *sip.ServerTx // the transaction itself, to feed it an ACK or a CANCEL; nil if not one
	final atomic.Int32
}

// Respond implements sip.ServerTransaction.
func (t *inviteTx) Respond(res *sip.Response) error {
	if !res.IsProvisional() {
		t.final.Store(int32(res.StatusCode))
	}
	return t.ServerTransaction.Respond(res)
}

// inviteKey names the INVITE an ACK or CANCEL belongs to; "" when a header is missing.
func inviteKey(req *sip.Request) string {
	cid, from, cseq := req.CallID(), req.From(), req.CSeq()
	if cid == nil || from == nil || cseq == nil {
		return ""
	}
	tag, _ := from.Params.Get("tag")
	return cid.Value() + "\x00" + tag + "\x00" + strconv.FormatUint(uint64(cseq.SeqNo), 10)
}

// wrap returns next with INVITEs tracked while they are served, and ACKs and CANCELs that the
// transaction layer did not match handed to their INVITE's transaction.
func (p *pendingInvites) wrap(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		key := inviteKey(req)
		if key == "" {
			next(req, tx)
			return
		}
		switch req.Method {
		case sip.INVITE:
			it := &inviteTx{ServerTransaction: tx}
			it.tx, _ = tx.(*sip.ServerTx)
			p.txs.Store(key, it)
			defer p.txs.CompareAndDelete(key, it)
			next(req, it)
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

func (p *pendingInvites) load(key string) *inviteTx {
	v, ok := p.txs.Load(key)
	if !ok || v.(*inviteTx).tx == nil {
		return nil
	}
	return v.(*inviteTx)
}
