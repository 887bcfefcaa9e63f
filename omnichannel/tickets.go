package omnichannel

import (
	"context"
	"fmt"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/tickets"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Tickets is what omnichannel needs of the ticket engine: making a ticket from a
// conversation and recording the citizen's rating. *tickets.Module implements it.
type Tickets interface {
	Create(ctx context.Context, n tickets.NewTicket, by *httpapi.Principal) (*tickets.Ticket, error)
	Rate(ctx context.Context, code tickets.Code, stars int, comment string) (*tickets.Ticket, error)
}

// TicketRequest is what an agent gives to make a ticket of a conversation; the description
// defaults to the citizen's messages.
type TicketRequest struct {
	Category    string            `json:"category,omitempty"`
	Ward        string            `json:"ward,omitempty"`
	Address     string            `json:"address,omitempty"`
	Description string            `json:"description,omitempty"`
	Location    *tickets.Location `json:"location,omitempty"`
}

// CreateTicket makes a ticket of a conversation, linked both ways: the ticket carries the
// conversation and contact ids, the conversation lists the ticket's code.
func (m *Module) CreateTicket(ctx context.Context, convID string, req TicketRequest, by *httpapi.Principal) (*tickets.Ticket, error) {
	if m.tickets == nil {
		return nil, ErrTicketsAbsent
	}
	conv, err := m.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	c, err := m.contact(ctx, conv.ContactID)
	if err != nil {
		return nil, err
	}
	desc := strings.TrimSpace(req.Description)
	if desc == "" {
		if desc, err = m.citizenText(ctx, convID); err != nil {
			return nil, err
		}
	}
	email := c.Email
	if conv.Channel == ChannelEmail && conv.Address != "" {
		email = conv.Address
	}
	t, err := m.tickets.Create(ctx, tickets.NewTicket{Category: req.Category, Ward: req.Ward, Address: req.Address,
		Description: desc, Channel: string(conv.Channel), Location: req.Location,
		Contact:        tickets.Contact{Name: c.Name, Phone: c.Phone, Email: email},
		ConversationID: conv.ID, ContactID: c.ID}, by)
	if err != nil {
		return nil, err
	}
	if _, err := m.st.C(conversationsColl).UpdateOne(ctx, bson.M{"_id": conv.ID},
		bson.M{"$addToSet": bson.M{"tickets": string(t.Code)}, "$inc": bson.M{"version": 1}}); err != nil {
		return nil, fmt.Errorf("link ticket %s to %s: %w", t.Code, conv.ID, err)
	}
	who := "system"
	if by != nil {
		who = by.Username
	}
	if _, _, _, err := m.appendMessage(ctx, conv.ID, &Message{Direction: DirNote, Author: who,
		Text: "Đã tạo phiếu " + string(t.Code)}); err != nil {
		return nil, err
	}
	return t, nil
}

// citizenText joins the citizen's text messages of a conversation, newest last.
func (m *Module) citizenText(ctx context.Context, convID string) (string, error) {
	msgs, err := m.messagesAfter(ctx, convID, 0, 200, false)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, msg := range msgs {
		if msg.Direction == DirIn && msg.Text != "" && !msg.Deleted {
			parts = append(parts, msg.Text)
		}
	}
	if len(parts) == 0 {
		return "", httpapi.Invalid(map[string]string{"description": "the conversation has no text to take it from: give one"})
	}
	return strings.Join(parts, "\n"), nil
}

// recordRating records a citizen's numeric reply as the rating of the ticket the
// conversation last asked about, then thanks the citizen.
func (m *Module) recordRating(ctx context.Context, conv *Conversation, stars int) error {
	if m.tickets == nil {
		return ErrTicketsAbsent
	}
	code := conv.AwaitingRating
	if _, err := m.tickets.Rate(ctx, tickets.Code(code), stars, ""); err != nil {
		return fmt.Errorf("rate ticket %s: %w", code, err)
	}
	ok, err := m.st.UpdateByID(ctx, conversationsColl, conv.ID, bson.M{"awaiting_rating": code},
		bson.M{"$set": bson.M{"awaiting_rating": ""}, "$inc": bson.M{"version": 1}}, nil)
	if err != nil {
		return fmt.Errorf("clear awaiting rating of %s: %w", conv.ID, err)
	}
	if !ok {
		return nil // an earlier attempt thanked already
	}
	_, err = m.sendText(ctx, conv, "system", fmt.Sprintf("Cảm ơn bạn đã đánh giá %d/5 cho phiếu %s.", stars, code), true)
	return err
}
