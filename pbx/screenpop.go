package pbx

import (
	"context"
	"encoding/json"
	"time"
)

// Inbox is the agents' inbox sockets (omnichannel): the screen pop goes there.
type Inbox interface {
	// NotifyAgent pushes payload, a JSON object, to every inbox socket agent has open.
	NotifyAgent(agent string, payload []byte)
}

// ContactFinder returns the contact that has a normalised phone number and its recent
// conversations (nil, nil when none), for the screen pop.
type ContactFinder func(ctx context.Context, phone string) (contact any, conversations any, err error)

// RecentTickets returns the latest tickets reported from a phone number, newest first.
type RecentTickets func(ctx context.Context, phone string, limit int) (any, error)

// ScreenPop is what an agent's inbox socket receives when the agent's phone rings for a call.
type ScreenPop struct {
	Type          string    `json:"type"` // "screen_pop"
	Call          CallID    `json:"call_id"`
	Caller        string    `json:"caller"`
	DID           string    `json:"did"`
	Queue         string    `json:"queue,omitempty"`
	Path          []Step    `json:"path"`
	ArrivedAt     time.Time `json:"arrived_at"`
	Contact       any       `json:"contact"`
	Conversations any       `json:"conversations"`
	Tickets       any       `json:"tickets"`
	// Errors names the lookups that failed; the pop goes out with what was found.
	Errors []string `json:"errors,omitempty"`
}

// screenPopTickets is how many recent tickets a pop carries.
const screenPopTickets = 5

// screenPop sends the caller's contact, conversations and recent tickets to agent's inbox.
// It runs beside the ringing and never delays it.
func (m *Module) screenPop(agent string, c *call) {
	if m.Inbox == nil {
		return
	}
	c.mu.Lock()
	p := ScreenPop{Type: "screen_pop", Call: c.rec.ID, Caller: c.rec.Caller, DID: c.rec.DID, Queue: c.rec.Queue,
		Path: append([]Step(nil), c.rec.Path...), ArrivedAt: c.rec.ArrivedAt, Tickets: []any{}, Conversations: []any{}}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if m.Contacts != nil && p.Caller != "" {
		contact, convs, err := m.Contacts(ctx, p.Caller)
		if err != nil {
			m.log.Warn("screen pop contact", "call", p.Call, "err", err)
			p.Errors = append(p.Errors, "contact")
		} else if contact != nil {
			p.Contact, p.Conversations = contact, convs
		}
	}
	if m.Recent != nil && p.Caller != "" {
		ts, err := m.Recent(ctx, p.Caller, screenPopTickets)
		if err != nil {
			m.log.Warn("screen pop tickets", "call", p.Call, "err", err)
			p.Errors = append(p.Errors, "tickets")
		} else if ts != nil {
			p.Tickets = ts
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		m.log.Error("screen pop", "call", p.Call, "err", err)
		return
	}
	m.Inbox.NotifyAgent(agent, b)
}
