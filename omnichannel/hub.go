package omnichannel

import (
	"encoding/json"
	"time"
)

// Hub holds the live state that every node serving agents and visitors must share: the
// fan-out of events to open sockets and the agents' presence. This process uses the
// in-memory hub; several nodes need one backed by a shared broker.
type Hub interface {
	// Publish hands payload to every subscriber of topic, without blocking on slow ones.
	Publish(topic string, payload []byte)
	// Subscribe calls deliver for each payload published to topic until unsubscribe is
	// called. deliver must not block.
	Subscribe(topic string, deliver func([]byte)) (unsubscribe func())
	// Connected records one more open inbox socket of agent, who becomes online.
	Connected(agent string, teams []string) Presence
	// Disconnected records one socket fewer; with none left the agent becomes away.
	Disconnected(agent string) Presence
	// SetStatus sets an agent's status by hand (online, away, offline).
	SetStatus(agent string, status PresenceStatus, teams []string) Presence
	// Agents lists every agent the hub knows.
	Agents() []Presence
}

// PresenceStatus is an agent's availability.
type PresenceStatus string

// Presence statuses.
const (
	PresenceOnline  PresenceStatus = "online"
	PresenceAway    PresenceStatus = "away"
	PresenceOffline PresenceStatus = "offline"
)

// Presence is an agent's availability and the teams the agent serves.
type Presence struct {
	Agent   string         `json:"agent"`
	Status  PresenceStatus `json:"status"`
	Teams   []string       `json:"teams"`
	Sockets int            `json:"sockets"`
	Since   time.Time      `json:"since"`
}

// defaultTeam serves conversations no bot or agent gave a team.
const defaultTeam = "general"

// Topics of the hub.
func convTopic(id string) string    { return "conv:" + id }
func agentTopic(name string) string { return "agent:" + name }

const (
	queueTopic      = "queue"       // conversations without an agent
	supervisorTopic = "supervisors" // everything
)

// liveEvent is what sockets receive.
type liveEvent struct {
	Type           string        `json:"type"`
	ConversationID string        `json:"conversation_id,omitempty"`
	Message        *Message      `json:"message,omitempty"`
	Conversation   *Conversation `json:"conversation,omitempty"`
	Agent          string        `json:"agent,omitempty"`
	Presence       *Presence     `json:"presence,omitempty"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// publishMessage fans a new or edited message out to the conversation's watchers and to the
// agents concerned. Internal notes never reach the citizen's topic.
func (m *Module) publishMessage(conv *Conversation, msg *Message) {
	b := mustJSON(liveEvent{Type: "message", ConversationID: conv.ID, Message: msg})
	if msg.Direction != DirNote {
		m.hub.Publish(convTopic(conv.ID), b)
	}
	m.publishAgents(conv, b)
}

// publishConversation fans out a change of state, agent or team.
func (m *Module) publishConversation(conv *Conversation) {
	m.publishAgents(conv, mustJSON(liveEvent{Type: "conversation", ConversationID: conv.ID, Conversation: conv}))
}

func (m *Module) publishAgents(conv *Conversation, b []byte) {
	if conv.Agent != "" && conv.Open() {
		m.hub.Publish(agentTopic(conv.Agent), b)
	} else if conv.State == StateQueued {
		m.hub.Publish(queueTopic, b)
	}
	m.hub.Publish(supervisorTopic, b)
}
