package omnichannel

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"github.com/ioc1022/ioc1022/tickets"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var (
	staff      = httpapi.Users(httpapi.RoleAgent, httpapi.RoleSupervisor)
	convParams = []httpapi.Param{{Name: "id", In: "path", Required: true}}
)

// MessageRequest is an agent's message or note.
type MessageRequest struct {
	Text        string `json:"text"`
	ClientMsgID string `json:"client_msg_id,omitempty"`
}

// TransferRequest names the agent or the team a conversation goes to.
type TransferRequest struct {
	Agent string `json:"agent,omitempty"`
	Team  string `json:"team,omitempty"`
}

func (m *Module) registerRoutes(api *httpapi.API) {
	listParams := append([]httpapi.Param{{Name: "channel", In: "query"}, {Name: "state", In: "query"},
		{Name: "agent", In: "query", Description: "username, or me"}, {Name: "team", In: "query"},
		{Name: "contact_id", In: "query"}, {Name: "ticket", In: "query"}}, httpapi.PageParams...)
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/conversations", Tag: "conversations", Summary: "List conversations, newest first",
		Access: staff, Params: listParams, Response: httpapi.List[Conversation]{}, Handle: m.handleList})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/conversations/{id}", Tag: "conversations", Summary: "One conversation",
		Access: staff, Params: convParams, Response: Conversation{}, Handle: m.handleGet})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/conversations/{id}/messages", Tag: "conversations",
		Summary: "Messages of a conversation (and edits) after a sequence number, notes included",
		Access:  staff, Params: append(convParams, httpapi.Param{Name: "after_seq", In: "query"}, httpapi.Param{Name: "limit", In: "query"}),
		Response: httpapi.List[Message]{}, Handle: m.handleMessages})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/conversations/{id}/messages", Tag: "conversations",
		Summary: "Send a message to the citizen (idempotent by client_msg_id)", Access: staff, Params: convParams,
		Body: MessageRequest{}, Response: Message{}, Status: http.StatusCreated, Handle: m.handleSend})
	api.Handle(httpapi.Route{Method: "PATCH", Path: "/api/v1/conversations/{id}/messages/{mid}", Tag: "conversations",
		Summary: "Edit an agent's web chat or app message", Access: staff, Params: convParams,
		Body: MessageRequest{}, Response: Message{}, Handle: m.handleEdit})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/conversations/{id}/notes", Tag: "conversations",
		Summary: "Add an internal note, never sent to the citizen", Access: staff, Params: convParams,
		Body: MessageRequest{}, Response: Message{}, Status: http.StatusCreated, Handle: m.handleNote})
	for _, a := range []struct{ path, summary string }{
		{"take", "Take a queued conversation (manual pick)"},
		{"pending", "Mark as waiting for the citizen"},
		{"resolve", "Resolve the conversation"},
	} {
		api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/conversations/{id}/" + a.path, Tag: "conversations",
			Summary: a.summary, Access: staff, Params: convParams, Response: Conversation{}, Handle: m.handleAction(a.path)})
	}
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/conversations/{id}/transfer", Tag: "conversations",
		Summary: "Transfer to another agent, or back to a team's queue", Access: staff, Params: convParams,
		Body: TransferRequest{}, Response: Conversation{}, Handle: m.handleTransfer})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/conversations/{id}/ticket", Tag: "conversations",
		Summary: "Create a ticket from the conversation, linked both ways", Access: staff, Params: convParams,
		Body: TicketRequest{}, Response: tickets.Ticket{}, Status: http.StatusCreated, Handle: m.handleTicket})
	m.registerContacts(api)
	m.registerCanned(api)
}

