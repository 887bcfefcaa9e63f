package kpi

import (
	"time"
)

// Hotline is the answer of GET /api/v1/kpi/hotline. Definitions are in docs/kpi.md.
type Hotline struct {
	Range
	ThresholdS      int   `json:"threshold_s"`
	Arrived         int64 `json:"arrived"`
	Offered         int64 `json:"offered"`
	Answered        int64 `json:"answered"`
	Abandoned       int64 `json:"abandoned"`
	ShortAbandoned  int64 `json:"short_abandoned"`
	AnsweredWithinT int64 `json:"answered_within_t"`
	AbandonedAfterT int64 `json:"abandoned_after_t"`
	Callbacks       int64 `json:"callbacks"`
	Voicemails      int64 `json:"voicemails"`
	IVROnly         int64 `json:"ivr_only"`
	Outbound        int64 `json:"outbound"`
	Handled         int64 `json:"handled"`

	AnswerRate   Ratio    `json:"answer_rate"`
	ServiceLevel Ratio    `json:"service_level"`
	ASA          *float64 `json:"asa_s"`
	AHT          *float64 `json:"aht_s"`
	Occupancy    Ratio    `json:"occupancy"` // num and den in milliseconds

	Now HotlineNow `json:"now"`
}

// HotlineNow is the queue's state at the time of the query.
type HotlineNow struct {
	At           time.Time `json:"at"`
	LoggedIn     int       `json:"agents_logged_in"`
	Ready        int       `json:"agents_ready"`
	OnCall       int       `json:"agents_on_call"`
	WrapUp       int       `json:"agents_wrap_up"`
	NotReady     int       `json:"agents_not_ready"`
	CallsWaiting int       `json:"calls_waiting"`
	LongestWaitS float64   `json:"longest_wait_s"`
}

// Hotline computes the hotline KPIs over r, the queue state at now included.
func (p *Projection) Hotline(r Range, f Filter, now time.Time) Hotline {
	p.mu.RLock()
	defer p.mu.RUnlock()
	queues := p.idsLocked(f.Queues)
	var c HotlineCell
	p.st.Hotline.each(r.From, r.To, func(k HotlineKey) bool { return queues.has(k.Queue) }, func(_ HotlineKey, x *HotlineCell) { c.Merge(x) })
	if queues == nil {
		for _, a := range p.st.Agents { // the open stretch of each agent's current state
			if d := overlap(a.Since, now, r); d > 0 {
				addAgentMS(&c, a.Class, d.Milliseconds())
			}
		}
	}
	h := Hotline{Range: r, ThresholdS: p.st.Params.ServiceLevelS,
		Arrived: c.Arrived, Offered: c.Offered, Answered: c.Answered, Abandoned: c.Abandoned,
		ShortAbandoned: c.ShortAbandoned, AnsweredWithinT: c.AnsweredWithinT, AbandonedAfterT: c.AbandonedAfterT,
		Callbacks: c.Callbacks, Voicemails: c.Voicemails, IVROnly: c.IVROnly, Outbound: c.Outbound, Handled: c.Handled,
		AnswerRate:   ratio(c.Answered, c.Offered),
		ServiceLevel: ratio(c.AnsweredWithinT, c.Answered+c.AbandonedAfterT),
		ASA:          meanS(c.WaitMS, c.Answered),
		AHT:          meanS(c.TalkMS+c.HoldMS+c.WrapMS, c.Handled),
		Occupancy:    ratio(c.AgentOnCallMS+c.AgentWrapMS, c.AgentReadyMS+c.AgentOnCallMS+c.AgentWrapMS),
	}
	h.Now = p.hotlineNowLocked(queues, now)
	return h
}

func (p *Projection) hotlineNowLocked(queues idSet, now time.Time) HotlineNow {
	n := HotlineNow{At: now}
	for _, a := range p.st.Agents {
		n.LoggedIn++
		switch a.Class {
		case AgentReady:
			n.Ready++
		case AgentOnCall:
			n.OnCall++
		case AgentWrapUp:
			n.WrapUp++
		default:
			n.NotReady++
		}
	}
	for _, c := range p.st.Calls {
		if c.Left || c.QueuedAt.IsZero() || !queues.has(c.Queue) {
			continue
		}
		n.CallsWaiting++
		if w := now.Sub(c.QueuedAt).Seconds(); w > n.LongestWaitS {
			n.LongestWaitS = w
		}
	}
	return n
}

// Channels is the answer of GET /api/v1/kpi/channels.
type Channels struct {
	Range
	Contacts       int64                   `json:"contacts"`
	ByChannel      map[string]ChannelStats `json:"by_channel"`
	BotContainment Ratio                   `json:"bot_containment"`
}

// ChannelStats are one channel's figures.
type ChannelStats struct {
	Contacts       int64 `json:"contacts"`
	MessagesIn     int64 `json:"messages_in"`
	MessagesOut    int64 `json:"messages_out"`
	HandedOff      int64 `json:"handed_off"`
	Assigned       int64 `json:"assigned"`
	Resolved       int64 `json:"resolved"`
	BotContained   int64 `json:"bot_contained"`
	BotContainment Ratio `json:"bot_containment"`
}

// Channels computes the contact KPIs over r.
func (p *Projection) Channels(r Range, f Filter) Channels {
	p.mu.RLock()
	defer p.mu.RUnlock()
	chans := p.idsLocked(f.Channels)
	per := map[uint32]*ChannelCell{}
	p.st.Channels.each(r.From, r.To, func(k ChannelKey) bool { return chans.has(k.Channel) }, func(k ChannelKey, x *ChannelCell) {
		c := per[k.Channel]
		if c == nil {
			c = &ChannelCell{}
			per[k.Channel] = c
		}
		c.Merge(x)
	})
	out := Channels{Range: r, ByChannel: map[string]ChannelStats{}}
	var total ChannelCell
	for id, c := range per {
		total.Merge(c)
		out.ByChannel[p.nameLocked(id)] = ChannelStats{Contacts: c.Contacts, MessagesIn: c.MessagesIn, MessagesOut: c.MessagesOut,
			HandedOff: c.HandedOff, Assigned: c.Assigned, Resolved: c.Resolved, BotContained: c.BotContained,
			BotContainment: ratio(c.BotContained, c.Resolved)}
	}
	out.Contacts = total.Contacts
	out.BotContainment = ratio(total.BotContained, total.Resolved)
	return out
}
