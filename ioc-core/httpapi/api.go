// Package httpapi is ioc1022's JSON API toolkit: routes that are described in the OpenAPI
// document by the same call that serves them, one error shape, strict JSON decoding with size
// limits, cursor pagination, request ids, access logs without personal data and metrics.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// HandlerFunc serves one route. A returned error is answered in the API's error shape.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Role names a user's role.
type Role string

// The roles of ioc1022's users.
const (
	RoleAdmin      Role = "admin"
	RoleSupervisor Role = "supervisor"
	RoleAgent      Role = "agent"
	RoleOfficer    Role = "officer"
	RoleLeader     Role = "leader"
)

// Principal is who makes a request: a logged-in user or a machine client's API key.
type Principal struct {
	Username    string   `json:"username"`
	Role        Role     `json:"role"`
	Departments []string `json:"departments,omitempty"`
	APIKey      string   `json:"api_key,omitempty"` // the key's name, for machine clients
	Scopes      []string `json:"scopes,omitempty"`
}

// HasRole reports whether p has one of roles.
func (p *Principal) HasRole(roles ...Role) bool { return p != nil && slices.Contains(roles, p.Role) }

// InDepartment reports whether an officer p belongs to department dept.
func (p *Principal) InDepartment(dept string) bool {
	return p != nil && slices.Contains(p.Departments, dept)
}

// Authenticator finds the principal of a request from its credentials. It returns nil and no
// error when the request carries none.
type Authenticator interface {
	Authenticate(r *http.Request) (*Principal, error)
}

// Access says who may call a route.
type Access struct {
	Public bool   // anyone, no credentials
	Roles  []Role // users with one of these roles; empty with Public false means any user
	Scope  string // or an API key with this scope
}

// Public is the access of routes anyone may call.
var Public = Access{Public: true}

// Users returns the access of routes for users of the given roles (any role when none).
func Users(roles ...Role) Access { return Access{Roles: roles} }

// Param documents a query or path parameter.
type Param struct {
	Name, In, Description string
	Required              bool
}

// Route is one operation of the API.
type Route struct {
	Method, Path string // Path in net/http pattern form: /api/v1/tickets/{code}
	Summary      string
	Tag          string
	Access       Access
	Params       []Param
	Body         any // a value of the request body's type, for the document
	Response     any // a value of the answer's type, for the document
	Status       int // the success status, 200 when zero
	Handle       HandlerFunc
}

// API is the set of routes of one server. Register routes before Handler is called.
type API struct {
	Log          *slog.Logger
	MaxBodyBytes int64
	Auth         Authenticator
	Title        string
	Version      string

	mu       sync.Mutex
	mux      *http.ServeMux
	routes   []Route
	patterns []string
	metrics  *metrics
}

// New returns an empty API.
func New(log *slog.Logger, maxBody int64, title, version string) *API {
	return &API{Log: log, MaxBodyBytes: maxBody, Title: title, Version: version, mux: http.NewServeMux(), metrics: newMetrics()}
}

// Handle registers a documented JSON route.
func (a *API) Handle(rt Route) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.routes = append(a.routes, rt)
	pattern := rt.Method + " " + rt.Path
	a.patterns = append(a.patterns, pattern)
	a.mux.Handle(pattern, a.wrap(pattern, rt))
}

// Raw registers a handler that is not a JSON API operation (a webhook, a WebSocket, a static
// file), still behind the request id, logging and metrics. Document it with doc when it is
// part of the API.
func (a *API) Raw(pattern string, h http.Handler, doc *Route) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if doc != nil {
		a.routes = append(a.routes, *doc)
	}
	a.patterns = append(a.patterns, pattern)
	a.mux.Handle(pattern, a.instrument(pattern, h))
}

// Routes returns the documented routes.
func (a *API) Routes() []Route {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Route(nil), a.routes...)
}

// Patterns returns every pattern served, documented or not.
func (a *API) Patterns() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.patterns...)
}

// Handler returns the server's root handler.
func (a *API) Handler() http.Handler { return a.mux }

func (a *API) wrap(pattern string, rt Route) http.Handler {
	return a.instrument(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, a.MaxBodyBytes)
		if err := a.authorize(r, rt.Access); err != nil {
			a.fail(w, r, err)
			return
		}
		if err := rt.Handle(w, r); err != nil {
			a.fail(w, r, err)
		}
	}))
}

func (a *API) authorize(r *http.Request, acc Access) error {
	var p *Principal
	if a.Auth != nil {
		var err error
		if p, err = a.Auth.Authenticate(r); err != nil {
			return err
		}
	}
	if p != nil {
		*r = *r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
	}
	switch {
	case acc.Public:
		return nil
	case p == nil:
		return Unauthorized("log in first: send Authorization: Bearer <token>")
	case p.APIKey != "":
		if acc.Scope != "" && slices.Contains(p.Scopes, acc.Scope) {
			return nil
		}
		return Forbidden("this API key may not call this operation")
	case acc.Scope != "" && len(acc.Roles) == 0:
		return Forbidden("this operation is for machine clients with an API key")
	case len(acc.Roles) == 0 || slices.Contains(acc.Roles, p.Role) || p.Role == RoleAdmin:
		return nil
	}
	return Forbidden("the %s role may not do this", p.Role)
}

// Fail answers err in the API's error shape; raw handlers use it too.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	if e.Status >= 500 && e.Code != "loading" { // a load under way is expected at start, not a failure
		a.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "request_id", RequestID(r.Context()), "err", err)
	}
	writeError(w, e)
}

// Fail answers err in the API's error shape, for raw handlers.
func (a *API) Fail(w http.ResponseWriter, r *http.Request, err error) { a.fail(w, r, err) }

type principalKey struct{}

// PrincipalFrom returns who made the request, or nil for an anonymous one.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// WithPrincipal returns ctx carrying p, for code that acts on a user's behalf outside HTTP.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PathTemplate turns a net/http pattern path into an OpenAPI path ({code...} to {code}).
func PathTemplate(p string) string { return strings.ReplaceAll(p, "...}", "}") }
