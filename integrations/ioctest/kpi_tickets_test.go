package ioctest

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/ioc1022/ioc1022/tickets"
)

// Tickets created through the ticket engine's API reach the KPIs through the event log,
// and a rebuild from that log gives the same numbers.
func TestTicketsThroughTheEngineReachTheKPIs(t *testing.T) {
	cfg := apptest.Config(t)
	km := kpi.New()
	srv := apptest.Start(t, cfg, tickets.New(), km)
	agent := srv.Login(t, "agent1", "demo-agent1")
	for _, b := range []map[string]any{
		{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà lớn trên đường Trần Phú", "channel": "phone"},
		{"category": "roads_traffic", "ward": "20194", "description": "Đèn tín hiệu hỏng ở ngã tư", "channel": "phone"},
		{"category": "electricity", "ward": "20227", "description": "Mất điện cả khu phố từ sáng", "channel": "zalo"},
	} {
		if r := srv.Do(t, "POST", "/api/v1/tickets", agent, b); r.Status != http.StatusCreated && r.Status != http.StatusOK {
			t.Fatalf("create ticket: %d %s", r.Status, r.Body)
		}
	}
	sup := srv.Login(t, "supervisor", "demo-supervisor")
	var k kpi.Tickets
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := srv.Do(t, "GET", "/api/v1/kpi/tickets", sup, nil)
		if err := json.Unmarshal(r.Body, &k); err != nil {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if k.Received == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if k.Received != 3 || k.ByCategory["roads_traffic"].Received != 2 || k.ByWard["20227"].Received != 1 || k.ByChannel["zalo"].Received != 1 {
		t.Fatalf("KPIs %+v", k)
	}
	if k.Now.Open != 3 {
		t.Errorf("open now %d", k.Now.Open)
	}
	core := srv.App.Core
	rebuilt, _, err := kpi.Rebuild(context.Background(), core.Store, core.Events, kpi.ParamsOf(cfg), core.Log)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r := kpi.NewRange(now.Add(-time.Hour), now)
	a, _ := json.Marshal(km.Projection().Tickets(r, kpi.Filter{}, now, time.Hour))
	b, _ := json.Marshal(rebuilt.Tickets(r, kpi.Filter{}, now, time.Hour))
	if string(a) != string(b) {
		t.Errorf("rebuild differs:\n%s\n%s", a, b)
	}
}
