package omnichannel

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// PresenceRequest sets the caller's presence.
type PresenceRequest struct {
	Status PresenceStatus `json:"status"`
	Teams  []string       `json:"teams,omitempty"`
}

// inboxFrame is what an agent's socket sends: typing in a conversation, or a presence change.
type inboxFrame struct {
	Type           string         `json:"type"` // typing, presence
	ConversationID string         `json:"conversation_id,omitempty"`
	Status         PresenceStatus `json:"status,omitempty"`
}

func (m *Module) registerInbox(api *httpapi.API) {
	api.Raw("GET /api/v1/inbox/ws", http.HandlerFunc(m.serveInbox), &httpapi.Route{Method: "GET", Path: "/api/v1/inbox/ws", Tag: "inbox",
		Summary: "Agents' inbox WebSocket (token in Authorization or ?token=): live messages, assignments, typing, presence",
		Access:  staff, Params: []httpapi.Param{{Name: "token", In: "query"}, {Name: "teams", In: "query", Description: "comma-separated teams served"}}})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/inbox/agents", Tag: "inbox", Summary: "Agents' presence",
		Access: staff, Response: httpapi.List[Presence]{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			httpapi.WriteJSON(w, http.StatusOK, httpapi.List[Presence]{Items: m.hub.Agents()})
			return nil
		}})
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/inbox/presence", Tag: "inbox", Summary: "Set my presence (online, away, offline) and teams",
		Access: staff, Body: PresenceRequest{}, Response: Presence{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var req PresenceRequest
			if err := httpapi.Decode(r, &req); err != nil {
				return err
			}
			if req.Status != PresenceOnline && req.Status != PresenceAway && req.Status != PresenceOffline {
				return httpapi.Invalid(map[string]string{"status": "one of online, away, offline"})
			}
			p := m.setPresence(httpapi.PrincipalFrom(r.Context()).Username, req.Status, req.Teams)
			httpapi.WriteJSON(w, http.StatusOK, p)
			return nil
		}})
}

func (m *Module) setPresence(agent string, status PresenceStatus, teams []string) Presence {
	p := m.hub.SetStatus(agent, status, teams)
	m.hub.Publish(supervisorTopic, mustJSON(liveEvent{Type: "presence", Agent: agent, Presence: &p}))
	if status == PresenceOnline {
		m.router.Kick()
	}
	return p
}

func (m *Module) inboxPrincipal(r *http.Request) (*httpapi.Principal, error) {
	token := r.URL.Query().Get("token")
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = h
	}
	if token == "" {
		return nil, httpapi.Unauthorized("log in first: send Authorization: Bearer <token> or ?token=")
	}
	p, err := m.auth.TokenPrincipal(r.Context(), token)
	if err != nil {
		return nil, err
	}
	if !p.HasRole(httpapi.RoleAgent, httpapi.RoleSupervisor, httpapi.RoleAdmin) {
		return nil, httpapi.Forbidden("the inbox is for agents and supervisors")
	}
	return p, nil
}

// serveInbox runs an agent's socket: the agent is online while one is open, and away when
// the last one closes.
func (m *Module) serveInbox(w http.ResponseWriter, r *http.Request) {
	p, err := m.inboxPrincipal(r)
	if err != nil {
		m.api.Fail(w, r, err)
		return
	}
	conn, err := m.upgrade(w, r)
	if err != nil {
		return // the upgrader answered
	}
	s := newSocket(conn, 4096, inboxQueue)
	_, release, ok := m.sockets.serve(r, s)
	if !ok {
		return
	}
	defer release()
	var teams []string
	for _, t := range strings.Split(r.URL.Query().Get("teams"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			teams = append(teams, t)
		}
	}
	topics := []string{agentTopic(p.Username), queueTopic}
	if p.HasRole(httpapi.RoleSupervisor, httpapi.RoleAdmin) {
		topics = []string{agentTopic(p.Username), supervisorTopic}
	}
	for _, t := range topics {
		defer m.hub.Subscribe(t, s.send)()
	}
	pres := m.hub.Connected(p.Username, teams)
	s.send(mustJSON(liveEvent{Type: "hello", Agent: p.Username, Presence: &pres}))
	m.hub.Publish(supervisorTopic, mustJSON(liveEvent{Type: "presence", Agent: p.Username, Presence: &pres}))
	m.router.Kick()
	defer func() {
		pres := m.hub.Disconnected(p.Username)
		m.hub.Publish(supervisorTopic, mustJSON(liveEvent{Type: "presence", Agent: p.Username, Presence: &pres}))
	}()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var f inboxFrame
		if json.Unmarshal(data, &f) != nil {
			s.send(errorFrame("bad_frame", "frames are JSON objects with a type", ""))
			continue
		}
		switch f.Type {
		case "typing":
			m.hub.Publish(convTopic(f.ConversationID), mustJSON(liveEvent{Type: "typing", ConversationID: f.ConversationID, Agent: p.Username}))
		case "presence":
			if f.Status == PresenceOnline || f.Status == PresenceAway || f.Status == PresenceOffline {
				m.setPresence(p.Username, f.Status, nil)
			}
		default:
			s.send(errorFrame("bad_frame", "unknown frame type", ""))
		}
	}
}
