package kpi

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
)

// Params are the settings a projection's numbers depend on. A snapshot made with other
// params is not reused: the projection is rebuilt from the log.
type Params struct {
	ServiceLevelS  int
	ShortAbandonS  int
	FineRetentionS int64
}

// LiveCall is a call not yet ended, for the queue's state now.
type LiveCall struct {
	Queue     uint32
	ArrivedAt time.Time
	QueuedAt  time.Time
	Left      bool // answered, abandoned or otherwise out of the queue
	Outbound  bool
}

// LiveAgent is a logged-in agent's state and since when.
type LiveAgent struct {
	Class AgentClass
	Since time.Time
}

// OpenTicket is a ticket not yet closed, merged or rejected, for the "now" figures.
type OpenTicket struct {
	Key       TicketKey
	Status    string
	DueAt     time.Time
	Forwarded bool
}

// State is everything a projection knows. It is a pure function of the events applied, in
// log order, and of Params: applying the same log gives the same State.
type State struct {
	Seq      int64
	Params   Params
	Names    []string // interned dimension values; id 0 is ""
	Hotline  Series[HotlineKey, HotlineCell, *HotlineCell]
	Channels Series[ChannelKey, ChannelCell, *ChannelCell]
	Tickets  Series[TicketKey, TicketCell, *TicketCell]
	Calls    map[string]*LiveCall
	Agents   map[string]*LiveAgent
	Open     map[string]*OpenTicket
	Latest   time.Time // the latest event time applied
}

// Projection is the KPI state with its lock. Apply is called by one goroutine; queries
// may run concurrently with it.
type Projection struct {
	mu  sync.RWMutex
	st  State
	ids map[string]uint32
}

// NewProjection returns an empty projection computed with params.
func NewProjection(params Params) *Projection {
	p := &Projection{}
	p.reset(State{Params: params})
	return p
}

func (p *Projection) reset(st State) {
	if st.Names == nil {
		st.Names = []string{""}
	}
	st.Hotline.init()
	st.Channels.init()
	st.Tickets.init()
	if st.Calls == nil {
		st.Calls = map[string]*LiveCall{}
	}
	if st.Agents == nil {
		st.Agents = map[string]*LiveAgent{}
	}
	if st.Open == nil {
		st.Open = map[string]*OpenTicket{}
	}
	p.st = st
	p.ids = make(map[string]uint32, len(st.Names))
	for i, n := range st.Names {
		p.ids[n] = uint32(i)
	}
}

// Seq is the sequence number of the last event applied.
func (p *Projection) Seq() int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.st.Seq
}

// Params returns the settings the projection computes with.
func (p *Projection) Params() Params {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.st.Params
}

// internLocked returns the id of name, adding it when new.
func (p *Projection) internLocked(name string) uint32 {
	if id, ok := p.ids[name]; ok {
		return id
	}
	id := uint32(len(p.st.Names))
	p.st.Names = append(p.st.Names, name)
	p.ids[name] = id
	return id
}

// lookup returns the id of name, or false when no event ever carried it.
func (p *Projection) lookupLocked(name string) (uint32, bool) {
	id, ok := p.ids[name]
	return id, ok
}

// Relevant reports whether events of type typ feed the KPIs.
func Relevant(typ string) bool {
	for _, pre := range []string{"ticket.", "call.", "agent.state", "conversation.", "message."} {
		if strings.HasPrefix(typ, pre) {
			return true
		}
	}
	return false
}

// Apply folds events into the state, in order. Events at or before the state's Seq are
// skipped, so applying a batch twice changes nothing. An event whose payload cannot be
// read is skipped and reported in the returned error list; the others are applied.
func (p *Projection) Apply(evs ...events.Event) []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, ev := range evs {
		if ev.Seq != 0 && ev.Seq <= p.st.Seq {
			continue
		}
		if err := p.applyLocked(ev); err != nil {
			errs = append(errs, fmt.Errorf("kpi: event %s %s (seq %d): %w", ev.Type, ev.ID, ev.Seq, err))
		}
		if ev.Seq > p.st.Seq {
			p.st.Seq = ev.Seq
		}
	}
	return errs
}

func (p *Projection) applyLocked(ev events.Event) error {
	if !Relevant(ev.Type) {
		return nil
	}
	if ev.At.After(p.st.Latest) {
		p.advanceLocked(ev.At)
	}
	switch {
	case strings.HasPrefix(ev.Type, "ticket."):
		return p.applyTicketLocked(ev)
	case strings.HasPrefix(ev.Type, "call."):
		return p.applyCallLocked(ev)
	case ev.Type == "agent.state":
		return p.applyAgentLocked(ev)
	default:
		return p.applyConversationLocked(ev)
	}
}

// advanceLocked moves the projection's clock to t, pruning what fell out of retention.
// It depends only on event times, so a rebuild prunes the same way.
func (p *Projection) advanceLocked(t time.Time) {
	crossedDay := !dayStart(t).Equal(dayStart(p.st.Latest))
	p.st.Latest = t
	if !crossedDay {
		return
	}
	floor := fineStart(t.Add(-time.Duration(p.st.Params.FineRetentionS) * time.Second)).Unix()
	p.st.Hotline.prune(floor)
	p.st.Channels.prune(floor)
	p.st.Tickets.prune(floor)
	// A call with no event for a day lost its end event: stop showing it as live.
	for id, c := range p.st.Calls {
		if t.Sub(c.ArrivedAt) > 24*time.Hour {
			delete(p.st.Calls, id)
		}
	}
}

func ms(seconds float64) int64 { return int64(seconds*1000 + 0.5) }

func orAt(t, at time.Time) time.Time {
	if t.IsZero() {
		return at
	}
	return t
}
