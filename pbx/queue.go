package pbx

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// queues keeps the callers waiting in each queue, in arrival order, and what the estimate of
// the wait needs. The order is this node's; a cluster would keep it in Live.
type queues struct {
	m       *Module
	mu      sync.Mutex
	waiting map[string][]*call
	rr      map[string]int
	talk    map[string]time.Duration // moving average of talk time per queue
}

func newQueues(m *Module) *queues {
	return &queues{m: m, waiting: map[string][]*call{}, rr: map[string]int{}, talk: map[string]time.Duration{}}
}

func (qs *queues) add(q string, c *call) (pos int) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	qs.waiting[q] = append(qs.waiting[q], c)
	return len(qs.waiting[q]) - 1
}

func (qs *queues) remove(q string, c *call) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	qs.waiting[q] = slices.DeleteFunc(qs.waiting[q], func(x *call) bool { return x == c })
}

func (qs *queues) position(q string, c *call) int {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	return slices.Index(qs.waiting[q], c)
}

func (qs *queues) length(q string) int {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	return len(qs.waiting[q])
}

// estimate is the expected wait of position pos (0 is next): the average talk time (3
// minutes until measured) times the callers ahead, shared by the agents logged in.
func (qs *queues) estimate(q *Queue, pos int) time.Duration {
	qs.mu.Lock()
	avg := qs.talk[q.Name]
	qs.mu.Unlock()
	if avg == 0 {
		avg = 3 * time.Minute
	}
	staffed := 0
	for _, name := range q.Members {
		if s, ok := qs.m.Live.Agent(name); ok && s.State != LoggedOut {
			staffed++
		}
	}
	if pos < len(qs.eligible(q)) {
		return 0
	}
	return avg * time.Duration(pos+1) / time.Duration(max(staffed, 1))
}

func (qs *queues) observeTalk(q string, d time.Duration) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if qs.talk[q] == 0 {
		qs.talk[q] = d
		return
	}
	qs.talk[q] = (qs.talk[q]*7 + d) / 8
}

// eligible returns the queue's agents who may be rung now (available and registered), in
// the order the strategy tries them.
func (qs *queues) eligible(q *Queue) []string {
	var ok []AgentStatus
	for _, name := range q.Members {
		s, found := qs.m.Live.Agent(name)
		a, known := qs.m.dir.byUsername(name)
		if !found || !known || s.State != Available {
			continue
		}
		if _, reg := qs.m.locs.lookup(a.Extension); reg {
			ok = append(ok, s)
		}
	}
	switch q.Strategy {
	case LeastRecent:
		slices.SortStableFunc(ok, func(a, b AgentStatus) int { return a.LastCallEnd.Compare(b.LastCallEnd) })
	case FewestCalls:
		slices.SortStableFunc(ok, func(a, b AgentStatus) int { return a.Calls - b.Calls })
	case RRMemory:
		qs.mu.Lock()
		start := qs.rr[q.Name]
		qs.mu.Unlock()
		idx := func(name string) int {
			return (slices.Index(q.Members, name) - start + len(q.Members)) % len(q.Members)
		}
		slices.SortStableFunc(ok, func(a, b AgentStatus) int { return idx(a.Agent) - idx(b.Agent) })
	}
	names := make([]string, len(ok))
	for i, s := range ok {
		names[i] = s.Agent
	}
	return names
}

// claim moves agents from available to ringing for call id: one (or all for ringall).
func (qs *queues) claim(q *Queue, id CallID) []string {
	var got []string
	for _, name := range qs.eligible(q) {
		if qs.m.callState(name, []AgentState{Available}, func(s *AgentStatus) { s.State, s.Call = Ringing, string(id) }) {
			got = append(got, name)
			if q.Strategy != RingAll {
				break
			}
		}
	}
	if len(got) > 0 && q.Strategy == RRMemory {
		qs.mu.Lock()
		qs.rr[q.Name] = (slices.Index(q.Members, got[0]) + 1) % len(q.Members)
		qs.mu.Unlock()
	}
	return got
}

