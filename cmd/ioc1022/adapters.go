package main

import (
	"context"

	"github.com/ioc1022/ioc1022/chatbot/nlu"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/social"
	"github.com/ioc1022/ioc1022/tickets"
)

// newSocial connects social listening to the chatbot's category model and to the ticket
// engine, which ioc-core may not import.
func newSocial(t *tickets.Module) *social.Module {
	s := social.New()
	s.Categorizer, s.Tickets = nluCategorizer{}, socialTickets{t}
	go func() { _, _ = nlu.Default() }() // load (or train) the model before the first item needs it
	return s
}

// nluCategorizer gives a social item the category the chatbot's model scores highest. A
// post is not a message to the bot, so the category head is read whatever the intent.
type nluCategorizer struct{}

// Categorize implements social.Categorizer.
func (nluCategorizer) Categorize(text string) (string, float64) {
	m, err := nlu.Default()
	if err != nil {
		return "", 0
	}
	best, p := "", 0.0
	for cat, s := range m.Classify(text).CategoryScores {
		if s > p || (s == p && string(cat) < best) {
			best, p = string(cat), s
		}
	}
	return best, p
}

// socialTickets opens tickets from social items through the ticket engine.
type socialTickets struct{ t *tickets.Module }

// CreateFromItem implements social.TicketCreator.
func (a socialTickets) CreateFromItem(ctx context.Context, it social.ItemTicket, by *httpapi.Principal) (string, error) {
	tk, err := a.t.Create(ctx, tickets.NewTicket{Category: it.Category, Ward: it.Ward, Description: it.Description, Channel: it.Channel}, by)
	if err != nil {
		return "", err
	}
	return string(tk.Code), nil
}
