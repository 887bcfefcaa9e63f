package kpi

import "time"

// The payloads of the events the KPIs are computed from, as docs/events.md specifies them.
// The KPI code decodes them into these types of its own: it imports no domain package.

// ticketData is the payload of every ticket.<action> event.
type ticketData struct {
	Code        string    `bson:"code"`
	Action      string    `bson:"action"`
	By          string    `bson:"by"`
	Status      string    `bson:"status"`
	PrevStatus  string    `bson:"prev_status"`
	Category    string    `bson:"category"`
	Ward        string    `bson:"ward"`
	Department  string    `bson:"department"`
	Channel     string    `bson:"channel"`
	Reporter    reporter  `bson:"reporter"`
	CreatedAt   time.Time `bson:"created_at"`
	DueAt       time.Time `bson:"due_at"`
	ResolvedAt  time.Time `bson:"resolved_at"`
	ClosedAt    time.Time `bson:"closed_at"`
	Rating      int       `bson:"rating"`
	MergedInto  string    `bson:"merged_into"`
	Reason      string    `bson:"reason"`
	Rule        string    `bson:"rule"`
	AcceptDueAt time.Time `bson:"accept_due_at"`
}

type reporter struct {
	Channel string `bson:"channel"`
}

func (d *ticketData) channel() string {
	if d.Channel != "" {
		return d.Channel
	}
	return d.Reporter.Channel
}

// callData is the call record carried by every call.* event.
type callData struct {
	ID          string    `bson:"id"`
	Queue       string    `bson:"queue"`
	Agent       string    `bson:"agent"`
	Outcome     string    `bson:"outcome"`
	Direction   string    `bson:"direction"`
	ArrivedAt   time.Time `bson:"arrived_at"`
	IVRExitedAt time.Time `bson:"ivr_exited_at"`
	QueuedAt    time.Time `bson:"queued_at"`
	AnsweredAt  time.Time `bson:"answered_at"`
	EndedAt     time.Time `bson:"ended_at"`
	WaitS       float64   `bson:"wait_s"`
	TalkS       float64   `bson:"talk_s"`
	HoldS       float64   `bson:"hold_s"`
	WrapS       float64   `bson:"wrap_s"`
}

// outbound reports whether the record is of a call the centre placed.
func (d *callData) outbound() bool {
	return d.Direction == "out" || d.Direction == "outbound" || d.Outcome == "outbound"
}

// waitSeconds is the queue wait of a call that left the queue at end: wait_s when the PBX
// gave it, else from the queue entry (or the IVR exit, or the arrival) to end.
func (d *callData) waitSeconds(end time.Time) float64 {
	if d.WaitS > 0 {
		return d.WaitS
	}
	start := d.QueuedAt
	for _, t := range []time.Time{d.IVRExitedAt, d.ArrivedAt} {
		if start.IsZero() {
			start = t
		}
	}
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return 0
	}
	return end.Sub(start).Seconds()
}

// agentData is the payload of agent.state.
type agentData struct {
	Agent  string    `bson:"agent"`
	State  string    `bson:"state"`
	Reason string    `bson:"reason"`
	At     time.Time `bson:"at"`
}

// conversationData is the payload of conversation.* and message.* events.
type conversationData struct {
	ID        string `bson:"id"`
	Channel   string `bson:"channel"`
	Direction string `bson:"direction"`
	ByBot     bool   `bson:"by_bot"`
	HandedOff bool   `bson:"handed_off"`
}

// AgentClass is what an agent's state means for the queue.
type AgentClass string

// The agent classes. Every state other than logged out counts as logged in.
const (
	AgentOut      AgentClass = "logged_out"
	AgentReady    AgentClass = "ready"
	AgentOnCall   AgentClass = "on_call"
	AgentWrapUp   AgentClass = "wrap_up"
	AgentNotReady AgentClass = "not_ready"
)

// classify maps the PBX's agent state names onto the classes.
func classify(state string) AgentClass {
	switch state {
	case "logged_out", "offline", "logout", "logged_off", "out":
		return AgentOut
	case "ready", "available", "idle", "waiting":
		return AgentReady
	case "on_call", "busy", "talking", "in_call", "ringing", "hold", "on_hold", "dialing":
		return AgentOnCall
	case "wrap_up", "wrap", "wrapup", "acw", "after_call_work":
		return AgentWrapUp
	}
	return AgentNotReady
}
