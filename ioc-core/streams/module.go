// Package streams serves live dashboard streams over WebSocket and Server-Sent Events.
// Modules declare channels (kpi.hotline, kpi.tickets, alerts, tickets.dept.<id>, ...) with
// a snapshot function and an access rule, and publish deltas; a new subscriber gets the
// snapshot, then the deltas. Fan-out goes through a Broker (in-process by default); a
// subscriber whose queue fills is dropped, never slowing the others.
package streams

import (
	"context"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// ServiceName is the key of the *Hub in app.Core.Services.
const ServiceName = "ioc.streams"

// Module plugs the hub into the core. List it before the modules that publish.
type Module struct {
	Hub *Hub
}

// New returns the streams module on the in-process broker.
func New() *Module { return &Module{} }

// Name implements app.Module.
func (m *Module) Name() string { return "streams" }

// Init creates the hub and serves the WebSocket and SSE endpoints.
func (m *Module) Init(_ context.Context, c *app.Core) error {
	m.Hub = NewHub(NewMemory(), c.Config.IOC.Streams.BufferSize)
	doc := func(path, summary string) *httpapi.Route {
		return &httpapi.Route{Method: "GET", Path: path, Tag: "streams", Summary: summary, Access: httpapi.Users(),
			Params: []httpapi.Param{{Name: "channels", In: "query", Description: "kpi.hotline, kpi.tickets, alerts, tickets.dept.<id>; comma-separated"},
				{Name: "access_token", In: "query", Description: "the bearer token, for clients that cannot set headers"}}}
	}
	c.API.Raw("GET /api/v1/stream/ws", m.Hub.WebSocket(c.Auth, c.Config.IOC.Streams.AllowedOrigins, c.API.Fail),
		doc("/api/v1/stream/ws", "Live dashboard stream over WebSocket: a snapshot per channel, then deltas"))
	c.API.Raw("GET /api/v1/stream/sse", m.Hub.SSE(c.Auth, c.API.Fail),
		doc("/api/v1/stream/sse", "Live dashboard stream as Server-Sent Events: a snapshot per channel, then deltas"))
	c.Services.Store(ServiceName, m.Hub)
	return nil
}

// Roles returns an Allow for users of the given roles (admins always).
func Roles(roles ...httpapi.Role) Allow {
	return func(p *httpapi.Principal, _ string) bool { return p.HasRole(append(roles, httpapi.RoleAdmin)...) }
}
