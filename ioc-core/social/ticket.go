package social

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TicketRequest is the optional body of POST /api/v1/social/items/{id}/ticket: fields
// left empty are pre-filled from the item's analysis.
type TicketRequest struct {
	Category    string `json:"category,omitempty"`
	Ward        string `json:"ward,omitempty"`
	Description string `json:"description,omitempty"`
}

// TicketResponse is the item with its new ticket.
type TicketResponse struct {
	Ticket string `json:"ticket"`
	Item   *Item  `json:"item"`
}

// claimTTL is how long a ticket claim on an item holds if its creator dies.
const claimTTL = time.Minute

// MakeTicket opens a ticket from an item on behalf of by and links both: the item records
// the ticket's code, and the ticket's description carries the item's address (so the
// ticket leads back to the item; GET /api/v1/social/items?ticket=CODE finds it). An item
// becomes at most one ticket: a second call is a conflict naming the first ticket.
func (m *Module) MakeTicket(ctx context.Context, id string, req TicketRequest, by *httpapi.Principal) (*TicketResponse, error) {
	if m.Tickets == nil {
		return nil, &httpapi.Error{Status: http.StatusNotImplemented, Code: "not_implemented", Message: "no ticket engine is wired into this binary"}
	}
	now := m.now()
	var it Item
	err := m.st.C(ItemsCollection).FindOneAndUpdate(ctx,
		bson.M{"_id": id, "ticket": bson.M{"$exists": false}, "$or": bson.A{bson.M{"ticket_claim": bson.M{"$exists": false}}, bson.M{"ticket_claim": bson.M{"$lt": now.Add(-claimTTL)}}}},
		bson.M{"$set": bson.M{"ticket_claim": now}}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&it)
	if store.IsNotFound(err) {
		cur, lerr := m.Item(ctx, id)
		if lerr != nil {
			return nil, lerr
		}
		if cur.Ticket != "" {
			return nil, httpapi.Conflict("item %s is already ticket %s", id, cur.Ticket)
		}
		return nil, httpapi.Conflict("a ticket is being made from item %s; try again in a minute", id)
	}
	if err != nil {
		return nil, fmt.Errorf("claim item %s: %w", id, err)
	}
	t := ItemTicket{ItemID: it.ID, Category: strings.TrimSpace(req.Category), Ward: strings.TrimSpace(req.Ward), URL: it.URL, Channel: "web"}
	if t.Category == "" {
		t.Category = it.Category
	}
	if t.Ward == "" && len(it.Wards) > 0 {
		t.Ward = it.Wards[0]
	}
	if it.Kind == KindFacebook {
		t.Channel = "facebook"
	}
	t.Description = ticketDescription(&it, strings.TrimSpace(req.Description))
	code, err := m.Tickets.CreateFromItem(ctx, t, by)
	if err != nil {
		_, _ = m.st.C(ItemsCollection).UpdateByID(context.WithoutCancel(ctx), id, bson.M{"$unset": bson.M{"ticket_claim": ""}})
		return nil, err
	}
	err = m.st.C(ItemsCollection).FindOneAndUpdate(ctx, bson.M{"_id": id},
		bson.M{"$set": bson.M{"ticket": code, "ticket_by": by.Username}, "$unset": bson.M{"ticket_claim": ""}, "$inc": bson.M{"version": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&it)
	if err != nil {
		return nil, fmt.Errorf("ticket %s was made but item %s could not be linked: %w", code, id, err)
	}
	m.log.Info("social item became a ticket", "item", id, "ticket", code)
	return &TicketResponse{Ticket: code, Item: &it}, nil
}

// ticketDescription is the operator's text (or the item's), then where it was seen.
func ticketDescription(it *Item, operator string) string {
	text := operator
	if text == "" {
		text = it.Text
		if it.Title != "" && !strings.HasPrefix(it.Text, it.Title) {
			text = it.Title + ". " + it.Text
		}
	}
	const max = 3500
	if r := []rune(text); len(r) > max {
		text = string(r[:max]) + "…"
	}
	src := "Nguồn: mạng xã hội/báo chí (" + it.Source + ")"
	if it.URL != "" {
		src += " " + it.URL
	}
	return text + "\n\n" + src + " [social item " + it.ID + "]"
}
