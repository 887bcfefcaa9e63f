// Package omnichannel is the citizens' messaging side of ioc1022: one conversation model
// for the web chat widget, the mobile app, Zalo OA, Facebook Messenger, e-mail and Telegram,
// a connector per channel, the agents' inbox with routing, and the answers back to the
// citizen when the ticket engine reports progress.
//
// Inbound traffic is verified, stored (oc_inbound) and only then acknowledged; processing
// (contact, conversation, message, bot, routing) runs afterwards from the stored record, so
// a crash between the acknowledgement and the processing loses nothing, and a redelivery
// (same channel message id) is stored once.
package omnichannel

import (
	"context"
	"log/slog"
	"sync"

	"github.com/gorilla/websocket"
	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
)

// Module is the omnichannel module of the binary.
type Module struct {
	tickets Tickets
	bot     Bot
	hub     Hub

	cfg        config.Config
	st         *store.Store
	log        *slog.Logger
	bus        *events.Bus
	router     *router
	auth       *auth.Service
	api        *httpapi.API
	upgrader   *websocket.Upgrader
	connectors map[Channel]Connector
	webchat    *webchat

	// Work of this process (see workQueue): inbound items to ingest, messages to follow
	// up, ids of outbound messages to retry; index is the routing view of conversations.
	inbound  *workQueue[Inbound]
	todo     *workQueue[Message]
	outbound *workQueue[string]
	index    *routingIndex
	sockets  *socketSet
	msgLocks [64]sync.Mutex // see updateDelivery
	// writer stores new messages in batches (see messageWriter); made on first use.
	writerOnce sync.Once
	writer     *messageWriters

	// beforeProcess, when set (by tests), runs before inbound processing starts.
	beforeProcess func(ctx context.Context)
}

// New returns the module. t is the ticket engine (nil: conversations cannot become tickets
// and notices are not consumed).
func New(t Tickets) *Module {
	return &Module{tickets: t, hub: NewMemoryHub(), inbound: newWorkQueue[Inbound](), todo: newWorkQueue[Message](),
		outbound: newWorkQueue[string](), index: newRoutingIndex(), sockets: newSocketSet()}
}

// SetBot sets the bot that answers conversations in state bot. Call it before Init.
func (m *Module) SetBot(b Bot) { m.bot = b }

// SetHub replaces the in-memory hub (presence and fan-out) by one shared between nodes.
// Call it before Init.
func (m *Module) SetHub(h Hub) { m.hub = h }

// Name implements app.Module.
func (m *Module) Name() string { return "omnichannel" }

// Init implements app.Module: it creates the indexes, the connectors whose secrets are set,
// the routes and the runners.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	m.cfg, m.st, m.log, m.bus = c.Config, c.Store, c.Log.With("module", "omnichannel"), c.Events
	m.auth, m.api, m.upgrader = c.Auth, c.API, newUpgrader(c.Config.Channels.AllowedOrigins)
	m.router = newRouter(m, c.Config.Channels.MaxOpenPerAgent)
	if err := m.ensureIndexes(ctx); err != nil {
		return err
	}
	if err := m.backfillKeys(ctx); err != nil {
		return err
	}
	if err := m.backfillSeqs(ctx); err != nil {
		return err
	}
	if m.st.FerretDB {
		m.index.startLoading()
		c.Load(RoutingLoad, m.loadRoutingIndex)
	}
	c.Events.Source(conversationsColl)
	c.Events.Source(messagesColl)
	m.connectors = map[Channel]Connector{}
	wc, err := newWebchat(ctx, m)
	if err != nil {
		return err
	}
	m.webchat = wc
	m.connectors[ChannelWeb] = wc.connector(ChannelWeb)
	m.connectors[ChannelApp] = wc.connector(ChannelApp)
	if err := m.initChannels(ctx, c); err != nil {
		return err
	}
	m.registerRoutes(c.API)
	m.registerInbox(c.API)
	wc.register(c.API)
	m.registerNotices(c.API)
	m.registerSettings(c.API)
	if m.tickets != nil {
		c.Events.Subscribe("omnichannel.notices", m.handleNotice, "ticket.citizen_notice")
	}
	c.Go("omnichannel.processor", app.RunFunc(m.runProcessor))
	c.Go("omnichannel.router", m.router)
	c.Go("omnichannel.outbound", app.RunFunc(m.runOutbound))
	c.Go("omnichannel.sockets", m.sockets)
	return nil
}
