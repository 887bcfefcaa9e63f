package omnichannel

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"github.com/ioc1022/ioc1022/tickets"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// noticeData is the payload of ticket.citizen_notice (docs/events.md).
type noticeData struct {
	Code       string           `bson:"code"`
	MasterCode string           `bson:"master_code"`
	Reporter   tickets.Reporter `bson:"reporter"`
	Kind       string           `bson:"kind"` // created, resolved
	Answer     string           `bson:"answer"`
}

// Notice is one ticket notice to a citizen and every attempt made to deliver it.
type Notice struct {
	ID        string          `bson:"_id" json:"id"` // the event's id
	Code      string          `bson:"code" json:"code"`
	Kind      string          `bson:"kind" json:"kind"`
	ContactID string          `bson:"contact_id,omitempty" json:"contact_id,omitempty"`
	Attempts  []NoticeAttempt `bson:"attempts" json:"attempts"`
	Outcome   string          `bson:"outcome,omitempty" json:"outcome,omitempty"` // sent, callback, undeliverable
	CreatedAt time.Time       `bson:"created_at" json:"created_at"`
}

// NoticeAttempt is one try of the fallback ladder.
type NoticeAttempt struct {
	At             time.Time `bson:"at" json:"at"`
	Route          string    `bson:"route" json:"route"` // origin, linked, email, callback
	Channel        Channel   `bson:"channel,omitempty" json:"channel,omitempty"`
	ConversationID string    `bson:"conversation_id,omitempty" json:"conversation_id,omitempty"`
	MessageID      string    `bson:"message_id,omitempty" json:"message_id,omitempty"`
	Result         string    `bson:"result" json:"result"` // sent, failed, skipped, created
	Reason         string    `bson:"reason,omitempty" json:"reason,omitempty"`
}

