package pbx

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// maxVoicemail bounds a voicemail's length.
const maxVoicemail = 2 * time.Minute

// voicemail records a message from the caller until '#', silence of the line or the limit;
// the message becomes a `new` ticket with the recording attached.
func (c *call) voicemail() {
	m := c.m
	if c.ctx.Err() != nil {
		c.finish(OutcomeAbandoned, "caller")
		return
	}
	step := c.addStep("voicemail")
	_ = c.leg.play(c.ctx, m.prompts, false, "voicemail", "beep")
	rel := filepath.Join("recordings", string(c.rec.ID)+"-voicemail.wav")
	rec, err := newWAVRecorder(filepath.Join(m.dataDir, rel), 1)
	if err != nil {
		m.log.Error("voicemail", "call", c.rec.ID, "err", err)
		c.finish(OutcomeVoicemail, "system")
		return
	}
	c.leg.drainDigits()
	pt := c.leg.codec.PayloadType
	c.leg.setSink(func(p []byte) { rec.add(0, p, pt) })
	m.Live.PutCall(c.live("voicemail"))
	deadline := time.NewTimer(maxVoicemail)
wait:
	for {
		select {
		case d := <-c.leg.digits:
			c.addDigit(step, d)
			if d == '#' {
				break wait
			}
		case <-deadline.C:
			break wait
		case <-c.ctx.Done():
			break wait
		}
	}
	deadline.Stop()
	c.leg.setSink(nil)
	secs, _ := rec.close()
	by := "caller"
	if c.ctx.Err() == nil {
		by = "system"
	}
	code := ""
	if m.Tickets != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		code, err = m.Tickets.VoicemailTicket(ctx, c.rec.Caller, string(c.rec.ID), "/api/v1/calls/"+string(c.rec.ID)+"/recording")
		cancel()
		if err != nil {
			m.log.Error("voicemail ticket", "call", c.rec.ID, "err", err)
		}
	}
	c.setAndEmit("call.voicemail", func(r *CallRecord) bson.M {
		r.Voicemail, r.Recording, r.RecordingS, r.Ticket = true, rel, seconds(time.Duration(secs*float64(time.Second))), code
		return bson.M{"voicemail": true, "recording": rel, "recording_s": r.RecordingS, "ticket": code}
	})
	if c.ctx.Err() == nil {
		_ = c.leg.play(c.ctx, m.prompts, false, "voicemail_ok")
	}
	c.finish(OutcomeVoicemail, by)
}

// requestCallback keeps the caller's number for a call back from queue q when an agent is
// free, and ends the call.
func (c *call) requestCallback(q string) {
	m := c.m
	now := time.Now().UTC()
	c.setAndEmit("call.callback_requested", func(r *CallRecord) bson.M {
		if r.Queue == "" {
			r.Queue = q
		}
		r.Callback = &Callback{Status: "pending", Queue: q, NextAt: now, UpdatedAt: now}
		return bson.M{"callback": r.Callback, "queue": r.Queue}
	})
	m.noteCallbackDue(now)
	by := "caller"
	if c.ctx.Err() == nil {
		by = "system"
		_ = c.leg.play(c.ctx, m.prompts, false, "callback_ok")
	}
	c.finish(OutcomeCallback, by)
}

// callback retry policy.
const (
	callbackAttempts = 3
	callbackRetry    = 2 * time.Minute
	callbackPoll     = time.Second
	// callbackScan is how often the store is asked for due callbacks when this node knows of
	// none (callbacks of other nodes, or kept before a restart). On FerretDB the query reads
	// every call record, so it is not made every callbackPoll for nothing.
	callbackScan = 30 * time.Second
)

// noteCallbackDue tells the callback poller that a callback may be due at t.
func (m *Module) noteCallbackDue(t time.Time) {
	for {
		cur := m.callbackDue.Load()
		if cur != 0 && cur <= t.UnixNano() {
			return
		}
		if m.callbackDue.CompareAndSwap(cur, t.UnixNano()) {
			return
		}
	}
}

// runCallbacks places the pending callbacks when an agent of their queue is free and no
// caller is waiting there: the agent is rung first, then the citizen through the trunk.
func (m *Module) runCallbacks(ctx context.Context) error {
	t := time.NewTicker(callbackPoll)
	defer t.Stop()
	var lastScan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			due := m.callbackDue.Load()
			if (due == 0 || now.UnixNano() < due) && now.Sub(lastScan) < callbackScan {
				continue
			}
			lastScan = now
		}
		if err := m.callbacksOnce(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("callbacks", "err", err)
		}
	}
}

