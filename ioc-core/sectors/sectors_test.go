package sectors_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/sectors"
	"github.com/ioc1022/ioc1022/ioc-core/streams"
	"github.com/xuri/excelize/v2"
)

type node struct {
	srv    *apptest.Server
	alerts *alerts.Module
	sec    *sectors.Module
	admin  string
}

func start(t testing.TB, opts ...func(*config.Config)) *node {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.IOC.Alerts.EvalInterval = time.Hour
	cfg.IOC.Alerts.SeedDefaults = true
	for _, o := range opts {
		o(&cfg)
	}
	n := &node{alerts: alerts.New(), sec: sectors.New()}
	n.srv = apptest.Start(t, cfg, streams.New(), n.alerts, n.sec)
	n.admin = n.srv.Admin(t)
	// Only the sectors' own rules: the seeded KPI rules have no source in this node.
	var rules []alerts.Rule
	n.do(t, "GET", "/api/v1/alert-rules", nil, http.StatusOK, &rules)
	for _, r := range rules {
		if strings.HasPrefix(r.Indicator, "hotline.") || strings.HasPrefix(r.Indicator, "tickets.") || strings.HasPrefix(r.Indicator, "channels.") {
			n.do(t, "DELETE", "/api/v1/alert-rules/"+r.ID, nil, http.StatusNoContent, nil)
		}
	}
	return n
}

func (n *node) do(t testing.TB, method, path string, body any, want int, out any) {
	t.Helper()
	res := n.srv.Do(t, method, path, n.admin, body)
	if res.Status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, res.Status, res.Body, want)
	}
	if out != nil {
		res.Decode(t, out)
	}
}

func (n *node) alertsOf(t testing.TB, rule string) []alerts.Alert {
	t.Helper()
	var l httpapi.List[alerts.Alert]
	n.do(t, "GET", "/api/v1/alerts?state=all&limit=200", nil, http.StatusOK, &l)
	var out []alerts.Alert
	for _, a := range l.Items {
		if a.Rule == rule {
			out = append(out, a)
		}
	}
	return out
}

func (n *node) evaluate(t testing.TB, at time.Time) {
	t.Helper()
	if err := n.alerts.Engine.Evaluate(context.Background(), at); err != nil {
		t.Fatal(err)
	}
}

