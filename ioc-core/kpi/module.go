// Package kpi computes the operations centre's KPIs (hotline, channels, tickets) from the
// event log into time buckets of 15 minutes, a day and a month, and serves them at
// /api/v1/kpi/*. It reads only events (docs/events.md), never a domain package's data, and
// keeps its projection in memory with snapshots in the store; `ioc1022 kpi rebuild`
// recomputes it from the whole log. Definitions are in docs/kpi.md.
package kpi

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"github.com/ioc1022/ioc1022/ioc-core/streams"
)

// ServiceName is the key of the *Module in app.Core.Services.
const ServiceName = "ioc.kpi"

// readBatch is how many events one read of the log takes.
const readBatch = 1000

// EventReader is what the KPIs need of the event bus: the log in order.
type EventReader interface {
	Read(ctx context.Context, after int64, limit int, prefix string) ([]events.Event, error)
}

// Module is the KPI module: the projection, its feeding loop, its API and its command.
type Module struct {
	// Now is the clock of the "now" figures; tests replace it.
	Now func() time.Time

	cfg    config.Config
	log    *slog.Logger
	st     *store.Store
	bus    EventReader
	proj   *Projection
	bell   chan struct{}
	mu     sync.Mutex
	hooks  []func([]events.Event)
	stream *streamer
}

// New returns the KPI module.
func New() *Module { return &Module{Now: time.Now, bell: make(chan struct{}, 1)} }

// Name implements app.Module.
func (m *Module) Name() string { return "kpi" }

// ParamsOf returns the projection params of a configuration.
func ParamsOf(cfg config.Config) Params {
	return Params{ServiceLevelS: cfg.IOC.KPI.ServiceLevelSeconds, ShortAbandonS: cfg.IOC.KPI.ShortAbandonSeconds,
		FineRetentionS: int64(cfg.IOC.KPI.FineRetention / time.Second)}
}

// Init loads the last snapshot, catches up with the log, and registers the routes and the
// feeding loop.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	m.cfg, m.log, m.st, m.bus = c.Config, c.Log, c.Store, c.Events
	p, err := Load(ctx, c.Store, c.Events, ParamsOf(c.Config))
	if err != nil {
		return err
	}
	m.proj = p
	m.register(c)
	c.Events.Subscribe("kpi-doorbell", func(context.Context, events.Event) error {
		m.ring()
		return nil
	}, "ticket.", "call.", "agent.state", "conversation.", "message.")
	c.Go("kpi", app.RunFunc(m.Run))
	c.Services.Store(ServiceName, m)
	if hub, ok := c.Services.Load(streams.ServiceName); ok {
		m.attachStreams(hub.(*streams.Hub))
	}
	if e, ok := c.Services.Load(alerts.ServiceName); ok {
		src := m.AlertSource()
		for _, prefix := range []string{"hotline", "channels", "tickets"} {
			e.(*alerts.Engine).Register(prefix, src)
		}
	}
	return nil
}

// Projection returns the live projection.
func (m *Module) Projection() *Projection { return m.proj }

// DueSoon is the window in which an open ticket counts as due soon.
func (m *Module) DueSoon() time.Duration {
	return time.Duration(m.cfg.Tickets.DueSoonHours) * time.Hour
}

// OnApply registers f, called after each batch of events is applied (with the batch,
// the projection already updated). f runs on the feeding goroutine and must be quick.
func (m *Module) OnApply(f func([]events.Event)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hooks = append(m.hooks, f)
}

func (m *Module) ring() {
	select {
	case m.bell <- struct{}{}:
	default:
	}
}

// Load returns the projection of the stored snapshot (or an empty one) brought up to the
// end of the log.
func Load(ctx context.Context, st *store.Store, bus EventReader, params Params) (*Projection, error) {
	p, ok, err := LoadSnapshot(ctx, st, params)
	if err != nil {
		return nil, err
	}
	if !ok {
		p = NewProjection(params)
	}
	if _, err := CatchUp(ctx, p, bus, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// CatchUp applies every event of the log after p's sequence number, calling each (when
// not nil) with every applied batch. It returns how many events it read.
func CatchUp(ctx context.Context, p *Projection, bus EventReader, each func([]events.Event)) (int, error) {
	total := 0
	for {
		evs, err := bus.Read(ctx, p.Seq(), readBatch, "")
		if err != nil {
			return total, fmt.Errorf("kpi: %w", err)
		}
		if len(evs) == 0 {
			return total, nil
		}
		for _, err := range p.Apply(evs...) {
			slog.Warn("kpi: event skipped", "err", err)
		}
		total += len(evs)
		if each != nil {
			each(evs)
		}
		if len(evs) < readBatch {
			return total, nil
		}
	}
}

// Run feeds the projection from the log until ctx ends, and snapshots it periodically
// and on the way out.
func (m *Module) Run(ctx context.Context) error {
	poll := time.NewTicker(500 * time.Millisecond)
	defer poll.Stop()
	snap := time.NewTicker(m.cfg.IOC.KPI.SnapshotInterval)
	defer snap.Stop()
	saved := m.proj.Seq()
	save := func() {
		if m.proj.Seq() == saved {
			return
		}
		seq, err := m.proj.SaveSnapshot(context.WithoutCancel(ctx), m.st)
		if err != nil {
			m.log.Error("kpi snapshot", "err", err)
			return
		}
		saved = seq
	}
	for {
		if _, err := CatchUp(ctx, m.proj, m.bus, m.fire); err != nil && ctx.Err() == nil {
			m.log.Error("kpi feed", "err", err)
		}
		if m.stream != nil {
			m.stream.flush()
		}
		select {
		case <-ctx.Done():
			save()
			return nil
		case <-m.bell:
		case <-poll.C:
		case <-snap.C:
			save()
		}
	}
}

func (m *Module) fire(evs []events.Event) {
	m.mu.Lock()
	hooks := append([]func([]events.Event){}, m.hooks...)
	m.mu.Unlock()
	for _, h := range hooks {
		h(evs)
	}
}

// WaitSeq blocks until the projection has applied the event seq, or ctx ends. Tests and
// the rebuild command use it.
func (m *Module) WaitSeq(ctx context.Context, seq int64) error {
	for m.proj.Seq() < seq {
		m.ring()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}
