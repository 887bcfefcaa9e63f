package tickets_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/tickets"
)

// TestLifecycle walks a ticket through every action of the happy path and a few detours.
func TestLifecycle(t *testing.T) {
	n := start(t)
	tk := n.create(t, map[string]any{"description": "Cống bị nghẹt", "contact": map[string]any{"phone": "0912000111"}})
	if tk.Status != tickets.StatusNew {
		t.Fatalf("status %s", tk.Status)
	}
	tk = n.mustAct(t, n.agent, tk.Code, "triage", map[string]any{"category": "flooding_drainage", "ward": "20194"})
	if tk.Status != tickets.StatusNew || tk.Department != "SXD" || tk.DueAt == nil {
		t.Fatalf("triage: %s %s %v", tk.Status, tk.Department, tk.DueAt)
	}
	tk = n.mustAct(t, n.agent, tk.Code, "assign", nil)
	if tk.Status != tickets.StatusAssigned || tk.AcceptDueAt == nil {
		t.Fatalf("assign: %s", tk.Status)
	}
	tk = n.mustAct(t, n.officer, tk.Code, "return", map[string]any{"reason": "Thuộc thẩm quyền phường"})
	if tk.Status != tickets.StatusNew || tk.Reason != "Thuộc thẩm quyền phường" || tk.Department != "" {
		t.Fatalf("return: %s %q %q", tk.Status, tk.Reason, tk.Department)
	}
	tk = n.mustAct(t, n.agent, tk.Code, "assign", map[string]any{"department": "SXD"})
	tk = n.mustAct(t, n.officer, tk.Code, "transfer", map[string]any{"department": "UBND-HAICHAU", "reason": "Cống kiệt do phường quản lý"})
	if tk.Status != tickets.StatusAssigned || tk.Department != "UBND-HAICHAU" {
		t.Fatalf("transfer: %s %s", tk.Status, tk.Department)
	}
	tk = n.mustAct(t, n.haichau, tk.Code, "accept", nil)
	if tk.Status != tickets.StatusInProgress || tk.AcceptedAt == nil {
		t.Fatalf("accept: %s", tk.Status)
	}
	due := *tk.DueAt
	tk = n.mustAct(t, n.haichau, tk.Code, "request_extension", map[string]any{"days": 3, "reason": "Chờ vật tư"})
	tk = n.mustAct(t, n.supervisor, tk.Code, "deny_extension", map[string]any{"reason": "Không đủ căn cứ"})
	if !tk.DueAt.Equal(due) || tk.Extension.State != tickets.ExtensionDenied {
		t.Fatalf("deny moved the deadline: %v %+v", tk.DueAt, tk.Extension)
	}
	tk = n.mustAct(t, n.haichau, tk.Code, "request_extension", map[string]any{"days": 2, "reason": "Chờ vật tư"})
	tk = n.mustAct(t, n.leader, tk.Code, "grant_extension", nil)
	if !tk.DueAt.After(due) || tk.Extension.Granted != 2 {
		t.Fatalf("grant: %v -> %v %+v", due, tk.DueAt, tk.Extension)
	}
	tk = n.mustAct(t, n.haichau, tk.Code, "comment", map[string]any{"text": "Đã khảo sát hiện trường", "public": true})
	tk = n.mustAct(t, n.agent, tk.Code, "comment", map[string]any{"text": "Ghi chú nội bộ"})
	tk = n.mustAct(t, n.haichau, tk.Code, "answer", map[string]any{"text": "Đã nạo vét"})
	tk = n.mustAct(t, n.agent, tk.Code, "send_back", map[string]any{"reason": "Thiếu thời gian hoàn thành"})
	if tk.Status != tickets.StatusInProgress {
		t.Fatalf("send back: %s", tk.Status)
	}
	tk = n.mustAct(t, n.haichau, tk.Code, "answer", map[string]any{"text": "Đã nạo vét xong ngày 5/3"})
	tk = n.mustAct(t, n.agent, tk.Code, "approve", nil)
	if tk.Status != tickets.StatusResolved || tk.ResolvedAt == nil {
		t.Fatalf("approve: %s", tk.Status)
	}
	tk = n.mustAct(t, n.agent, tk.Code, "reopen", map[string]any{"reason": "Vẫn còn ngập"})
	if tk.Status != tickets.StatusInProgress || tk.ResolvedAt != nil {
		t.Fatalf("reopen: %s", tk.Status)
	}
	tk = n.mustAct(t, n.haichau, tk.Code, "answer", map[string]any{"text": "Đã xử lý triệt để"})
	tk = n.mustAct(t, n.supervisor, tk.Code, "approve", nil)
	rated, err := n.tk.Rate(t.Context(), tk.Code, 4, "Cảm ơn")
	if err != nil || rated.Rating == nil || rated.Rating.Stars != 4 {
		t.Fatalf("rate: %v %+v", err, rated)
	}
	tk = n.mustAct(t, n.agent, tk.Code, "close", nil)
	if tk.Status != tickets.StatusClosed || tk.ClosedAt == nil {
		t.Fatalf("close: %s", tk.Status)
	}
	full := n.get(t, tk.Code)
	if len(full.History) != 22 {
		for _, h := range full.History {
			t.Logf("%s %s %s→%s %s", h.By, h.Action, h.From, h.To, h.Reason)
		}
		t.Fatalf("history has %d entries", len(full.History))
	}
	want := []string{"ticket.created", "ticket.triaged", "ticket.assigned", "ticket.returned", "ticket.transferred",
		"ticket.accepted", "ticket.extension_requested", "ticket.extension_denied", "ticket.extension_granted",
		"ticket.commented", "ticket.answered", "ticket.sent_back", "ticket.resolved", "ticket.reopened",
		"ticket.rated", "ticket.closed"}
	evs := n.waitEvents(t, func(ev eventT) bool { return ev.Subject == string(tk.Code) }, 25) // 22 actions and 3 citizen notices
	got := map[string]bool{}
	for _, ev := range evs {
		got[ev.Type] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no %s event: %s", w, typesOf(evs))
		}
	}
	// A rejected ticket.
	sp := n.create(t, map[string]any{"description": "quảng cáo"})
	sp = n.mustAct(t, n.agent, sp.Code, "reject", map[string]any{"reason": "Spam"})
	if sp.Status != tickets.StatusRejected || sp.Reason != "Spam" {
		t.Fatalf("reject: %s", sp.Status)
	}
}