func (m *Module) handleList(w http.ResponseWriter, r *http.Request) error {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := bson.M{}
	for _, k := range []string{"channel", "state", "agent", "team", "contact_id"} {
		if v := q.Get(k); v != "" {
			if k == "agent" && v == "me" {
				v = httpapi.PrincipalFrom(r.Context()).Username
			}
			f[k] = v
		}
	}
	bad := map[string]string{}
	if v := q.Get("state"); v != "" && !validState(State(v)) {
		bad["state"] = "one of bot, queued, assigned, pending, resolved"
	}
	if v := q.Get("channel"); v != "" && !slices.Contains(channels, Channel(v)) {
		bad["channel"] = "one of web, app, zalo, facebook, email, telegram"
	}
	if len(bad) > 0 {
		return httpapi.Invalid(bad)
	}
	if v := q.Get("ticket"); v != "" {
		f["tickets"] = v
	}
	if page.Cursor != "" {
		var after string
		if err := httpapi.DecodeCursor(page.Cursor, &after); err != nil {
			return err
		}
		f["_id"] = bson.M{"$lt": after}
	}
	cur, err := m.st.C(conversationsColl).Find(r.Context(), f, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(page.Limit)+1))
	if err != nil {
		return err
	}
	items := []Conversation{}
	if err := cur.All(r.Context(), &items); err != nil {
		return err
	}
	out := httpapi.List[Conversation]{Items: items}
	if len(items) > page.Limit {
		out.Items = items[:page.Limit]
		out.NextCursor = httpapi.EncodeCursor(out.Items[page.Limit-1].ID)
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

func validState(s State) bool {
	switch s {
	case StateBot, StateQueued, StateAssigned, StatePending, StateResolved:
		return true
	}
	return false
}

// apiErr turns the package's errors into API answers.
func apiErr(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return httpapi.NotFound("%v", err)
	case errors.Is(err, ErrStaleState):
		return httpapi.Conflict("the conversation changed meanwhile or is not in a state that allows this; reload it")
	case errors.Is(err, ErrTicketsAbsent):
		return httpapi.Errorf(http.StatusServiceUnavailable, "unavailable", "the ticket engine is not running on this node")
	}
	return err
}

func (m *Module) handleGet(w http.ResponseWriter, r *http.Request) error {
	c, err := m.Conversation(r.Context(), r.PathValue("id"))
	if err != nil {
		return apiErr(err)
	}
	httpapi.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (m *Module) handleMessages(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := m.Conversation(r.Context(), id); err != nil {
		return apiErr(err)
	}
	after, limit := int64(0), 200
	if s := r.URL.Query().Get("after_seq"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return httpapi.Invalid(map[string]string{"after_seq": "a whole number of 0 or more"})
		}
		after = n
	}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return httpapi.Invalid(map[string]string{"limit": "a whole number from 1 to 500"})
		}
		limit = n
	}
	msgs, err := m.messagesAfter(r.Context(), id, after, limit, true)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.List[Message]{Items: msgs})
	return nil
}

// mayAct reports whether the caller may act on a conversation: its agent, or a supervisor.
func mayAct(p *httpapi.Principal, c *Conversation) error {
	if p.HasRole(httpapi.RoleSupervisor, httpapi.RoleAdmin) || c.Agent == p.Username {
		return nil
	}
	return httpapi.Forbidden("this conversation is not assigned to you")
}

func (m *Module) readText(r *http.Request) (MessageRequest, error) {
	var req MessageRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return req, err
	}
	req.Text = strings.TrimSpace(req.Text)
	if req.Text == "" || len(req.Text) > 8000 {
		return req, httpapi.Invalid(map[string]string{"text": "1 to 8000 bytes of text"})
	}
	if len(req.ClientMsgID) > 64 {
		return req, httpapi.Invalid(map[string]string{"client_msg_id": "at most 64 characters"})
	}
	return req, nil
}

// textOnConversation reads a text request about the conversation in the path, with who asks.
func (m *Module) textOnConversation(r *http.Request) (MessageRequest, *httpapi.Principal, *Conversation, error) {
	req, err := m.readText(r)
	if err != nil {
		return req, nil, nil, err
	}
	c, err := m.Conversation(r.Context(), r.PathValue("id"))
	if err != nil {
		return req, nil, nil, apiErr(err)
	}
	return req, httpapi.PrincipalFrom(r.Context()), c, nil
}

