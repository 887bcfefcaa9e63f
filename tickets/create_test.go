package tickets_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ioc1022/ioc1022/tickets"
)

func TestCreateRoutesAndGives(t *testing.T) {
	n := start(t)
	tk := n.create(t, map[string]any{"category": "roads_traffic", "ward": "hai chau", "address": "12 Lê Duẩn",
		"description": "Ổ gà lớn giữa đường", "channel": "phone",
		"contact":  map[string]any{"name": "Nguyễn Văn A", "phone": "+84 912.345.678"},
		"location": map[string]any{"lat": 16.0678, "lng": 108.2208}})
	if tk.Status != tickets.StatusAssigned || tk.Department != "SXD" || tk.Ward != "20194" {
		t.Fatalf("routed to %s/%s in ward %s", tk.Status, tk.Department, tk.Ward)
	}
	if tk.Rule != "category:roads_traffic:default" || tk.DueAt == nil || tk.AcceptDueAt == nil || tk.Version != 1 {
		t.Fatalf("rule %q due %v accept %v version %d", tk.Rule, tk.DueAt, tk.AcceptDueAt, tk.Version)
	}
	if tk.Reporter.Phone != "0912345678" || tk.Reporter.Channel != "phone" {
		t.Fatalf("reporter %+v", tk.Reporter)
	}
	if _, err := tickets.ParseCode(string(tk.Code)); err != nil {
		t.Fatalf("code %s does not parse: %v", tk.Code, err)
	}
	got := n.get(t, tk.Code)
	if len(got.History) != 1 || got.History[0].Rule != tk.Rule || got.History[0].To != tickets.StatusAssigned {
		t.Fatalf("history %+v", got.History)
	}
	evs := n.waitEvents(t, ofType("ticket.created", tk.Code), 1)
	var d tickets.EventData
	if err := evs[0].Decode(&d); err != nil || d.Department != "SXD" || d.Reporter == nil || d.Reporter.Phone != "0912345678" || d.Rule != tk.Rule {
		t.Fatalf("created event %+v %v", d, err)
	}
	notices := n.waitEvents(t, ofType("ticket.citizen_notice", tk.Code), 1)
	var nd tickets.NoticeData
	if err := notices[0].Decode(&nd); err != nil || nd.Kind != "created" || nd.MasterCode != tk.Code {
		t.Fatalf("notice %+v %v", nd, err)
	}
}

func TestCreateRouting(t *testing.T) {
	n := start(t)
	cases := []struct {
		name, category, ward, text string
		status                     tickets.Status
		dept, rule                 string
	}{
		{"local category goes to the ward's committee", "urban_order", "Phường Hải Châu", "Lấn chiếm vỉa hè", tickets.StatusAssigned, "UBND-HAICHAU", "category:urban_order:committee"},
		{"keyword rule wins over the default", "roads_traffic", "20194", "Đèn đường bị hỏng cả tuần", tickets.StatusAssigned, "SXD", "rule:demo-streetlight"},
		{"ward rule with @committee", "environment", "Hội An", "Rác thải ven sông", tickets.StatusAssigned, "UBND-HOIAN", "rule:demo-hoian-environment"},
		{"alias of a ward, no diacritics", "water_supply", "thach thang", "Nước yếu", tickets.StatusAssigned, "CAPNUOC", "category:water_supply:default"},
		{"no ward: stays in triage", "roads_traffic", "", "Cầu hỏng", tickets.StatusNew, "", ""},
		{"no category: stays in triage", "", "20194", "Có vấn đề", tickets.StatusNew, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := map[string]any{"category": c.category, "ward": c.ward, "description": c.text}
			tk := n.create(t, body)
			if tk.Status != c.status || tk.Department != c.dept || tk.Rule != c.rule {
				t.Fatalf("got %s %q %q", tk.Status, tk.Department, tk.Rule)
			}
		})
	}
	// The answer names every field of the contract, also those not known yet (in triage).
	r := n.Do(t, "POST", "/api/v1/tickets", n.agent, map[string]any{"description": "Có vấn đề ở gần nhà"})
	var answer map[string]json.RawMessage
	r.Decode(t, &answer)
	for _, k := range []string{"code", "status", "department", "due_at", "version", "duplicates"} {
		if _, ok := answer[k]; !ok {
			t.Errorf("the create answer has no %q: %s", k, r.Body)
		}
	}
}

func TestCreateRefusesBadInput(t *testing.T) {
	n := start(t)
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"no description", map[string]any{"category": "roads_traffic"}, "description"},
		{"unknown ward", map[string]any{"description": "x", "ward": "Phường Không Có"}, "ward"},
		{"unknown category", map[string]any{"description": "x", "category": "roads"}, "category"},
		{"bad phone", map[string]any{"description": "x", "contact": map[string]any{"phone": "12345"}}, "contact.phone"},
		{"bad channel", map[string]any{"description": "x", "channel": "pigeon"}, "channel"},
		{"bad location", map[string]any{"description": "x", "location": map[string]any{"lat": 200, "lng": 1}}, "location"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := n.Do(t, "POST", "/api/v1/tickets", n.agent, c.body)
			var e struct {
				Error struct {
					Fields map[string]string `json:"fields"`
				} `json:"error"`
			}
			r.Decode(t, &e)
			if r.Status != http.StatusUnprocessableEntity || e.Error.Fields[c.field] == "" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	if r := n.Do(t, "POST", "/api/v1/tickets", n.officer, map[string]any{"description": "x"}); r.Status != http.StatusForbidden {
		t.Fatalf("officer create: %d", r.Status)
	}
	r := n.Do(t, "GET", "/api/v1/tickets?status=assigned", n.agent, nil)
	var list struct{ Items []tickets.Ticket }
	r.Decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("refused reports were stored: %d", len(list.Items))
	}
}
