// Package chatbot is the hotline's Vietnamese chatbot: the NLU model (chatbot/nlu), the
// knowledge base (chatbot/faq) and the dialogue (chatbot/dialogue), plugged into
// omnichannel as its Bot and into the binary as the `chatbot` subcommand.
package chatbot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/chatbot/dialogue"
	"github.com/ioc1022/ioc1022/chatbot/faq"
	"github.com/ioc1022/ioc1022/chatbot/nlu"
	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/refdata"
	"github.com/ioc1022/ioc1022/ioc-core/store"
)

// EventEmergency is published when the bot recognises an emergency (docs/events.md).
const EventEmergency = "chatbot.emergency"

// Module is the chatbot module of the binary. It implements omnichannel.Bot.
type Module struct {
	tickets dialogue.TicketDesk
	// model returns the classifier; nlu.Default unless a test sets another.
	model func() (*nlu.Model, error)

	st     *store.Store
	log    *slog.Logger
	bus    *events.Bus
	kb     *faq.KB
	states *dialogue.Store
	places *places
	prefix string
}

// New returns the module. t is the ticket engine the bot creates and looks up tickets
// with (*tickets.Module).
func New(t dialogue.TicketDesk) *Module { return &Module{tickets: t, model: nlu.Default} }

// Name implements app.Module.
func (m *Module) Name() string { return "chatbot" }

// Commands implements app.Commander: `ioc1022 chatbot train|classify|eval|cv|data`.
func (m *Module) Commands() []app.Command {
	return []app.Command{{Name: "chatbot",
		Summary: "chatbot train|classify TEXT|eval --data FILE.tsv|cv: the NLU model",
		Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return nlu.RunCLIWithUnits(ctx, args, stdout, stderr, demoPlaces())
		}}}
}

// demoPlaces are the wards and communes `chatbot classify` matches without --units: the demo
// province's, as a node started with --demo holds them.
func demoPlaces() []nlu.Unit {
	var out []nlu.Unit
	for _, u := range refdata.DemoUnits() {
		out = append(out, nlu.Unit{Code: u.Code, Name: u.Name, Aliases: u.Aliases})
	}
	return out
}

// Init implements app.Module: the knowledge base (demo entries on a demo node), its routes,
// and a runner that loads the NLU model in the background so the first message does not
// wait for it.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	m.st, m.log, m.bus, m.prefix = c.Store, c.Log.With("module", "chatbot"), c.Events, c.Config.Tickets.CodePrefix
	m.kb, m.states, m.places = faq.New(c.Store), dialogue.NewStore(c.Store), &places{ref: c.Ref}
	if err := m.kb.Init(ctx, c.Config.Demo); err != nil {
		return err
	}
	m.kb.Register(c.API, faq.DefaultThreshold, func(ctx context.Context, code string) bool {
		cat, err := c.Ref.Category(ctx, code)
		return err == nil && cat.Active
	})
	c.Go("chatbot.model", app.RunFunc(m.warmUp))
	return nil
}

// warmUp loads (or, without a shipped model file, trains) the NLU model once at start.
func (m *Module) warmUp(ctx context.Context) error {
	start := time.Now()
	if _, err := m.model(); err != nil {
		m.log.Error("chatbot model unavailable: conversations go to agents", "err", err)
		return nil
	}
	m.log.Info("chatbot model ready", "took", time.Since(start).Round(time.Millisecond))
	<-ctx.Done()
	return nil
}

// engine returns the dialogue engine with the loaded model.
func (m *Module) engine() (*dialogue.Engine, error) {
	model, err := m.model()
	if err != nil {
		return nil, fmt.Errorf("chatbot model: %w", err)
	}
	return &dialogue.Engine{Classifier: model, Knowledge: m.kb, Tickets: m.tickets, Places: m.places,
		CodePrefix: m.prefix, FAQThreshold: faq.DefaultThreshold}, nil
}

// unitsTTL is how long the gazetteer is cached; units change rarely (a merger).
const unitsTTL = time.Minute

// places is the gazetteer and category names from the reference data, cached.
type places struct {
	ref *refdata.Service

	mu     sync.Mutex
	units  []nlu.Unit
	loaded time.Time
}

// Units returns the wards and communes in force, with their old names as aliases.
func (p *places) Units(ctx context.Context) ([]nlu.Unit, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.units != nil && time.Since(p.loaded) < unitsTTL {
		return p.units, nil
	}
	all, err := p.ref.Units(ctx, "", "")
	if err != nil {
		return nil, fmt.Errorf("load units: %w", err)
	}
	now := time.Now()
	out := make([]nlu.Unit, 0, len(all))
	for _, u := range all {
		if u.Level == refdata.LevelProvince || (u.ValidTo != nil && u.ValidTo.Before(now)) {
			continue
		}
		out = append(out, nlu.Unit{Code: u.Code, Name: u.Name, Aliases: u.Aliases})
	}
	p.units, p.loaded = out, now
	return out, nil
}

// CategoryName returns a category's Vietnamese name, or its code when it has none.
func (p *places) CategoryName(ctx context.Context, code string) string {
	if c, err := p.ref.Category(ctx, code); err == nil && c.Name != "" {
		return c.Name
	}
	return code
}
