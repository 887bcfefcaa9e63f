package omnichannel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/text/unicode/norm"
)

// Collections of this package.
const (
	contactsColl      = "oc_contacts"
	contactKeysColl   = "oc_contact_keys"
	conversationsColl = "oc_conversations"
	messagesColl      = "oc_messages"
	inboundColl       = "oc_inbound"
	cannedColl        = "oc_canned_replies"
	noticesColl       = "oc_notices"
	callbacksColl     = "oc_callbacks"
	settingsColl      = "oc_settings"
)

func (m *Module) ensureIndexes(ctx context.Context) error {
	idx := map[string][]mongo.IndexModel{
		contactKeysColl:   {store.Index("contact_id")},
		conversationsColl: {store.UniqueIndex("thread_key"), store.Index("state", "queued_at"), store.Index("agent", "state"), store.Index("contact_id"), store.Index("reply_token"), store.Index("updated_at")},
		messagesColl:      {store.Index("conversation_id", "seq"), store.Index("conversation_id", "updated_seq"), store.Index("todo"), store.Index("channel_msg_id"), store.Index("delivery.state")},
		inboundColl:       {store.Index("done", "received_at")},
		callbacksColl:     {store.Index("done", "created_at")},
	}
	for coll, models := range idx {
		if err := m.st.EnsureIndexes(ctx, coll, models...); err != nil {
			return err
		}
	}
	return nil
}

func newID() string { return bson.NewObjectID().Hex() }

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// nfc normalises Vietnamese text to its composed form, as stored everywhere.
func nfc(s string) string { return norm.NFC.String(s) }

// resolveContact returns the contact that owns one of keys, creating it when none does, and
// links the other keys to it. Profile fields fill blanks only. Everything is read and
// written by _id; a citizen already known costs one read per key and one of the contact.
func (m *Module) resolveContact(ctx context.Context, keys []ContactKey, name, phone, email string) (*Contact, error) {
	var id string
	var missing []ContactKey
	for _, k := range keys {
		var kd struct {
			ContactID string `bson:"contact_id"`
		}
		err := m.st.C(contactKeysColl).FindOne(ctx, bson.M{"_id": k}).Decode(&kd)
		switch {
		case err == nil:
			if id == "" {
				id = kd.ContactID
			}
		case store.IsNotFound(err):
			missing = append(missing, k)
		default:
			return nil, fmt.Errorf("find contact by key: %w", err)
		}
	}
	now := time.Now().UTC()
	if id == "" {
		c := Contact{ID: newID(), Name: nfc(name), Phone: phone, Email: email, Keys: []ContactKey{}, CreatedAt: now, UpdatedAt: now, Version: 1}
		if _, err := m.st.C(contactsColl).InsertOne(ctx, c); err != nil {
			return nil, fmt.Errorf("create contact: %w", err)
		}
		id = c.ID
	}
	for _, k := range missing {
		_, err := m.st.C(contactKeysColl).InsertOne(ctx, bson.M{"_id": k, "contact_id": id, "at": now})
		switch {
		case err == nil:
			_, err = m.st.C(contactsColl).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$addToSet": bson.M{"keys": k},
				"$push": bson.M{"history": ContactEvent{At: now, What: "linked " + string(k)}}, "$inc": bson.M{"version": 1}})
			if err != nil {
				return nil, fmt.Errorf("link contact key: %w", err)
			}
		case store.IsDuplicate(err):
			// Linked meanwhile (to this contact, or to another one an agent may merge).
		default:
			return nil, fmt.Errorf("link contact key: %w", err)
		}
	}
	c, err := m.contact(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := m.fillContact(ctx, c, name, phone, email); err != nil {
		return nil, err
	}
	return c, nil
}

// fillContact sets the profile fields of c that are blank, in one write by _id.
func (m *Module) fillContact(ctx context.Context, c *Contact, name, phone, email string) error {
	set := bson.M{}
	if v := nfc(name); v != "" && c.Name == "" {
		set["name"], c.Name = v, v
	}
	if phone != "" && c.Phone == "" {
		set["phone"], c.Phone = phone, phone
	}
	if email != "" && c.Email == "" {
		set["email"], c.Email = email, email
	}
	if len(set) == 0 {
		return nil
	}
	if _, err := m.st.C(contactsColl).UpdateOne(ctx, bson.M{"_id": c.ID}, bson.M{"$set": set}); err != nil {
		return fmt.Errorf("update contact %s: %w", c.ID, err)
	}
	return nil
}

