package alerts_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// scripted is a source whose value the test sets; spike rules read baseline by day.
type scripted struct {
	value    float64              // the current window
	baseline map[string][]float64 // group → 7 past days, day 1 first
	current  map[string]float64
}

func (s *scripted) Indicators() []alerts.Indicator {
	return []alerts.Indicator{{Name: "test.level", Kind: "ratio"}, {Name: "test.count", Kind: "count", GroupBy: []string{"ward"}}}
}

func (s *scripted) Measure(_ context.Context, q alerts.Query) (map[string]float64, error) {
	if q.Indicator == "test.level" {
		return map[string]float64{"": s.value}, nil
	}
	days := int(q.Now.Sub(q.To).Round(time.Hour) / (24 * time.Hour))
	out := map[string]float64{}
	if days == 0 {
		for g, v := range s.current {
			out[g] = v
		}
		return out, nil
	}
	for g, b := range s.baseline {
		out[g] = b[days-1]
	}
	return out, nil
}

func start(t *testing.T) (*apptest.Server, *alerts.Engine) {
	cfg := apptest.Config(t)
	cfg.IOC.Alerts.EvalInterval = time.Hour // the test drives the clock
	cfg.IOC.Alerts.SeedDefaults = false
	m := alerts.New()
	srv := apptest.Start(t, cfg, m)
	return srv, m.Engine
}

func createRule(t *testing.T, srv *apptest.Server, token string, r map[string]any) {
	t.Helper()
	if res := srv.Do(t, "POST", "/api/v1/alert-rules", token, r); res.Status != http.StatusCreated {
		t.Fatalf("create rule: %d %s", res.Status, res.Body)
	}
}

func list(t *testing.T, srv *apptest.Server, token, state string) []alerts.Alert {
	t.Helper()
	res := srv.Do(t, "GET", "/api/v1/alerts?state="+state, token, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("list alerts: %d %s", res.Status, res.Body)
	}
	var l httpapi.List[alerts.Alert]
	res.Decode(t, &l)
	return l.Items
}

func TestThresholdHoldAckResolveCooldown(t *testing.T) {
	srv, e := start(t)
	src := &scripted{value: 0.9}
	e.Register("test", src)
	admin := srv.Admin(t)
	createRule(t, srv, admin, map[string]any{"id": "sl", "name": "Service level under 70%", "kind": "threshold",
		"indicator": "test.level", "op": "<", "value": 0.7, "window": "15m", "for": "30m", "cooldown": "1h", "enabled": true})
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	step := func(min int, v float64) {
		t.Helper()
		src.value = v
		if err := e.Evaluate(ctx, t0.Add(time.Duration(min)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	step(0, 0.9)
	step(5, 0.5) // the breach starts
	step(20, 0.5)
	if n := len(list(t, srv, admin, "all")); n != 0 {
		t.Fatalf("fired before its duration: %d alerts", n)
	}
	step(35, 0.5) // held 30 minutes
	step(40, 0.4)
	firing := list(t, srv, admin, "firing")
	if len(firing) != 1 {
		t.Fatalf("want exactly one firing alert, got %d", len(firing))
	}
	a := firing[0]
	if a.FiredAt.Sub(t0) != 35*time.Minute || a.Value != 0.5 || a.Since.Sub(t0) != 5*time.Minute {
		t.Errorf("alert %+v", a)
	}
	leader := srv.Login(t, "leader", "demo-leader")
	if res := srv.Do(t, "POST", "/api/v1/alerts/"+a.ID+"/ack", leader, map[string]string{"note": "đang xử lý"}); res.Status != http.StatusOK {
		t.Fatalf("ack: %d %s", res.Status, res.Body)
	}
	if res := srv.Do(t, "POST", "/api/v1/alerts/"+a.ID+"/ack", leader, nil); res.Status != http.StatusConflict {
		t.Errorf("second ack: %d, want 409", res.Status)
	}
	step(45, 0.8) // the condition ends
	all := list(t, srv, admin, "all")
	if len(all) != 1 || all[0].State != alerts.StateResolved || all[0].AckedBy != "leader" || all[0].AckNote != "đang xử lý" {
		t.Fatalf("after the condition ends: %+v", all)
	}
	// Cooldown: breached again from minute 50, held past 30 minutes, but within an hour
	// of the resolution at minute 45 nothing fires.
	step(50, 0.5)
	step(85, 0.5)
	step(100, 0.5)
	if n := len(list(t, srv, admin, "all")); n != 1 {
		t.Fatalf("fired within the cooldown: %d alerts", n)
	}
	step(106, 0.5)
	if n := len(list(t, srv, admin, "firing")); n != 1 {
		t.Fatalf("after the cooldown: %d firing, want 1", n)
	}
	// The events were emitted.
	waitEvents(t, srv, "alert.", []string{"alert.fired", "alert.acknowledged", "alert.resolved", "alert.fired"})
	// Bad rules are refused with the fields named.
	res := srv.Do(t, "POST", "/api/v1/alert-rules", admin, map[string]any{"name": "x", "kind": "threshold", "indicator": "nope.x", "op": "!"})
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad rule: %d %s", res.Status, res.Body)
	}
	if res := srv.Do(t, "POST", "/api/v1/alert-rules", leader, map[string]any{}); res.Status != http.StatusForbidden {
		t.Errorf("leader editing rules: %d", res.Status)
	}
}

func waitEvents(t *testing.T, srv *apptest.Server, prefix string, want []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := srv.App.Core.Events.Read(context.Background(), 0, 100, prefix)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range evs {
			got = append(got, ev.Type)
		}
		if equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSpikeRules(t *testing.T) {
	srv, e := start(t)
	admin := srv.Admin(t)
	src := &scripted{
		baseline: map[string][]float64{
			"sparse": {0, 0, 0, 0, 0, 0, 1},
			"busy":   {20, 22, 19, 21, 20, 23, 18},
			"quiet":  {0, 0, 0, 0, 0, 0, 0},
		},
		current: map[string]float64{"sparse": 2, "busy": 45, "quiet": 6},
	}
	e.Register("test", src)
	for _, kind := range []string{"zscore", "spike", "poisson"} {
		createRule(t, srv, admin, map[string]any{"id": kind, "name": kind + " per ward", "kind": kind, "indicator": "test.count",
			"group_by": "ward", "value": 3, "window": "1h", "enabled": true})
	}
	if err := e.Evaluate(context.Background(), time.Date(2026, 3, 9, 4, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	fired := map[string]bool{}
	for _, a := range list(t, srv, admin, "firing") {
		fired[a.Rule+"/"+a.Group] = true
		if a.Baseline == nil || len(a.Baseline.Samples) != 7 {
			t.Errorf("alert %s has no baseline", a.Key)
		}
	}
	want := map[string]bool{
		"zscore/sparse": true, // a z-score alone misfires on 2 against a baseline of 0…1
		"zscore/busy":   true,
		"zscore/quiet":  true,
		"spike/busy":    true, // z-score on a busy baseline
		"spike/quiet":   true, // Poisson: 6 against zeros
		"poisson/busy":  true,
		"poisson/quiet": true,
	}
	for k := range want {
		if !fired[k] {
			t.Errorf("%s did not fire", k)
		}
	}
	for k := range fired {
		if !want[k] {
			t.Errorf("%s fired and should not have", k)
		}
	}
}
