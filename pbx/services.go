package pbx

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"
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
			bson.M{"$unset": bson.M{"recording": "", "recording_parts": ""}, "$set": bson.M{"recording_expired": true}}); err != nil {
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