func (m *Module) callbacksOnce(ctx context.Context) error {
	if m.dialplan.Load().outboundTrunk() == nil {
		return nil
	}
	hint := m.callbackDue.Load()
	cur, err := m.st.C(callsCollection).Find(ctx, bson.M{"callback.status": "pending", "callback.next_at": bson.M{"$lte": time.Now().UTC()}},
		options.Find().SetSort(bson.D{{Key: "callback.next_at", Value: 1}}).SetLimit(20))
	if err != nil {
		return err
	}
	var due []CallRecord
	if err := cur.All(ctx, &due); err != nil {
		return err
	}
	switch {
	case len(due) == 0 && hint != 0 && time.Now().UnixNano()-hint > int64(callbackScan):
		// None due for a while (the record of a new callback reaches the store through the
		// record writer, so a fresh note is kept): wait for a new one or the next scan.
		m.callbackDue.CompareAndSwap(hint, 0)
	case len(due) > 0:
		m.noteCallbackDue(time.Now()) // some wait for a free agent: look again next poll
	}
	for _, r := range due {
		q := m.dialplan.Load().queue(r.Callback.Queue)
		if q == nil || m.queues.length(q.Name) > 0 {
			continue
		}
		agents := m.queues.claim(&Queue{Name: q.Name, Members: q.Members, Strategy: Linear}, r.ID)
		if len(agents) == 0 {
			continue
		}
		// Take the callback with a single-document conditional update by _id (the callback as
		// read, still pending), so one node dials it.
		took, err := m.st.UpdateByID(ctx, callsCollection, r.ID, bson.M{"callback": r.Callback},
			bson.M{"$set": bson.M{"callback.status": "dialing", "callback.agent": agents[0], "callback.updated_at": time.Now().UTC()},
				"$inc": bson.M{"callback.attempts": 1}}, nil)
		if err != nil || !took {
			m.callState(agents[0], []AgentState{Ringing}, func(s *AgentStatus) { s.State, s.Call = Available, "" })
			continue
		}
		go m.placeCallback(context.WithoutCancel(ctx), r, q, agents[0])
	}
	return nil
}

// placeCallback rings the agent, then the citizen, bridges them and records the outcome.
func (m *Module) placeCallback(ctx context.Context, r CallRecord, q *Queue, agent string) {
	result, talk := "agent_no_answer", time.Duration(0)
	defer func() { m.finishCallback(r, agent, result, talk) }()
	rctx, cancel := context.WithTimeout(ctx, time.Duration(max(q.RingTimeout, 15))*time.Second)
	ad, err := m.inviteAgent(rctx, agent, &call{rec: r})
	cancel()
	if err != nil {
		m.missedRing(agent, false)
		return
	}
	m.callState(agent, []AgentState{Ringing}, func(s *AgentStatus) { s.State, s.Missed, s.Calls = OnCall, 0, s.Calls+1 })
	defer m.startWrapUp(agent)
	defer hangup(ad)
	cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
	cd, err := m.dialOut(cctx, r.Caller, ad)
	ccancel()
	if err != nil {
		result = "no_answer"
		return
	}
	defer hangup(cd)
	al, err1 := newLeg(&ad.DialogMedia)
	cl, err2 := newLeg(&cd.DialogMedia)
	if err1 != nil || err2 != nil {
		result = "failed"
		return
	}
	start := time.Now()
	result = "connected"
	bridge(ctx, al, cl, nil)
	talk = time.Since(start)
}

func (m *Module) finishCallback(r CallRecord, agent, result string, talk time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Now().UTC()
	status := "connected"
	set := bson.M{"callback.result": result, "callback.updated_at": now, "callback.agent": agent}
	if result != "connected" {
		status = "pending"
		if r.Callback.Attempts+1 >= callbackAttempts {
			status = "failed"
		}
		set["callback.next_at"] = now.Add(callbackRetry)
		defer m.noteCallbackDue(now.Add(callbackRetry))
	} else {
		set["callback.talk_s"] = seconds(talk)
	}
	if status != "pending" {
		set["callback.done_at"] = now
	}
	set["callback.status"] = status
	r.Agent = agent
	typ := "call.callback_" + status
	if status == "pending" {
		typ = "call.callback_retry"
	}
	ev := r.event(typ)
	if _, err := m.st.C(callsCollection).UpdateOne(ctx, bson.M{"_id": r.ID}, stageDoc(set, ev)); err != nil {
		m.log.Error("callback outcome", "call", r.ID, "err", err)
		return
	}
	m.bus.Kick(events.Ref{Coll: callsCollection, ID: r.ID})
}

