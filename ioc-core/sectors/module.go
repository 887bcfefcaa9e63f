// Package sectors is the sector monitoring framework of the IOC core: a sector module
// (public-service dossiers, socio-economic indicators, environment sensors, and further
// ones for health, education, land or tourism) is data — the records its sources bring,
// the indicators computed from them with their targets and alert rules, and its views.
// Indicators are measured for the shared alert engine (ioc-core/alerts) like the built-in
// KPIs, and each sector has a live stream (ioc-core/streams), "sectors.<id>".
package sectors

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"github.com/ioc1022/ioc1022/ioc-core/streams"
)

// Retention is how long the in-process view keeps finished records: the alert engine's
// baselines look back 7 days.
const Retention = 8 * 24 * time.Hour

// Module runs the sector modules.
type Module struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	sectors []*Sector
	recs    map[string]*records
	st      recordStore
	store   *store.Store
	log     *slog.Logger
	hub     *streams.Hub
	engine  *alerts.Engine

	dossiers *dossierPuller
	defs     defs
	sensors  sensorState
	mqtt     *mqttSubscriber // nil when ioc.sensors.mqtt.url is empty

	streamMu sync.Mutex
	dirty    map[string]bool // sectors whose stream is due an update
	kick     chan struct{}
}

// New returns the sector modules: dossiers, indicators and sensors.
func New() *Module {
	m := &Module{recs: map[string]*records{}, dirty: map[string]bool{}, kick: make(chan struct{}, 1)}
	m.sectors = []*Sector{dossierSector(), indicatorSector(), sensorSector()}
	return m
}

// Name implements app.Module.
func (m *Module) Name() string { return "sectors" }

func (m *Module) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// Sectors returns the sector definitions.
func (m *Module) Sectors() []*Sector { return m.sectors }

// Init loads each sector's records, registers the indicators with the alert engine (and
// seeds their rules when ioc.alerts.seed_defaults), the streams and the API.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	m.store, m.st, m.log = c.Store, recordStore{c.Store}, c.Log.With("module", "sectors")
	if err := c.Store.EnsureIndexes(ctx, RecordsCollection, store.Index("sector", "at")); err != nil {
		return err
	}
	if err := c.Store.EnsureIndexes(ctx, SourcesCollection, store.Index("sector")); err != nil {
		return err
	}
	for _, s := range m.sectors {
		rs := newRecords(Retention)
		loaded, err := m.st.load(ctx, s.ID, m.now().Add(-Retention))
		if err != nil {
			return err
		}
		for _, r := range loaded {
			rs.put(r)
		}
		m.recs[s.ID] = rs
	}
	if err := m.loadDefinitions(ctx); err != nil {
		return err
	}
	if err := m.loadSensors(ctx); err != nil {
		return err
	}
	if v, ok := c.Services.Load(streams.ServiceName); ok {
		m.hub = v.(*streams.Hub)
		m.hub.Provide("sectors.", func(ctx context.Context, channel string) (any, error) {
			return m.Values(channel[len("sectors."):])
		}, streams.Roles(httpapi.RoleSupervisor, httpapi.RoleLeader, httpapi.RoleOfficer))
		c.Go("sectors-streams", streamer{m})
	}
	if v, ok := c.Services.Load(alerts.ServiceName); ok {
		m.engine = v.(*alerts.Engine)
		for _, s := range m.sectors {
			m.engine.Register(s.ID, &Source{m: m, sector: s})
		}
		if c.Config.IOC.Alerts.SeedDefaults {
			if err := m.seedRules(ctx); err != nil {
				return err
			}
		}
	}
	m.dossiers = &dossierPuller{m: m, client: &http.Client{Timeout: 30 * time.Second}}
	c.Go("sectors-dossiers", m.dossiers)
	if mc := c.Config.IOC.Sensors.MQTT; mc.URL != "" {
		m.mqtt = newMQTTSubscriber(m, mc)
		c.Go("sectors-mqtt", m.mqtt)
		c.Listening("Sensor readings from MQTT " + m.mqtt.status.Broker + " " + strings.Join(mc.Topics, ","))
	}
	m.register(c.API)
	return nil
}

func (m *Module) sector(id string) (*Sector, error) {
	for _, s := range m.sectors {
		if s.ID == id {
			return s, nil
		}
	}
	return nil, httpapi.NotFound("no sector %s", id)
}

// seedRules creates the rules the sectors declare that do not exist yet.
func (m *Module) seedRules(ctx context.Context) error {
	for _, s := range m.sectors {
		for _, ind := range s.Indicators {
			for _, r := range ind.Rules {
				if _, err := m.engine.Rule(ctx, r.ID); err == nil {
					continue
				}
				if _, err := m.engine.CreateRule(ctx, r, "system"); err != nil {
					if he, ok := err.(*httpapi.Error); ok && he.Status == http.StatusConflict {
						continue
					}
					return fmt.Errorf("seed sector alert rule %s: %w", r.ID, err)
				}
			}
		}
	}
	return nil
}

