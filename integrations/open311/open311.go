// Package open311 serves the Open311 GeoReport v2 API (https://wiki.open311.org/GeoReport_v2)
// at /open311/v2/ over the ticket engine: services are the ticket categories, service
// requests are tickets. Every resource comes as .json or .xml; posting a request needs an API
// key with the open311 scope (POST /api/v1/apikeys), sent as the api_key parameter.
package open311

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/tickets"
)

// Module is the Open311 endpoint. It must come after the ticket engine in the module list.
type Module struct {
	tk   *tickets.Module
	core *app.Core
	loc  *time.Location
}

// New returns the Open311 endpoint over the ticket engine tk.
func New(tk *tickets.Module) *Module { return &Module{tk: tk} }

// Name implements app.Module.
func (m *Module) Name() string { return "open311" }

// Init implements app.Module: it registers the routes.
func (m *Module) Init(_ context.Context, c *app.Core) error {
	m.core, m.loc = c, m.tk.Calendar().Location()
	const base = "/open311/v2/"
	doc := func(method, path, summary string) *httpapi.Route {
		acc := httpapi.Public
		if method == "POST" {
			acc = httpapi.Access{Scope: auth.ScopeOpen311}
		}
		return &httpapi.Route{Method: method, Path: base + path, Tag: "open311", Summary: summary + " (GeoReport v2; .json or .xml)", Access: acc}
	}
	c.API.Raw("GET "+base+"{file}", m.serve(m.getRoot), doc("GET", "{file}", "services.{format} lists the services; requests.{format} lists service requests"))
	c.API.Raw("POST "+base+"{file}", m.serve(m.postRequest), doc("POST", "{file}", "requests.{format} posts a service request; api_key is required"))
	c.API.Raw("GET "+base+"services/{file}", m.serve(m.getService), doc("GET", "services/{file}", "A service definition"))
	c.API.Raw("GET "+base+"requests/{file}", m.serve(m.getRequest), doc("GET", "requests/{file}", "One service request"))
	c.API.Raw("GET "+base+"tokens/{file}", m.serve(m.getToken), doc("GET", "tokens/{file}", "The service request id of a token"))
	c.Listening("Open311 GeoReport v2 at " + base)
	return nil
}

// apiError is an error in the spec's shape: a status code and a description.
type apiError struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

func (e *apiError) Error() string { return e.Description }

func fail(code int, format string, args ...any) error {
	return &apiError{Code: code, Description: fmt.Sprintf(format, args...)}
}

// handler serves one resource; name is the file name without its format.
type handler func(w http.ResponseWriter, r *http.Request, name string, f format) (any, error)

func (m *Module) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, f, err := splitFormat(r.PathValue("file"))
		if err == nil {
			var v any
			if v, err = h(w, r, name, f); err == nil {
				f.write(w, http.StatusOK, v)
				return
			}
		}
		var ae *apiError
		if !errors.As(err, &ae) {
			var he *httpapi.Error
			if errors.As(err, &he) && (he.Status < 500 || he.Code == "loading") {
				if he.RetryAfter > 0 {
					w.Header().Set("Retry-After", strconv.Itoa(int(he.RetryAfter.Seconds()+0.999)))
				}
				ae = &apiError{Code: he.Status, Description: he.Message}
				for k, v := range he.Fields {
					ae.Description += "; " + k + ": " + v
				}
			} else {
				m.core.Log.Error("open311", "path", r.URL.Path, "err", err)
				ae = &apiError{Code: http.StatusInternalServerError, Description: "internal error"}
			}
		}
		f.write(w, ae.Code, errorList{Errors: []apiError{*ae}})
	})
}

func (m *Module) getRoot(w http.ResponseWriter, r *http.Request, name string, f format) (any, error) {
	switch name {
	case "services":
		return m.services(r.Context())
	case "requests":
		return m.listRequests(r)
	case "discovery":
		return nil, fail(http.StatusNotFound, "discovery is not offered; the endpoint is this server's /open311/v2/")
	}
	return nil, fail(http.StatusNotFound, "no resource %q: use services or requests", name)
}

func (m *Module) services(ctx context.Context) (any, error) {
	cats, err := m.core.Ref.Categories(ctx)
	if err != nil {
		return nil, err
	}
	out := serviceList{Services: []service{}}
	for _, c := range cats {
		if !c.Active {
			continue
		}
		desc := c.Description
		if desc == "" {
			desc = c.Name
		}
		out.Services = append(out.Services, service{Code: c.Code, Name: c.Name, Description: desc, Metadata: false,
			Type: "realtime", Keywords: strings.ReplaceAll(c.Name, ", ", ","), Group: "1022"})
	}
	return out, nil
}