// A portal answering in its own field names is pulled through a mapping: late and
// due-soon dossiers per unit, findings for a step finished after its deadline and a dossier
// returned three times, one alert for the unit with three findings, nothing new on a repeat.
func TestDossiersPull(t *testing.T) {
	t.Parallel()
	n := start(t)
	now := time.Now().In(sectors.Vietnam)
	ts := func(d time.Duration) string { return now.Add(d).Format("02/01/2006 15:04:05") }
	body := fmt.Sprintf(`{"ketQua":{"hoSo":[
	 {"maHoSo":"H1","ngayNhan":%q,"hanXuLy":%q,"donVi":"UBND-HAICHAU","thuTuc":"Cấp phép xây dựng","quaTrinh":[
	   {"buoc":"Tiếp nhận","han":%q,"xong":%q},{"buoc":"Thẩm định","han":%q,"xong":%q}]},
	 {"maHoSo":"H2","ngayNhan":%q,"hanXuLy":%q,"donVi":"UBND-HAICHAU","thuTuc":"Đăng ký hộ kinh doanh","quaTrinh":[
	   {"buoc":"Thẩm định","hanhDong":"tra_lai"},{"buoc":"Thẩm định","hanhDong":"tra_lai"},{"buoc":"Thẩm định","hanhDong":"tra_lai"}]},
	 {"maHoSo":"H3","ngayNhan":%q,"hanXuLy":%q,"ngayXong":%q,"donVi":"UBND-THANHKHE","thuTuc":"Chứng thực"},
	 {"maHoSo":"H4","ngayNhan":"hôm qua","donVi":"UBND-THANHKHE"}
	]}}`, ts(-72*time.Hour), ts(-2*time.Hour), ts(-70*time.Hour), ts(-60*time.Hour), ts(-40*time.Hour), ts(-50*time.Hour),
		ts(-24*time.Hour), ts(24*time.Hour), ts(-5*time.Hour), ts(10*time.Hour), ts(-time.Hour))
	var hits atomic.Int32
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "Bearer portal-token" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	defer portal.Close()
	mapping := sectors.DossierMapping{Items: "ketQua.hoSo", ID: "maHoSo", Received: "ngayNhan", Due: "hanXuLy", Finished: "ngayXong",
		Unit: "donVi", Procedure: "thuTuc", Steps: "quaTrinh", StepName: "buoc", StepDue: "han", StepFinished: "xong",
		StepAction: "hanhDong", Returned: "tra_lai"}
	n.do(t, "PUT", "/api/v1/sectors/dossiers/sources/portal", sectors.DossierSource{Name: "Cổng DVC", URL: portal.URL + "/api/hoso",
		Headers: map[string]string{"Authorization": "Bearer portal-token"}, Mapping: mapping, Enabled: true}, http.StatusOK, nil)
	var res sectors.PullResult
	n.do(t, "POST", "/api/v1/sectors/dossiers/sources/portal/pull", nil, http.StatusOK, &res)
	if res.Dossiers != 3 || res.Changed != 3 || res.Findings != 2 || len(res.Invalid) != 1 || !strings.Contains(res.Invalid[0], "received") {
		t.Fatalf("first pull = %+v", res)
	}
	n.do(t, "POST", "/api/v1/sectors/dossiers/sources/portal/pull", nil, http.StatusOK, &res)
	if res.Changed != 0 || res.Findings != 0 {
		t.Fatalf("repeat pull = %+v, want nothing new", res)
	}
	var late []sectors.UnitDossiers
	n.do(t, "GET", "/api/v1/sectors/dossiers/late", nil, http.StatusOK, &late)
	if len(late) != 1 || late[0].Unit != "UBND-HAICHAU" || late[0].Late != 1 || late[0].DueSoon != 1 {
		t.Fatalf("late view = %+v", late)
	}
	var findings []sectors.Record
	n.do(t, "GET", "/api/v1/sectors/dossiers/findings?unit=UBND-HAICHAU", nil, http.StatusOK, &findings)
	rules := map[string]string{}
	for _, f := range findings {
		rules[f.Dims["rule"]] = f.Dims["dossier"]
	}
	if len(findings) != 2 || rules[sectors.RuleStepLate] != "H1" || rules[sectors.RuleReturnedOften] != "H2" {
		t.Fatalf("findings = %+v", findings)
	}
	var vals []sectors.Value
	n.do(t, "GET", "/api/v1/sectors/dossiers/indicators", nil, http.StatusOK, &vals)
	got := map[string]float64{}
	for _, v := range vals {
		got[v.Name] = v.Value
	}
	// findings of the last 24 h: the returns (dated when seen); the late step finished 60 h ago
	if got["dossiers.late"] != 1 || got["dossiers.open"] != 2 || got["dossiers.due_soon"] != 1 || got["dossiers.findings"] != 1 {
		t.Fatalf("indicator values = %v", got)
	}
	// Alert: a unit with 3 findings in a day. Add a third by a new step finished late.
	body = strings.Replace(body, `{"buoc":"Thẩm định","han":`, `{"buoc":"Phê duyệt","han":"`+ts(-3*time.Hour)+`","xong":"`+ts(-time.Hour)+`"},{"buoc":"Thẩm định","han":`, 1)
	n.do(t, "POST", "/api/v1/sectors/dossiers/sources/portal/pull", nil, http.StatusOK, &res)
	if res.Findings != 1 || res.Changed != 1 {
		t.Fatalf("pull with a new late step = %+v", res)
	}
	n.evaluate(t, time.Now().Add(time.Minute))
	if a := n.alertsOf(t, "dossiers-findings"); len(a) != 0 {
		t.Fatalf("alert with 2 findings in 24 h (rule: 3): %+v", a)
	}
	body = strings.Replace(body, `{"buoc":"Phê duyệt","han":`, `{"buoc":"Ký số","han":"`+ts(-4*time.Hour)+`","xong":"`+ts(-3*time.Hour)+`"},{"buoc":"Phê duyệt","han":`, 1)
	n.do(t, "POST", "/api/v1/sectors/dossiers/sources/portal/pull", nil, http.StatusOK, &res)
	n.evaluate(t, time.Now().Add(2*time.Minute))
	if a := n.alertsOf(t, "dossiers-findings"); len(a) != 1 || a[0].Group != "UBND-HAICHAU" {
		t.Fatalf("dossiers-findings alerts = %+v, want one for UBND-HAICHAU", a)
	}
	var indicators []alerts.Indicator
	n.do(t, "GET", "/api/v1/alert-indicators", nil, http.StatusOK, &indicators)
	names := map[string]bool{}
	for _, i := range indicators {
		names[i.Name] = true
	}
	for _, want := range []string{"dossiers.late", "dossiers.findings", "indicators.pace", "sensors.level"} {
		if !names[want] {
			t.Errorf("alert engine does not list %s", want)
		}
	}
	if hits.Load() != 4 {
		t.Errorf("portal hit %d times, want 4", hits.Load())
	}
}

