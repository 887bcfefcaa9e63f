package chatbot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ioc1022/ioc1022/chatbot/dialogue"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"github.com/ioc1022/ioc1022/omnichannel"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// saveAttempts bounds the retries when two writers advance one dialogue at once.
const saveAttempts = 3

// EmergencyData is the payload of chatbot.emergency. It carries no message text: a
// supervisor opens the conversation to read it.
type EmergencyData struct {
	ConversationID string    `bson:"conversation_id" json:"conversation_id"`
	ContactID      string    `bson:"contact_id" json:"contact_id"`
	Channel        string    `bson:"channel" json:"channel"`
	MessageID      string    `bson:"message_id" json:"message_id"`
	Numbers        []string  `bson:"numbers" json:"numbers"` // the numbers given: 114, 115, 113
	Ward           string    `bson:"ward,omitempty" json:"ward,omitempty"`
	At             time.Time `bson:"at" json:"at"`
}

// Handle implements omnichannel.Bot: it advances the conversation's dialogue with the
// message and saves it in one versioned write. A message handled before (a retry after a
// crash) gets the reply it got then, without acting twice.
func (m *Module) Handle(ctx context.Context, conv *omnichannel.Conversation, msg *omnichannel.Message) (omnichannel.BotReply, error) {
	if msg.Direction != omnichannel.DirIn {
		return omnichannel.BotReply{}, nil
	}
	eng, err := m.engine()
	if err != nil {
		return omnichannel.BotReply{}, err
	}
	for attempt := 0; ; attempt++ {
		st, err := m.states.Load(ctx, conv.ID)
		if err != nil {
			return omnichannel.BotReply{}, err
		}
		if st.LastMessageID == msg.ID {
			return botReply(st.LastReply), nil
		}
		in, err := m.input(ctx, conv, msg)
		if err != nil {
			return omnichannel.BotReply{}, err
		}
		r, err := eng.Step(ctx, st, in)
		if err != nil {
			return omnichannel.BotReply{}, err
		}
		if r.Emergency != nil {
			// Raised before the state is saved: a crash in between raises it again rather
			// than never.
			if err := m.raise(ctx, conv, msg, r.Emergency); err != nil {
				return omnichannel.BotReply{}, err
			}
		}
		st.LastMessageID, st.LastReply = msg.ID, r
		err = m.states.Save(ctx, st)
		if errors.Is(err, dialogue.ErrConflict) && attempt+1 < saveAttempts && r.Ticket == "" {
			continue
		}
		if err != nil {
			return omnichannel.BotReply{}, err
		}
		m.log.Debug("bot turn", "conversation", conv.ID, "flow", st.Flow, "handoff", r.Handoff)
		return botReply(r), nil
	}
}

func botReply(r dialogue.Reply) omnichannel.BotReply {
	return omnichannel.BotReply{Texts: r.Texts, Handoff: r.Handoff, Summary: r.Summary, Resolve: r.Resolve}
}

// raise publishes chatbot.emergency for the supervisors (the alerting module may consume it).
func (m *Module) raise(ctx context.Context, conv *omnichannel.Conversation, msg *omnichannel.Message, em *dialogue.Emergency) error {
	d := EmergencyData{ConversationID: conv.ID, ContactID: conv.ContactID, Channel: string(conv.Channel),
		MessageID: msg.ID, Numbers: em.Numbers, Ward: em.Ward, At: time.Now().UTC()}
	ev, err := events.New(EventEmergency, conv.ID, d)
	if err != nil {
		return err
	}
	if err := m.bus.Publish(ctx, ev); err != nil {
		return fmt.Errorf("raise emergency of %s: %w", conv.ID, err)
	}
	m.log.Warn("emergency reported in chat", "conversation", conv.ID, "channel", conv.Channel, "numbers", em.Numbers)
	return nil
}

// input is the message with what the channel knows of its author.
func (m *Module) input(ctx context.Context, conv *omnichannel.Conversation, msg *omnichannel.Message) (dialogue.Input, error) {
	in := dialogue.Input{MessageID: msg.ID, ConversationID: conv.ID, ContactID: conv.ContactID,
		Channel: string(conv.Channel), Text: msg.Text}
	for _, a := range msg.Attachments {
		if a.Type == "image" && a.URL != "" {
			in.Photo = a.URL
			break
		}
	}
	name, phone, err := m.contactOf(ctx, conv.ContactID)
	if err != nil {
		return in, err
	}
	in.ContactName, in.ContactPhone = name, phone
	return in, nil
}

// contactsColl is omnichannel's collection of contacts, read here (never written) for the
// name and the phone the channel gave, so the bot asks for a phone only when it has none.
const contactsColl = "oc_contacts"

func (m *Module) contactOf(ctx context.Context, id string) (name, phone string, err error) {
	for hop := 0; hop < 3 && id != ""; hop++ {
		var c struct {
			Name       string `bson:"name"`
			Phone      string `bson:"phone"`
			MergedInto string `bson:"merged_into"`
		}
		err := m.st.C(contactsColl).FindOne(ctx, bson.M{"_id": id},
			options.FindOne().SetProjection(bson.M{"name": 1, "phone": 1, "merged_into": 1})).Decode(&c)
		if store.IsNotFound(err) {
			return "", "", nil
		}
		if err != nil {
			return "", "", fmt.Errorf("read contact %s: %w", id, err)
		}
		if c.MergedInto == "" {
			return c.Name, c.Phone, nil
		}
		id = c.MergedInto
	}
	return "", "", nil
}
