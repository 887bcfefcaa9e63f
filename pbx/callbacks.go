package pbx

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// callbacksCollection keeps the callbacks not yet done, one document per call (keyed by the
// call record's id) deleted once the callback connected or failed for good: the poller reads
// only this small collection (FerretDB answers a filtered find on the call records by reading
// them all). The call record keeps the request and the outcome.
const callbacksCollection = "pbx_callbacks"

// callback retry policy.
const (
	callbackAttempts = 3
	callbackRetry    = 2 * time.Minute
	callbackPoll     = time.Second
	// callbackBeat is how often the node placing a callback says so; a callback marked
	// dialing without a word for callbackStale was left by a node that stopped, and is
	// placed again.
	callbackBeat  = 30 * time.Second
	callbackStale = 4 * callbackBeat
)

// pendingCallback is a callback to place (pending) or being placed (dialing).
type pendingCallback struct {
	ID        CallID    `bson:"_id"`
	Queue     string    `bson:"queue"`
	Status    string    `bson:"status"` // pending, dialing
	Attempts  int       `bson:"attempts"`
	NextAt    time.Time `bson:"next_at"`
	UpdatedAt time.Time `bson:"updated_at"`
}

// due reports whether the callback may be placed at now.
func (cb *pendingCallback) due(now time.Time) bool {
	switch cb.Status {
	case "pending":
		return !cb.NextAt.After(now)
	case "dialing":
		return now.Sub(cb.UpdatedAt) > callbackStale
	}
	return false
}

// requestCallback keeps the caller's number for a call back from queue q when an agent is
// free, and ends the call.
func (c *call) requestCallback(q string) {
	m := c.m
	c.endWait()
	now := time.Now().UTC()
	c.setAndEmit("call.callback_requested", func(r *CallRecord) bson.M {
		if r.Queue == "" {
			r.Queue = q
		}
		r.Callback = &Callback{Status: "pending", Queue: q, NextAt: now, UpdatedAt: now}
		return bson.M{"callback": r.Callback, "queue": r.Queue}
	})
	go m.keepCallback(pendingCallback{ID: c.rec.ID, Queue: q, Status: "pending", NextAt: now, UpdatedAt: now})
	by := "caller"
	if c.ctx.Err() == nil {
		by = "system"
		_ = c.leg.play(c.ctx, m.prompts, false, "callback_ok")
	}
	c.finish(OutcomeCallback, by)
}

// keepCallback stores a new callback, retrying for up to two minutes; a callback whose store
// write failed for good is still in its call record, from where adoptCallbacks takes it at the
// next start.
func (m *Module) keepCallback(cb pendingCallback) {
	wait := 100 * time.Millisecond
	for deadline := time.Now().Add(2 * time.Minute); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := m.st.C(callbacksCollection).InsertOne(ctx, cb)
		cancel()
		if err == nil || store.IsDuplicate(err) {
			return
		}
		if time.Now().After(deadline) {
			m.log.Error("callback not kept (taken again at the next start)", "call", cb.ID, "err", err)
			return
		}
		time.Sleep(wait)
		wait = min(2*wait, 5*time.Second)
	}
}

// runCallbacks places the pending callbacks when an agent of their queue is free and no
// caller is waiting there: the agent is rung first, then the citizen through the trunk.
func (m *Module) runCallbacks(ctx context.Context) error {
	if err := m.adoptCallbacks(ctx); err != nil && ctx.Err() == nil {
		m.log.Warn("callbacks: adopt from call records", "err", err)
	}
	t := time.NewTicker(callbackPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := m.callbacksOnce(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("callbacks", "err", err)
		}
	}
}

// adoptCallbacks copies into pbx_callbacks the callbacks that call records show pending or
// dialing but that collection lacks (kept before it existed, or whose write failed). It reads
// the call records once, at start.
func (m *Module) adoptCallbacks(ctx context.Context) error {
	cur, err := m.st.C(callsCollection).Find(ctx, bson.M{"callback.status": bson.M{"$in": bson.A{"pending", "dialing"}}},
		options.Find().SetProjection(bson.M{"callback": 1}))
	if err != nil {
		return err
	}
	var recs []CallRecord
	if err := cur.All(ctx, &recs); err != nil {
		return err
	}
	for _, r := range recs {
		cb := pendingCallback{ID: r.ID, Queue: r.Callback.Queue, Status: "pending", Attempts: r.Callback.Attempts,
			NextAt: r.Callback.NextAt, UpdatedAt: time.Now().UTC()}
		if _, err := m.st.C(callbacksCollection).InsertOne(ctx, cb); err != nil && !store.IsDuplicate(err) {
			return fmt.Errorf("adopt callback %s: %w", r.ID, err)
		}
	}
	return nil
}

