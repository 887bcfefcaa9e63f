package kpi

import (
	"context"
	"fmt"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
)

// Source measures the KPI indicators for the alert engine. It is registered under the
// prefixes hotline, channels and tickets.
type Source struct{ m *Module }

// AlertSource returns the module's indicators for the alert engine.
func (m *Module) AlertSource() *Source { return &Source{m} }

var ticketDims = []string{"department", "category", "ward", "channel"}

type indicator struct {
	alerts.Indicator
	measure func(s *Source, q alerts.Query) (map[string]float64, error)
}

func hotlineInd(name, summary, kind string, f func(h *Hotline) (float64, bool)) indicator {
	return indicator{alerts.Indicator{Name: name, Summary: summary, Kind: kind}, func(s *Source, q alerts.Query) (map[string]float64, error) {
		if q.GroupBy != "" {
			return nil, fmt.Errorf("%s cannot be grouped", name)
		}
		h := s.m.proj.Hotline(NewRange(q.From, q.To), filterOf(q.Filter), q.Now)
		if v, ok := f(&h); ok {
			return map[string]float64{"": v}, nil
		}
		return map[string]float64{}, nil
	}}
}

func val(r Ratio) (float64, bool) {
	if r.Value == nil {
		return 0, false
	}
	return *r.Value, true
}

