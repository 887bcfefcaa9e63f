package omnichannel

import (
	"context"
	"errors"
	"fmt"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// NotifyAgent pushes payload, a JSON object with a "type" field, to every inbox socket agent
// has open (GET /api/v1/inbox/ws), through the hub like the inbox's own frames. The PBX's
// screen pop uses it when an agent's phone rings.
func (m *Module) NotifyAgent(agent string, payload []byte) { m.hub.Publish(agentTopic(agent), payload) }

// ContactByPhone returns the contact of a normalised phone number (its "phone:" key, else
// its phone field; a merged contact is followed to the one it went into) and its latest
// conversations, newest first. It returns nil and no error when no contact has that number.
func (m *Module) ContactByPhone(ctx context.Context, phone string, limit int) (*Contact, []Conversation, error) {
	if phone == "" {
		return nil, nil, nil
	}
	if limit < 1 || limit > 50 {
		limit = 5
	}
	id := ""
	var kd struct {
		ContactID string `bson:"contact_id"`
	}
	err := m.st.C(contactKeysColl).FindOne(ctx, bson.M{"_id": ContactKey("phone:" + phone)}).Decode(&kd)
	switch {
	case err == nil:
		id = kd.ContactID
	case !store.IsNotFound(err):
		return nil, nil, fmt.Errorf("contact by phone: %w", err)
	default:
		var c Contact
		err := m.st.C(contactsColl).FindOne(ctx, bson.M{"phone": phone}).Decode(&c)
		if store.IsNotFound(err) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("contact by phone: %w", err)
		}
		id = c.ID
	}
	var c *Contact
	for hop := 0; hop < 5; hop++ {
		c, err = m.contact(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if c.MergedInto == "" {
			break
		}
		id = c.MergedInto
	}
	cur, err := m.st.C(conversationsColl).Find(ctx, bson.M{"contact_id": c.ID},
		options.Find().SetSort(bson.D{{Key: "updated_at", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, nil, fmt.Errorf("conversations of a contact: %w", err)
	}
	convs := []Conversation{}
	if err := cur.All(ctx, &convs); err != nil {
		return nil, nil, fmt.Errorf("conversations of a contact: %w", err)
	}
	return c, convs, nil
}