// Callback is a task for an agent to call a citizen no message could reach.
type Callback struct {
	ID        string    `bson:"_id" json:"id"`
	Code      string    `bson:"code" json:"code"`
	Kind      string    `bson:"kind" json:"kind"`
	ContactID string    `bson:"contact_id,omitempty" json:"contact_id,omitempty"`
	Name      string    `bson:"name,omitempty" json:"name,omitempty"`
	Phone     string    `bson:"phone,omitempty" json:"phone,omitempty"`
	Text      string    `bson:"text" json:"text"`
	Done      bool      `bson:"done" json:"done"`
	DoneBy    string    `bson:"done_by,omitempty" json:"done_by,omitempty"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

func noticeText(d noticeData) string {
	code := d.Code
	if d.MasterCode != "" && d.MasterCode != d.Code {
		code = d.Code + " (gộp vào phiếu " + d.MasterCode + ")"
	}
	if d.Kind == "resolved" {
		return fmt.Sprintf("Phiếu %s đã có kết quả xử lý:\n%s\n\nXin bạn đánh giá mức độ hài lòng bằng cách trả lời một số từ 1 (rất không hài lòng) đến 5 (rất hài lòng).", code, d.Answer)
	}
	return fmt.Sprintf("Phản ánh của bạn đã được tiếp nhận với mã phiếu %s. Bạn có thể dùng mã này để tra cứu tiến độ xử lý.", code)
}

// handleNotice consumes ticket.citizen_notice: the notice goes through the conversation the
// ticket came from, then down the fallback ladder (another channel of the contact, e-mail,
// a callback task), every attempt recorded. It is idempotent per event.
func (m *Module) handleNotice(ctx context.Context, ev events.Event) error {
	var d noticeData
	if err := ev.Decode(&d); err != nil {
		m.log.Error("bad notice event", "event", ev.ID, "err", err)
		return nil
	}
	r := d.Reporter
	if r.ConversationID == "" && r.ContactID == "" {
		return nil // not reported through a conversation: the phone side answers it
	}
	n := Notice{ID: ev.ID, Code: d.Code, Kind: d.Kind, ContactID: r.ContactID, Attempts: []NoticeAttempt{}, CreatedAt: time.Now().UTC()}
	if _, err := m.st.C(noticesColl).InsertOne(ctx, n); err != nil && !store.IsDuplicate(err) {
		return fmt.Errorf("record notice %s: %w", ev.ID, err)
	}
	if err := m.st.C(noticesColl).FindOne(ctx, bson.M{"_id": ev.ID}).Decode(&n); err != nil {
		return fmt.Errorf("load notice %s: %w", ev.ID, err)
	}
	if n.Outcome != "" {
		return nil
	}
	outcome, err := m.runLadder(ctx, &n, d)
	if err != nil {
		return err
	}
	_, err = m.st.C(noticesColl).UpdateOne(ctx, bson.M{"_id": n.ID}, bson.M{"$set": bson.M{"outcome": outcome}})
	return err
}

func (m *Module) attempt(ctx context.Context, n *Notice, a NoticeAttempt) error {
	a.At = time.Now().UTC()
	_, err := m.st.C(noticesColl).UpdateOne(ctx, bson.M{"_id": n.ID}, bson.M{"$push": bson.M{"attempts": a}})
	return err
}

func (m *Module) runLadder(ctx context.Context, n *Notice, d noticeData) (string, error) {
	text := noticeText(d)
	tried := map[string]bool{}
	routes := append([]string{"origin"}, m.cfg.Channels.Fallback...)
	for _, route := range routes {
		convs, err := m.noticeTargets(ctx, route, d, tried)
		if err != nil {
			return "", err
		}
		if route == "callback" {
			if err := m.createCallback(ctx, n, d, text); err != nil {
				return "", err
			}
			return "callback", m.attempt(ctx, n, NoticeAttempt{Route: route, Result: "created"})
		}
		if len(convs) == 0 {
			if err := m.attempt(ctx, n, NoticeAttempt{Route: route, Result: "skipped", Reason: "no conversation to use"}); err != nil {
				return "", err
			}
			continue
		}
		for _, conv := range convs {
			tried[conv.ID] = true
			// The rating is awaited before the question goes out: a quick reply finds it.
			if err := m.awaitRating(ctx, &conv, d, true); err != nil {
				return "", err
			}
			msg, err := m.sendNotice(ctx, n, &conv, text)
			if err != nil {
				return "", err
			}
			a := NoticeAttempt{Route: route, Channel: conv.Channel, ConversationID: conv.ID, MessageID: msg.ID, Result: "sent"}
			if msg.Delivery.State != DeliverySent && msg.Delivery.State != DeliveryDelivered && msg.Delivery.State != DeliveryRead {
				a.Result, a.Reason = "failed", msg.Delivery.Reason
			}
			if err := m.attempt(ctx, n, a); err != nil {
				return "", err
			}
			if a.Result == "sent" {
				return "sent", nil
			}
			if err := m.awaitRating(ctx, &conv, d, false); err != nil {
				return "", err
			}
		}
	}
	return "undeliverable", nil
}

// awaitRating makes the conversation wait for the rating of a resolved ticket (on), or
// stops waiting when the question could not be sent there (off).
func (m *Module) awaitRating(ctx context.Context, conv *Conversation, d noticeData, on bool) error {
	if d.Kind != "resolved" {
		return nil
	}
	match, set := bson.M{}, bson.M{"awaiting_rating": d.Code}
	if !on {
		match["awaiting_rating"], set["awaiting_rating"] = d.Code, ""
	}
	_, err := m.st.UpdateByID(ctx, conversationsColl, conv.ID, match, bson.M{"$set": set, "$inc": bson.M{"version": 1}}, nil)
	return err
}

// sendNotice sends the notice in conv once: a repeated event finds the same message. A
// message a transient failure left pending is failed here, so the ladder moves on and the
// citizen is not told twice.
func (m *Module) sendNotice(ctx context.Context, n *Notice, conv *Conversation, text string) (*Message, error) {
	msg := &Message{ID: "notice:" + n.ID + ":" + conv.ID, Direction: DirOut, Kind: KindText, Text: text, Author: "system",
		Meta: map[string]string{"notice": "1", "ticket": n.Code}, Delivery: &Delivery{State: DeliveryPending, At: time.Now().UTC()}}
	out, err := m.sendMessage(ctx, conv.ID, msg)
	if err != nil {
		return nil, err
	}
	if out.Delivery != nil && (out.Delivery.State == DeliveryPending || out.Delivery.State == deliverySending) {
		after, ok, err := m.updateDelivery(ctx, out.ID, DeliveryPending,
			bson.M{"$set": bson.M{"delivery.state": DeliveryFailed, "delivery.reason": "gave up for the fallback: " + out.Delivery.Reason}})
		if err == nil && ok {
			out = after
		}
	}
	return out, nil
}

// noticeTargets lists the conversations a route of the ladder may use.
func (m *Module) noticeTargets(ctx context.Context, route string, d noticeData, tried map[string]bool) ([]Conversation, error) {
	r := d.Reporter
	switch route {
	case "origin":
		if r.ConversationID == "" {
			return nil, nil
		}
		c, err := m.Conversation(ctx, r.ConversationID)
		if err != nil {
			return nil, nil
		}
		return []Conversation{*c}, nil
	case "linked":
		if r.ContactID == "" {
			return nil, nil
		}
		all, err := m.contactConversations(ctx, r.ContactID)
		if err != nil {
			return nil, fmt.Errorf("linked conversations: %w", err)
		}
		all = slices.DeleteFunc(all, func(c Conversation) bool { return tried[c.ID] || c.Channel == ChannelEmail })
		return all[:min(len(all), 10)], nil
	case "email":
		c, err := m.emailConversationFor(ctx, r)
		if err != nil || c == nil || tried[c.ID] {
			return nil, err
		}
		return []Conversation{*c}, nil
	}
	return nil, nil
}

// emailConversationFor finds the contact's e-mail conversation, or opens one (resolved: no
// agent is needed) to the reporter's address.
func (m *Module) emailConversationFor(ctx context.Context, r tickets.Reporter) (*Conversation, error) {
	if m.connectors[ChannelEmail] == nil {
		return nil, nil
	}
	if r.ContactID != "" {
		all, err := m.contactConversations(ctx, r.ContactID)
		if err != nil {
			return nil, err
		}
		for _, c := range all {
			if c.Channel == ChannelEmail {
				return &c, nil
			}
		}
	}
	addr := r.Email
	if addr == "" && r.ContactID != "" {
		if c, err := m.contact(ctx, r.ContactID); err == nil {
			addr = c.Email
		}
	}
	if addr == "" {
		return nil, nil
	}
	contactID := r.ContactID
	if contactID == "" {
		c, err := m.resolveContact(ctx, []ContactKey{ContactKey("email:" + addr)}, r.Name, r.Phone, addr)
		if err != nil {
			return nil, err
		}
		contactID = c.ID
	}
	c, _, err := m.conversationFor(ctx, ChannelEmail, "to:"+addr, contactID, StateResolved)
	if err != nil {
		return nil, err
	}
	if c.Address == "" {
		if _, err := m.st.C(conversationsColl).UpdateOne(ctx, bson.M{"_id": c.ID}, bson.M{"$set": bson.M{"address": addr}}); err != nil {
			return nil, err
		}
		c.Address = addr
	}
	return c, nil
}

// contactConversations returns the conversations listed on a contact, the one the citizen
// wrote in last first; each is read by _id.
func (m *Module) contactConversations(ctx context.Context, contactID string) ([]Conversation, error) {
	c, err := m.contact(ctx, contactID)
	if err != nil {
		return nil, err
	}
	out := make([]Conversation, 0, len(c.Conversations))
	for _, id := range c.Conversations {
		conv, err := m.conversationBy(ctx, bson.M{"_id": id})
		if store.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load conversation %s: %w", id, err)
		}
		out = append(out, *conv)
	}
	slices.SortStableFunc(out, func(a, b Conversation) int { return lastInbound(b).Compare(lastInbound(a)) })
	return out, nil
}

func lastInbound(c Conversation) time.Time {
	if c.LastInboundAt == nil {
		return time.Time{}
	}
	return *c.LastInboundAt
}

func (m *Module) createCallback(ctx context.Context, n *Notice, d noticeData, text string) error {
	cb := Callback{ID: n.ID, Code: d.Code, Kind: d.Kind, ContactID: d.Reporter.ContactID, Name: d.Reporter.Name,
		Phone: d.Reporter.Phone, Text: text, CreatedAt: time.Now().UTC()}
	if cb.ContactID != "" && cb.Phone == "" {
		if c, err := m.contact(ctx, cb.ContactID); err == nil {
			cb.Phone, cb.Name = c.Phone, c.Name
		}
	}
	if _, err := m.st.C(callbacksColl).InsertOne(ctx, cb); err != nil && !store.IsDuplicate(err) {
		return fmt.Errorf("create callback task: %w", err)
	}
	m.hub.Publish(queueTopic, mustJSON(map[string]any{"type": "callback", "callback": cb}))
	m.hub.Publish(supervisorTopic, mustJSON(map[string]any{"type": "callback", "callback": cb}))
	return nil
}

func (m *Module) registerNotices(api *httpapi.API) {
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/notices", Tag: "conversations",
		Summary: "Ticket notices to citizens with every delivery attempt", Access: staff,
		Params: []httpapi.Param{{Name: "ticket", In: "query"}}, Response: httpapi.List[Notice]{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			f := bson.M{}
			if t := r.URL.Query().Get("ticket"); t != "" {
				f["code"] = t
			}
			cur, err := m.st.C(noticesColl).Find(r.Context(), f, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(200))
			if err != nil {
				return err
			}
			items := []Notice{}
			if err := cur.All(r.Context(), &items); err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, httpapi.List[Notice]{Items: items})
			return nil
		}})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/callbacks", Tag: "conversations",
		Summary: "Open callback tasks (citizens no message reached)", Access: staff, Response: httpapi.List[Callback]{},
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			cur, err := m.st.C(callbacksColl).Find(r.Context(), bson.M{"done": false}, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetLimit(500))
			if err != nil {
				return err
			}
			items := []Callback{}
			if err := cur.All(r.Context(), &items); err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, httpapi.List[Callback]{Items: items})
			return nil
		}})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/callbacks/{id}/done", Tag: "conversations",
		Summary: "Mark a callback task done", Access: staff, Response: Callback{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var cb Callback
			err := m.st.C(callbacksColl).FindOneAndUpdate(r.Context(), bson.M{"_id": r.PathValue("id")},
				bson.M{"$set": bson.M{"done": true, "done_by": httpapi.PrincipalFrom(r.Context()).Username}},
				options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&cb)
			if store.IsNotFound(err) {
				return httpapi.NotFound("no callback task %s", r.PathValue("id"))
			}
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, cb)
			return nil
		}})
}
