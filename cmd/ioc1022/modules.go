package main

import (
	"context"

	"github.com/ioc1022/ioc1022/chatbot"
	"github.com/ioc1022/ioc1022/integrations/open311"
	"github.com/ioc1022/ioc1022/integrations/telegram"
	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/console"
	"github.com/ioc1022/ioc1022/ioc-core/geo"
	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/ioc1022/ioc1022/ioc-core/reports"
	"github.com/ioc1022/ioc1022/ioc-core/sectors"
	"github.com/ioc1022/ioc1022/ioc-core/streams"
	"github.com/ioc1022/ioc1022/ioc-core/webhooks"
	"github.com/ioc1022/ioc1022/omnichannel"
	"github.com/ioc1022/ioc1022/pbx"
	"github.com/ioc1022/ioc1022/tickets"
)

// modules are the domain packages this binary plugs into the core, in start order.
func modules() []app.Module {
	t := tickets.New()
	bot := chatbot.New(t)
	oc := omnichannel.New(t)
	oc.SetBot(bot)
	return []app.Module{t, oc, bot, open311.New(t), streams.New(), alerts.New(), kpi.New(), newSocial(t), sectors.New(), geo.New(), reports.New(), telegram.New(t), webhooks.New(), newPBX(t, oc), console.New()}
}

// newPBX connects the PBX to the ticket engine (business hours, ticket lookup, voicemail
// tickets, phone normalisation) and to omnichannel's inbox for the screen pop.
func newPBX(t *tickets.Module, oc *omnichannel.Module) *pbx.Module {
	p := pbx.New()
	p.Calendar, p.Tickets, p.NormalizePhone = t.Calendar(), pbx.TicketDeskFor(t), tickets.NormalizePhone
	p.Inbox = oc
	p.Contacts = func(ctx context.Context, phone string) (any, any, error) { return oc.ContactByPhone(ctx, phone, 5) }
	p.Recent = func(ctx context.Context, phone string, n int) (any, error) { return t.RecentByPhone(ctx, phone, n) }
	return p
}
