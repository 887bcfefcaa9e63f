package kpi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A spike of tickets in one ward, planted in the event stream, fires exactly one alert
// of the ward spike rule, carrying the top categories; a ward at its usual level does not.
func TestTicketSpikeAlertThroughKPIs(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.IOC.Alerts.EvalInterval = time.Hour
	am, km := alerts.New(), kpi.New()
	srv := apptest.Start(t, cfg, am, km)
	f := &feed{}
	n := 0
	created := func(ward, cat string, when time.Time) {
		n++
		code := fmt.Sprintf("S%d", n)
		f.add("ticket.created", code, when, bson.M{"code": code, "status": "assigned", "department": "SXD", "category": cat,
			"ward": ward, "channel": "phone", "created_at": when})
	}
	day8 := time.Date(2026, 3, 9, 10, 0, 0, 0, ict)
	for d := 1; d <= 7; d++ { // the same hour of the past 7 days: one ticket per ward
		created("20194", "roads_traffic", day8.AddDate(0, 0, -d).Add(20*time.Minute))
		created("20227", "roads_traffic", day8.AddDate(0, 0, -d).Add(30*time.Minute))
	}
	for i := range 12 { // now: a flood in ward 20194
		cat := "flooding_drainage"
		if i >= 8 {
			cat = []string{"roads_traffic", "roads_traffic", "roads_traffic", "environment"}[i-8]
		}
		created("20194", cat, day8.Add(time.Duration(i*4)*time.Minute))
	}
	created("20227", "roads_traffic", day8.Add(10*time.Minute))
	publish(t, srv, km, f.evs)

	ctx := context.Background()
	now := day8.Add(time.Hour)
	for range 2 { // evaluating twice must not raise a second alert
		if err := am.Engine.Evaluate(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	leader := srv.Login(t, "leader", "demo-leader")
	res := srv.Do(t, "GET", "/api/v1/alerts", leader, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	var l httpapi.List[alerts.Alert]
	res.Decode(t, &l)
	var spikes []alerts.Alert
	for _, a := range l.Items {
		if a.Rule == "tickets-spike-ward" {
			spikes = append(spikes, a)
		}
	}
	if len(spikes) != 1 {
		t.Fatalf("want one ward spike alert, got %+v", l.Items)
	}
	a := spikes[0]
	if a.Group != "20194" || a.Value != 12 || a.Baseline.Test != "poisson" {
		t.Errorf("alert %+v baseline %+v", a, a.Baseline)
	}
	top := a.Context["category"]
	if len(top) != 3 || top[0] != (alerts.Top{Value: "flooding_drainage", Count: 8}) || top[1] != (alerts.Top{Value: "roads_traffic", Count: 3}) {
		t.Errorf("context %+v", a.Context)
	}
	// The flood recedes: an hour later the window holds nothing and the alert resolves.
	if err := am.Engine.Evaluate(ctx, now.Add(90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := am.Engine.Alert(ctx, a.ID)
	if err != nil || got.State != alerts.StateResolved {
		t.Fatalf("after the spike: %+v %v", got, err)
	}
	// The KPI indicators are offered to rule editors.
	res = srv.Do(t, "GET", "/api/v1/alert-indicators", leader, nil)
	var inds []alerts.Indicator
	res.Decode(t, &inds)
	if len(inds) < 20 {
		t.Errorf("indicators: %d", len(inds))
	}
}