// Socio-economic indicators: definitions with periods and targets, values through the
// API, CSV and XLSX, progress against target, and the behind-target alert.
func TestIndicators(t *testing.T) {
	t.Parallel()
	n := start(t)
	year := time.Now().In(sectors.Vietnam).Year()
	n.do(t, "PUT", "/api/v1/sectors/indicators/defs/budget", sectors.Definition{Name: "Thu ngân sách", Unit: "tỷ đồng", Period: "year",
		Target: 1000, Cumulative: true}, http.StatusOK, nil)
	n.do(t, "PUT", "/api/v1/sectors/indicators/defs/poverty", sectors.Definition{Name: "Tỷ lệ hộ nghèo", Unit: "%", Period: "quarter",
		Target: 2, Op: "<="}, http.StatusOK, nil)
	n.do(t, "PUT", "/api/v1/sectors/indicators/defs/bad", sectors.Definition{Name: "x", Period: "week"}, http.StatusUnprocessableEntity, nil)
	var vr sectors.ValuesResponse
	n.do(t, "POST", "/api/v1/sectors/indicators/values", map[string]any{"values": []sectors.ValueIn{
		{Indicator: "budget", Period: fmt.Sprint(year), Value: 1},
		{Indicator: "budget", Period: fmt.Sprintf("%d-Q1", year), Value: 5},
		{Indicator: "nope", Period: "2026", Value: 1},
	}}, http.StatusOK, &vr)
	if vr.Stored != 1 || vr.Results[1].Fields["period"] == "" || vr.Results[2].Fields["indicator"] == "" {
		t.Fatalf("values = %+v", vr)
	}
	csv := fmt.Sprintf("\ufeffperiod,indicator,value,note\n%d-Q1,poverty,\"1,5\",ok\n%d-Q2,poverty,abc,\n", year-1, year-1)
	res := n.srv.Do(t, "POST", "/api/v1/sectors/indicators/import", n.admin, nil)
	if res.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("import without type: %d %s", res.Status, res.Body)
	}
	var imp sectors.ImportResponse
	n.postRaw(t, "/api/v1/sectors/indicators/import", "text/csv", []byte(csv), http.StatusOK, &imp)
	if imp.Stored != 1 || len(imp.Unreadable) != 1 || !strings.Contains(imp.Unreadable[0], "line 3") {
		t.Fatalf("CSV import = %+v", imp)
	}
	n.postRaw(t, "/api/v1/sectors/indicators/import", "text/csv", []byte("indicator,value\nbudget,1\n"), http.StatusBadRequest, nil)
	f := excelize.NewFile()
	for i, row := range [][]any{{"indicator", "period", "value"}, {"poverty", fmt.Sprintf("%d-Q4", year-1), 3.5}} {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	var xb bytes.Buffer
	if err := f.Write(&xb); err != nil {
		t.Fatal(err)
	}
	n.postRaw(t, "/api/v1/sectors/indicators/import", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xb.Bytes(), http.StatusOK, &imp)
	if imp.Stored != 1 {
		t.Fatalf("XLSX import = %+v", imp)
	}
	var prog []sectors.Progress
	n.do(t, "GET", "/api/v1/sectors/indicators/progress", nil, http.StatusOK, &prog)
	if len(prog) != 2 || prog[0].Code != "budget" || *prog[0].Progress != 0.001 || !prog[0].Behind {
		t.Fatalf("progress = %+v", prog)
	}
	if prog[1].Period != fmt.Sprintf("%d-Q4", year-1) || *prog[1].Value != 3.5 || *prog[1].Progress != 2/3.5 || !prog[1].Behind {
		t.Fatalf("poverty progress = %+v (want the latest period, Q4)", prog[1])
	}
	n.evaluate(t, time.Now())
	fired := n.alertsOf(t, "indicators-behind")
	if len(fired) != 2 {
		t.Fatalf("indicators-behind alerts = %+v, want budget and poverty", fired)
	}
	// Poverty back under target: its alert resolves.
	n.do(t, "POST", "/api/v1/sectors/indicators/values", map[string]any{"values": []sectors.ValueIn{
		{Indicator: "poverty", Period: fmt.Sprintf("%d-Q1", year), Value: 1.8}}}, http.StatusOK, nil)
	n.evaluate(t, time.Now().Add(time.Minute))
	for _, a := range n.alertsOf(t, "indicators-behind") {
		if want := a.Group == "budget"; want != a.Active() {
			t.Errorf("alert %s of %s active=%v", a.ID, a.Group, a.Active())
		}
	}
}

func (n *node) postRaw(t *testing.T, path, ctype string, body []byte, want int, out any) {
	t.Helper()
	req, _ := http.NewRequest("POST", n.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+n.admin)
	n.send(t, req, want, out)
}

func (n *node) send(t testing.TB, req *http.Request, want int, out any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	r := apptest.Response{Status: resp.StatusCode, Body: buf.Bytes()}
	if r.Status != want {
		t.Fatalf("%s %s: %d %s, want %d", req.Method, req.URL.Path, r.Status, r.Body, want)
	}
	if out != nil {
		r.Decode(t, out)
	}
}