// queue puts the caller in queue q until an agent answers, the caller leaves, or an
// overflow rule sends the call elsewhere.
func (c *call) queue(q *Queue) {
	m := c.m
	if q == nil {
		c.finish(OutcomeSelfService, "system")
		return
	}
	if q.MaxLen > 0 && m.queues.length(q.Name) >= q.MaxLen {
		c.overflow(q)
		return
	}
	c.setAndEmit("call.queued", func(r *CallRecord) bson.M {
		r.Queue, r.QueuedAt = q.Name, ptr(time.Now().UTC())
		c.startWaitLocked(*r.QueuedAt)
		return bson.M{"queue": r.Queue, "queued_at": r.QueuedAt}
	})
	m.queues.add(q.Name, c)
	m.Live.PutCall(c.live("queued"))
	defer m.queues.remove(q.Name, c)
	hold := newHold(c, q)
	defer hold.stop()
	offered := false
	lastAnnounce := time.Now()
	for {
		if c.ctx.Err() != nil {
			c.abandon()
			return
		}
		waited := time.Since(*c.rec.QueuedAt)
		if q.MaxWait > 0 && waited >= time.Duration(q.MaxWait)*time.Second {
			hold.stop()
			m.queues.remove(q.Name, c)
			c.overflow(q)
			return
		}
		pos := m.queues.position(q.Name, c)
		if q.CallbackAfter > 0 && !offered && m.queues.estimate(q, pos) >= time.Duration(q.CallbackAfter)*time.Second {
			offered = true
			if c.offerCallback(hold, q) {
				m.queues.remove(q.Name, c)
				c.requestCallback(q.Name)
				return
			}
		}
		if q.AnnounceEvery > 0 && time.Since(lastAnnounce) >= time.Duration(q.AnnounceEvery)*time.Second {
			lastAnnounce = time.Now()
			hold.pause(func() { c.announce(q, pos) })
		}
		changed := m.Live.Changed()
		if pos >= 0 && pos < len(m.queues.eligible(q)) {
			if agents := m.queues.claim(q, c.rec.ID); len(agents) > 0 {
				if c.ring(q, agents, hold) {
					return
				}
				continue
			}
		}
		select {
		case <-changed:
		case <-c.ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// abandon ends a call whose caller hung up while waiting.
func (c *call) abandon() {
	out := OutcomeAbandoned
	if time.Since(*c.rec.QueuedAt) < shortAbandon {
		out = OutcomeShortAbandoned
	}
	c.finish(out, "caller")
}

// overflow does the queue's overflow action (voicemail when none).
func (c *call) overflow(q *Queue) {
	c.endWait()
	act := Action{Kind: ActVoice}
	if q.Overflow != nil {
		act = *q.Overflow
	}
	c.setAndEmit("call.overflow", func(r *CallRecord) bson.M {
		r.Outcome = OutcomeOverflow
		return bson.M{"outcome": r.Outcome}
	})
	switch act.Kind {
	case ActQueue:
		if next := c.m.dialplan.Load().queue(act.Target); next != nil && next.Name != q.Name {
			c.queue(next)
			return
		}
		c.voicemail()
	case ActCallback:
		c.requestCallback(q.Name)
	default:
		c.voicemail()
	}
}

// announce reads the caller's position and estimated wait in minutes.
func (c *call) announce(q *Queue, pos int) {
	names := append([]string{"position"}, numberPrompts(pos+1)...)
	mins := int(c.m.queues.estimate(q, pos).Round(time.Minute) / time.Minute)
	names = append(names, "wait_minutes")
	names = append(names, numberPrompts(max(mins, 1))...)
	_ = c.leg.play(c.ctx, c.m.prompts, false, names...)
}

// offerCallback asks "press 1 to be called back"; it reports whether the caller accepted.
func (c *call) offerCallback(hold *holdMusic, q *Queue) bool {
	var accepted bool
	hold.pause(func() {
		step := c.addStep("callback_offer")
		c.leg.drainDigits()
		_ = c.leg.play(c.ctx, c.m.prompts, true, "callback_offer")
		if d, ok := c.readDigit(5 * time.Second); ok {
			c.addDigit(step, d)
			accepted = d == '1'
		}
	})
	return accepted
}

// ring rings the claimed agents (all at once for ringall); the first to answer is bridged
// with the caller. It reports whether the call ended (answered, or the caller left).
func (c *call) ring(q *Queue, agents []string, hold *holdMusic) bool {
	m := c.m
	m.Live.PutCall(c.live("ringing"))
	for _, name := range agents {
		go m.screenPop(name, c)
	}
	agent, d := m.ringAgents(c.ctx, q, agents, func(ctx context.Context, name string) (*diago.DialogClientSession, error) {
		return m.inviteAgent(ctx, name, c)
	})
	if d == nil {
		m.Live.PutCall(c.live("queued"))
		return c.ctx.Err() != nil && c.abandonNow()
	}
	hold.stop()
	c.talk(q, agent, d)
	return true
}

// ringAgents rings the claimed agents at once with invite for q's ring timeout (or until ctx,
// the waiting party's, ends) and returns the first to answer and its leg, or "" and nil. The
// others' rings are cancelled, an answer after the first is hung up, and those agents go back
// to available; a ring that went unanswered while ctx lived is a missed ring.
func (m *Module) ringAgents(ctx context.Context, q *Queue, agents []string,
	invite func(context.Context, string) (*diago.DialogClientSession, error)) (string, *diago.DialogClientSession) {
	timeout := time.Duration(q.RingTimeout) * time.Second
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type answer struct {
		agent string
		d     *diago.DialogClientSession
	}
	won := make(chan answer, len(agents))
	for _, name := range agents {
		go func() {
			d, err := invite(rctx, name)
			if err != nil {
				d = nil
			}
			won <- answer{agent: name, d: d}
		}()
	}
	var winner answer
	for range agents {
		a := <-won
		switch {
		case a.d != nil && winner.d == nil:
			winner = a
			cancel() // stop the others ringing
		case a.d != nil:
			hangup(a.d)
			m.callState(a.agent, []AgentState{Ringing}, func(s *AgentStatus) { s.State, s.Call = Available, "" })
		default:
			m.missedRing(a.agent, ctx.Err() != nil)
		}
	}
	return winner.agent, winner.d
}

// abandonNow records an abandon and says the call is over.
func (c *call) abandonNow() bool {
	c.abandon()
	return true
}

// missedRing returns an agent who did not answer to available, or pauses them after
// MaxMissedRings in a row. A ring cut short by the caller leaving is not a miss.
func (m *Module) missedRing(name string, callerLeft bool) {
	m.callState(name, []AgentState{Ringing}, func(s *AgentStatus) {
		s.State, s.Call = Available, ""
		if callerLeft {
			return
		}
		if s.Missed++; s.Missed >= m.cfg.MaxMissedRings {
			s.State, s.Reason = Paused, "missed_rings"
		}
	})
}

// inviteAgent calls an agent's registered phone, with the caller's number as From and the
// caller's codec offered first so both legs agree.
func (m *Module) inviteAgent(ctx context.Context, name string, c *call) (*diago.DialogClientSession, error) {
	a, ok := m.dir.byUsername(name)
	if !ok {
		return nil, ErrNoAgent
	}
	uri, ok := m.locs.lookup(a.Extension)
	if !ok {
		return nil, fmt.Errorf("agent %s is not registered", name)
	}
	opts := diago.InviteOptions{Headers: []sip.Header{sip.NewHeader("X-IOC1022-Call", string(c.rec.ID))}}
	if c.d != nil { // a callback has no caller leg yet
		opts.Originator = c.d
	}
	return m.dg.Invite(ctx, uri, opts)
}

// talk bridges the caller with the agent who answered, records when the queue says so, and
// ends the call when either side hangs up.
func (c *call) talk(q *Queue, agent string, ad *diago.DialogClientSession) {
	m := c.m
	now := time.Now().UTC()
	m.callState(agent, []AgentState{Ringing}, func(s *AgentStatus) { s.State, s.Missed, s.Calls = OnCall, 0, s.Calls+1 })
	c.setAndEmit("call.answered", func(r *CallRecord) bson.M {
		c.endWaitLocked(now)
		c.startTalkLocked(now)
		if r.AnsweredAt == nil { // answered_at is the first answer; a transfer's answer keeps it
			r.AnsweredAt = ptr(now)
		}
		r.Agent, r.WaitS = agent, seconds(c.waited)
		return bson.M{"agent": r.Agent, "answered_at": r.AnsweredAt, "wait_s": r.WaitS}
	})
	m.Live.PutCall(c.live("talking"))
	al, err := newLeg(&ad.DialogMedia)
	if err != nil {
		m.log.Warn("agent media", "call", c.rec.ID, "err", err)
		c.endTalk(q, agent, ad, "system")
		return
	}
	c.withAgent(q, agent, ad, al, q.Record)
}

// withAgent bridges the caller with agent's leg ad (media al) until either hangs up, and
// records both parties when record is set or the call is recorded already; then it carries
// out a transfer the agent asked for, or ends the call.
func (c *call) withAgent(q *Queue, agent string, ad *diago.DialogClientSession, al *leg, record bool) {
	m := c.m
	c.mu.Lock()
	c.agentLeg = ad
	c.mu.Unlock()
	legID := ad.InviteRequest.CallID().Value()
	m.agentLegs.Store(legID, c)
	defer m.agentLegs.Delete(legID)
	first := bridge(context.Background(), c.leg, al, c.recordWith(agent, TransferAgent, record))
	if t := c.takeTransfer(); t != nil && first == 1 {
		m.agentLegs.Delete(legID)
		c.mu.Lock()
		c.agentLeg = nil
		c.mu.Unlock()
		c.transferred(q, agent, ad, t)
		return
	}
	by := "caller"
	if first == 1 {
		by = "agent"
	}
	c.endTalk(q, agent, ad, by)
}

func (c *call) endTalk(q *Queue, agent string, ad *diago.DialogClientSession, by string) {
	hctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	_ = ad.Hangup(hctx)
	cancel()
	if c.rec.AnsweredAt != nil {
		c.m.queues.observeTalk(q.Name, time.Since(*c.rec.AnsweredAt))
	}
	c.finish(OutcomeAnswered, by)
	c.m.startWrapUp(agent)
}

// holdMusic loops a queue's music on hold to a waiting leg until stopped; pause stops it for
// an announcement and starts it again.
type holdMusic struct {
	ctx     context.Context // the waiting party's
	leg     *leg
	prompts *prompts
	prompt  string
	cancel  context.CancelFunc
	done    chan struct{}
}

func newHold(c *call, q *Queue) *holdMusic { return newHoldOn(c.ctx, c.leg, c.m.prompts, q) }

// newHoldOn starts q's music on hold on l until ctx ends or stop.
func newHoldOn(ctx context.Context, l *leg, p *prompts, q *Queue) *holdMusic {
	h := &holdMusic{ctx: ctx, leg: l, prompts: p, prompt: q.Hold}
	if h.prompt == "" {
		h.prompt = "hold"
	}
	h.start()
	return h
}

func (h *holdMusic) start() {
	ctx, cancel := context.WithCancel(h.ctx)
	h.cancel, h.done = cancel, make(chan struct{})
	go func() {
		defer close(h.done)
		_ = h.leg.play(ctx, h.prompts, false, "queue_wait")
		for ctx.Err() == nil {
			if err := h.leg.play(ctx, h.prompts, false, h.prompt); err != nil {
				return
			}
		}
	}()
}

func (h *holdMusic) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	<-h.done
	h.cancel = nil
}

func (h *holdMusic) pause(f func()) {
	h.stop()
	f()
	if h.ctx.Err() == nil {
		h.start()
	}
}