// StreamInterval is the least time between two updates of a sector's live stream: the
// values are measured over every record in view, so a burst of readings is one update.
const StreamInterval = time.Second

// changed marks the sector's stream as due an update.
func (m *Module) changed(sector string) {
	if m.hub == nil {
		return
	}
	m.streamMu.Lock()
	m.dirty[sector] = true
	m.streamMu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// streamer publishes the values of the sectors marked changed, at most once per
// StreamInterval.
type streamer struct{ m *Module }

// Run implements app.Runner.
func (s streamer) Run(ctx context.Context) error {
	m := s.m
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-m.kick:
		}
		m.streamMu.Lock()
		dirty := m.dirty
		m.dirty = map[string]bool{}
		m.streamMu.Unlock()
		for sector := range dirty {
			if vals, err := m.Values(sector); err == nil {
				_ = m.hub.Publish("sectors."+sector, vals)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(StreamInterval):
		}
	}
}

// add stores records already persisted into the in-process view and announces the change.
func (m *Module) add(sector string, rs ...*Record) {
	view := m.recs[sector]
	for _, r := range rs {
		view.put(r)
	}
	view.prune(m.now())
	m.changed(sector)
}

// Value is an indicator's current value (over the last 24 hours for windowed ones).
type Value struct {
	Name    string             `json:"name"`
	Summary string             `json:"summary"`
	Kind    string             `json:"kind"`
	Unit    string             `json:"unit,omitempty"`
	Value   float64            `json:"value"`
	Target  *Target            `json:"target,omitempty"`
	Met     *bool              `json:"met,omitempty"`
	Groups  map[string]float64 `json:"groups,omitempty"` // by the first dimension of group_by
}

// Values measures every indicator of a sector now.
func (m *Module) Values(sector string) ([]Value, error) {
	s, err := m.sector(sector)
	if err != nil {
		return nil, err
	}
	now := m.now()
	rs := m.recs[s.ID]
	out := make([]Value, 0, len(s.Indicators))
	for i := range s.Indicators {
		ind := &s.Indicators[i]
		v := Value{Name: ind.Name, Summary: ind.Summary, Kind: ind.Kind, Unit: ind.Unit, Target: ind.Target}
		v.Value = rs.measure(ind, "", nil, now.Add(-24*time.Hour), now, now)[""]
		if len(ind.GroupBy) > 0 {
			v.Groups = rs.measure(ind, ind.GroupBy[0], nil, now.Add(-24*time.Hour), now, now)
		}
		if ind.Target != nil {
			met := ind.Target.Met(v.Value)
			v.Met = &met
		}
		out = append(out, v)
	}
	return out, nil
}

// Source is a sector measured for the alert engine.
type Source struct {
	m      *Module
	sector *Sector
}

// Indicators implements alerts.Source.
func (s *Source) Indicators() []alerts.Indicator {
	out := make([]alerts.Indicator, len(s.sector.Indicators))
	for i, ind := range s.sector.Indicators {
		out[i] = ind.Indicator
	}
	return out
}

// Measure implements alerts.Source.
func (s *Source) Measure(_ context.Context, q alerts.Query) (map[string]float64, error) {
	i := slices.IndexFunc(s.sector.Indicators, func(ind Indicator) bool { return ind.Name == q.Indicator })
	if i < 0 {
		return nil, fmt.Errorf("sector %s has no indicator %s", s.sector.ID, q.Indicator)
	}
	now := q.Now
	if now.IsZero() {
		now = q.To
	}
	return s.m.recs[s.sector.ID].measure(&s.sector.Indicators[i], q.GroupBy, q.Filter, q.From, q.To, now), nil
}

func (m *Module) register(api *httpapi.API) {
	watch := httpapi.Users(httpapi.RoleSupervisor, httpapi.RoleLeader, httpapi.RoleOfficer)
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/sectors", Tag: "sectors", Access: watch,
		Summary: "The sector modules: sources, indicators with targets and alert rules, views", Response: []Sector{},
		Handle: httpapi.Reply(http.StatusOK, func(*http.Request) ([]*Sector, error) { return m.sectors, nil })})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/sectors/{sector}/indicators", Tag: "sectors", Access: watch,
		Summary: "Current value of each indicator of a sector, against its target", Response: []Value{},
		Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) ([]Value, error) { return m.Values(r.PathValue("sector")) })})
	m.registerDossiers(api)
	m.registerIndicators(api)
	m.registerSensors(api)
}
