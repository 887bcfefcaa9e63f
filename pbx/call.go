package pbx

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo/sip"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// call is one inbound call from a trunk, owned by the goroutine diago serves it on.
type call struct {
	m     *Module
	d     *diago.DialogServerSession
	ctx   context.Context // ends when the caller hangs up
	trunk *Trunk
	leg   *leg
	w     *recordWriter

	mu       sync.Mutex // guards rec for the API's reads
	rec      CallRecord
	agentLeg *diago.DialogClientSession
	transfer *Transfer // asked by the agent's phone (REFER), carried out when its leg ends
	ended    bool
	// heldSince is when the current hold began (zero: not held); held sums the ended holds.
	heldSince time.Time
	held      time.Duration
	// waitFrom is when the caller entered the queue it waits in now (zero: not waiting); waited
	// sums the ended waits. talkFrom is when the caller's talk with the current agent began
	// (zero: with no agent); talked sums the ended talks. A transfer ends one and starts another.
	waitFrom, talkFrom time.Time
	waited, talked     time.Duration
	// recorder records the call's bridges once one is recorded (recording.go); owned by the
	// call's goroutine.
	recorder *wavRecorder
}

// answerCodecs are offered to callers: G.711 both ways and RFC 4733 events.
var answerCodecs = []media.Codec{media.CodecAudioUlaw, media.CodecAudioAlaw, media.CodecTelephoneEvent8000}

// onInvite admits or refuses a new INVITE, then runs the call.
func (m *Module) onInvite(d *diago.DialogServerSession) {
	if h := m.inviteHook.Load(); h != nil {
		(*h)(d.InviteRequest)
	}
	if n := m.active.Add(1); n > int64(m.cfg.MaxCalls) {
		m.active.Add(-1)
		_ = d.Respond(sip.StatusServiceUnavailable, "Busy Here", nil, sip.NewHeader("Retry-After", "10"))
		return
	}
	defer m.active.Add(-1)
	req := d.InviteRequest
	if ext := unsupportedRequire(req); ext != "" {
		// RFC 3261 §8.2.2.3: an extension the caller requires and we do not do (100rel, timer...).
		_ = d.Respond(sip.StatusBadExtension, "Bad Extension", nil, sip.NewHeader("Unsupported", ext))
		return
	}
	if trunk := m.trunkFor(req); trunk != nil {
		if m.rw.full() {
			// The store is behind: refuse new calls rather than lose records of accepted ones.
			_ = d.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil, sip.NewHeader("Retry-After", "10"))
			return
		}
		if m.acceptOffer(d) {
			m.inbound(d, trunk)
		}
		return
	}
	agent, ok := m.authenticateAgent(d)
	if !ok || !m.acceptOffer(d) {
		return
	}
	m.agentCall(d, agent)
}

// unsupportedRequire returns the option tags of req's Require headers, comma-separated, or "":
// the PBX supports none (no 100rel, no session timers).
func unsupportedRequire(req *sip.Request) string {
	var tags []string
	for _, h := range req.GetHeaders("Require") {
		for _, t := range strings.Split(h.Value(), ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
	}
	return strings.Join(tags, ", ")
}

// acceptOffer answers 488 Not Acceptable Here (with a Warning saying why) to an INVITE whose
// SDP the PBX cannot answer, before any call record: no offer, no RTP/AVP audio, no G.711.
func (m *Module) acceptOffer(d *diago.DialogServerSession) bool {
	req := d.InviteRequest
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	err := checkOffer(ct, req.Body())
	if err == nil {
		return true
	}
	m.log.Info("invite refused", "reason", err.Error(), "source", req.Source())
	code := "305" // incompatible media format
	if errors.Is(err, errNoOffer) {
		code = "399"
	}
	_ = d.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil,
		sip.NewHeader("Warning", code+` ioc1022 "`+strings.ReplaceAll(err.Error(), `"`, "'")+`"`))
	return false
}

// trunkFor returns the trunk req comes from: by source address, or by digest credentials
// matching a trunk's username. nil when none.
func (m *Module) trunkFor(req *sip.Request) *Trunk {
	dp := m.dialplan.Load()
	ip := sourceIP(req)
	for i := range dp.Trunks {
		if dp.Trunks[i].allows(ip) {
			return &dp.Trunks[i]
		}
	}
	cred := credentials(req)
	if cred == nil {
		return nil
	}
	for i := range dp.Trunks {
		t := &dp.Trunks[i]
		if t.Username != "" && t.Username == cred.Username &&
			m.digest.check(req, cred, HA1(t.Username, m.cfg.Realm, t.Secret)) == authOK {
			return t
		}
	}
	return nil
}

