package kpi

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/streams"
)

// Channels of the live streams this module feeds.
const (
	StreamHotline = "kpi.hotline"
	StreamTickets = "kpi.tickets"
	StreamDept    = "tickets.dept." // + department code
)

// streamer publishes today's KPIs on kpi.hotline and kpi.tickets (only the fields that
// changed) and every ticket event on tickets.dept.<department>.
type streamer struct {
	m   *Module
	hub *streams.Hub

	mu           sync.Mutex
	hotline      bool
	tickets      bool
	lastPeriodic time.Time
}

// TicketDelta is a frame of tickets.dept.<id>: one ticket event of the department.
type TicketDelta struct {
	Event      string    `json:"event"`
	Code       string    `json:"code"`
	Status     string    `json:"status,omitempty"`
	Category   string    `json:"category,omitempty"`
	Ward       string    `json:"ward,omitempty"`
	Department string    `json:"department"`
	DueAt      time.Time `json:"due_at,omitzero"`
	At         time.Time `json:"at"`
}

func (m *Module) attachStreams(hub *streams.Hub) {
	s := &streamer{m: m, hub: hub}
	hub.Provide(StreamHotline, func(context.Context, string) (any, error) { return s.hotlineNow(), nil },
		streams.Roles(httpapi.RoleSupervisor, httpapi.RoleLeader, httpapi.RoleAgent))
	hub.Provide(StreamTickets, func(context.Context, string) (any, error) { return s.ticketsNow(nil), nil },
		streams.Roles(httpapi.RoleSupervisor, httpapi.RoleLeader))
	hub.Provide(StreamDept, func(_ context.Context, ch string) (any, error) {
		return s.ticketsNow([]string{strings.TrimPrefix(ch, StreamDept)}), nil
	}, func(p *httpapi.Principal, ch string) bool {
		return p.HasRole(httpapi.RoleAdmin, httpapi.RoleSupervisor, httpapi.RoleLeader) || p.InDepartment(strings.TrimPrefix(ch, StreamDept))
	})
	m.OnApply(s.onApply)
	m.stream = s
}

func (s *streamer) hotlineNow() Hotline {
	now := s.m.Now()
	return s.m.proj.Hotline(NewRange(dayStart(now), now), Filter{}, now)
}

func (s *streamer) ticketsNow(depts []string) Tickets {
	now := s.m.Now()
	return s.m.proj.Tickets(NewRange(dayStart(now), now), Filter{Departments: depts}, now, s.m.DueSoon())
}

func (s *streamer) onApply(evs []events.Event) {
	for _, ev := range evs {
		switch {
		case strings.HasPrefix(ev.Type, "call.") || ev.Type == "agent.state":
			s.mark(&s.hotline)
		case strings.HasPrefix(ev.Type, "ticket."):
			s.mark(&s.tickets)
			var d ticketData
			if ev.Decode(&d) != nil || d.Department == "" {
				continue
			}
			code := d.Code
			if code == "" {
				code = ev.Subject
			}
			_ = s.hub.Publish(StreamDept+d.Department, TicketDelta{Event: ev.Type, Code: code, Status: d.Status, Category: d.Category,
				Ward: d.Ward, Department: d.Department, DueAt: d.DueAt, At: ev.At})
		}
	}
}

func (s *streamer) mark(flag *bool) {
	s.mu.Lock()
	*flag = true
	s.mu.Unlock()
}

// flush publishes the KPIs that changed; every 5 s it republishes them anyway, as the
// "now" figures (longest wait, overdue) move with the clock.
func (s *streamer) flush() {
	s.mu.Lock()
	periodic := time.Since(s.lastPeriodic) >= 5*time.Second
	if periodic {
		s.lastPeriodic = time.Now()
	}
	hot, tick := s.hotline || periodic, s.tickets || periodic
	s.hotline, s.tickets = false, false
	s.mu.Unlock()
	if hot {
		_ = s.hub.PublishState(StreamHotline, s.hotlineNow())
	}
	if tick {
		_ = s.hub.PublishState(StreamTickets, s.ticketsNow(nil))
	}
}