func (m *Module) getService(w http.ResponseWriter, r *http.Request, name string, f format) (any, error) {
	c, err := m.core.Ref.Category(r.Context(), name)
	if err != nil || !c.Active {
		return nil, fail(http.StatusNotFound, "no service %q", name)
	}
	return serviceDefinition{Code: c.Code, Attributes: []attribute{}}, nil
}

func (m *Module) postRequest(w http.ResponseWriter, r *http.Request, name string, f format) (any, error) {
	if name != "requests" {
		return nil, fail(http.StatusNotFound, "only requests can be posted")
	}
	r.Body = http.MaxBytesReader(w, r.Body, m.core.Config.HTTP.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return nil, fail(http.StatusBadRequest, "the body must be application/x-www-form-urlencoded parameters")
	}
	key := r.Form.Get("api_key") // the body's, else the query string's (many clients put it there)
	if key == "" {
		key = r.Header.Get("X-API-Key")
	}
	if key == "" {
		return nil, fail(http.StatusForbidden, "api_key is required to post a service request")
	}
	p, err := m.core.Auth.APIKeyPrincipal(r.Context(), key)
	if err != nil || !slices.Contains(p.Scopes, auth.ScopeOpen311) {
		return nil, fail(http.StatusForbidden, "invalid api_key")
	}
	in, err := newTicket(r)
	if err != nil {
		return nil, err
	}
	if _, err := m.core.Ref.Category(r.Context(), in.Category); err != nil {
		return nil, fail(http.StatusNotFound, "no service %q", in.Category)
	}
	t, err := m.tk.Create(r.Context(), in, nil)
	if err != nil {
		return nil, err
	}
	return requestList{Requests: []request{{ID: string(t.Code), ServiceNotice: "Mã phản ánh " + t.Code.Spoken()}}}, nil
}

// newTicket reads a posted service request.
func newTicket(r *http.Request) (tickets.NewTicket, error) {
	v := r.PostForm
	in := tickets.NewTicket{Category: v.Get("service_code"), Description: v.Get("description"), Address: v.Get("address_string"),
		Channel: "open311", MediaURL: v.Get("media_url"),
		Contact: tickets.Contact{Name: strings.TrimSpace(v.Get("first_name") + " " + v.Get("last_name")), Phone: v.Get("phone"), Email: v.Get("email")}}
	if in.Category == "" {
		return in, fail(http.StatusBadRequest, "service_code is required")
	}
	lat, lng := v.Get("lat"), v.Get("long")
	if lat != "" || lng != "" {
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(lng, 64)
		if err1 != nil || err2 != nil {
			return in, fail(http.StatusBadRequest, "lat and long must both be decimal degrees")
		}
		in.Location = &tickets.Location{Lat: la, Lng: lo}
	}
	if in.Location == nil && in.Address == "" && v.Get("address_id") == "" {
		return in, fail(http.StatusBadRequest, "a location is required: lat and long, or address_string")
	}
	if in.Address == "" {
		in.Address = v.Get("address_id")
	}
	if strings.TrimSpace(in.Description) == "" {
		return in, fail(http.StatusBadRequest, "description is required")
	}
	return in, nil
}

func (m *Module) getRequest(w http.ResponseWriter, r *http.Request, name string, f format) (any, error) {
	t, err := m.find(r.Context(), name)
	if err != nil {
		return nil, err
	}
	rq, err := m.request(r.Context(), t)
	if err != nil {
		return nil, err
	}
	return requestList{Requests: []request{rq}}, nil
}

// getToken answers for a token: requests are created at once here, so the token of a
// request is its id.
func (m *Module) getToken(w http.ResponseWriter, r *http.Request, name string, f format) (any, error) {
	t, err := m.find(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return requestList{Requests: []request{{ID: string(t.Code), Token: name}}}, nil
}

func (m *Module) find(ctx context.Context, id string) (*tickets.Ticket, error) {
	code, err := tickets.ParseCode(id)
	if err != nil {
		return nil, fail(http.StatusNotFound, "no service request %q", id)
	}
	t, err := m.tk.Get(ctx, code)
	if err != nil {
		return nil, fail(http.StatusNotFound, "no service request %q", id)
	}
	return t, nil
}
