package geo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/geo"
	"github.com/ioc1022/ioc1022/ioc-core/sectors"
	"github.com/ioc1022/ioc1022/ioc-core/social"
	"github.com/ioc1022/ioc1022/tickets"
)

// Demo wards (refdata's demo seed) and their centroids.
const (
	haiChau   = "20194" // 16.0678, 108.2208
	thanhKhe  = "20200" // 16.0672, 108.1920
	haiChauDp = "UBND-HAICHAU"
)

type node struct {
	srv    *apptest.Server
	geo    *geo.Module
	admin  string
	agent  string
	leader string
}

func start(t *testing.T, cfgs ...func(*config.Config)) *node {
	t.Helper()
	cfg := apptest.Config(t)
	for _, f := range cfgs {
		f(&cfg)
	}
	n := &node{geo: geo.New()}
	n.srv = apptest.Start(t, cfg, tickets.New(), social.New(), sectors.New(), n.geo)
	n.admin = n.srv.Admin(t)
	n.agent = n.srv.Login(t, "agent1", "demo-agent1")
	n.leader = n.srv.Login(t, "leader", "demo-leader")
	return n
}

// fc is a FeatureCollection as a client reads it.
type fc struct {
	Type     string `json:"type"`
	Features []struct {
		Type     string `json:"type"`
		ID       string `json:"id"`
		Geometry *struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
	Layer, By, From, To, Boundaries string
	Total, Unplaced                 int
}

// props returns the properties of the feature with id, nil when absent.
func (c *fc) props(id string) map[string]any {
	for _, f := range c.Features {
		if f.ID == id {
			return f.Properties
		}
	}
	return nil
}

func (c *fc) geometry(t *testing.T, id string) (string, string) {
	t.Helper()
	for _, f := range c.Features {
		if f.ID == id {
			if f.Geometry == nil {
				return "null", ""
			}
			return f.Geometry.Type, string(f.Geometry.Coordinates)
		}
	}
	t.Fatalf("no feature %s in %+v", id, c.Features)
	return "", ""
}

func (n *node) view(t *testing.T, layer string, q url.Values, want int) *fc {
	t.Helper()
	res := n.srv.Do(t, "GET", "/api/v1/map/"+layer+"?"+q.Encode(), n.leader, nil)
	if res.Status != want {
		t.Fatalf("map %s?%s: %d %s, want %d", layer, q.Encode(), res.Status, res.Body, want)
	}
	var out fc
	if want == http.StatusOK {
		res.Decode(t, &out)
		if out.Type != "FeatureCollection" || out.Layer != layer {
			t.Fatalf("not a FeatureCollection of %s: %s", layer, res.Body)
		}
	}
	return &out
}

// waitTickets waits until the ticket projection holds n tickets.
func (n *node) waitTickets(t *testing.T, want int) *fc {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c := n.view(t, "tickets", nil, http.StatusOK)
		if c.Total == want {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("ticket projection holds %d tickets, want %d", c.Total, want)
		}
	}
}

func (n *node) ticket(t *testing.T, body map[string]any) {
	t.Helper()
	if r := n.srv.Do(t, "POST", "/api/v1/tickets", n.agent, body); r.Status != http.StatusCreated {
		t.Fatalf("create ticket: %d %s", r.Status, r.Body)
	}
}

func num(p map[string]any, k string) int {
	v, _ := p[k].(float64)
	return int(v)
}