// Sensors: readings pushed over HTTP with an API key, duplicates and invalid readings,
// the latest level per station, and one threshold alert after its hold that resolves.
func TestSensorReadings(t *testing.T) {
	t.Parallel()
	n := start(t)
	var key struct{ Key string }
	n.do(t, "POST", "/api/v1/apikeys", map[string]any{"name": "sensors", "scopes": []string{"ingest"}}, http.StatusCreated, &key)
	n.do(t, "PUT", "/api/v1/sectors/sensors/stations/hc-01", sectors.Station{Name: "Trạm Hải Châu", Ward: "P-HAICHAU", Lat: 16.06, Lon: 108.22}, http.StatusOK, nil)
	n.do(t, "PUT", "/api/v1/sectors/sensors/stations/tk-01", sectors.Station{Name: "Trạm Thanh Khê", Lat: 16.07, Lon: 108.19}, http.StatusOK, nil)
	n.do(t, "PUT", "/api/v1/sectors/sensors/thresholds/pm2_5", sectors.Threshold{Unit: "µg/m³", Warning: 50, Critical: 150, For: "10m"}, http.StatusOK, nil)
	n.do(t, "PUT", "/api/v1/sectors/sensors/thresholds/pm10", sectors.Threshold{Warning: 50, Critical: 10}, http.StatusUnprocessableEntity, nil)
	now := time.Now().UTC().Truncate(time.Second)
	push := func(body string, want int, out any) {
		req, _ := http.NewRequest("POST", n.srv.URL+"/api/v1/sectors/sensors/readings", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", key.Key)
		n.send(t, req, want, out)
	}
	reading := func(st, p string, v float64, at time.Time) string {
		return fmt.Sprintf(`{"station":%q,"pollutant":%q,"value":%g,"at":%q}`, st, p, v, at.Format(time.RFC3339))
	}
	var rr sectors.ReadingsResponse
	push(`{"readings":[`+strings.Join([]string{
		reading("hc-01", "pm2_5", 30, now.Add(-10*time.Minute)),
		reading("hc-01", "pm2_5", 80, now.Add(-time.Minute)),
		reading("tk-01", "pm2_5", 20, now.Add(-time.Minute)),
		reading("zz-99", "pm2_5", 20, now),
		reading("tk-01", "water_level", 1.2, now.Add(time.Hour)),
	}, ",")+`]}`, http.StatusOK, &rr)
	if rr.Stored != 3 || rr.Duplicate != 0 || rr.Invalid[3]["station"] == "" || rr.Invalid[4]["at"] == "" {
		t.Fatalf("push = %+v", rr)
	}
	push(`{"readings":[`+reading("hc-01", "pm2_5", 80, now.Add(-time.Minute))+`]}`, http.StatusOK, &rr)
	if rr.Stored != 0 || rr.Duplicate != 1 {
		t.Fatalf("repeat push = %+v", rr)
	}
	push(`{"readings":[],"x":1}`, http.StatusBadRequest, nil)
	push(`{"readings":[]}`, http.StatusBadRequest, nil)
	var latest []sectors.Latest
	n.do(t, "GET", "/api/v1/sectors/sensors/latest", nil, http.StatusOK, &latest)
	if len(latest) != 2 || latest[0].Station.ID != "hc-01" || latest[0].Value != 80 || latest[0].Level != "warning" || latest[1].Level != "ok" {
		t.Fatalf("latest = %+v", latest)
	}
	n.evaluate(t, now)
	if a := n.alertsOf(t, "sensor-pm2_5-warning"); len(a) != 0 {
		t.Fatalf("alert before its 10 minutes: %+v", a)
	}
	n.evaluate(t, now.Add(11*time.Minute))
	n.evaluate(t, now.Add(12*time.Minute))
	fired := n.alertsOf(t, "sensor-pm2_5-warning")
	if len(fired) != 1 || fired[0].Group != "hc-01" || !fired[0].Active() {
		t.Fatalf("sensor alerts = %+v, want one for hc-01", fired)
	}
	if a := n.alertsOf(t, "sensor-pm2_5-critical"); len(a) != 0 {
		t.Fatalf("critical alert at 80: %+v", a)
	}
	push(`{"readings":[`+reading("hc-01", "pm2_5", 20, now)+`]}`, http.StatusOK, &rr)
	n.evaluate(t, now.Add(13*time.Minute))
	if fired = n.alertsOf(t, "sensor-pm2_5-warning"); len(fired) != 1 || fired[0].Active() {
		t.Fatalf("alert after the level fell = %+v, want resolved", fired)
	}
}