func ptr(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

func count(n int64) (float64, bool) { return float64(n), true }

func ticketCount(name, summary string, f func(b Breakdown) int64, total func(t *Tickets) int64) indicator {
	return indicator{alerts.Indicator{Name: name, Summary: summary, Kind: "count", GroupBy: ticketDims}, func(s *Source, q alerts.Query) (map[string]float64, error) {
		t := s.m.proj.Tickets(NewRange(q.From, q.To), filterOf(q.Filter), q.Now, s.m.DueSoon())
		by, err := breakdownOf(&t, q.GroupBy)
		if err != nil {
			return nil, err
		}
		if by == nil {
			return map[string]float64{"": float64(total(&t))}, nil
		}
		out := map[string]float64{}
		for k, b := range by {
			if n := f(b); n > 0 {
				out[k] = float64(n)
			}
		}
		return out, nil
	}}
}

func ticketNow(name, summary string, f func(o *OpenNow) int) indicator {
	return indicator{alerts.Indicator{Name: name, Summary: summary, Kind: "gauge", GroupBy: []string{"department"}}, func(s *Source, q alerts.Query) (map[string]float64, error) {
		t := s.m.proj.Tickets(NewRange(q.Now.Add(-Fine), q.Now), filterOf(q.Filter), q.Now, s.m.DueSoon())
		switch q.GroupBy {
		case "":
			return map[string]float64{"": float64(f(&OpenNow{Open: t.Now.Open, Overdue: t.Now.Overdue, DueSoon: t.Now.DueSoon}))}, nil
		case "department":
			out := map[string]float64{}
			for d, o := range t.Now.ByDepartment {
				out[d] = float64(f(o))
			}
			return out, nil
		}
		return nil, fmt.Errorf("%s can be grouped only by department", name)
	}}
}

func ticketRate(name, summary string, f func(t *Tickets) Ratio) indicator {
	return indicator{alerts.Indicator{Name: name, Summary: summary, Kind: "ratio"}, func(s *Source, q alerts.Query) (map[string]float64, error) {
		if q.GroupBy != "" {
			return nil, fmt.Errorf("%s cannot be grouped; filter instead", name)
		}
		t := s.m.proj.Tickets(NewRange(q.From, q.To), filterOf(q.Filter), q.Now, s.m.DueSoon())
		if v, ok := val(f(&t)); ok {
			return map[string]float64{"": v}, nil
		}
		return map[string]float64{}, nil
	}}
}

func breakdownOf(t *Tickets, dim string) (map[string]Breakdown, error) {
	switch dim {
	case "":
		return nil, nil
	case "department":
		return t.ByDepartment, nil
	case "category":
		return t.ByCategory, nil
	case "ward":
		return t.ByWard, nil
	case "channel":
		return t.ByChannel, nil
	}
	return nil, fmt.Errorf("tickets cannot be grouped by %q", dim)
}

var indicators = []indicator{
	hotlineInd("hotline.offered", "calls offered", "count", func(h *Hotline) (float64, bool) { return count(h.Offered) }),
	hotlineInd("hotline.answered", "calls answered", "count", func(h *Hotline) (float64, bool) { return count(h.Answered) }),
	hotlineInd("hotline.abandoned", "calls abandoned (short abandons apart)", "count", func(h *Hotline) (float64, bool) { return count(h.Abandoned) }),
	hotlineInd("hotline.arrived", "calls in", "count", func(h *Hotline) (float64, bool) { return count(h.Arrived) }),
	hotlineInd("hotline.service_level", "answered within T / (answered + abandoned after T)", "ratio", func(h *Hotline) (float64, bool) { return val(h.ServiceLevel) }),
	hotlineInd("hotline.answer_rate", "answered / offered", "ratio", func(h *Hotline) (float64, bool) { return val(h.AnswerRate) }),
	hotlineInd("hotline.occupancy", "agent occupancy", "ratio", func(h *Hotline) (float64, bool) { return val(h.Occupancy) }),
	hotlineInd("hotline.asa_s", "average speed of answer", "seconds", func(h *Hotline) (float64, bool) { return ptr(h.ASA) }),
	hotlineInd("hotline.aht_s", "average handling time", "seconds", func(h *Hotline) (float64, bool) { return ptr(h.AHT) }),
	hotlineInd("hotline.calls_waiting", "calls waiting now", "gauge", func(h *Hotline) (float64, bool) { return float64(h.Now.CallsWaiting), true }),
	hotlineInd("hotline.longest_wait_s", "longest wait now", "gauge", func(h *Hotline) (float64, bool) { return h.Now.LongestWaitS, true }),
	hotlineInd("hotline.agents_ready", "agents ready now", "gauge", func(h *Hotline) (float64, bool) { return float64(h.Now.Ready), true }),
	hotlineInd("hotline.agents_logged_in", "agents logged in now", "gauge", func(h *Hotline) (float64, bool) { return float64(h.Now.LoggedIn), true }),
	{alerts.Indicator{Name: "channels.contacts", Summary: "contacts, by channel", Kind: "count", GroupBy: []string{"channel"}}, measureContacts},
	{alerts.Indicator{Name: "channels.bot_containment", Summary: "conversations closed by the bot without hand-off / resolved", Kind: "ratio"},
		func(s *Source, q alerts.Query) (map[string]float64, error) {
			c := s.m.proj.Channels(NewRange(q.From, q.To), filterOf(q.Filter))
			if v, ok := val(c.BotContainment); ok {
				return map[string]float64{"": v}, nil
			}
			return map[string]float64{}, nil
		}},
	ticketCount("tickets.received", "tickets received", func(b Breakdown) int64 { return b.Received }, func(t *Tickets) int64 { return t.Received }),
	ticketCount("tickets.resolved", "tickets resolved", func(b Breakdown) int64 { return b.Resolved }, func(t *Tickets) int64 { return t.Resolved }),
	ticketCount("tickets.closed", "tickets closed", func(b Breakdown) int64 { return b.Closed }, func(t *Tickets) int64 { return t.Closed }),
	ticketCount("tickets.forwarded", "tickets forwarded", func(b Breakdown) int64 { return b.Forwarded }, func(t *Tickets) int64 { return t.Forwarded }),
	ticketNow("tickets.open", "open tickets now", func(o *OpenNow) int { return o.Open }),
	ticketNow("tickets.overdue", "overdue tickets now", func(o *OpenNow) int { return o.Overdue }),
	ticketNow("tickets.due_soon", "tickets due soon now", func(o *OpenNow) int { return o.DueSoon }),
	ticketRate("tickets.on_time_rate", "closed by the due date / closed", func(t *Tickets) Ratio { return t.OnTimeRate }),
	ticketRate("tickets.processing_rate", "resolved / received", func(t *Tickets) Ratio { return t.ProcessingRate }),
	ticketRate("tickets.satisfaction", "ratings 4–5 / ratings", func(t *Tickets) Ratio { return t.Satisfaction }),
	ticketRate("tickets.forwarding_rate", "forwarded / received", func(t *Tickets) Ratio { return t.ForwardingRate }),
}

func measureContacts(s *Source, q alerts.Query) (map[string]float64, error) {
	c := s.m.proj.Channels(NewRange(q.From, q.To), filterOf(q.Filter))
	switch q.GroupBy {
	case "":
		return map[string]float64{"": float64(c.Contacts)}, nil
	case "channel":
		out := map[string]float64{}
		for k, v := range c.ByChannel {
			out[k] = float64(v.Contacts)
		}
		return out, nil
	}
	return nil, fmt.Errorf("channels.contacts can be grouped only by channel")
}

func filterOf(m map[string]string) Filter {
	var f Filter
	one := func(k string) []string {
		if v, ok := m[k]; ok {
			return []string{v}
		}
		return nil
	}
	f.Departments, f.Categories, f.Wards, f.Channels, f.Queues = one("department"), one("category"), one("ward"), one("channel"), one("queue")
	return f
}

// Indicators implements alerts.Source.
func (s *Source) Indicators() []alerts.Indicator {
	out := make([]alerts.Indicator, len(indicators))
	for i, ind := range indicators {
		out[i] = ind.Indicator
	}
	return out
}

// Measure implements alerts.Source.
func (s *Source) Measure(_ context.Context, q alerts.Query) (map[string]float64, error) {
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	for _, ind := range indicators {
		if ind.Name == q.Indicator {
			return ind.measure(s, q)
		}
	}
	return nil, fmt.Errorf("no KPI indicator %s", q.Indicator)
}