// Tickets created through the tickets module are counted per ward from the ticket events:
// counts, the open/overdue breakdown, categories, the time filter, unplaced tickets,
// centroid geometry, access and bad parameters.
func TestTicketsMap(t *testing.T) {
	t.Parallel()
	n := start(t)
	for i := 0; i < 3; i++ {
		n.ticket(t, map[string]any{"description": fmt.Sprintf("Ổ gà số %d trên đường Trần Phú", i), "category": "roads_traffic", "ward": haiChau,
			"contact": map[string]any{"name": "Nguyễn Văn A", "phone": "0905123456"}})
	}
	n.ticket(t, map[string]any{"description": "Ngập nước đường Hà Huy Tập", "category": "flooding_drainage", "ward": thanhKhe,
		"contact": map[string]any{"name": "Trần B", "phone": "0905123457"}})
	n.ticket(t, map[string]any{"description": "Phản ánh chung không rõ nơi", "contact": map[string]any{"name": "C", "phone": "0905123458"}})
	c := n.waitTickets(t, 5)
	hc := c.props(haiChau)
	if c.Unplaced != 1 || len(c.Features) != 2 || num(hc, "count") != 3 || num(hc, "open") != 3 || num(hc, "overdue") != 0 ||
		hc["name"] != "Phường Hải Châu" || num(hc["categories"].(map[string]any), "roads_traffic") != 3 || num(c.props(thanhKhe), "count") != 1 {
		t.Fatalf("tickets by ward = %+v", c)
	}
	if typ, coords := c.geometry(t, haiChau); typ != "Point" || coords != "[108.2208,16.0678]" || c.Boundaries != "centroids" {
		t.Fatalf("Hải Châu geometry = %s %s (%s), want the centroid [lng, lat]", typ, coords, c.Boundaries)
	}
	// A month later nothing has been answered: every open ticket is overdue.
	n.geo.Now = func() time.Time { return time.Now().Add(40 * 24 * time.Hour) }
	c = n.view(t, "tickets", url.Values{"from": {time.Now().Add(-time.Hour).Format(time.RFC3339)}}, http.StatusOK)
	if hc := c.props(haiChau); c.Total != 5 || num(hc, "overdue") != 3 || num(hc, "open") != 3 {
		t.Fatalf("tickets a month later = %+v", c)
	}
	n.geo.Now = nil
	now := time.Now()
	for _, tc := range []struct {
		name     string
		from, to string
		total    int
	}{
		{"after", now.Add(time.Hour).Format(time.RFC3339), now.Add(2 * time.Hour).Format(time.RFC3339), 0},
		{"before", now.Add(-48 * time.Hour).Format(time.RFC3339), now.Add(-time.Hour).Format(time.RFC3339), 0},
		{"around", now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339), 5},
		{"today as dates", now.In(geo.Vietnam).Format("2006-01-02"), now.In(geo.Vietnam).Format("2006-01-02"), 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := n.view(t, "tickets", url.Values{"from": {tc.from}, "to": {tc.to}}, http.StatusOK)
			if c.Total != tc.total {
				t.Fatalf("total = %d, want %d: %+v", c.Total, tc.total, c)
			}
		})
	}
	var list struct{ Items []struct{ Code string } }
	n.srv.Do(t, "GET", "/api/v1/units?parent=48", n.admin, nil).Decode(t, &list)
	units := list.Items
	c = n.view(t, "tickets", url.Values{"empty": {"true"}}, http.StatusOK)
	if len(units) < 14 || len(c.Features) != len(units) || c.props("20314") == nil || num(c.props("20314"), "count") != 0 {
		t.Fatalf("with empty=true: %d features, want every one of the %d demo communes and wards", len(c.Features), len(units))
	}
	c = n.view(t, "tickets", url.Values{"by": {"point"}}, http.StatusOK)
	if c.By != "point" || c.Total != 5 {
		t.Fatalf("by point = %+v", c)
	}
	for _, q := range []url.Values{{"by": {"district"}}, {"from": {"hôm qua"}}, {"from": {"2026-03-10"}, "to": {"2026-03-01"}},
		{"from": {"2020-01-01"}, "to": {"2026-01-01"}}, {"empty": {"yes"}}} {
		n.view(t, "tickets", q, http.StatusUnprocessableEntity)
	}
	if r := n.srv.Do(t, "GET", "/api/v1/map/tickets", n.agent, nil); r.Status != http.StatusForbidden {
		t.Fatalf("agent reads the map: %d", r.Status)
	}
	sup := n.srv.Login(t, "supervisor", "demo-supervisor")
	for _, tok := range []string{sup, n.admin} {
		if r := n.srv.Do(t, "GET", "/api/v1/map/sensors", tok, nil); r.Status != http.StatusOK {
			t.Fatalf("supervisor/admin read the map: %d %s", r.Status, r.Body)
		}
	}
	doc := n.srv.Do(t, "GET", "/api/v1/openapi.json", n.admin, nil)
	for _, p := range []string{"/api/v1/map/tickets", "/api/v1/map/social", "/api/v1/map/dossiers", "/api/v1/map/sensors"} {
		if !strings.Contains(string(doc.Body), `"`+p+`"`) {
			t.Errorf("OpenAPI document lacks %s", p)
		}
	}
}

