package omnichannel

import (
	"context"
	"fmt"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// convKeysColl maps the unique addresses of a conversation to its id, one document per
// address whose _id is the address, so finding a conversation is two reads by _id (the
// embedded store answers any other filter by reading the whole collection). The keys are:
//   - the thread key "<channel>:<thread>" (threadKey),
//   - "reply:<token>" for an e-mail conversation's reply+<token>@ address,
//   - "mail:<Message-ID>" for each e-mail of a conversation, received or sent.
//
// The first writer of a key owns it: a conversation is created by claiming its thread key
// first, so two processes of a thread end up in one conversation.
const convKeysColl = "oc_conversation_keys"

// keysBackfilled marks (in oc_settings) that conversations written before the keys existed
// have theirs.
const keysBackfilled = "conversation_keys_v1"

func replyKey(token string) string    { return "reply:" + token }
func mailKey(messageID string) string { return "mail:" + messageID }

type convKey struct {
	ID             string `bson:"_id"`
	ConversationID string `bson:"conversation_id"`
}

// claimKey links key to conversation id unless the key is linked already; it returns the
// conversation the key belongs to.
func (m *Module) claimKey(ctx context.Context, key, id string) (string, error) {
	_, err := m.st.C(convKeysColl).InsertOne(ctx, convKey{ID: key, ConversationID: id})
	if err == nil {
		return id, nil
	}
	if !store.IsDuplicate(err) {
		return "", fmt.Errorf("link %s: %w", key, err)
	}
	return m.keyOwner(ctx, key)
}

// keyOwner returns the id of the conversation key belongs to (a not-found error when none).
func (m *Module) keyOwner(ctx context.Context, key string) (string, error) {
	var k convKey
	if err := m.st.C(convKeysColl).FindOne(ctx, bson.M{"_id": key}).Decode(&k); err != nil {
		return "", err
	}
	return k.ConversationID, nil
}

// conversationByKey returns the conversation key belongs to; a not-found error when none.
func (m *Module) conversationByKey(ctx context.Context, key string) (*Conversation, error) {
	id, err := m.keyOwner(ctx, key)
	if err != nil {
		return nil, err
	}
	return m.conversationBy(ctx, bson.M{"_id": id})
}

// backfillKeys gives conversations and e-mails stored before the keys existed their keys,
// and their contacts the list of their conversations, once per database.
func (m *Module) backfillKeys(ctx context.Context) error {
	err := m.st.C(settingsColl).FindOne(ctx, bson.M{"_id": keysBackfilled}).Err()
	if err == nil {
		return nil
	}
	if !store.IsNotFound(err) {
		return fmt.Errorf("read %s: %w", keysBackfilled, err)
	}
	cur, err := m.st.C(conversationsColl).Find(ctx, bson.M{},
		options.Find().SetProjection(bson.M{"thread_key": 1, "reply_token": 1, "channel": 1, "contact_id": 1}))
	if err != nil {
		return fmt.Errorf("backfill conversation keys: %w", err)
	}
	var convs []Conversation
	if err := cur.All(ctx, &convs); err != nil {
		return fmt.Errorf("backfill conversation keys: %w", err)
	}
	for _, c := range convs {
		if err := m.linkConversation(ctx, &c, false); err != nil {
			return err
		}
	}
	cur, err = m.st.C(messagesColl).Find(ctx, bson.M{"channel": ChannelEmail, "channel_msg_id": bson.M{"$gt": ""}},
		options.Find().SetProjection(bson.M{"conversation_id": 1, "channel_msg_id": 1}))
	if err != nil {
		return fmt.Errorf("backfill e-mail keys: %w", err)
	}
	var msgs []Message
	if err := cur.All(ctx, &msgs); err != nil {
		return fmt.Errorf("backfill e-mail keys: %w", err)
	}
	for _, msg := range msgs {
		if _, err := m.claimKey(ctx, mailKey(msg.ChannelMsgID), msg.ConversationID); err != nil {
			return err
		}
	}
	_, err = m.st.C(settingsColl).InsertOne(ctx, bson.M{"_id": keysBackfilled, "at": time.Now().UTC()})
	if err != nil && !store.IsDuplicate(err) {
		return fmt.Errorf("mark %s: %w", keysBackfilled, err)
	}
	return nil
}

// linkConversation writes the keys of a conversation (the thread key too unless
// threadClaimed) and lists it on its contact. Each write is idempotent.
func (m *Module) linkConversation(ctx context.Context, c *Conversation, threadClaimed bool) error {
	if c.ThreadKey != "" && !threadClaimed {
		if _, err := m.claimKey(ctx, c.ThreadKey, c.ID); err != nil {
			return err
		}
	}
	if c.Channel == ChannelEmail && c.ReplyToken != "" {
		if _, err := m.claimKey(ctx, replyKey(c.ReplyToken), c.ID); err != nil {
			return err
		}
	}
	if c.ContactID != "" {
		_, err := m.st.C(contactsColl).UpdateOne(ctx, bson.M{"_id": c.ContactID}, bson.M{"$addToSet": bson.M{"conversations": c.ID}})
		if err != nil {
			return fmt.Errorf("list conversation %s on contact %s: %w", c.ID, c.ContactID, err)
		}
	}
	return nil
}
