package tickets

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/refdata"
)

// Get returns one ticket whole, with its history. It checks no access: callers on behalf of
// a user check it themselves.
func (m *Module) Get(ctx context.Context, code Code) (*Ticket, error) { return m.load(ctx, code) }

// Filter selects tickets in a list. Zero fields select everything.
type Filter struct {
	Statuses    []Status
	Department  string
	Category    string
	Ward        string
	Channel     string
	Overdue     *bool
	Text        string
	CreatedFrom *time.Time
	CreatedTo   *time.Time
}

// listParams documents the list's query parameters.
var listParams = append([]httpapi.Param{
	{Name: "status", In: "query", Description: "one status or several separated by commas"},
	{Name: "department", In: "query", Description: "department code"},
	{Name: "category", In: "query", Description: "category code"},
	{Name: "ward", In: "query", Description: "unit code (or name) of the ward or commune"},
	{Name: "channel", In: "query", Description: "channel the ticket came through"},
	{Name: "overdue", In: "query", Description: "true or false"},
	{Name: "text", In: "query", Description: "words in the code, description, address or reporter's name, without regard to diacritics (q works too)"},
	{Name: "created_from", In: "query", Description: "RFC 3339 time or YYYY-MM-DD, inclusive"},
	{Name: "created_to", In: "query", Description: "RFC 3339 time or YYYY-MM-DD, exclusive"},
}, httpapi.PageParams...)

// parseFilter reads a Filter from a query string.
func (m *Module) parseFilter(ctx context.Context, q url.Values) (Filter, error) {
	f := Filter{Department: q.Get("department"), Category: q.Get("category"), Channel: q.Get("channel"),
		Text: strings.TrimSpace(q.Get("text"))}
	if f.Text == "" {
		f.Text = strings.TrimSpace(q.Get("q"))
	}
	bad := map[string]string{}
	for _, s := range strings.Split(q.Get("status"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(allStatuses, Status(s)) {
			bad["status"] = "statuses are " + joinStatuses(allStatuses)
		}
		f.Statuses = append(f.Statuses, Status(s))
	}
	if w := q.Get("ward"); w != "" {
		code, err := m.units.resolve(ctx, w)
		if err != nil {
			bad["ward"] = err.Error()
		}
		f.Ward = code
	}
	switch q.Get("overdue") {
	case "":
	case "true", "1":
		f.Overdue = ptr(true)
	case "false", "0":
		f.Overdue = ptr(false)
	default:
		bad["overdue"] = "true or false"
	}
	for key, dst := range map[string]**time.Time{"created_from": &f.CreatedFrom, "created_to": &f.CreatedTo} {
		if s := q.Get(key); s != "" {
			t, err := parseTime(s)
			if err != nil {
				bad[key] = "an RFC 3339 time or a date YYYY-MM-DD"
			}
			*dst = &t
		}
	}
	if len(bad) > 0 {
		return f, &httpapi.Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "some query parameters are not valid", Fields: bad}
	}
	return f, nil
}

var allStatuses = []Status{StatusNew, StatusAssigned, StatusInProgress, StatusAnswered, StatusResolved, StatusClosed, StatusMerged, StatusRejected}

func ptr[T any](v T) *T { return &v }

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, time.FixedZone("ICT", 7*3600))
	return t.UTC(), err
}

type listCursor struct {
	At   time.Time `json:"t"`
	Code Code      `json:"c"`
}

// List returns one page of tickets, newest first, without their history. An officer's list
// holds only their departments' tickets.
func (m *Module) List(ctx context.Context, f Filter, page httpapi.Page, by *httpapi.Principal) (httpapi.List[Ticket], error) {
	out := httpapi.List[Ticket]{Items: []Ticket{}}
	q := listQuery{statuses: f.Statuses, category: f.Category, ward: f.Ward, channel: f.Channel, overdue: f.Overdue,
		from: msPtr(f.CreatedFrom), to: msPtr(f.CreatedTo), limit: page.Limit + 1}
	switch {
	case by != nil && by.Role == httpapi.RoleOfficer && f.Department == "":
		q.departments = append([]string{}, by.Departments...)
	case by != nil && by.Role == httpapi.RoleOfficer && !by.InDepartment(f.Department):
		return out, httpapi.Forbidden("you see only the tickets of your departments")
	case f.Department != "":
		q.departments = []string{f.Department}
	}
	if f.Text != "" {
		q.text = refdata.Fold(f.Text)
	}
	if page.Cursor != "" {
		var c listCursor
		if err := httpapi.DecodeCursor(page.Cursor, &c); err != nil {
			return out, err
		}
		q.cursor = &c
	}
	items, err := m.index.list(ctx, q)
	if err != nil {
		return out, fmt.Errorf("list tickets: %w", err)
	}
	out.Items = items
	if len(out.Items) > page.Limit {
		out.Items = out.Items[:page.Limit]
		last := out.Items[len(out.Items)-1]
		out.NextCursor = httpapi.EncodeCursor(listCursor{At: last.CreatedAt, Code: last.Code})
	}
	return out, nil
}

// msPtr truncates a time to the millisecond the store keeps.
func msPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ms(*t)
	return &v
}

// RecentByPhone returns the latest tickets reported from a phone number, newest first, for
// the agent's screen when that number calls. phone may be in any form NormalizePhone takes.
func (m *Module) RecentByPhone(ctx context.Context, phone string, limit int) ([]Ticket, error) {
	p, err := NormalizePhone(phone)
	if err != nil {
		return nil, httpapi.Invalid(map[string]string{"phone": err.Error()})
	}
	if limit < 1 || limit > 100 {
		limit = 10
	}
	out, err := m.index.byPhone(ctx, p, limit)
	if err != nil {
		return nil, fmt.Errorf("tickets of a phone: %w", err)
	}
	return out, nil
}
