package tickets_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ioc1022/ioc1022/tickets"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The routing tester answers what ticket creation would do with the same input, writes
// nothing, refuses what creation refuses, and is for admins and supervisors only.
func TestRouteTester(t *testing.T) {
	n := start(t)
	rule := map[string]any{"id": "fallen-tree", "order": 5, "name": "Cây đổ → Công an", "category": "roads_traffic",
		"ward": "Thanh Khê", "keywords": []string{"cây đổ", "gãy cành"}, "department": "CATP", "active": true}
	if r := n.Do(t, "POST", "/api/v1/routing-rules", n.admin, rule); r.Status != http.StatusCreated {
		t.Fatalf("add rule: %d %s", r.Status, r.Body)
	}
	cat := map[string]any{"code": "unrouted_test", "name": "Chưa có nơi nhận", "active": true, "accept_hours": 8, "answer_days": 10}
	if r := n.Do(t, "POST", "/api/v1/categories", n.admin, cat); r.Status != http.StatusCreated {
		t.Fatalf("add category: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	before, err := n.App.Core.Store.C(tickets.Collection).CountDocuments(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name               string
		body               map[string]any
		rule, route, match string
		dept, reasonHas    string
	}{
		{"a keyword rule, ward by name", map[string]any{"category": "roads_traffic", "ward": "phuong thanh khe", "description": "Cay do chắn ngang đường"},
			"fallen-tree", "rule:fallen-tree", tickets.MatchRule, "CATP", `"cây đổ"`},
		{"the same text in another ward: the category default", map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Cây đổ chắn ngang đường"},
			"", "category:roads_traffic:default", tickets.MatchCategoryDefault, "SXD", "default department"},
		{"a local category: the ward's committee", map[string]any{"category": "urban_order", "ward": "Hải Châu", "description": "Lấn chiếm vỉa hè"},
			"", "category:urban_order:committee", tickets.MatchCategoryCommittee, "UBND-HAICHAU", "committee"},
		{"no rule and no default: stays in triage", map[string]any{"category": "unrouted_test", "ward": "20194", "description": "Việc khác"},
			"", "", tickets.MatchNone, "", "triage"},
		{"no ward: stays in triage", map[string]any{"category": "roads_traffic", "description": "Cây đổ"},
			"", "", tickets.MatchNone, "", "triage"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := n.Do(t, "POST", "/api/v1/routing/test", n.supervisor, c.body)
			if r.Status != http.StatusOK {
				t.Fatalf("test: %d %s", r.Status, r.Body)
			}
			var raw map[string]any
			r.Decode(t, &raw)
			if _, ok := raw["rule"]; !ok {
				t.Fatalf("no rule key (null when no rule matched): %s", r.Body)
			}
			var v tickets.RouteVerdict
			r.Decode(t, &v)
			gotRule := ""
			if v.Rule != nil {
				gotRule = *v.Rule
			}
			if gotRule != c.rule || v.Route != c.route || v.Match != c.match || v.Department != c.dept || !strings.Contains(v.Reason, c.reasonHas) {
				t.Fatalf("verdict %s", r.Body)
			}
			if c.dept != "" && v.DepartmentName == "" {
				t.Fatalf("no department name: %s", r.Body)
			}
			// Creation with the same input lands where the tester said.
			body := map[string]any{}
			for k, val := range c.body {
				body[k] = val
			}
			tk := n.create(t, body)
			if tk.Department != v.Department || tk.Rule != v.Route || tk.Status != v.Status {
				t.Fatalf("created %s %q %q, tester said %s %q %q", tk.Status, tk.Department, tk.Rule, v.Status, v.Department, v.Route)
			}
		})
	}
	after, err := n.App.Core.Store.C(tickets.Collection).CountDocuments(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if after != before+int64(len(cases)) {
		t.Fatalf("%d tickets after %d creations from %d: the tester wrote some", after, len(cases), before)
	}

	for _, c := range []struct {
		name  string
		body  any
		field string
	}{
		{"unknown ward", map[string]any{"category": "roads_traffic", "ward": "Phường Không Có", "description": "x"}, "ward"},
		{"unknown category", map[string]any{"category": "roads", "ward": "20194", "description": "x"}, "category"},
		{"nothing to test", map[string]any{}, "category"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := n.Do(t, "POST", "/api/v1/routing/test", n.admin, c.body)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"`+c.field+`"`) {
				t.Fatalf("got %d %s, want 422 on %s", r.Status, r.Body, c.field)
			}
		})
	}
	if r := n.Do(t, "POST", "/api/v1/routing/test", n.admin, map[string]any{"category": "other", "colour": "red"}); r.Status/100 != 4 {
		t.Fatalf("an unknown field: %d", r.Status)
	}
	for _, tok := range []string{n.agent, n.officer, n.leader} {
		if r := n.Do(t, "POST", "/api/v1/routing/test", tok, map[string]any{"category": "other", "ward": "20194"}); r.Status != http.StatusForbidden {
			t.Fatalf("a non-supervisor tests routing: %d", r.Status)
		}
	}
	if doc := n.Do(t, "GET", "/api/v1/openapi.json", n.admin, nil); !strings.Contains(string(doc.Body), `"/api/v1/routing/test"`) {
		t.Fatal("the OpenAPI document lacks /api/v1/routing/test")
	}
}