// dialOut calls number through the outbound trunk. Only the PBX's own flows (callbacks, IVR
// transfers) and authenticated agents reach it: never an unauthenticated INVITE.
func (m *Module) dialOut(ctx context.Context, number string, originator diago.DialogSession) (*diago.DialogClientSession, error) {
	t := m.dialplan.Load().outboundTrunk()
	if t == nil {
		return nil, ErrNoOutbound
	}
	if !validNumber(number) {
		return nil, fmt.Errorf("dial out: %q is not a number", number)
	}
	var uri sip.Uri
	if err := sip.ParseUri("sip:"+number+"@"+t.Outbound, &uri); err != nil {
		return nil, fmt.Errorf("dial out: %w", err)
	}
	opts := diago.InviteOptions{Originator: originator, Username: t.Username, Password: t.Secret}
	if t.CallerID != "" {
		opts.Headers = append(opts.Headers, &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: t.CallerID, Host: m.SIPAddr().Addr().String()},
			Params: sip.NewParams()})
	}
	return m.dg.Invite(ctx, uri, opts)
}

// transferOut sends the caller to an outside number (a department's line) from the IVR.
func (c *call) transferOut(number string) {
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	d, err := c.m.dialOut(ctx, number, c.d)
	cancel()
	if err != nil {
		c.m.log.Warn("transfer", "call", c.rec.ID, "err", err)
		c.finish(OutcomeSelfService, "system")
		return
	}
	defer hangup(d)
	l, err := newLeg(&d.DialogMedia)
	if err != nil {
		c.finish(OutcomeTransferred, "system")
		return
	}
	first := bridge(context.Background(), c.leg, l, c.recordWith(number, TransferNumber, false))
	by := "caller"
	if first == 1 {
		by = "transferee"
	}
	c.finish(OutcomeTransferred, by)
}

// agentCall serves an authenticated agent's call: feature codes change the agent's state;
// another agent's extension rings that agent; numbers go out through the outbound trunk.
// Either of the last two can be handed to a caller the agent holds (attended transfer).
func (m *Module) agentCall(d *diago.DialogServerSession, a agentInfo) {
	to := d.ToUser()
	states := map[string]AgentState{codeAvailable: Available, codePause: Paused, codeLogout: LoggedOut}
	if st, ok := states[to]; ok {
		if _, err := m.setState(d.Context(), a.Username, st, "phone"); err != nil {
			_ = d.Respond(sip.StatusForbidden, "Forbidden", nil)
			return
		}
		if err := d.AnswerOptions(diago.AnswerOptions{Codecs: answerCodecs}); err != nil {
			return
		}
		if l, err := newLeg(&d.DialogMedia); err == nil {
			_ = l.play(d.Context(), m.prompts, false, "beep")
		}
		return
	}
	if h := d.InviteRequest.GetHeader("Replaces"); h != nil {
		m.replaceAgentLeg(d, a, h.Value())
		return
	}
	if b, ok := m.dir.byExtension(to); ok {
		m.callAgent(d, a, b)
		return
	}
	if q := m.dialplan.Load().queue(to); q != nil {
		m.callQueue(d, a, q)
		return
	}
	if !validNumber(to) || m.dialplan.Load().outboundTrunk() == nil {
		_ = d.Respond(sip.StatusNotFound, "Not Found", nil)
		return
	}
	ctx, cancel := context.WithTimeout(d.Context(), 60*time.Second)
	out, err := m.dialOut(ctx, to, m.consultOrigin(a.Username, d))
	cancel()
	if err != nil {
		m.log.Warn("agent's call out failed", "agent", a.Username, "err", err)
		_ = d.Respond(sip.StatusTemporarilyUnavailable, "Unavailable", nil)
		return
	}
	m.consultBridge(d, a, out, "", Transfer{Kind: TransferNumber, Target: to})
}

// runJanitor deletes recordings older than the retention, hourly.
func (m *Module) runJanitor(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := m.expireRecordings(ctx, time.Now().Add(-m.cfg.RecordingRetention)); err != nil && ctx.Err() == nil {
			m.log.Warn("recording retention", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// expireRecordings deletes the recording files of calls that arrived before cutoff and
// removes them from the records.
func (m *Module) expireRecordings(ctx context.Context, cutoff time.Time) error {
	cur, err := m.st.C(callsCollection).Find(ctx, bson.M{"arrived_at": bson.M{"$lt": cutoff}, "recording": bson.M{"$gt": ""}},
		options.Find().SetProjection(bson.M{"recording": 1}).SetLimit(1000))
	if err != nil {
		return err
	}
	var old []CallRecord
	if err := cur.All(ctx, &old); err != nil {
		return err
	}
	for _, r := range old {
		if err := os.Remove(filepath.Join(m.dataDir, r.Recording)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("delete recording of %s: %w", r.ID, err)
		}
		if _, err := m.st.C(callsCollection).UpdateOne(ctx, bson.M{"_id": r.ID},
			bson.M{"$unset": bson.M{"recording": ""}, "$set": bson.M{"recording_expired": true}}); err != nil {
			return err
		}
	}
	return nil
}

// hangup ends a leg, waiting at most 3 s for the other side's answer to the BYE. The
// deadline starts now: a context made before a long bridge would have expired already.
func hangup(d interface{ Hangup(context.Context) error }) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = d.Hangup(ctx)
}
