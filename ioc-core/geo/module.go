// Package geo serves the map views of the operations centre: GeoJSON FeatureCollections
// (RFC 7946, positions [longitude, latitude]) of tickets, social items, public-service
// dossiers and sensor readings over a time range, counted per commune/ward or per point
// where the items have coordinates, for a dashboard to draw a heat map.
//
// Ward features are drawn with the boundaries of the GeoJSON file the administrator gives
// (ioc.map.wards_geojson, matched on the ioc.map.code_property of each feature) or, without
// one, as the centroid points of the reference data's units.
//
// The package imports no domain package: tickets are projected from the ticket.* events
// into its own collection; social items and sector records are read from the collections of
// ioc-core/social and ioc-core/sectors.
package geo

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/refdata"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TicketsCollection is the map's projection of tickets, one document per ticket code.
const TicketsCollection = "map_tickets"

// Module serves the map views.
type Module struct {
	// Now is the clock of the open/overdue/late breakdowns; nil means time.Now.
	Now func() time.Time

	st     *store.Store
	ref    *refdata.Service
	log    *slog.Logger
	bounds Boundaries // nil without a boundaries file
}

// New returns the map module.
func New() *Module { return &Module{} }

// Name implements app.Module.
func (m *Module) Name() string { return "map" }

func (m *Module) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// Init loads the ward boundaries (a bad file stops the start), subscribes the ticket
// projection and registers the routes.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	m.st, m.ref, m.log = c.Store, c.Ref, c.Log.With("module", "map")
	if mc := c.Config.IOC.Map; mc.WardsGeoJSON != "" {
		b, err := LoadBoundaries(mc.WardsGeoJSON, mc.CodeProperty)
		if err != nil {
			return fmt.Errorf("ioc.map.wards_geojson: %w", err)
		}
		m.bounds = b
		m.warnUnknownUnits(ctx)
	}
	if err := c.Store.EnsureIndexes(ctx, TicketsCollection, store.Index("created_at")); err != nil {
		return err
	}
	c.Events.Subscribe("map.tickets", m.projectTicket, "ticket.")
	m.register(c.API)
	return nil
}

// warnUnknownUnits logs the boundary features that name no unit of the reference data.
func (m *Module) warnUnknownUnits(ctx context.Context) {
	units, err := m.units(ctx)
	if err != nil {
		return
	}
	for code := range m.bounds {
		if _, ok := units[code]; !ok {
			m.log.Warn("ward boundary of a unit the reference data does not have", "ward", code)
		}
	}
}

// mapTicket is the map's projection of a ticket, from the latest ticket.* event.
type mapTicket struct {
	Code        string     `bson:"_id"`
	Status      string     `bson:"status"`
	Category    string     `bson:"category,omitempty"`
	Ward        string     `bson:"ward,omitempty"`
	CreatedAt   time.Time  `bson:"created_at"`
	DueAt       *time.Time `bson:"due_at,omitempty"`
	AcceptDueAt *time.Time `bson:"accept_due_at,omitempty"`
	Location    *latLng    `bson:"location,omitempty"`
	Seq         int64      `bson:"seq"`
}

type latLng struct {
	Lat float64 `bson:"lat"`
	Lng float64 `bson:"lng"`
}

// projectTicket writes the ticket as its event describes it. Events arrive in log order and
// again from the last saved position after a crash, so replacing by code is idempotent.
// Events without a status (ticket.citizen_notice) are not about the ticket's state.
func (m *Module) projectTicket(ctx context.Context, ev events.Event) error {
	var t mapTicket
	if err := ev.Decode(&t); err != nil {
		return fmt.Errorf("map: decode %s %s: %w", ev.Type, ev.Subject, err)
	}
	var code struct {
		Code string `bson:"code"`
	}
	_ = ev.Decode(&code)
	if t.Status == "" || code.Code == "" || t.CreatedAt.IsZero() {
		return nil
	}
	t.Code, t.Seq = code.Code, ev.Seq
	if _, err := m.st.C(TicketsCollection).ReplaceOne(ctx, bson.M{"_id": t.Code}, t, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("map: project ticket %s: %w", t.Code, err)
	}
	return nil
}

// units returns the communes and wards by code.
func (m *Module) units(ctx context.Context) (map[string]refdata.Unit, error) {
	all, err := m.ref.Units(ctx, "", "")
	if err != nil {
		return nil, fmt.Errorf("map: units: %w", err)
	}
	out := make(map[string]refdata.Unit, len(all))
	for _, u := range all {
		if u.Level == refdata.LevelWard || u.Level == refdata.LevelCommune {
			out[u.Code] = u
		}
	}
	return out, nil
}

// Params of every map view.
var viewParams = []httpapi.Param{
	{Name: "from", In: "query", Description: "start of the range, RFC 3339 or a date (YYYY-MM-DD, Asia/Ho_Chi_Minh); default 30 days (sensors: 24 hours) before to"},
	{Name: "to", In: "query", Description: "end of the range (exclusive), RFC 3339 or a date (that whole day included); default now"},
	{Name: "by", In: "query", Description: "ward (default): one feature per commune/ward; point: one feature per distinct coordinates (tickets, sensors)"},
	{Name: "empty", In: "query", Description: "true: with by=ward, also the units with nothing counted"},
}

func (m *Module) register(api *httpapi.API) {
	access := httpapi.Users(httpapi.RoleLeader, httpapi.RoleSupervisor)
	views := []struct {
		layer, summary string
		view           func(ctx context.Context, q query) (*FeatureCollection, error)
	}{
		{"tickets", "Tickets created in the range per ward (count, open, overdue, resolved, by category) or per location", m.tickets},
		{"social", "Social items published in the range per ward they name (count, sentiment split)", m.social},
		{"dossiers", "Public-service dossiers received in the range per ward of their unit (count, open, late, due soon, done, findings)", m.dossiers},
		{"sensors", "Sensor readings in the range per ward or per station (count, per pollutant: mean, max, latest, level)", m.sensors},
	}
	for _, v := range views {
		api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/map/" + v.layer, Tag: "map", Access: access, Params: viewParams,
			Summary: v.summary + "; a GeoJSON FeatureCollection", Response: FeatureCollection{},
			Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) (*FeatureCollection, error) {
				q, err := parseQuery(r, m.now(), v.layer)
				if err != nil {
					return nil, err
				}
				return v.view(r.Context(), q)
			})})
	}
}
