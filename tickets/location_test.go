package tickets_test

import (
	"testing"

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
