package tickets_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/tickets"
)

// TestPauseWhileWaitingForCitizen asks the citizen for more information: the deadline clock
// stops (no due_soon while it stands), and the citizen's reply moves every deadline by the
// working time it stood (Monday 09:00 to Wednesday 09:30 = 15.5 working hours).
func TestPauseWhileWaitingForCitizen(t *testing.T) {
	n := start(t, func(c *config.Config) { c.Tickets.SweepInterval = time.Hour })
	clk := &clock{}
	n.tk.SetClock(clk.now)
	clk.set("2026-01-12 08:00")
	tk := n.create(t, map[string]any{"category": "electricity", "ward": "20194", "description": "Mất điện cả khu phố",
		"contact": map[string]any{"phone": "0905111222"}})
	sameInstant(t, "due", tk.DueAt, "2026-01-15 17:00")
	sameInstant(t, "accept due", tk.AcceptDueAt, "2026-01-12 14:00") // 4 working hours
	n.mustAct(t, n.supervisor, tk.Code, "accept", nil)

	clk.set("2026-01-12 09:00")
	if r := n.act(t, n.supervisor, tk.Code, "request_info", map[string]any{"version": n.get(t, tk.Code).Version}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("request_info without a question: %d %s", r.Status, r.Body)
	}
	if r := n.act(t, n.supervisor, tk.Code, "resume", map[string]any{"version": n.get(t, tk.Code).Version}); r.Status != http.StatusConflict {
		t.Fatalf("resume of a ticket not waiting: %d %s", r.Status, r.Body)
	}
	w := n.mustAct(t, n.supervisor, tk.Code, "request_info", map[string]any{"text": "Xin cho biết số hiệu công tơ điện"})
	if w.Waiting == nil || !w.Waiting.Paused || w.NextDeadline != nil || w.Waiting.Question != "Xin cho biết số hiệu công tơ điện" {
		t.Fatalf("waiting: %+v next %v", w.Waiting, w.NextDeadline)
	}
	if r := n.act(t, n.supervisor, tk.Code, "request_info", map[string]any{"version": w.Version, "text": "Lần nữa"}); r.Status != http.StatusConflict {
		t.Fatalf("second request_info: %d %s", r.Status, r.Body)
	}
	n.waitEvents(t, ofType("ticket.info_requested", tk.Code), 1)

	clk.set("2026-01-14 17:30") // past the old due_soon instant (Wednesday 17:00)
	time.Sleep(300 * time.Millisecond)
	n.tk.Sweep(context.Background())
	if evs := n.waitEvents(t, ofType("ticket.due_soon", tk.Code), 0); len(evs) != 0 {
		t.Fatalf("due_soon while the clock stood still: %s", typesOf(evs))
	}
	clk.set("2026-01-14 09:30")
	got, err := n.tk.CitizenReply(context.Background(), tk.Code, "Số công tơ PC05123456")
	if err != nil {
		t.Fatal(err)
	}
	if got.Waiting != nil || got.PausedSeconds != int64(15*3600+1800) {
		t.Fatalf("after the reply: waiting %+v, paused %ds", got.Waiting, got.PausedSeconds)
	}
	sameInstant(t, "due after the pause", got.DueAt, "2026-01-20 08:00")
	sameInstant(t, "next deadline", got.NextDeadline, "2026-01-19 07:30") // due_soon: 8 working hours before
	last := got.History[len(got.History)-1]
	if last.Action != "resume" || last.By != "citizen" || last.Reason != "Số công tơ PC05123456" {
		t.Fatalf("history: %+v", last)
	}
	n.waitEvents(t, ofType("ticket.resumed", tk.Code), 1)

	// Answering while waiting ends the wait, and the deadline moves as on a reply.
	clk.set("2026-01-15 08:30")
	n.mustAct(t, n.supervisor, tk.Code, "request_info", map[string]any{"text": "Ảnh chụp công tơ?"})
	clk.set("2026-01-15 10:30")
	a := n.mustAct(t, n.supervisor, tk.Code, "answer", map[string]any{"text": "Đã khắc phục"})
	if a.Waiting != nil || a.PausedSeconds != int64(17*3600+1800) {
		t.Fatalf("answer while waiting: %+v, paused %ds", a.Waiting, a.PausedSeconds)
	}
}

// TestRequestInfoWithoutPause: with tickets.pause_on empty, request_info records the question
// and the clock keeps running.
func TestRequestInfoWithoutPause(t *testing.T) {
	n := start(t, func(c *config.Config) { c.Tickets.PauseOn, c.Tickets.SweepInterval = nil, time.Hour })
	clk := &clock{}
	n.tk.SetClock(clk.now)
	clk.set("2026-01-12 08:00")
	tk := n.create(t, map[string]any{"category": "electricity", "ward": "20194", "description": "Mất điện"})
	w := n.mustAct(t, n.agent, tk.Code, "request_info", map[string]any{"text": "Địa chỉ cụ thể?"})
	if w.Waiting == nil || w.Waiting.Paused || w.NextDeadline == nil {
		t.Fatalf("waiting %+v next %v", w.Waiting, w.NextDeadline)
	}
	clk.set("2026-01-13 08:00")
	r := n.mustAct(t, n.agent, tk.Code, "resume", map[string]any{"text": "12 Lê Duẩn"})
	if r.PausedSeconds != 0 || !r.DueAt.Equal(*tk.DueAt) {
		t.Fatalf("deadline moved without a pause: %v → %v", tk.DueAt, r.DueAt)
	}
	if r := n.act(t, n.haichau, tk.Code, "request_info", map[string]any{"version": r.Version, "text": "?"}); r.Status != http.StatusForbidden {
		t.Fatalf("officer of another department: %d", r.Status)
	}
	_ = tickets.StatusNew
}