// authenticateAgent checks an INVITE's digest credentials against the agents; it answers
// 407 (challenge) or 403 itself and reports false when the caller is not an agent.
func (m *Module) authenticateAgent(d *diago.DialogServerSession) (agentInfo, bool) {
	req := d.InviteRequest
	cred := credentials(req)
	from := req.From()
	fromUser := ""
	if from != nil {
		fromUser = from.Address.User
	}
	if cred == nil {
		if _, known := m.dir.byExtension(fromUser); known || m.hasDigestTrunk() {
			_ = d.WriteResponse(m.digest.challenge(req, 407, false))
			return agentInfo{}, false
		}
		m.refuse(d, "unknown source")
		return agentInfo{}, false
	}
	a, ok := m.dir.byExtension(cred.Username)
	if !ok || a.HA1 == "" {
		m.refuse(d, "unknown user")
		return agentInfo{}, false
	}
	switch m.digest.check(req, cred, a.HA1) {
	case authOK:
		return a, true
	case authStale:
		_ = d.WriteResponse(m.digest.challenge(req, 407, true))
	default:
		m.refuse(d, "wrong credentials")
	}
	return agentInfo{}, false
}

func (m *Module) hasDigestTrunk() bool {
	for _, t := range m.dialplan.Load().Trunks {
		if t.Username != "" {
			return true
		}
	}
	return false
}

func (m *Module) refuse(d *diago.DialogServerSession, why string) {
	m.log.Info("invite refused", "reason", why, "source", d.InviteRequest.Source())
	_ = d.Respond(sip.StatusForbidden, "Forbidden", nil)
}

// inbound runs a call a trunk delivers: DID, IVR, then what the caller chose.
func (m *Module) inbound(d *diago.DialogServerSession, trunk *Trunk) {
	did := trunk.did(d.ToUser())
	if did == nil {
		_ = d.Respond(sip.StatusNotFound, "Not Found", nil)
		return
	}
	menu := did.Menu
	if did.AfterHours != "" && m.Calendar != nil && !m.Calendar.IsWorkingTime(m.now()) {
		menu = did.AfterHours
	}
	c := &call{m: m, d: d, ctx: d.Context(), trunk: trunk, w: m.rw}
	now := time.Now().UTC()
	c.rec = CallRecord{ID: CallID(bson.NewObjectID().Hex()), SIPCallID: d.InviteRequest.CallID().Value(),
		Caller: m.normalise(d.FromUser()), DID: did.Number, Trunk: trunk.Name, Path: []Step{}, ArrivedAt: now}
	c.w.insert(c.rec, c.rec.event("call.arrived"))
	m.calls.Store(c.rec.SIPCallID, c)
	m.Live.PutCall(c.live("ivr"))
	defer func() {
		m.calls.Delete(c.rec.SIPCallID)
		m.Live.DropCall(string(c.rec.ID))
	}()
	if err := c.answer(); err != nil {
		if c.ctx.Err() != nil { // CANCEL (or the caller gone) before the answer
			c.finish(OutcomeShortAbandoned, "caller")
			return
		}
		m.log.Warn("answer failed", "call", c.rec.ID, "err", err)
		c.finish(OutcomeRefused, "system")
		return
	}
	act := c.runIVR(menu)
	c.do(act)
}

// answer rings for pbx.answer_after (a CANCEL meanwhile ends the call), then answers the caller
// and takes over the media.
func (c *call) answer() error {
	_ = c.d.Trying()
	if wait := c.m.cfg.AnswerAfter; wait > 0 {
		_ = c.d.Ringing()
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
	if err := c.d.AnswerOptions(diago.AnswerOptions{Codecs: answerCodecs}); err != nil {
		return err
	}
	l, err := newLeg(&c.d.DialogMedia)
	if err != nil {
		return err
	}
	c.leg = l
	return nil
}

// do carries out the action that ends the IVR.
func (c *call) do(act Action) {
	if act.Kind != ActHangup && c.ctx.Err() == nil {
		c.exitIVR()
	}
	switch act.Kind {
	case ActQueue:
		c.queue(c.m.dialplan.Load().queue(act.Target))
	case ActVoice:
		c.voicemail()
	case ActCallback:
		c.requestCallback(act.Target)
	case ActTransfer:
		c.transferOut(act.Target)
	default:
		if c.ctx.Err() == nil {
			bye := "goodbye"
			if act.Kind == ActHangup && act.Target != "" {
				bye = act.Target
			}
			_ = c.leg.play(c.ctx, c.m.prompts, false, bye)
			c.finish(OutcomeSelfService, "system")
			return
		}
		c.finish(OutcomeSelfService, "caller")
	}
}

// exitIVR records the end of the IVR part.
func (c *call) exitIVR() {
	c.mu.Lock()
	if c.rec.IVRExitedAt != nil {
		c.mu.Unlock()
		return
	}
	c.rec.IVRExitedAt = ptr(time.Now().UTC())
	ev := c.rec.event("call.ivr_exited")
	set := bson.M{"ivr_exited_at": c.rec.IVRExitedAt, "path": c.rec.Path}
	snap := c.snapLocked()
	c.mu.Unlock()
	c.w.update(snap, set, ev)
}

// finish writes the end of the call once: outcome, end time, durations, who hung up, and
// call.ended (after call.abandoned for an abandon). It hangs up the caller if still there.
func (c *call) finish(outcome, hangupBy string) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	now := time.Now().UTC()
	r := &c.rec
	r.Outcome, r.HangupBy, r.EndedAt = outcome, hangupBy, ptr(now)
	c.endWaitLocked(now)
	c.endTalkLocked(now)
	if r.QueuedAt != nil {
		r.WaitS = seconds(c.waited)
	}
	c.endHoldLocked(now)
	if r.AnsweredAt != nil {
		// Talk is the time with agents, hold excluded: handle time is talk + hold + wrap-up.
		r.TalkS = seconds(max(c.talked-c.held, 0))
		r.WrapS = seconds(c.m.cfg.WrapUp)
	}
	c.closeRecordingLocked()
	types := []string{}
	if outcome == OutcomeAbandoned || outcome == OutcomeShortAbandoned {
		types = append(types, "call.abandoned")
	}
	types = append(types, "call.ended")
	evList := c.eventsLocked(types...)
	set := bson.M{"outcome": r.Outcome, "hangup_by": r.HangupBy, "ended_at": r.EndedAt, "wait_s": r.WaitS,
		"talk_s": r.TalkS, "wrap_s": r.WrapS, "hold_s": r.HoldS, "path": r.Path}
	if r.Recording != "" {
		set["recording"], set["recording_s"], set["recording_parts"] = r.Recording, r.RecordingS, r.RecordingParts
	}
	snap := c.snapLocked()
	c.mu.Unlock()
	c.w.update(snap, set, evList...)
	if c.ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.d.Hangup(ctx)
		cancel()
	}
}

