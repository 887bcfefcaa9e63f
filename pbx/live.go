package pbx

import (
	"slices"
	"sync"
	"time"
)

// AgentState is an agent's availability for calls.
type AgentState string

// The agent states.
const (
	LoggedOut AgentState = "logged_out"
	Available AgentState = "available"
	Ringing   AgentState = "ringing"
	OnCall    AgentState = "on_call"
	WrapUp    AgentState = "wrap_up"
	Paused    AgentState = "paused"
)

// AgentStatus is an agent's live state.
type AgentStatus struct {
	Agent       string     `json:"agent"`
	Extension   string     `json:"extension"`
	State       AgentState `json:"state"`
	Reason      string     `json:"reason,omitempty"`
	Since       time.Time  `json:"since"`
	Call        string     `json:"call,omitempty"` // the call ringing or talking
	Calls       int        `json:"calls"`          // calls answered since the node started
	Missed      int        `json:"missed"`         // rings missed in a row
	LastCallEnd time.Time  `json:"last_call_end"`
	RingRobin   int64      `json:"-"`
}

// LiveCall is a call in progress, as the live state API shows it.
type LiveCall struct {
	ID        string    `json:"id"`
	Caller    string    `json:"caller"` // masked
	DID       string    `json:"did"`
	State     string    `json:"state"` // ivr, queued, ringing, talking, voicemail
	Queue     string    `json:"queue,omitempty"`
	Agent     string    `json:"agent,omitempty"`
	ArrivedAt time.Time `json:"arrived_at"`
	QueuedAt  time.Time `json:"queued_at,omitzero"`
}

// Live holds the state another node would need: agents' states, calls and queues. Memory is
// the in-process implementation; a cluster would put one in a shared store. Every method is
// safe for concurrent use.
type Live interface {
	// Agent returns an agent's status.
	Agent(name string) (AgentStatus, bool)
	// Agents returns every known agent's status, by name.
	Agents() []AgentStatus
	// Update applies change to an agent when its state is one of from (any when from is
	// empty), atomically, creating the agent when unknown; it returns the new status and
	// whether it applied.
	Update(name string, from []AgentState, change func(*AgentStatus)) (AgentStatus, bool)
	// PutCall adds or replaces a call; DropCall removes it.
	PutCall(c LiveCall)
	DropCall(id string)
	// Calls returns the calls in progress, oldest first.
	Calls() []LiveCall
	// Changed returns a channel closed at the next change of an agent or of the queues.
	Changed() <-chan struct{}
}

// Memory is the in-process Live.
type Memory struct {
	mu      sync.Mutex
	agents  map[string]*AgentStatus
	calls   map[string]LiveCall
	changed chan struct{}
}

// NewMemory returns an empty in-process live state.
func NewMemory() *Memory {
	return &Memory{agents: map[string]*AgentStatus{}, calls: map[string]LiveCall{}, changed: make(chan struct{})}
}

// Agent implements Live.
func (m *Memory) Agent(name string) (AgentStatus, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.agents[name]
	if !ok {
		return AgentStatus{}, false
	}
	return *a, true
}

// Agents implements Live.
func (m *Memory) Agents() []AgentStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]AgentStatus, 0, len(m.agents))
	for _, a := range m.agents {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b AgentStatus) int { return compareStrings(a.Agent, b.Agent) })
	return out
}

// Update implements Live.
func (m *Memory) Update(name string, from []AgentState, change func(*AgentStatus)) (AgentStatus, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.agents[name]
	if !ok {
		a = &AgentStatus{Agent: name, State: LoggedOut, Since: time.Now().UTC()}
		m.agents[name] = a
	}
	if len(from) > 0 && !slices.Contains(from, a.State) {
		return *a, false
	}
	prev := a.State
	change(a)
	if a.State != prev {
		a.Since = time.Now().UTC()
	}
	m.notifyLocked()
	return *a, true
}

// PutCall implements Live.
func (m *Memory) PutCall(c LiveCall) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls[c.ID] = c
	m.notifyLocked()
}

// DropCall implements Live.
func (m *Memory) DropCall(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.calls, id)
	m.notifyLocked()
}

// Calls implements Live.
func (m *Memory) Calls() []LiveCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]LiveCall, 0, len(m.calls))
	for _, c := range m.calls {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b LiveCall) int { return a.ArrivedAt.Compare(b.ArrivedAt) })
	return out
}

// Changed implements Live.
func (m *Memory) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

func (m *Memory) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
