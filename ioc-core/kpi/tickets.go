package kpi

import "time"

// Tickets is the answer of GET /api/v1/kpi/tickets. Definitions are in docs/kpi.md.
type Tickets struct {
	Range
	Received     int64 `json:"received"`
	Assigned     int64 `json:"assigned"`
	Forwarded    int64 `json:"forwarded"`
	Resolved     int64 `json:"resolved"`
	Closed       int64 `json:"closed"`
	ClosedOnTime int64 `json:"closed_on_time"`
	Reopened     int64 `json:"reopened"`
	Rejected     int64 `json:"rejected"`

	ForwardingRate Ratio      `json:"forwarding_rate"`
	OnTimeRate     Ratio      `json:"on_time_rate"`
	ProcessingRate Ratio      `json:"processing_rate"`
	Satisfaction   Ratio      `json:"satisfaction"` // den is n, the number of ratings
	Resolution     Resolution `json:"time_to_resolution"`

	ByCategory   map[string]Breakdown `json:"by_category"`
	ByDepartment map[string]Breakdown `json:"by_department"`
	ByWard       map[string]Breakdown `json:"by_ward"`
	ByChannel    map[string]Breakdown `json:"by_channel"`

	Now TicketsNow `json:"now"`
}

// Resolution is the time from creation to resolution of the tickets resolved in the range.
type Resolution struct {
	N     int64    `json:"n"`
	MeanS *float64 `json:"mean_s"`
	P90S  *float64 `json:"p90_s"` // from a log histogram: within ±1% (docs/kpi.md)
}

// Breakdown is the figures of one category, department, ward or channel.
type Breakdown struct {
	Received     int64 `json:"received"`
	Resolved     int64 `json:"resolved"`
	Closed       int64 `json:"closed"`
	ClosedOnTime int64 `json:"closed_on_time"`
	Forwarded    int64 `json:"forwarded"`
	Rated        int64 `json:"rated"`
	RatedGood    int64 `json:"rated_good"`
}

func (b *Breakdown) add(c *TicketCell) {
	b.Received += c.Received
	b.Resolved += c.Resolved
	b.Closed += c.Closed
	b.ClosedOnTime += c.ClosedOnTime
	b.Forwarded += c.Forwarded
	b.Rated += c.Rated
	b.RatedGood += c.RatedGood
}

// TicketsNow is the state of open tickets at the time of the query.
type TicketsNow struct {
	At           time.Time           `json:"at"`
	Open         int                 `json:"open"`
	Overdue      int                 `json:"overdue"`
	DueSoon      int                 `json:"due_soon"`
	ByStatus     map[string]int      `json:"by_status"`
	ByDepartment map[string]*OpenNow `json:"by_department"`
}

// OpenNow is one department's open, overdue and due-soon tickets now.
type OpenNow struct {
	Open    int `json:"open"`
	Overdue int `json:"overdue"`
	DueSoon int `json:"due_soon"`
}

type ticketMatch struct{ depts, cats, wards, chans idSet }

func (m ticketMatch) has(k TicketKey) bool {
	return m.depts.has(k.Dept) && m.cats.has(k.Category) && m.wards.has(k.Ward) && m.chans.has(k.Channel)
}

// Tickets computes the ticket KPIs over r; the "now" part counts open tickets at now,
// due soon meaning due within dueSoon.
func (p *Projection) Tickets(r Range, f Filter, now time.Time, dueSoon time.Duration) Tickets {
	p.mu.RLock()
	defer p.mu.RUnlock()
	m := ticketMatch{p.idsLocked(f.Departments), p.idsLocked(f.Categories), p.idsLocked(f.Wards), p.idsLocked(f.Channels)}
	out := Tickets{Range: r, ByCategory: map[string]Breakdown{}, ByDepartment: map[string]Breakdown{},
		ByWard: map[string]Breakdown{}, ByChannel: map[string]Breakdown{}}
	var total TicketCell
	var dense denseSketch
	// Breakdowns accumulate in slices indexed by interned id: no map work per cell.
	n := len(p.st.Names)
	byDim := [4][]Breakdown{make([]Breakdown, n), make([]Breakdown, n), make([]Breakdown, n), make([]Breakdown, n)}
	p.st.Tickets.each(r.From, r.To, m.has, func(k TicketKey, c *TicketCell) {
		total.addCounts(c)
		dense.add(&c.Resolution)
		byDim[0][k.Category].add(c)
		byDim[1][k.Dept].add(c)
		byDim[2][k.Ward].add(c)
		byDim[3][k.Channel].add(c)
	})
	for d, dst := range []map[string]Breakdown{out.ByCategory, out.ByDepartment, out.ByWard, out.ByChannel} {
		for id, b := range byDim[d] {
			if b != (Breakdown{}) {
				dst[p.nameLocked(uint32(id))] = b
			}
		}
	}
	out.Received, out.Assigned, out.Forwarded = total.Received, total.Assigned, total.Forwarded
	out.Resolved, out.Closed, out.ClosedOnTime = total.Resolved, total.Closed, total.ClosedOnTime
	out.Reopened, out.Rejected = total.Reopened, total.Rejected
	out.ForwardingRate = ratio(total.Forwarded, total.Received)
	out.OnTimeRate = ratio(total.ClosedOnTime, total.Closed)
	out.ProcessingRate = ratio(total.Resolved, total.Received)
	out.Satisfaction = ratio(total.RatedGood, total.Rated)
	out.Resolution = Resolution{N: total.ResolutionN, MeanS: meanS(total.ResolutionMS, total.ResolutionN)}
	if q, ok := dense.quantile(0.9); ok {
		out.Resolution.P90S = &q
	}
	out.Now = p.ticketsNowLocked(m, now, dueSoon)
	return out
}

func (p *Projection) ticketsNowLocked(m ticketMatch, now time.Time, dueSoon time.Duration) TicketsNow {
	n := TicketsNow{At: now, ByStatus: map[string]int{}, ByDepartment: map[string]*OpenNow{}}
	for _, t := range p.st.Open {
		if !m.has(t.Key) {
			continue
		}
		dept := p.nameLocked(t.Key.Dept)
		d := n.ByDepartment[dept]
		if d == nil {
			d = &OpenNow{}
			n.ByDepartment[dept] = d
		}
		n.Open++
		d.Open++
		n.ByStatus[t.Status]++
		if !pending(t.Status) || t.DueAt.IsZero() {
			continue
		}
		switch {
		case now.After(t.DueAt):
			n.Overdue++
			d.Overdue++
		case t.DueAt.Sub(now) <= dueSoon:
			n.DueSoon++
			d.DueSoon++
		}
	}
	return n
}