// startWaitLocked, endWaitLocked, startTalkLocked and endTalkLocked keep the call's queue wait
// and agent talk across transfers (c.mu held); ending what is not going on does nothing.
func (c *call) startWaitLocked(now time.Time) { c.endWaitLocked(now); c.waitFrom = now }

func (c *call) endWaitLocked(now time.Time) {
	if !c.waitFrom.IsZero() {
		c.waited += now.Sub(c.waitFrom)
		c.waitFrom = time.Time{}
	}
}

func (c *call) startTalkLocked(now time.Time) { c.endTalkLocked(now); c.talkFrom = now }

func (c *call) endTalkLocked(now time.Time) {
	if !c.talkFrom.IsZero() {
		c.talked += now.Sub(c.talkFrom)
		c.talkFrom = time.Time{}
	}
}

// endWait ends the caller's wait in a queue (it leaves it for voicemail, a callback...).
func (c *call) endWait() {
	c.mu.Lock()
	c.endWaitLocked(time.Now())
	c.mu.Unlock()
}

// snapLocked is a copy of the record for the writer (c.mu held).
func (c *call) snapLocked() CallRecord {
	r := c.rec
	r.Path = append([]Step{}, c.rec.Path...)
	r.Transfers = append([]Transfer(nil), c.rec.Transfers...)
	r.RecordingParts = append([]RecordingPart(nil), c.rec.RecordingParts...)
	if c.rec.Callback != nil {
		cb := *c.rec.Callback
		r.Callback = &cb
	}
	return r
}

// live is the call as the live state shows it.
func (c *call) live(state string) LiveCall {
	lc := LiveCall{ID: string(c.rec.ID), Caller: maskPhone(c.rec.Caller), DID: c.rec.DID, State: state,
		Queue: c.rec.Queue, Agent: c.rec.Agent, ArrivedAt: c.rec.ArrivedAt}
	if c.rec.QueuedAt != nil {
		lc.QueuedAt = *c.rec.QueuedAt
	}
	return lc
}

// hangupAll ends the call's legs (shutdown).
func (c *call) hangupAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.mu.Lock()
	a := c.agentLeg
	c.mu.Unlock()
	if a != nil {
		_ = a.Hangup(ctx)
	}
	_ = c.d.Hangup(ctx)
}

// onInfo takes DTMF sent as SIP INFO within a call (diago answers INFO with 406).
func (m *Module) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	v, ok := m.calls.Load(req.CallID().Value())
	if !ok {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	d, err := parseInfoDigit(ct, req.Body())
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusUnsupportedMediaType, "Unsupported Media Type", nil))
		return
	}
	c := v.(*call)
	if c.leg != nil {
		c.leg.key(d)
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
}

// normalise returns a caller's number in national form (0xxxxxxxxx) when it looks like a
// Vietnamese number, else the digits as given.
func (m *Module) normalise(s string) string {
	if m.NormalizePhone != nil {
		if n, err := m.NormalizePhone(s); err == nil {
			return n
		}
	}
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "+84"):
		s = "0" + s[3:]
	case strings.HasPrefix(s, "84") && len(s) == 11:
		s = "0" + s[2:]
	}
	return s
}

// maskPhone hides all but the last three digits, for logs and the live view.
func maskPhone(s string) string {
	if len(s) <= 3 {
		return "***"
	}
	return strings.Repeat("*", len(s)-3) + s[len(s)-3:]
}

// now is the time for the calendar.
func (m *Module) now() time.Time {
	if m.Clock != nil {
		return m.Clock()
	}
	return time.Now()
}
