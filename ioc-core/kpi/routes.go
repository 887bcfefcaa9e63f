package kpi

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// maxRange bounds a query's range.
const maxRange = 5 * 366 * 24 * time.Hour

var rangeParams = []httpapi.Param{
	{Name: "from", In: "query", Description: "start, RFC 3339 (default: today 00:00 Asia/Ho_Chi_Minh); widened to the 15-minute grid"},
	{Name: "to", In: "query", Description: "end, RFC 3339, exclusive (default: now); widened to the 15-minute grid"},
}

func (m *Module) register(c *app.Core) {
	staff := httpapi.Users(httpapi.RoleSupervisor, httpapi.RoleLeader, httpapi.RoleAgent)
	c.API.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/kpi/hotline", Tag: "kpi", Access: staff,
		Summary:  "Hotline KPIs over a range, and the queue now (docs/kpi.md)",
		Params:   append(slices.Clone(rangeParams), httpapi.Param{Name: "queue", In: "query", Description: "PBX queues, comma-separated"}),
		Response: Hotline{}, Handle: m.handleHotline})
	c.API.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/kpi/channels", Tag: "kpi", Access: staff,
		Summary:  "Contacts by channel and bot containment over a range (docs/kpi.md)",
		Params:   append(slices.Clone(rangeParams), httpapi.Param{Name: "channel", In: "query", Description: "channels, comma-separated"}),
		Response: Channels{}, Handle: m.handleChannels})
	c.API.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/kpi/tickets", Tag: "kpi",
		Access:  httpapi.Users(httpapi.RoleSupervisor, httpapi.RoleLeader, httpapi.RoleOfficer, httpapi.RoleAgent),
		Summary: "Ticket KPIs over a range, and open tickets now; officers see only their departments (docs/kpi.md)",
		Params: append(slices.Clone(rangeParams),
			httpapi.Param{Name: "department", In: "query", Description: "departments, comma-separated"},
			httpapi.Param{Name: "category", In: "query", Description: "categories, comma-separated"},
			httpapi.Param{Name: "ward", In: "query", Description: "wards or communes, comma-separated"},
			httpapi.Param{Name: "channel", In: "query", Description: "channels, comma-separated"}),
		Response: Tickets{}, Handle: m.handleTickets})
}

// ParseRange reads from and to of a request; without them the range is today so far.
func ParseRange(r *http.Request, now time.Time) (Range, error) {
	q := r.URL.Query()
	from, to := dayStart(now), now
	bad := map[string]string{}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		if s := q.Get(f.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil && strings.Contains(s, " ") { // an unescaped "+" of the offset
				t, err = time.Parse(time.RFC3339, strings.ReplaceAll(s, " ", "+"))
			}
			if err != nil {
				bad[f.name] = "must be an RFC 3339 time such as 2026-03-01T00:00:00+07:00"
				continue
			}
			*f.dst = t
		}
	}
	if len(bad) > 0 {
		return Range{}, &httpapi.Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "from and to must be RFC 3339 times", Fields: bad}
	}
	if !to.After(from) {
		return Range{}, &httpapi.Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "to must be after from",
			Fields: map[string]string{"to": "not after from"}}
	}
	if to.Sub(from) > maxRange {
		return Range{}, &httpapi.Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "the range may span at most 5 years",
			Fields: map[string]string{"from": "too early for to"}}
	}
	return NewRange(from, to), nil
}

// list reads a filter parameter given comma-separated, repeated, or both.
func list(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// ParseFilter reads the filters of a request.
func ParseFilter(r *http.Request) Filter {
	return Filter{Departments: list(r, "department"), Categories: list(r, "category"), Wards: list(r, "ward"),
		Channels: list(r, "channel"), Queues: list(r, "queue")}
}

// ScopeDepartments narrows f to the departments p may see: an officer sees only theirs,
// and asking for another department is forbidden.
func ScopeDepartments(p *httpapi.Principal, f *Filter) error {
	if p == nil || p.Role != httpapi.RoleOfficer {
		return nil
	}
	if len(f.Departments) == 0 {
		f.Departments = append([]string{}, p.Departments...)
		if len(f.Departments) == 0 {
			return httpapi.Forbidden("you belong to no department")
		}
		return nil
	}
	for _, d := range f.Departments {
		if !p.InDepartment(d) {
			return httpapi.Forbidden("you may see only the tickets of your departments")
		}
	}
	return nil
}

func (m *Module) handleHotline(w http.ResponseWriter, r *http.Request) error {
	now := m.Now()
	rg, err := ParseRange(r, now)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, m.proj.Hotline(rg, ParseFilter(r), now))
	return nil
}

func (m *Module) handleChannels(w http.ResponseWriter, r *http.Request) error {
	rg, err := ParseRange(r, m.Now())
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, m.proj.Channels(rg, ParseFilter(r)))
	return nil
}

func (m *Module) handleTickets(w http.ResponseWriter, r *http.Request) error {
	now := m.Now()
	rg, err := ParseRange(r, now)
	if err != nil {
		return err
	}
	f := ParseFilter(r)
	if err := ScopeDepartments(httpapi.PrincipalFrom(r.Context()), &f); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, m.proj.Tickets(rg, f, now, m.DueSoon()))
	return nil
}