// TestIllegalActions checks that every action refused by state answers 409 and every bad
// field 422, and that nothing changes.
func TestIllegalActions(t *testing.T) {
	n := start(t)
	assigned := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà"})
	fresh := n.create(t, map[string]any{"description": "Chưa rõ"})
	cases := []struct {
		name   string
		token  string
		code   tickets.Code
		action string
		body   map[string]any
		status int
	}{
		{"accept a new ticket", n.supervisor, fresh.Code, "accept", nil, http.StatusConflict},
		{"answer an assigned ticket", n.officer, assigned.Code, "answer", map[string]any{"text": "x"}, http.StatusConflict},
		{"approve an unanswered ticket", n.agent, assigned.Code, "approve", nil, http.StatusConflict},
		{"close an open ticket", n.agent, assigned.Code, "close", nil, http.StatusConflict},
		{"rate an open ticket", n.agent, assigned.Code, "rate", map[string]any{"stars": 5}, http.StatusConflict},
		{"reopen an open ticket", n.agent, assigned.Code, "reopen", map[string]any{"reason": "x"}, http.StatusConflict},
		{"send back an unanswered ticket", n.agent, assigned.Code, "send_back", map[string]any{"reason": "x"}, http.StatusConflict},
		{"triage an assigned ticket", n.agent, assigned.Code, "triage", map[string]any{"category": "other"}, http.StatusConflict},
		{"assign twice", n.agent, assigned.Code, "assign", map[string]any{"department": "SXD"}, http.StatusConflict},
		{"grant with no request", n.supervisor, assigned.Code, "grant_extension", nil, http.StatusConflict},
		{"deny with no request", n.supervisor, assigned.Code, "deny_extension", nil, http.StatusConflict},
		{"return without reason", n.officer, assigned.Code, "return", nil, http.StatusUnprocessableEntity},
		{"transfer without department", n.officer, assigned.Code, "transfer", map[string]any{"reason": "x"}, http.StatusUnprocessableEntity},
		{"transfer to an unknown department", n.officer, assigned.Code, "transfer", map[string]any{"department": "NOPE", "reason": "x"}, http.StatusUnprocessableEntity},
		{"transfer to the same department", n.officer, assigned.Code, "transfer", map[string]any{"department": "SXD", "reason": "x"}, http.StatusUnprocessableEntity},
		{"extension of 0 days", n.officer, assigned.Code, "request_extension", map[string]any{"days": 0, "reason": "x"}, http.StatusUnprocessableEntity},
		{"assign with no department", n.agent, fresh.Code, "assign", nil, http.StatusUnprocessableEntity},
		{"reject without reason", n.agent, fresh.Code, "reject", nil, http.StatusUnprocessableEntity},
		{"merge into itself", n.agent, fresh.Code, "merge", map[string]any{"master": string(fresh.Code)}, http.StatusUnprocessableEntity},
		{"merge into nothing", n.agent, fresh.Code, "merge", map[string]any{"master": "PA-000000-0"}, http.StatusUnprocessableEntity},
		{"comment without text", n.agent, fresh.Code, "comment", nil, http.StatusUnprocessableEntity},
		{"triage with an unknown ward", n.agent, fresh.Code, "triage", map[string]any{"ward": "Sao Hỏa"}, http.StatusUnprocessableEntity},
		{"stale version", n.agent, fresh.Code, "comment", map[string]any{"version": 99, "text": "x"}, http.StatusConflict},
		{"no version", n.agent, fresh.Code, "comment", map[string]any{"version": 0, "text": "x"}, http.StatusUnprocessableEntity},
		{"unknown action", n.agent, fresh.Code, "teleport", nil, http.StatusNotFound},
		{"agent may not accept", n.agent, assigned.Code, "accept", nil, http.StatusForbidden},
		{"officer may not approve", n.officer, assigned.Code, "approve", nil, http.StatusForbidden},
		{"leader may not assign", n.leader, fresh.Code, "assign", map[string]any{"department": "SXD"}, http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := n.get(t, c.code)
			body := map[string]any{"version": before.Version}
			for k, v := range c.body {
				body[k] = v
			}
			r := n.act(t, c.token, c.code, c.action, body)
			if r.Status != c.status {
				t.Fatalf("got %d, want %d: %s", r.Status, c.status, r.Body)
			}
			var e struct {
				Error struct{ Message string } `json:"error"`
			}
			r.Decode(t, &e)
			if e.Error.Message == "" {
				t.Fatalf("no message: %s", r.Body)
			}
			if after := n.get(t, c.code); after.Version != before.Version || after.Status != before.Status {
				t.Fatalf("a refused action changed the ticket")
			}
		})
	}
}

