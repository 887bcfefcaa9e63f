package social_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/social"
)

func (n *node) alertsOf(t *testing.T, rule string) []alerts.Alert {
	t.Helper()
	res := n.srv.Do(t, "GET", "/api/v1/alerts?state=all&limit=200", n.admin, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("alerts: %d %s", res.Status, res.Body)
	}
	var l httpapi.List[alerts.Alert]
	res.Decode(t, &l)
	var out []alerts.Alert
	for _, a := range l.Items {
		if a.Rule == rule {
			out = append(out, a)
		}
	}
	return out
}

// A planted spike of one keyword fires exactly one alert of the seeded keyword spike rule
// after its 15 minutes, naming top terms, sources, sentiment split and wards, and resolves
// once the spike has left the window; a sparse keyword whose z-score is large does not.
func TestKeywordSpikeAlert(t *testing.T) {
	n := start(t, "", nil)
	n.rule(t, social.KeywordRule{ID: "ngap", Name: "Ngập", Keywords: []string{"ngập"}, Enabled: true})
	n.rule(t, social.KeywordRule{ID: "sat-lo", Name: "Sạt lở", Keywords: []string{"sạt lở"}, Enabled: true})
	// Spike time: well in the past so every item is "published" before now.
	t0 := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Minute)
	var items []social.Incoming
	add := func(id, text string, at time.Time) {
		items = append(items, social.Incoming{ID: id, Text: text, PublishedAt: at})
	}
	streets := []string{"Nguyễn Tri Phương", "Lê Duẩn", "Hùng Vương", "Trưng Nữ Vương", "Nguyễn Văn Linh", "Hàm Nghi", "Ông Ích Khiêm",
		"Phan Châu Trinh", "Bạch Đằng", "Quang Trung", "Lý Thường Kiệt", "Hoàng Diệu", "Nguyễn Chí Thanh", "Yên Bái"}
	moods := []string{"hơi ngập chút xíu", "ngập nhẹ rồi rút nhanh", "có vũng ngập nhỏ", "ngập mắt cá chân", "đọng nước ngập lề",
		"ngập một đoạn ngắn", "ngập sau cơn mưa rào"}
	for d := 1; d <= 7; d++ { // the same hour on the past 7 days: 2 flood posts, and one landslide post on one day
		day := t0.AddDate(0, 0, -d)
		add(fmt.Sprintf("b%d-1", d), "Đường "+streets[2*d-2]+" "+moods[d-1], day.Add(-20*time.Minute))
		add(fmt.Sprintf("b%d-2", d), "Kiệt nhỏ gần "+streets[2*d-1]+" "+moods[(d+3)%7]+" buổi sáng", day.Add(-40*time.Minute))
		if d == 3 {
			add("s-old", "Sạt lở nhẹ ở đèo Hải Vân", day.Add(-30*time.Minute))
		}
	}
	places := []string{"Thạch Thang", "Phước Ninh", "Thach Thang", "Thanh Bình", "Thạch Thang", "Thạch Thang"}
	harm := []string{"xe chết máy hàng loạt", "nước vào nhà dân", "khong ai giai quyet", "dân khổ quá", "trẻ em không đến trường được",
		"hàng quán đóng cửa", "cống tràn bốc mùi", "người già mắc kẹt", "ô tô trôi", "mất điện theo"}
	for i := range 18 {
		text := fmt.Sprintf("%s ngập sâu, %s và %s", places[i%len(places)], harm[i%len(harm)], harm[(i*7+3)%len(harm)])
		add(fmt.Sprintf("spike-%d", i), text, t0.Add(-time.Duration(55-i*3)*time.Minute))
	}
	// Sparse: two landslide posts now against one in a week; z = 4.9 but Poisson says common enough.
	add("s-1", "Sạt lở taluy trên đèo Hải Vân sáng nay", t0.Add(-30*time.Minute))
	add("s-2", "Sat lo nho tren deo Hai Van, xe van qua duoc", t0.Add(-10*time.Minute))
	if st, res, raw := n.ingest(t, "", map[string]any{"source": "crawler", "items": items}); st != http.StatusOK || res.Stored < len(items)-3 { // a few spike posts are near duplicates of others
		t.Fatalf("ingest: %d stored %d of %d: %s", st, res.Stored, len(items), raw)
	}
	// Z-score alone on the sparse keyword would fire: a rule of that kind shows it.
	z := alerts.Rule{ID: "z-only", Name: "z only", Kind: alerts.KindZScore, Indicator: "social.items", GroupBy: "keyword",
		Filter: map[string]string{"keyword": "sat-lo"}, Window: alerts.Duration(time.Hour), Enabled: true}
	if res := n.srv.Do(t, "POST", "/api/v1/alert-rules", n.admin, z); res.Status != http.StatusCreated {
		t.Fatalf("z rule: %d %s", res.Status, res.Body)
	}
	sparse := alerts.Rule{ID: "sparse", Name: "sparse", Kind: alerts.KindSpike, Indicator: "social.items", GroupBy: "keyword",
		Filter: map[string]string{"keyword": "sat-lo"}, Window: alerts.Duration(time.Hour), Enabled: true}
	if res := n.srv.Do(t, "POST", "/api/v1/alert-rules", n.admin, sparse); res.Status != http.StatusCreated {
		t.Fatalf("sparse rule: %d %s", res.Status, res.Body)
	}
	// This node has no KPI module: drop the seeded rules of indicators it cannot measure.
	var rules []alerts.Rule
	n.srv.Do(t, "GET", "/api/v1/alert-rules", n.admin, nil).Decode(t, &rules)
	for _, r := range rules {
		if !strings.HasPrefix(r.Indicator, "social.") {
			n.srv.Do(t, "DELETE", "/api/v1/alert-rules/"+r.ID, n.admin, nil)
		}
	}
	ctx := context.Background()
	eval := func(at time.Time) {
		if err := n.alerts.Engine.Evaluate(ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	eval(t0)
	if got := n.alertsOf(t, "social-keyword-spike"); len(got) != 0 {
		t.Fatalf("fired before its 15 minutes: %+v", got)
	}
	eval(t0.Add(10 * time.Minute))
	eval(t0.Add(16 * time.Minute))
	eval(t0.Add(17 * time.Minute))
	got := n.alertsOf(t, "social-keyword-spike")
	if len(got) != 1 || got[0].Group != "ngap" || got[0].State != alerts.StateFiring {
		t.Fatalf("want one firing alert for keyword ngap: %+v", got)
	}
	a := got[0]
	for _, dim := range []string{"term", "source", "sentiment", "ward"} {
		if len(a.Context[dim]) == 0 {
			t.Errorf("alert context lacks %s: %+v", dim, a.Context)
		}
	}
	if a.Context["ward"][0].Value != "20194" || a.Context["source"][0].Value != "ingest:crawler/crawler" || a.Context["sentiment"][0].Value != social.Negative {
		t.Errorf("alert context: %+v", a.Context)
	}
	if zs := n.alertsOf(t, "z-only"); len(zs) != 1 {
		t.Errorf("the z-score rule should misfire on the sparse keyword: %+v", zs)
	}
	if sp := n.alertsOf(t, "sparse"); len(sp) != 0 {
		t.Errorf("the spike rule fired on a sparse count: %+v", sp)
	}
	eval(t0.Add(2 * time.Hour)) // the spike has left the window
	got = n.alertsOf(t, "social-keyword-spike")
	if len(got) != 1 || got[0].State != alerts.StateResolved {
		t.Fatalf("want the alert resolved: %+v", got)
	}
}
