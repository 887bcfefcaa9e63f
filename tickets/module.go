package tickets

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"github.com/ioc1022/ioc1022/tickets/sla"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collections of the ticket engine.
const (
	Collection         = "tickets"
	rulesCollection    = "routing_rules"
	settingsCollection = "ticket_settings"
)

// IndexLoad names the start-up load of the in-memory ticket index in GET /readyz.
const IndexLoad = "tickets.index"

// Calendar is the working calendar deadlines are counted on (see package sla).
type Calendar = sla.Calendar

// Module is the ticket engine plugged into the core. Its methods are safe for concurrent use
// once Init has run.
type Module struct {
	core  *app.Core
	cfg   config.Tickets
	cal   *sla.Calendar
	coll  *mongo.Collection
	rules *ruleCache
	units *unitCache

	index   ticketIndex
	lookups *auth.Limiter
	clock   atomic.Pointer[func() time.Time]

	storeQueries bool   // ask the store even on FerretDB (StoreQueries)
	loadHook     func() // tests: passed to the in-memory index (memIndex.hook)
}

// Option tunes the ticket engine.
type Option func(*Module)

// StoreQueries makes the engine answer lists, duplicate searches, a phone's tickets and the
// sweeper's deadlines with store queries even on FerretDB, instead of its in-memory index.
// Tests use it to check that both give the same answers.
func StoreQueries() Option { return func(m *Module) { m.storeQueries = true } }

// New returns the ticket engine, ready to be handed to the app.
func New(opts ...Option) *Module {
	m := &Module{cal: sla.Default()}
	m.SetClock(time.Now)
	for _, o := range opts {
		o(m)
	}
	return m
}

// now is the module's clock, in UTC.
func (m *Module) now() time.Time { return (*m.clock.Load())().UTC() }

// Name implements app.Module.
func (m *Module) Name() string { return "tickets" }

// Calendar is the working calendar: business hours, holidays and make-up working days.
func (m *Module) Calendar() *Calendar { return m.cal }

// Init implements app.Module: indexes, the calendar, routes, demo rules and the sweeper.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	m.core, m.cfg = c, c.Config.Tickets
	m.coll = c.Store.C(Collection)
	m.rules = &ruleCache{m: m}
	m.units = &unitCache{m: m}
	m.lookups = auth.NewLimiter(time.Minute)
	if err := c.Store.EnsureIndexes(ctx, Collection,
		store.Index("department", "status", "created_at"),
		store.Index("status", "created_at"),
		store.Index("created_at"),
		store.Index("next_deadline"),
		store.Index("reporter.phone", "created_at"),
		store.Index("category", "status", "created_at"),
		store.Index("merged_into"),
	); err != nil {
		return err
	}
	if err := c.Store.EnsureIndexes(ctx, rulesCollection, store.Index("order")); err != nil {
		return err
	}
	// FerretDB scans the collection for any filter but _id, and this node is its only
	// client: keep the ticket index in memory (see ticketIndex).
	m.index = &storeIndex{coll: m.coll}
	if c.Store.FerretDB && !m.storeQueries {
		x := newMemIndex(m.coll)
		x.hook = m.loadHook
		m.index = x
		c.Load(IndexLoad, x.load)
	}
	if err := m.loadCalendar(ctx); err != nil {
		return err
	}
	if c.Config.Demo {
		if err := m.seedDemoRules(ctx); err != nil {
			return fmt.Errorf("seed demo routing rules: %w", err)
		}
	}
	c.Events.Source(Collection)
	c.Events.Subscribe("tickets-merge", m.completeMerge, "ticket.merged")
	m.register()
	c.Go("tickets-sweeper", &Sweeper{m: m, every: m.cfg.SweepInterval})
	c.Services.Store("tickets", m)
	return nil
}

type calendarDoc struct {
	ID        string    `bson:"_id"`
	Data      sla.Data  `bson:"data"`
	UpdatedAt time.Time `bson:"updated_at"`
	By        string    `bson:"by"`
}

// loadCalendar replaces the shipped calendar with the one an administrator saved, if any.
func (m *Module) loadCalendar(ctx context.Context) error {
	var d calendarDoc
	err := m.core.Store.C(settingsCollection).FindOne(ctx, bson.M{"_id": "calendar"}).Decode(&d)
	if store.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load working calendar: %w", err)
	}
	if err := m.cal.Set(d.Data); err != nil {
		return fmt.Errorf("stored working calendar: %w", err)
	}
	return nil
}

// SetCalendar validates and saves a new working calendar. Deadlines already computed keep
// their value; new ones use the new calendar.
func (m *Module) SetCalendar(ctx context.Context, d sla.Data, by string) error {
	if _, err := sla.New(d); err != nil {
		return err
	}
	_, err := m.core.Store.C(settingsCollection).ReplaceOne(ctx, bson.M{"_id": "calendar"},
		calendarDoc{ID: "calendar", Data: d, UpdatedAt: m.now(), By: by}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("save working calendar: %w", err)
	}
	return m.cal.Set(d)
}

// SetClock replaces the module's clock, for tests and simulations of deadlines. now must
// be safe for concurrent use.
func (m *Module) SetClock(now func() time.Time) { m.clock.Store(&now) }
