package tickets_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/tickets"
)

// TestIndexLoadsAfterListening restarts a node over stored tickets with its index load held
// after the load has read the store: the node listens, /readyz names tickets.index, lists and
// a phone's tickets answer 503 loading, while reads by code, creates and actions work. Once
// the load ends, /readyz is 200 and the index holds the ticket created during the load (its
// answer said duplicates_unchecked) and the state an action wrote during it, not the older
// one the load had read.
func TestIndexLoadsAfterListening(t *testing.T) {
	cfg := apptest.Config(t)
	first := apptest.Start(t, cfg, tickets.New())
	n1 := &node{Server: first, agent: first.Login(t, "agent1", "demo-agent1")}
	road := n1.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà trước chợ Cồn"})
	order := n1.create(t, map[string]any{"category": "urban_order", "ward": "20194", "description": "Lấn chiếm vỉa hè"})
	called := n1.create(t, map[string]any{"description": "Chưa phân loại", "contact": map[string]any{"phone": "0905123456"}})
	if road.Status != tickets.StatusAssigned || road.Department != "SXD" {
		t.Fatalf("road ticket: %s %s", road.Status, road.Department)
	}
	first.Stop(t)

	tk := tickets.New()
	reached, release := tk.HoldIndexLoad()
	srv := apptest.StartLoading(t, cfg, tk)
	t.Cleanup(release) // before the node stops
	n := &node{Server: srv, tk: tk, admin: srv.Admin(t), agent: srv.Login(t, "agent1", "demo-agent1"),
		officer: srv.Login(t, "officer", "demo-officer")}
	select {
	case <-reached:
	case <-time.After(time.Minute):
		t.Fatal("the index load did not read the store")
	}

	r := n.Do(t, "GET", "/readyz", "", nil)
	var ready struct {
		Status  string   `json:"status"`
		Loading []string `json:"loading"`
	}
	r.Decode(t, &ready)
	if r.Status != http.StatusServiceUnavailable || ready.Status != "loading" || !slices.Contains(ready.Loading, tickets.IndexLoad) {
		t.Fatalf("readyz while loading: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/api/v1/tickets", "/api/v1/tickets?status=assigned", "/api/v1/tickets/by-phone/0905123456"} {
		r := n.Do(t, "GET", path, n.agent, nil)
		if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != "loading" || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s while loading: %d %s (Retry-After %q)", path, r.Status, r.Body, r.Header.Get("Retry-After"))
		}
	}
	if got := n.get(t, road.Code); got.Code != road.Code {
		t.Errorf("get while loading: %s", got.Code)
	}
	during := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà trước chợ Cồn, sâu hơn",
		"contact": map[string]any{"phone": "0905123456"}})
	if !during.DuplicatesUnchecked || len(during.Duplicates) != 0 {
		t.Errorf("create while loading: duplicates_unchecked %v, duplicates %v", during.DuplicatesUnchecked, during.Duplicates)
	}
	accepted := n.mustAct(t, n.officer, road.Code, "accept", nil)
	if accepted.Status != tickets.StatusInProgress {
		t.Fatalf("accept while loading: %s", accepted.Status)
	}

	release()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.App.Core.Readiness.Wait(ctx); err != nil {
		t.Fatalf("index not loaded: %v", err)
	}
	if r := n.Do(t, "GET", "/readyz", "", nil); r.Status != http.StatusOK {
		t.Fatalf("readyz when loaded: %d %s", r.Status, r.Body)
	}
	assigned := []tickets.Code{during.Code}
	if order.Status == tickets.StatusAssigned {
		assigned = append(assigned, order.Code)
	}
	cases := []struct {
		name, query string
		want        []tickets.Code
	}{
		{"all", "", []tickets.Code{during.Code, called.Code, order.Code, road.Code}},
		{"in progress: the action's state", "?status=in_progress", []tickets.Code{road.Code}},
		{"assigned: not the accepted one", "?status=assigned", assigned},
		{"text of the new ticket", "?q=sau+hon", []tickets.Code{during.Code}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l struct {
				Items []tickets.Ticket `json:"items"`
			}
			r := n.Do(t, "GET", "/api/v1/tickets"+c.query, n.admin, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			r.Decode(t, &l)
			if got := codesOfTickets(l.Items); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", codesOfTickets(l.Items), c.want)
			}
		})
	}
	after := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà trước chợ Cồn, sâu hơn nữa"})
	if after.DuplicatesUnchecked || !slices.ContainsFunc(after.Duplicates, func(d tickets.Duplicate) bool { return d.Code == during.Code }) {
		t.Errorf("create after the load: duplicates_unchecked %v, duplicates %v, want %s among them", after.DuplicatesUnchecked, after.Duplicates, during.Code)
	}
	byPhone, err := tk.RecentByPhone(ctx, "0905123456", 10)
	if err != nil || len(byPhone) != 2 || byPhone[0].Code != during.Code || byPhone[1].Code != called.Code {
		t.Errorf("a phone's tickets after the load: %v %v", codesOfTickets(byPhone), err)
	}
}

func codesOfTickets(ts []tickets.Ticket) []tickets.Code {
	out := make([]tickets.Code, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Code)
	}
	return out
}
