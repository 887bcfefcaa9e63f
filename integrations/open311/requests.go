package open311

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/tickets"
)

// The spec's defaults for GET requests: the last 90 days, at most 1000 requests.
const (
	defaultWindow = 90 * 24 * time.Hour
	maxRequests   = 1000
)

var (
	openStatuses   = []tickets.Status{tickets.StatusNew, tickets.StatusAssigned, tickets.StatusInProgress, tickets.StatusAnswered}
	closedStatuses = []tickets.Status{tickets.StatusResolved, tickets.StatusClosed, tickets.StatusMerged, tickets.StatusRejected}
)

func (m *Module) listRequests(r *http.Request) (any, error) {
	q := r.URL.Query()
	ctx := r.Context()
	out := requestList{Requests: []request{}}
	if ids := q.Get("service_request_id"); ids != "" {
		for _, id := range strings.Split(ids, ",") {
			t, err := m.find(ctx, strings.TrimSpace(id))
			if err != nil {
				continue // the spec lists what exists
			}
			rq, err := m.request(ctx, t)
			if err != nil {
				return nil, err
			}
			out.Requests = append(out.Requests, rq)
		}
		return out, nil
	}
	f := tickets.Filter{}
	switch q.Get("status") {
	case "":
	case "open":
		f.Statuses = openStatuses
	case "closed":
		f.Statuses = closedStatuses
	case "open,closed", "closed,open":
	default:
		return nil, fail(http.StatusBadRequest, "status is open or closed")
	}
	for key, dst := range map[string]**time.Time{"start_date": &f.CreatedFrom, "end_date": &f.CreatedTo} {
		if s := q.Get(key); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return nil, fail(http.StatusBadRequest, "%s must be a w3 datetime such as 2026-03-01T00:00:00+07:00", key)
			}
			*dst = &t
		}
	}
	if f.CreatedFrom == nil {
		end := time.Now()
		if f.CreatedTo != nil {
			end = *f.CreatedTo
		}
		from := end.Add(-defaultWindow)
		f.CreatedFrom = &from
	}
	codes := strings.Split(q.Get("service_code"), ",")
	for _, code := range codes {
		f.Category = strings.TrimSpace(code)
		list, err := m.tk.List(ctx, f, httpapi.Page{Limit: maxRequests}, nil)
		if err != nil {
			return nil, err
		}
		for i := range list.Items {
			rq, err := m.request(ctx, &list.Items[i])
			if err != nil {
				return nil, err
			}
			out.Requests = append(out.Requests, rq)
		}
	}
	if len(out.Requests) > maxRequests {
		out.Requests = out.Requests[:maxRequests]
	}
	return out, nil
}

// request is a ticket as an Open311 service request.
func (m *Module) request(ctx context.Context, t *tickets.Ticket) (request, error) {
	rq := request{ID: string(t.Code), Status: "open", ServiceCode: t.Category, Description: t.Description,
		AgencyResponsible: t.Department, Requested: m.datetime(&t.CreatedAt), Updated: m.datetime(&t.UpdatedAt),
		Expected: m.datetime(t.DueAt), Address: t.Address, MediaURL: t.MediaURL}
	if t.Location != nil {
		rq.Lat, rq.Long = &t.Location.Lat, &t.Location.Lng
	}
	switch t.Status {
	case tickets.StatusResolved, tickets.StatusClosed, tickets.StatusMerged, tickets.StatusRejected:
		rq.Status = "closed"
	}
	switch {
	case t.Answer != nil && (t.Status == tickets.StatusResolved || t.Status == tickets.StatusClosed):
		rq.StatusNotes = t.Answer.Text
	case t.Status == tickets.StatusMerged:
		rq.StatusNotes = "duplicate of " + string(t.MergedInto)
	case t.Status == tickets.StatusRejected:
		rq.StatusNotes = t.Reason
	}
	if t.Category != "" {
		if c, err := m.core.Ref.Category(ctx, t.Category); err == nil {
			rq.ServiceName = c.Name
		}
	}
	if t.Department != "" {
		if d, err := m.core.Ref.Department(ctx, t.Department); err == nil {
			rq.AgencyResponsible = d.Name
		}
	}
	return rq, nil
}

// datetime writes a time as the spec's w3 datetime in the province's time zone.
func (m *Module) datetime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(m.loc).Format(time.RFC3339)
}