// callbacksOnce reads the callbacks and places those due whose queue has a free agent.
func (m *Module) callbacksOnce(ctx context.Context) error {
	if m.dialplan.Load().outboundTrunk() == nil {
		return nil
	}
	cur, err := m.st.C(callbacksCollection).Find(ctx, bson.M{}, options.Find().SetLimit(1000))
	if err != nil {
		return err
	}
	var all []pendingCallback
	if err := cur.All(ctx, &all); err != nil {
		return err
	}
	now := time.Now()
	all = slices.DeleteFunc(all, func(cb pendingCallback) bool { return !cb.due(now) })
	slices.SortFunc(all, func(a, b pendingCallback) int { return a.NextAt.Compare(b.NextAt) })
	for _, cb := range all {
		q := m.dialplan.Load().queue(cb.Queue)
		if q == nil || m.queues.length(q.Name) > 0 {
			continue
		}
		agents := m.queues.claim(&Queue{Name: q.Name, Members: q.Members, Strategy: Linear}, cb.ID)
		if len(agents) == 0 {
			continue
		}
		if err := m.takeCallback(ctx, cb, q, agents[0]); err != nil {
			m.callState(agents[0], []AgentState{Ringing}, func(s *AgentStatus) { s.State, s.Call = Available, "" })
			if !errors.Is(err, errNotTaken) {
				return err
			}
		}
	}
	return nil
}

// errNotTaken says a callback was not this node's to place (another took it, or its call
// record is not written yet).
var errNotTaken = errors.New("callback not taken")

// takeCallback marks cb dialing (a single-document conditional update, so one node places
// it), notes it in the call record and places it with agent.
func (m *Module) takeCallback(ctx context.Context, cb pendingCallback, q *Queue, agent string) error {
	var r CallRecord
	if err := m.st.C(callsCollection).FindOne(ctx, bson.M{"_id": cb.ID}).Decode(&r); err != nil {
		if store.IsNotFound(err) {
			return errNotTaken // the record writer has not inserted it yet
		}
		return err
	}
	now := time.Now().UTC()
	took, err := m.st.UpdateByID(ctx, callbacksCollection, cb.ID, bson.M{"status": cb.Status, "updated_at": cb.UpdatedAt},
		bson.M{"$set": bson.M{"status": "dialing", "updated_at": now}, "$inc": bson.M{"attempts": 1}}, nil)
	if err != nil {
		return err
	}
	if !took {
		return errNotTaken
	}
	cb.Attempts++
	if _, err := m.st.C(callsCollection).UpdateOne(ctx, bson.M{"_id": cb.ID}, bson.M{"$set": bson.M{
		"callback.status": "dialing", "callback.agent": agent, "callback.updated_at": now, "callback.attempts": cb.Attempts}}); err != nil {
		m.log.Warn("callback: note dialing in the call record", "call", cb.ID, "err", err)
	}
	go m.placeCallback(context.WithoutCancel(ctx), r, cb, q, agent)
	return nil
}

// placeCallback rings the agent, then the citizen, bridges them and records the outcome.
func (m *Module) placeCallback(ctx context.Context, r CallRecord, cb pendingCallback, q *Queue, agent string) {
	result, talk := "agent_no_answer", time.Duration(0)
	beat, stop := context.WithCancel(ctx)
	go m.beatCallback(beat, cb.ID)
	defer func() {
		stop()
		m.finishCallback(r, cb, agent, result, talk)
	}()
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

// beatCallback says every callbackBeat that this node is still placing callback id, until
// ctx ends.
func (m *Module) beatCallback(ctx context.Context, id CallID) {
	t := time.NewTicker(callbackBeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := m.st.C(callbacksCollection).UpdateOne(ctx, bson.M{"_id": id},
				bson.M{"$set": bson.M{"updated_at": time.Now().UTC()}}); err != nil && ctx.Err() == nil {
				m.log.Warn("callback beat", "call", id, "err", err)
			}
		}
	}
}

// finishCallback records a placement's outcome in the call record (with its event), then
// deletes the callback, or sets it pending again for a retry in callbackRetry.
func (m *Module) finishCallback(r CallRecord, cb pendingCallback, agent, result string, talk time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Now().UTC()
	status := "connected"
	set := bson.M{"callback.result": result, "callback.updated_at": now, "callback.agent": agent}
	if result != "connected" {
		status = "pending"
		if cb.Attempts >= callbackAttempts {
			status = "failed"
		}
		set["callback.next_at"] = now.Add(callbackRetry)
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
	var err error
	if status == "pending" {
		_, err = m.st.C(callbacksCollection).UpdateOne(ctx, bson.M{"_id": cb.ID}, bson.M{"$set": bson.M{
			"status": "pending", "next_at": now.Add(callbackRetry), "updated_at": now}})
	} else {
		_, err = m.st.C(callbacksCollection).DeleteOne(ctx, bson.M{"_id": cb.ID})
	}
	if err != nil {
		m.log.Error("callback: close", "call", cb.ID, "err", err)
	}
}
