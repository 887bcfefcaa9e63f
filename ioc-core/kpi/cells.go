package kpi

// Counters are kept in integers (durations in milliseconds) so that sums do not depend on
// the order buckets are read in, and a rebuild gives the very same numbers.

// HotlineKey is the dimension of hotline buckets: the PBX queue (id of the interned name).
type HotlineKey struct{ Queue uint32 }

// HotlineCell holds the hotline counters of one bucket and queue.
type HotlineCell struct {
	Arrived, Offered, Answered, Abandoned, ShortAbandoned  int64
	AnsweredWithinT, AbandonedAfterT                       int64
	Callbacks, Voicemails, IVROnly, Outbound, Handled      int64
	WaitMS, TalkMS, HoldMS, WrapMS                         int64
	AgentReadyMS, AgentOnCallMS, AgentWrapMS, AgentPauseMS int64
}

// Merge adds o.
func (c *HotlineCell) Merge(o *HotlineCell) {
	c.Arrived += o.Arrived
	c.Offered += o.Offered
	c.Answered += o.Answered
	c.Abandoned += o.Abandoned
	c.ShortAbandoned += o.ShortAbandoned
	c.AnsweredWithinT += o.AnsweredWithinT
	c.AbandonedAfterT += o.AbandonedAfterT
	c.Callbacks += o.Callbacks
	c.Voicemails += o.Voicemails
	c.IVROnly += o.IVROnly
	c.Outbound += o.Outbound
	c.Handled += o.Handled
	c.WaitMS += o.WaitMS
	c.TalkMS += o.TalkMS
	c.HoldMS += o.HoldMS
	c.WrapMS += o.WrapMS
	c.AgentReadyMS += o.AgentReadyMS
	c.AgentOnCallMS += o.AgentOnCallMS
	c.AgentWrapMS += o.AgentWrapMS
	c.AgentPauseMS += o.AgentPauseMS
}

// ChannelKey is the dimension of channel buckets.
type ChannelKey struct{ Channel uint32 }

// ChannelCell holds the contact counters of one bucket and channel.
type ChannelCell struct {
	Contacts, MessagesIn, MessagesOut, HandedOff, Assigned int64
	Resolved, BotContained                                 int64
}

// Merge adds o.
func (c *ChannelCell) Merge(o *ChannelCell) {
	c.Contacts += o.Contacts
	c.MessagesIn += o.MessagesIn
	c.MessagesOut += o.MessagesOut
	c.HandedOff += o.HandedOff
	c.Assigned += o.Assigned
	c.Resolved += o.Resolved
	c.BotContained += o.BotContained
}

// TicketKey is the dimensions of ticket buckets (ids of interned names).
type TicketKey struct{ Dept, Category, Ward, Channel uint32 }

// TicketCell holds the ticket counters of one bucket and dimension tuple.
type TicketCell struct {
	Received, Assigned, Forwarded, Resolved, Closed, ClosedOnTime int64
	Rated, RatedGood, Reopened, Rejected                          int64
	ResolutionN, ResolutionMS                                     int64
	Resolution                                                    Sketch
}

// addCounts adds the counters of o, not its histogram.
func (c *TicketCell) addCounts(o *TicketCell) {
	c.Received += o.Received
	c.Assigned += o.Assigned
	c.Forwarded += o.Forwarded
	c.Resolved += o.Resolved
	c.Closed += o.Closed
	c.ClosedOnTime += o.ClosedOnTime
	c.Rated += o.Rated
	c.RatedGood += o.RatedGood
	c.Reopened += o.Reopened
	c.Rejected += o.Rejected
	c.ResolutionN += o.ResolutionN
	c.ResolutionMS += o.ResolutionMS
}

// Merge adds o.
func (c *TicketCell) Merge(o *TicketCell) {
	c.addCounts(o)
	c.Resolution.Merge(&o.Resolution)
}