func (m *Module) handleSend(w http.ResponseWriter, r *http.Request) error {
	req, p, c, err := m.textOnConversation(r)
	if err != nil {
		return err
	}
	if err := mayAct(p, c); err != nil {
		return err
	}
	msg := &Message{Direction: DirOut, Kind: KindText, Text: req.Text, Author: p.Username, ClientMsgID: req.ClientMsgID,
		Delivery: &Delivery{State: DeliveryPending, At: time.Now().UTC()}}
	if req.ClientMsgID != "" {
		msg.ID = c.ID + ":a:" + req.ClientMsgID
	}
	out, err := m.sendMessage(r.Context(), c.ID, msg)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (m *Module) handleEdit(w http.ResponseWriter, r *http.Request) error {
	req, p, c, err := m.textOnConversation(r)
	if err != nil {
		return err
	}
	old, err := m.message(r.Context(), r.PathValue("mid"))
	if store.IsNotFound(err) || (err == nil && old.ConversationID != c.ID) {
		return httpapi.NotFound("no message %s in this conversation", r.PathValue("mid"))
	}
	if err != nil {
		return err
	}
	if old.Author != p.Username && !p.HasRole(httpapi.RoleSupervisor, httpapi.RoleAdmin) {
		return httpapi.Forbidden("only the author or a supervisor may edit a message")
	}
	if c.Channel != ChannelWeb && c.Channel != ChannelApp && old.Direction != DirNote {
		return httpapi.Conflict("messages sent on %s cannot be edited", c.Channel)
	}
	msg, err := m.editMessage(r.Context(), c.ID, old.ID, req.Text)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, msg)
	return nil
}

func (m *Module) handleNote(w http.ResponseWriter, r *http.Request) error {
	req, p, c, err := m.textOnConversation(r)
	if err != nil {
		return err
	}
	msg, _, _, err := m.appendMessage(r.Context(), c.ID, &Message{Direction: DirNote, Author: p.Username, Text: req.Text})
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, msg)
	return nil
}

func (m *Module) handleAction(action string) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := httpapi.PrincipalFrom(r.Context())
		c, err := m.Conversation(r.Context(), r.PathValue("id"))
		if err != nil {
			return apiErr(err)
		}
		var out *Conversation
		switch action {
		case "take":
			out, err = m.assign(r.Context(), c.ID, []State{StateQueued, StateBot}, p.Username, p.Username)
		case "pending":
			if err := mayAct(p, c); err != nil {
				return err
			}
			out, err = m.setState(r.Context(), c.ID, []State{StateAssigned}, StatePending, nil, nil)
		case "resolve":
			if err := mayAct(p, c); err != nil && c.Agent != "" {
				return err
			}
			out, err = m.resolve(r.Context(), c.ID, p.Username, false)
		}
		if err != nil {
			return apiErr(err)
		}
		httpapi.WriteJSON(w, http.StatusOK, out)
		return nil
	}
}

func (m *Module) handleTransfer(w http.ResponseWriter, r *http.Request) error {
	var req TransferRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if (req.Agent == "") == (req.Team == "") {
		return httpapi.Invalid(map[string]string{"agent": "give an agent or a team, not both"})
	}
	p := httpapi.PrincipalFrom(r.Context())
	c, err := m.Conversation(r.Context(), r.PathValue("id"))
	if err != nil {
		return apiErr(err)
	}
	if err := mayAct(p, c); err != nil {
		return err
	}
	open := []State{StateAssigned, StatePending, StateQueued, StateBot}
	var out *Conversation
	if req.Agent != "" {
		out, err = m.assign(r.Context(), c.ID, open, req.Agent, p.Username)
	} else {
		out, err = m.enqueue(r.Context(), c.ID, open, req.Team, c.Summary)
	}
	if err != nil {
		return apiErr(err)
	}
	if c.Agent != "" && c.Agent != req.Agent {
		m.hub.Publish(agentTopic(c.Agent), mustJSON(liveEvent{Type: "unassigned", ConversationID: c.ID, Conversation: out}))
	}
	m.router.Kick()
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (m *Module) handleTicket(w http.ResponseWriter, r *http.Request) error {
	var req TicketRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	p := httpapi.PrincipalFrom(r.Context())
	c, err := m.Conversation(r.Context(), r.PathValue("id"))
	if err != nil {
		return apiErr(err)
	}
	if err := mayAct(p, c); err != nil {
		return err
	}
	t, err := m.CreateTicket(r.Context(), c.ID, req, p)
	if err != nil {
		return apiErr(err)
	}
	httpapi.WriteJSON(w, http.StatusCreated, t)
	return nil
}
