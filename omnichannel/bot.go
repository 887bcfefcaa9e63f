package omnichannel

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Bot answers the citizen while a conversation is in state bot. It is set at wiring time
// (the chatbot's dialogue); without one, conversations go straight to the agents' queue.
type Bot interface {
	// Handle answers one inbound message. It may run again for the same message after a
	// crash, so it should be idempotent or harmless when repeated.
	Handle(ctx context.Context, conv *Conversation, msg *Message) (BotReply, error)
}

// BotReply is what a bot does with a message: texts to send back, and whether the
// conversation leaves the bot for the queue of Team (Handoff) or ends (Resolve).
type BotReply struct {
	Texts   []string
	Handoff bool
	Team    string
	Summary string
	Resolve bool
}

// followUp runs what follows a citizen's message once it is stored: a rating reply is
// recorded, a resolved conversation reopens, the bot answers or hands off.
func (m *Module) followUp(ctx context.Context, msg *Message) error {
	conv, err := m.Conversation(ctx, msg.ConversationID)
	if err != nil {
		return err
	}
	if stars, ok := ratingOf(msg.Text); ok && conv.AwaitingRating != "" {
		err = m.recordRating(ctx, conv, stars)
	} else {
		err = m.route(ctx, conv, msg)
	}
	if err != nil {
		return err
	}
	_, err = m.st.C(messagesColl).UpdateOne(ctx, bson.M{"_id": msg.ID}, bson.M{"$set": bson.M{"todo": false}})
	return err
}

// ratingOf reads a 1–5 rating reply: a single digit, optionally with "sao" or a star sign.
func ratingOf(text string) (int, bool) {
	t := strings.TrimSpace(strings.ToLower(text))
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(t, "sao"), "⭐"))
	n, err := strconv.Atoi(t)
	return n, err == nil && n >= 1 && n <= 5
}

func (m *Module) route(ctx context.Context, conv *Conversation, msg *Message) error {
	if conv.State == StateResolved {
		if m.bot == nil {
			_, err := m.enqueue(ctx, conv.ID, []State{StateResolved}, conv.Team, conv.Summary)
			return ignoreStale(err)
		}
		c, err := m.setState(ctx, conv.ID, []State{StateResolved}, StateBot, bson.M{"agent": ""}, nil)
		if err != nil {
			return ignoreStale(err)
		}
		conv = c
	}
	if conv.State != StateBot {
		return nil
	}
	if m.bot == nil {
		_, err := m.enqueue(ctx, conv.ID, []State{StateBot}, conv.Team, conv.Summary)
		return ignoreStale(err)
	}
	reply, err := m.bot.Handle(ctx, conv, msg)
	if err != nil {
		return fmt.Errorf("bot on %s: %w", conv.ID, err)
	}
	for _, t := range reply.Texts {
		if _, err := m.sendText(ctx, conv, "bot", t, false); err != nil {
			return err
		}
	}
	switch {
	case reply.Handoff:
		_, err = m.enqueue(ctx, conv.ID, []State{StateBot}, reply.Team, reply.Summary)
	case reply.Resolve:
		_, err = m.resolve(ctx, conv.ID, "bot", true)
	}
	return ignoreStale(err)
}

func ignoreStale(err error) error {
	if err == ErrStaleState {
		return nil
	}
	return err
}

// resolve ends a conversation; its agent's place frees up for the queue.
func (m *Module) resolve(ctx context.Context, id, by string, byBot bool) (*Conversation, error) {
	now := time.Now().UTC()
	mk := func(p *Conversation) []events.Event {
		return []events.Event{events.MustNew("conversation.resolved", id, bson.M{"id": id, "channel": p.Channel,
			"by": by, "by_bot": byBot, "handed_off": p.Agent != ""})}
	}
	c, err := m.setState(ctx, id, []State{StateBot, StateQueued, StateAssigned, StatePending}, StateResolved, bson.M{"resolved_at": now}, mk)
	if err != nil {
		return nil, err
	}
	m.router.Kick()
	return c, nil
}