// TestOfficerOfAnotherDepartment checks that an officer neither sees nor acts on another
// department's ticket.
func TestOfficerOfAnotherDepartment(t *testing.T) {
	n := start(t)
	tk := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà"})
	if r := n.Do(t, "GET", "/api/v1/tickets/"+string(tk.Code), n.haichau, nil); r.Status != http.StatusForbidden {
		t.Fatalf("get: %d", r.Status)
	}
	for _, a := range []string{"accept", "comment", "return"} {
		r := n.act(t, n.haichau, tk.Code, a, map[string]any{"version": tk.Version, "text": "x", "reason": "x"})
		if r.Status != http.StatusForbidden {
			t.Fatalf("%s: %d %s", a, r.Status, r.Body)
		}
	}
	if r := n.Do(t, "GET", "/api/v1/tickets/"+string(tk.Code), n.officer, nil); r.Status != http.StatusOK {
		t.Fatalf("own department: %d", r.Status)
	}
}

// TestConcurrentActions sends the same action many times at once with the same version:
// exactly one wins, the others get 409, and the ticket moved once.
func TestConcurrentActions(t *testing.T) {
	forEachIndex(t, func(t *testing.T, start func(t *testing.T, tune ...func(*config.Config)) *node) {
		n := start(t)
		tk := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà"})
		const racers = 12
		var wg sync.WaitGroup
		statuses := make(chan int, racers)
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				action, token := "accept", n.officer
				if i%2 == 1 {
					action, token = "comment", n.agent
				}
				statuses <- n.act(t, token, tk.Code, action, map[string]any{"version": tk.Version, "text": "x"}).Status
			}(i)
		}
		wg.Wait()
		close(statuses)
		won := 0
		for s := range statuses {
			switch s {
			case http.StatusOK:
				won++
			case http.StatusConflict:
			default:
				t.Fatalf("status %d", s)
			}
		}
		got := n.get(t, tk.Code)
		if won != 1 || got.Version != tk.Version+1 || len(got.History) != 2 {
			t.Fatalf("%d won, version %d, %d history entries", won, got.Version, len(got.History))
		}
	})
}
