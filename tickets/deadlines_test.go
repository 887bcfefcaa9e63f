package tickets_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/tickets"
)

var hcm = time.FixedZone("ICT", 7*3600)

func local(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, hcm)
	if err != nil {
		panic(err)
	}
	return t
}

// clock is a settable clock for the module.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = local(s)
}

func sameInstant(t *testing.T, what string, got *time.Time, want string) {
	t.Helper()
	if got == nil || !got.Equal(local(want)) {
		var g string
		if got != nil {
			g = got.In(hcm).Format("2006-01-02 15:04 Mon")
		}
		t.Fatalf("%s = %s, want %s", what, g, want)
	}
}

// TestDeadlines checks the deadlines of tickets received before a weekend, before Tết and
// before a make-up working Saturday, and an extension, all through the API. Electricity
// tickets are accepted within 4 working hours and answered within 3 working days.
func TestDeadlines(t *testing.T) {
	n := start(t)
	clk := &clock{}
	n.tk.SetClock(clk.now)
	elec := map[string]any{"category": "electricity", "ward": "20194", "description": "Mất điện cả khu phố"}

	clk.set("2026-01-09 16:00") // a Friday
	tk := n.create(t, elec)
	sameInstant(t, "accept across a weekend", tk.AcceptDueAt, "2026-01-12 10:30")
	sameInstant(t, "answer across a weekend", tk.DueAt, "2026-01-14 17:00")

	clk.set("2026-02-13 10:00") // the Friday before Tết
	tet := n.create(t, elec)
	sameInstant(t, "accept before the holiday", tet.AcceptDueAt, "2026-02-13 16:00")
	sameInstant(t, "answer across Tết", tet.DueAt, "2026-02-25 17:00")

	cal := n.Do(t, "GET", "/api/v1/tickets/calendar", n.agent, nil)
	var data map[string]any
	cal.Decode(t, &data)
	data["working_days"] = []map[string]string{{"date": "2026-01-10", "name": "Làm bù"}}
	if r := n.Do(t, "PUT", "/api/v1/tickets/calendar", n.agent, data); r.Status != http.StatusForbidden {
		t.Fatalf("agent edits the calendar: %d", r.Status)
	}
	if r := n.Do(t, "PUT", "/api/v1/tickets/calendar", n.admin, data); r.Status != http.StatusOK {
		t.Fatalf("calendar: %d %s", r.Status, r.Body)
	}
	bad := map[string]any{"time_zone": "Asia/Ho_Chi_Minh", "working_hours": []string{"7h30"}, "working_weekdays": []string{"mon"}}
	if r := n.Do(t, "PUT", "/api/v1/tickets/calendar", n.admin, bad); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad calendar: %d %s", r.Status, r.Body)
	}
	clk.set("2026-01-09 16:00")
	sat := n.create(t, elec)
	sameInstant(t, "accept on a make-up Saturday", sat.AcceptDueAt, "2026-01-10 10:30")
	sameInstant(t, "answer counting a make-up Saturday", sat.DueAt, "2026-01-13 17:00")

	clk.set("2026-02-13 11:00")
	n.mustAct(t, n.supervisor, tet.Code, "accept", nil)
	n.mustAct(t, n.supervisor, tet.Code, "request_extension", map[string]any{"days": 2, "reason": "Chờ thay máy biến áp"})
	ext := n.mustAct(t, n.supervisor, tet.Code, "grant_extension", nil)
	sameInstant(t, "extended answer", ext.DueAt, "2026-02-27 17:00")
}

// TestSweeper moves the clock past each mark of a ticket and expects exactly one event per
// crossing, the marks on the ticket and the overdue filter to find it.
func TestSweeper(t *testing.T) {
	forEachIndex(t, func(t *testing.T, start func(t *testing.T, tune ...func(*config.Config)) *node) {
		n := start(t)
		clk := &clock{}
		n.tk.SetClock(clk.now)
		clk.set("2026-01-09 16:00")
		tk := n.create(t, map[string]any{"category": "electricity", "ward": "20194", "description": "Mất điện"})
		other := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà"})
		sameInstant(t, "next deadline", tk.NextDeadline, "2026-01-12 10:30")

		clk.set("2026-01-12 10:31") // accept deadline passed
		n.waitEvents(t, ofType("ticket.overdue", tk.Code), 1)
		got := n.get(t, tk.Code)
		if !got.AcceptOverdue || got.Overdue {
			t.Fatalf("marks after the accept deadline: %+v", got)
		}
		n.mustAct(t, n.supervisor, tk.Code, "accept", nil)

		clk.set("2026-01-13 17:00") // 8 working hours before the answer deadline
		n.waitEvents(t, ofType("ticket.due_soon", tk.Code), 1)
		clk.set("2026-01-14 17:00")
		evs := n.waitEvents(t, ofType("ticket.overdue", tk.Code), 2)
		var d tickets.EventData
		if err := evs[1].Decode(&d); err != nil || d.Deadline != "answer" || d.Status != tickets.StatusInProgress {
			t.Fatalf("overdue event %+v %v", d, err)
		}
		time.Sleep(300 * time.Millisecond) // several sweeps: no second event for the same crossing
		if evs := n.waitEvents(t, ofType("ticket.overdue", tk.Code), 2); len(evs) != 2 {
			t.Fatalf("%d overdue events", len(evs))
		}
		if evs := n.waitEvents(t, ofType("ticket.due_soon", tk.Code), 1); len(evs) != 1 {
			t.Fatalf("%d due_soon events", len(evs))
		}
		r := n.Do(t, "GET", "/api/v1/tickets?overdue=true&status=in_progress", n.agent, nil)
		var l list
		r.Decode(t, &l)
		if len(l.Items) != 1 || l.Items[0].Code != tk.Code || l.Items[0].NextDeadline != nil {
			t.Fatalf("overdue list: %s", r.Body)
		}
		// A granted extension moves the deadline: the ticket is no longer overdue and can cross again.
		n.mustAct(t, n.supervisor, tk.Code, "request_extension", map[string]any{"days": 2, "reason": "Chờ vật tư"})
		ext := n.mustAct(t, n.supervisor, tk.Code, "grant_extension", nil)
		if ext.Overdue || ext.DueSoon {
			t.Fatalf("still marked after the extension: %+v", ext)
		}
		sameInstant(t, "extended due", ext.DueAt, "2026-01-16 17:00")
		if o := n.get(t, other.Code); !o.AcceptOverdue {
			t.Fatalf("the other ticket's acceptance is not overdue")
		}
	})
}
