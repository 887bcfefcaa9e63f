// Package alerts is the one alert engine of the core. Rules are data (threshold with a
// duration, relative change, z-score and Poisson spike tests against the same hours of the
// past 7 days); sources (the KPIs, social listening, sector modules) register the
// indicators they measure. An alert holds for its rule's duration before firing, is
// deduplicated by key, respects a cooldown, and goes firing → acknowledged → resolved,
// emitting alert.fired, alert.acknowledged and alert.resolved.
package alerts

import (
	"context"
	"net/http"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"github.com/ioc1022/ioc1022/ioc-core/streams"
)

// StreamAlerts is the live stream of alerts: the active alerts, then every change.
const StreamAlerts = "alerts"

func (m *Module) attachStreams(hub *streams.Hub) {
	hub.Provide(StreamAlerts, func(ctx context.Context, _ string) (any, error) {
		return m.Engine.Alerts(ctx, []string{StateFiring, StateAcknowledged}, "", 500)
	}, streams.Roles(httpapi.RoleSupervisor, httpapi.RoleLeader))
	m.Engine.OnChange(func(a Alert) { _ = hub.Publish(StreamAlerts, a) })
}

// ServiceName is the key of the *Engine in app.Core.Services.
const ServiceName = "ioc.alerts"

// Module plugs the engine into the core.
type Module struct {
	Engine *Engine
}

// New returns the alerts module.
func New() *Module { return &Module{} }

// Name implements app.Module.
func (m *Module) Name() string { return "alerts" }

// Init creates the engine, seeds the default rules, and registers the API and the evaluator.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	m.Engine = NewEngine(c.Store, c.Events, c.Log)
	c.Events.Source(AlertsCollection)
	if err := c.Store.EnsureIndexes(ctx, AlertsCollection, store.Index("state"), store.Index("key", "state")); err != nil {
		return err
	}
	if c.Config.IOC.Alerts.SeedDefaults {
		if err := m.Engine.seed(ctx); err != nil {
			return err
		}
	}
	m.register(c.API)
	interval := c.Config.IOC.Alerts.EvalInterval
	c.Go("alerts", app.RunFunc(func(ctx context.Context) error { return m.Engine.Run(ctx, interval) }))
	c.Services.Store(ServiceName, m.Engine)
	if hub, ok := c.Services.Load(streams.ServiceName); ok {
		m.attachStreams(hub.(*streams.Hub))
	}
	return nil
}

// AckRequest is the body of an acknowledgement.
type AckRequest struct {
	Note string `json:"note,omitempty"`
}

func (m *Module) register(api *httpapi.API) {
	watch := httpapi.Users(httpapi.RoleSupervisor, httpapi.RoleLeader)
	admin := httpapi.Users(httpapi.RoleSupervisor)
	e := m.Engine
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/alerts", Tag: "alerts", Access: watch,
		Summary: "List alerts, newest first (default: firing and acknowledged)",
		Params: append([]httpapi.Param{{Name: "state", In: "query", Description: "firing, acknowledged, resolved or all; comma-separated"}},
			httpapi.PageParams...),
		Response: httpapi.List[Alert]{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			pg, err := httpapi.ParsePage(r)
			if err != nil {
				return err
			}
			states, err := parseStates(r.URL.Query().Get("state"))
			if err != nil {
				return err
			}
			var before string
			if pg.Cursor != "" {
				if err := httpapi.DecodeCursor(pg.Cursor, &before); err != nil {
					return err
				}
			}
			list, err := e.Alerts(r.Context(), states, before, pg.Limit+1)
			if err != nil {
				return err
			}
			out := httpapi.List[Alert]{Items: list}
			if len(list) > pg.Limit {
				out.Items = list[:pg.Limit]
				out.NextCursor = httpapi.EncodeCursor(list[pg.Limit-1].ID)
			}
			httpapi.WriteJSON(w, http.StatusOK, out)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/alerts/{id}", Tag: "alerts", Access: watch, Summary: "One alert",
		Response: Alert{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			a, err := e.Alert(r.Context(), r.PathValue("id"))
			if err == ErrNotFound {
				return httpapi.NotFound("no alert %s", r.PathValue("id"))
			}
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, a)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/alerts/{id}/ack", Tag: "alerts", Access: watch,
		Summary: "Acknowledge a firing alert (409 when it is not firing)", Body: AckRequest{}, Response: Alert{},
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			var req AckRequest
			if r.ContentLength != 0 {
				if err := httpapi.Decode(r, &req); err != nil {
					return err
				}
			}
			a, err := e.Ack(r.Context(), r.PathValue("id"), httpapi.PrincipalFrom(r.Context()).Username, req.Note)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, a)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/alert-indicators", Tag: "alerts", Access: watch,
		Summary: "Indicators the registered sources measure", Response: []Indicator{},
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			httpapi.WriteJSON(w, http.StatusOK, e.Indicators())
			return nil
		}})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/alert-rules", Tag: "alerts", Access: watch, Summary: "Alert rules",
		Response: []Rule{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			rules, err := e.Rules(r.Context())
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, rules)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/alert-rules", Tag: "alerts", Access: admin, Status: http.StatusCreated,
		Summary: "Create an alert rule", Body: Rule{}, Response: Rule{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in Rule
			if err := httpapi.Decode(r, &in); err != nil {
				return err
			}
			out, err := e.CreateRule(r.Context(), in, httpapi.PrincipalFrom(r.Context()).Username)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, out)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/alert-rules/{id}", Tag: "alerts", Access: admin,
		Summary: "Replace an alert rule; version must be the stored one (409 otherwise)", Body: Rule{}, Response: Rule{},
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in Rule
			if err := httpapi.Decode(r, &in); err != nil {
				return err
			}
			out, err := e.UpdateRule(r.Context(), r.PathValue("id"), in, httpapi.PrincipalFrom(r.Context()).Username)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, out)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "DELETE", Path: "/api/v1/alert-rules/{id}", Tag: "alerts", Access: admin, Status: http.StatusNoContent,
		Summary: "Delete an alert rule", Handle: func(w http.ResponseWriter, r *http.Request) error {
			if err := e.DeleteRule(r.Context(), r.PathValue("id")); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}})
}

func parseStates(s string) ([]string, error) {
	if s == "" {
		return []string{StateFiring, StateAcknowledged}, nil
	}
	if s == "all" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		switch p {
		case StateFiring, StateAcknowledged, StateResolved:
			out = append(out, p)
		default:
			return nil, &httpapi.Error{Status: http.StatusBadRequest, Code: "bad_request",
				Message: "state must be firing, acknowledged, resolved or all", Fields: map[string]string{"state": "unknown state"}}
		}
	}
	return out, nil
}