func (m *Module) contact(ctx context.Context, id string) (*Contact, error) {
	var c Contact
	err := m.st.C(contactsColl).FindOne(ctx, bson.M{"_id": id}).Decode(&c)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("contact %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load contact %s: %w", id, err)
	}
	return &c, nil
}

func threadKey(ch Channel, thread string) string { return string(ch) + ":" + thread }

// conversationFor returns the conversation of a thread, creating it in state first. The
// thread key is claimed before the conversation is written, so concurrent creators agree on
// one id, and a crash between the two writes is finished by the next message of the thread.
func (m *Module) conversationFor(ctx context.Context, ch Channel, thread, contactID string, first State) (*Conversation, bool, error) {
	key := threadKey(ch, thread)
	c, err := m.conversationByKey(ctx, key)
	if err == nil {
		return c, false, nil
	}
	if !store.IsNotFound(err) {
		return nil, false, fmt.Errorf("find conversation %s: %w", key, err)
	}
	id, err := m.claimKey(ctx, key, newID())
	if err != nil {
		return nil, false, err
	}
	if c, err := m.conversationBy(ctx, bson.M{"_id": id}); err == nil {
		return c, false, nil
	} else if !store.IsNotFound(err) {
		return nil, false, fmt.Errorf("load conversation %s: %w", id, err)
	}
	now := time.Now().UTC()
	c = &Conversation{ID: id, ContactID: contactID, Channel: ch, Thread: thread, ThreadKey: key, State: first,
		Team: defaultTeam, Epoch: randomToken(4), ReplyToken: randomToken(12), CreatedAt: now, UpdatedAt: now, Version: 1}
	if first == StateQueued {
		c.QueuedAt = &now
	}
	evs := []events.Event{events.MustNew("conversation.created", c.ID, bson.M{"id": c.ID, "contact_id": contactID, "channel": ch})}
	if first == StateQueued {
		evs = append(evs, queuedEvent(c))
	}
	c.Outbox = events.NewOutbox(evs...)
	if _, err := m.st.C(conversationsColl).InsertOne(ctx, c); err != nil {
		if store.IsDuplicate(err) {
			c, err := m.conversationBy(ctx, bson.M{"_id": id})
			return c, false, err
		}
		return nil, false, fmt.Errorf("create conversation: %w", err)
	}
	m.bus.Kick(events.Ref{Coll: conversationsColl, ID: c.ID})
	m.index.observe(c)
	if err := m.linkConversation(ctx, c, true); err != nil {
		return nil, false, err
	}
	return c, true, nil
}

func queuedEvent(c *Conversation) events.Event {
	return events.MustNew("conversation.queued", c.ID, bson.M{"id": c.ID, "channel": c.Channel, "team": c.Team, "summary": c.Summary})
}