// With the administrator's boundaries file, ward features carry its polygons; a ward the
// file lacks falls back to its centroid.
func TestBoundaries(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "wards.geojson")
	poly := `{"type":"Polygon","coordinates":[[[108.21,16.06],[108.23,16.06],[108.23,16.08],[108.21,16.08],[108.21,16.06]]]}`
	body := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"ma":"` + haiChau + `","ten":"Hải Châu"},"geometry":` + poly + `}]}`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	n := start(t, func(c *config.Config) { c.IOC.Map.WardsGeoJSON, c.IOC.Map.CodeProperty = file, "ma" })
	n.ticket(t, map[string]any{"description": "Đèn đường hỏng", "category": "roads_traffic", "ward": haiChau, "contact": map[string]any{"name": "A", "phone": "0905000001"}})
	n.ticket(t, map[string]any{"description": "Ngập nước", "category": "flooding_drainage", "ward": thanhKhe, "contact": map[string]any{"name": "B", "phone": "0905000002"}})
	c := n.waitTickets(t, 2)
	if c.Boundaries != "geojson" {
		t.Fatalf("boundaries = %q", c.Boundaries)
	}
	if typ, coords := c.geometry(t, haiChau); typ != "Polygon" || !strings.HasPrefix(coords, "[[[108.21,16.06]") {
		t.Fatalf("Hải Châu = %s %s, want the file's polygon", typ, coords)
	}
	if typ, coords := c.geometry(t, thanhKhe); typ != "Point" || coords != "[108.192,16.0672]" {
		t.Fatalf("Thanh Khê = %s %s, want its centroid", typ, coords)
	}
}

// Social items ingested through the API are counted in the wards they name, with their
// sentiment; by=point is refused for items without coordinates.
func TestSocialMap(t *testing.T) {
	t.Parallel()
	n := start(t)
	var key struct{ Key string }
	if r := n.srv.Do(t, "POST", "/api/v1/apikeys", n.admin, map[string]any{"name": "crawler", "scopes": []string{"ingest"}}); r.Status != http.StatusCreated {
		t.Fatalf("api key: %d %s", r.Status, r.Body)
	} else {
		r.Decode(t, &key)
	}
	now := time.Now().UTC()
	items := []social.Incoming{
		{URL: "https://baodanang.vn/a1", Text: "Đường ngập sâu ở phường Hải Châu, người dân rất bức xúc và thất vọng", PublishedAt: now.Add(-time.Hour)},
		{URL: "https://baodanang.vn/a2", Text: "Khánh thành công viên mới đẹp ở Thạch Thang, người dân rất hài lòng", PublishedAt: now.Add(-2 * time.Hour)},
		{URL: "https://baodanang.vn/a3", Text: "Giá vàng hôm nay tăng nhẹ trên thị trường thế giới", PublishedAt: now.Add(-3 * time.Hour)},
		{URL: "https://baodanang.vn/a4", Text: "Cháy nhà xưởng ở phường Thanh Khê, khói đen bao trùm", PublishedAt: now.Add(-72 * time.Hour)},
	}
	req, _ := http.NewRequest("POST", n.srv.URL+"/api/v1/social/ingest", strings.NewReader(mustJSON(t, social.IngestRequest{Source: "crawler", Items: items})))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", key.Key)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("ingest: %v %v", err, res.Status)
	}
	res.Body.Close()
	c := n.view(t, "social", url.Values{"from": {now.Add(-24 * time.Hour).Format(time.RFC3339)}}, http.StatusOK)
	hc := c.props(haiChau)
	if c.Total != 3 || c.Unplaced != 1 || len(c.Features) != 1 || num(hc, "count") != 2 || num(hc, "negative")+num(hc, "neutral")+num(hc, "positive") != 2 {
		t.Fatalf("social by ward (last 24 h) = %+v", c)
	}
	c = n.view(t, "social", url.Values{"from": {now.Add(-96 * time.Hour).Format(time.RFC3339)}}, http.StatusOK)
	if c.Total != 4 || num(c.props(thanhKhe), "count") != 1 {
		t.Fatalf("social by ward (4 days) = %+v", c)
	}
	n.view(t, "social", url.Values{"by": {"point"}}, http.StatusUnprocessableEntity)
}

// Dossiers pulled from a portal are counted per ward of their unit (a committee's ward or a
// ward code), with open, late, due-soon and done; sensor readings per ward and per station.
func TestDossiersAndSensorsMap(t *testing.T) {
	t.Parallel()
	n := start(t)
	now := time.Now().In(geo.Vietnam)
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `[{"id":"D1","received":%q,"due":%q,"unit":%q},{"id":"D2","received":%q,"due":%q,"unit":%q},
			{"id":"D3","received":%q,"due":%q,"finished":%q,"unit":%q},{"id":"D4","received":%q,"unit":"SXD"},
			{"id":"D5","received":%q,"due":%q,"unit":%q}]`,
			ts(-72*time.Hour), ts(-time.Hour), haiChauDp, ts(-24*time.Hour), ts(24*time.Hour), haiChauDp,
			ts(-48*time.Hour), ts(-24*time.Hour), ts(-30*time.Hour), thanhKhe, ts(-5*time.Hour),
			ts(-40*24*time.Hour), ts(-39*24*time.Hour), haiChauDp)
	}))
	defer portal.Close()
	src := sectors.DossierSource{Name: "portal", URL: portal.URL, Enabled: true,
		Mapping: sectors.DossierMapping{ID: "id", Received: "received", Due: "due", Finished: "finished", Unit: "unit"}}
	if r := n.srv.Do(t, "PUT", "/api/v1/sectors/dossiers/sources/portal", n.admin, src); r.Status != http.StatusOK {
		t.Fatalf("source: %d %s", r.Status, r.Body)
	}
	if r := n.srv.Do(t, "POST", "/api/v1/sectors/dossiers/sources/portal/pull", n.admin, nil); r.Status != http.StatusOK {
		t.Fatalf("pull: %d %s", r.Status, r.Body)
	}
	c := n.view(t, "dossiers", nil, http.StatusOK)
	hc, tk := c.props(haiChau), c.props(thanhKhe)
	if c.Total != 4 || c.Unplaced != 1 || num(hc, "count") != 2 || num(hc, "open") != 2 || num(hc, "late") != 1 || num(hc, "due_soon") != 1 ||
		num(tk, "count") != 1 || num(tk, "done") != 1 || num(tk, "late") != 0 {
		t.Fatalf("dossiers by ward (30 days) = %+v", c)
	}
	c = n.view(t, "dossiers", url.Values{"from": {ts(-50 * 24 * time.Hour)}}, http.StatusOK)
	if num(c.props(haiChau), "count") != 3 || num(c.props(haiChau), "late") != 2 {
		t.Fatalf("dossiers by ward (50 days) = %+v", c)
	}
	n.view(t, "dossiers", url.Values{"by": {"point"}}, http.StatusUnprocessableEntity)

	// Sensors.
	var key struct{ Key string }
	n.srv.Do(t, "POST", "/api/v1/apikeys", n.admin, map[string]any{"name": "sensors", "scopes": []string{"ingest"}}).Decode(t, &key)
	for id, st := range map[string]sectors.Station{
		"hc-01": {Name: "Trạm Hải Châu", Ward: haiChau, Lat: 16.061, Lon: 108.221},
		"hc-02": {Name: "Trạm Bạch Đằng", Ward: haiChau, Lat: 16.071, Lon: 108.224},
		"tk-01": {Name: "Trạm Thanh Khê", Lat: 16.07, Lon: 108.19},
	} {
		if r := n.srv.Do(t, "PUT", "/api/v1/sectors/sensors/stations/"+id, n.admin, st); r.Status != http.StatusOK {
			t.Fatalf("station: %d %s", r.Status, r.Body)
		}
	}
	n.srv.Do(t, "PUT", "/api/v1/sectors/sensors/thresholds/pm2_5", n.admin, sectors.Threshold{Unit: "µg/m³", Warning: 50, Critical: 150})
	at := now.UTC().Truncate(time.Second)
	reading := func(st string, v float64, d time.Duration) string {
		return fmt.Sprintf(`{"station":%q,"pollutant":"pm2_5","value":%g,"at":%q}`, st, v, at.Add(d).Format(time.RFC3339))
	}
	body := `{"readings":[` + strings.Join([]string{reading("hc-01", 30, -3*time.Hour), reading("hc-01", 60, -2*time.Hour), reading("hc-02", 20, -time.Hour),
		reading("tk-01", 10, -time.Hour), reading("hc-01", 200, -30*time.Hour)}, ",") + `]}`
	req, _ := http.NewRequest("POST", n.srv.URL+"/api/v1/sectors/sensors/readings", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", key.Key)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("push: %v %v", err, res.Status)
	}
	c = n.view(t, "sensors", nil, http.StatusOK) // last 24 hours
	hc = c.props(haiChau)
	pm := hc["pollutants"].(map[string]any)["pm2_5"].(map[string]any)
	if c.Total != 4 || c.Unplaced != 1 || num(hc, "count") != 3 || num(hc, "stations") != 2 || pm["max"] != 60.0 || pm["mean"] != 110.0/3 ||
		pm["latest"] != 20.0 || pm["level"] != "warning" || pm["unit"] != "µg/m³" {
		t.Fatalf("sensors by ward = %+v", c)
	}
	c = n.view(t, "sensors", url.Values{"by": {"point"}, "from": {ts(-48 * time.Hour)}}, http.StatusOK)
	p := c.props("hc-01")
	if c.Total != 5 || c.Unplaced != 0 || len(c.Features) != 3 || num(p, "count") != 3 || p["code"] != haiChau || p["station_name"] != "Trạm Hải Châu" ||
		p["pollutants"].(map[string]any)["pm2_5"].(map[string]any)["level"] != "critical" {
		t.Fatalf("sensors by point = %+v", c)
	}
	if typ, coords := c.geometry(t, "tk-01"); typ != "Point" || coords != "[108.19,16.07]" {
		t.Fatalf("tk-01 = %s %s, want [lon, lat]", typ, coords)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A boundaries file the node cannot use stops the start, naming the key and the problem.
func TestBadBoundariesStopStart(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "wards.geojson")
	if err := os.WriteFile(file, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"20194"},"geometry":{"type":"Point","coordinates":[108.2,16.0]}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := apptest.Config(t)
	cfg.IOC.Map.WardsGeoJSON = file
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), geo.New())
	if err == nil {
		_ = a
		t.Fatal("the node started with point boundaries")
	}
	if !strings.Contains(err.Error(), "ioc.map.wards_geojson") || !strings.Contains(err.Error(), "Polygon") {
		t.Fatalf("error = %v", err)
	}
}
