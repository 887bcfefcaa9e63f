package tickets_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/geo"
	"github.com/ioc1022/ioc1022/tickets"
)

// Ticket events carry the ticket's point once it is known (the map places tickets by it):
// from creation, from the triage that sets it, and on every later event; never before.
func TestEventsCarryLocation(t *testing.T) {
	n := start(t)
	located := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà trước số 5",
		"location": map[string]any{"lat": 16.0678, "lng": 108.2208}})
	unlocated := n.create(t, map[string]any{"description": "Cống bị tắc, chưa rõ nơi"})
	n.mustAct(t, n.agent, unlocated.Code, "triage", map[string]any{"category": "flooding_drainage", "ward": "20194",
		"location": map[string]any{"lat": 16.07, "lng": 108.22}})
	n.mustAct(t, n.officer, located.Code, "accept", nil)

	cases := []struct {
		name string
		typ  string
		code tickets.Code
		want *tickets.Location
	}{
		{"created with a point", "ticket.created", located.Code, &tickets.Location{Lat: 16.0678, Lng: 108.2208}},
		{"created without one", "ticket.created", unlocated.Code, nil},
		{"triage sets it", "ticket.triaged", unlocated.Code, &tickets.Location{Lat: 16.07, Lng: 108.22}},
		{"later actions keep it", "ticket.accepted", located.Code, &tickets.Location{Lat: 16.0678, Lng: 108.2208}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := n.waitEvents(t, ofType(c.typ, c.code), 1)[0]
			var d tickets.EventData
			if err := ev.Decode(&d); err != nil {
				t.Fatal(err)
			}
			switch {
			case c.want == nil && d.Location != nil:
				t.Fatalf("location %+v, want none", *d.Location)
			case c.want == nil:
				if _, err := ev.Data.LookupErr("location"); err == nil {
					t.Fatalf("an unknown location is in the payload: %s", ev.Data)
				}
			case d.Location == nil || *d.Location != *c.want:
				t.Fatalf("location %v, want %+v", d.Location, *c.want)
			}
		})
	}
}

// The map module (consumer map.tickets) places by point the tickets whose events carry a
// location: one created with its point, one given its point at triage; a ticket without
// one stays unplaced.
func TestMapPlacesTicketsByPoint(t *testing.T) {
	srv := apptest.Start(t, apptest.Config(t), tickets.New(), geo.New())
	agent := srv.Login(t, "agent1", "demo-agent1")
	create := func(body map[string]any) tickets.Ticket {
		r := srv.Do(t, "POST", "/api/v1/tickets", agent, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var tk tickets.Ticket
		r.Decode(t, &tk)
		return tk
	}
	create(map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà", "location": map[string]any{"lat": 16.0678, "lng": 108.2208}})
	later := create(map[string]any{"description": "Cống tắc"})
	create(map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà khác, không rõ điểm"})
	if r := srv.Do(t, "POST", "/api/v1/tickets/"+string(later.Code)+"/actions/triage", agent, map[string]any{"version": later.Version,
		"category": "flooding_drainage", "ward": "20194", "location": map[string]any{"lat": 16.07, "lng": 108.22}}); r.Status != http.StatusOK {
		t.Fatalf("triage: %d %s", r.Status, r.Body)
	}
	leader := srv.Login(t, "leader", "demo-leader")
	var fc struct {
		Total, Unplaced int
		Features        []struct {
			Geometry struct {
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := srv.Do(t, "GET", "/api/v1/map/tickets?by=point", leader, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("map: %d %s", r.Status, r.Body)
		}
		r.Decode(t, &fc)
		if fc.Total == 3 && len(fc.Features) == 2 && fc.Unplaced == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("map by point: %s, want 3 tickets, 2 placed by their points", r.Body)
		}
	}
	got := map[[2]float64]bool{}
	for _, f := range fc.Features {
		if len(f.Geometry.Coordinates) == 2 {
			got[[2]float64{f.Geometry.Coordinates[0], f.Geometry.Coordinates[1]}] = true
		}
	}
	if !got[[2]float64{108.2208, 16.0678}] || !got[[2]float64{108.22, 16.07}] {
		t.Fatalf("points %v, want [lng, lat] of the created and the triaged ticket", got)
	}
}