func (m *Module) conversationBy(ctx context.Context, filter bson.M) (*Conversation, error) {
	var c Conversation
	if err := m.st.C(conversationsColl).FindOne(ctx, filter).Decode(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Conversation returns a conversation by id.
func (m *Module) Conversation(ctx context.Context, id string) (*Conversation, error) {
	c, err := m.conversationBy(ctx, bson.M{"_id": id})
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("conversation %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load conversation %s: %w", id, err)
	}
	return c, nil
}

// appendMessage gives msg the conversation's next sequence number and stores it with its
// event, returning once it is durable (with the messages of concurrent callers: see
// messageWriter). A message whose id is already stored (a redelivery, a client's retry) is
// returned as stored, with created false. The conversation returned is as the message found
// it, with Seq at the message's batch's newest number.
func (m *Module) appendMessage(ctx context.Context, convID string, msg *Message) (*Message, *Conversation, bool, error) {
	w := m.messageWriters().forConversation(convID)
	if msg.ID != "" {
		if old, err := m.message(ctx, msg.ID); err == nil {
			if err := w.seq.settle(ctx, convID, old.Seq); err != nil {
				return nil, nil, false, fmt.Errorf("settle seq of %s: %w", convID, err)
			}
			return old, nil, false, nil
		} else if !store.IsNotFound(err) {
			return nil, nil, false, err
		}
	} else {
		msg.ID = newID()
	}
	r := w.append(ctx, convID, msg)
	return r.msg, r.conv, r.created, r.err
}

// messageWriters returns the module's message writers, made on first use (after Init).
func (m *Module) messageWriters() *messageWriters {
	m.writerOnce.Do(func() { m.writer = newMessageWriters(m) })
	return m.writer
}

func (m *Module) message(ctx context.Context, id string) (*Message, error) {
	var msg Message
	if err := m.st.C(messagesColl).FindOne(ctx, bson.M{"_id": id}).Decode(&msg); err != nil {
		return nil, err
	}
	return &msg, nil
}

// editMessage changes the text of message msgID of conversation convID (the caller has
// checked that it belongs there) under a new sequence number, so resuming clients receive
// the edit.
func (m *Module) editMessage(ctx context.Context, convID, msgID, text string) (*Message, error) {
	seq := m.messageWriters().seq
	ch := convChange{id: convID, set: bson.M{"updated_at": time.Now().UTC()}}
	conv, err := seq.reserve(ctx, ch, 1)
	if err != nil {
		return nil, err
	}
	ch.seq = conv.Seq
	if err := m.recordSeq(ctx, convID, conv.Seq, msgID); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	var msg Message
	err = m.st.C(messagesColl).FindOneAndUpdate(ctx, bson.M{"_id": msgID},
		bson.M{"$set": bson.M{"text": nfc(text), "edited_at": now, "updated_seq": conv.Seq}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&msg)
	if err != nil {
		return nil, err
	}
	if err := seq.commit(ctx, []convChange{ch}); err != nil {
		return nil, err
	}
	m.publishMessage(conv, &msg)
	return &msg, nil
}

// messagesAfter returns the messages of a conversation created or edited after seq.
// On the embedded store it reads them by _id through the sequence entries.
func (m *Module) messagesAfter(ctx context.Context, convID string, after int64, limit int, withNotes bool) ([]Message, error) {
	if m.st.FerretDB {
		return m.messagesAfterByID(ctx, convID, after, limit, withNotes)
	}
	f := bson.M{"conversation_id": convID, "$or": bson.A{bson.M{"seq": bson.M{"$gt": after}}, bson.M{"updated_seq": bson.M{"$gt": after}}}}
	if !withNotes {
		f["direction"] = bson.M{"$ne": DirNote}
	}
	cur, err := m.st.C(messagesColl).Find(ctx, f, options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list messages of %s: %w", convID, err)
	}
	out := []Message{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list messages of %s: %w", convID, err)
	}
	return out, nil
}

// eventsFunc makes the events of a state change from the conversation as it was.
type eventsFunc func(prev *Conversation) []events.Event

// setState moves a conversation from one of from to to with the extra fields and events, in
// one write guarded by the states it may leave.
func (m *Module) setState(ctx context.Context, id string, from []State, to State, set bson.M, mk eventsFunc) (*Conversation, error) {
	prev, err := m.Conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(from) > 0 && !slices.Contains(from, prev.State) {
		return nil, ErrStaleState
	}
	u := store.Update{Set: bson.M{"state": to, "updated_at": time.Now().UTC()}, Inc: bson.M{"version": 1}}
	for k, v := range set {
		u.SetField(k, v)
	}
	if mk != nil {
		events.Stage(&u, mk(prev)...)
	}
	var c Conversation
	ok, err := m.st.UpdateByID(ctx, conversationsColl, id, bson.M{"version": prev.Version}, u.Doc(), &c)
	if err != nil {
		return nil, fmt.Errorf("update conversation %s: %w", id, err)
	}
	if !ok {
		return nil, ErrStaleState
	}
	m.bus.Kick(events.Ref{Coll: conversationsColl, ID: id})
	m.index.observe(&c)
	m.publishConversation(&c)
	return &c, nil
}
