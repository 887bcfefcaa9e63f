package tickets_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/tickets"
)

type list struct {
	Items      []tickets.Ticket `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

func TestListFiltersAndPages(t *testing.T) {
	forEachIndex(t, func(t *testing.T, start func(t *testing.T, tune ...func(*config.Config)) *node) {
		n := start(t)
		for i := 0; i < 5; i++ {
			n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà số " + string(rune('A'+i)), "channel": "zalo"})
		}
		n.create(t, map[string]any{"category": "urban_order", "ward": "20194", "description": "Lấn chiếm vỉa hè"})
		n.create(t, map[string]any{"description": "Chưa phân loại", "contact": map[string]any{"phone": "0905123456"}})
		cases := []struct {
			name, query string
			want        int
		}{
			{"all", "", 7},
			{"department and status", "department=SXD&status=assigned", 5},
			{"several statuses", "status=new,assigned", 7},
			{"ward by name", "ward=" + url.QueryEscape("Hải Châu"), 6},
			{"channel", "channel=zalo", 5},
			{"text without diacritics", "text=lan+chiem", 1},
			{"category", "category=urban_order", 1},
			{"not overdue", "overdue=false", 7},
			{"overdue", "overdue=true", 0},
			{"created range", "created_from=2020-01-01&created_to=2020-02-01", 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := n.Do(t, "GET", "/api/v1/tickets?"+c.query, n.agent, nil)
				var l list
				r.Decode(t, &l)
				if r.Status != http.StatusOK || len(l.Items) != c.want {
					t.Fatalf("%d: %d items, want %d: %s", r.Status, len(l.Items), c.want, r.Body)
				}
			})
		}
		seen := map[tickets.Code]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			r := n.Do(t, "GET", "/api/v1/tickets?limit=3&cursor="+cursor, n.agent, nil)
			var l list
			r.Decode(t, &l)
			for _, it := range l.Items {
				if seen[it.Code] {
					t.Fatalf("%s twice", it.Code)
				}
				seen[it.Code] = true
			}
			if cursor = l.NextCursor; cursor == "" {
				break
			}
		}
		if len(seen) != 7 {
			t.Fatalf("paged through %d tickets", len(seen))
		}
		// An officer sees only the department's tickets.
		r := n.Do(t, "GET", "/api/v1/tickets", n.haichau, nil)
		var l list
		r.Decode(t, &l)
		if len(l.Items) != 1 || l.Items[0].Department != "UBND-HAICHAU" {
			t.Fatalf("officer sees %d", len(l.Items))
		}
		if r := n.Do(t, "GET", "/api/v1/tickets?department=SXD", n.haichau, nil); r.Status != http.StatusForbidden {
			t.Fatalf("officer lists another department: %d", r.Status)
		}
		if r := n.Do(t, "GET", "/api/v1/tickets?status=bogus", n.agent, nil); r.Status != http.StatusBadRequest {
			t.Fatalf("bad status: %d", r.Status)
		}
		r = n.Do(t, "GET", "/api/v1/tickets/by-phone/+84905123456", n.agent, nil)
		r.Decode(t, &l)
		if len(l.Items) != 1 {
			t.Fatalf("by phone: %s", r.Body)
		}
	})
}

// TestListShowsChangesAfterCaching lists a ticket (its item is then cached by the in-memory
// index), changes it by an action and by an attachment, and lists it again each time: the
// list must show every change, never the item as first read.
func TestListShowsChangesAfterCaching(t *testing.T) {
	n := start(t)
	tk := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà trước chợ"})
	only := func(t *testing.T) tickets.Ticket {
		t.Helper()
		r := n.Do(t, "GET", "/api/v1/tickets?department=SXD&status=assigned,in_progress", n.agent, nil)
		var l list
		r.Decode(t, &l)
		if len(l.Items) != 1 || l.Items[0].Code != tk.Code {
			t.Fatalf("list: %+v", l.Items)
		}
		return l.Items[0]
	}
	for range 2 { // read, then from the cache
		if got := only(t); got.Status != tickets.StatusAssigned || got.Version != tk.Version {
			t.Fatalf("before the action: %s version %d", got.Status, got.Version)
		}
	}
	accepted := n.mustAct(t, n.officer, tk.Code, "accept", nil)
	if got := only(t); got.Status != tickets.StatusInProgress || got.Version != accepted.Version {
		t.Fatalf("after accept: %s version %d, want in_progress version %d", got.Status, got.Version, accepted.Version)
	}
	if st, body := upload(t, n, n.agent, tk.Code, file{"o-ga.png", pngBytes(t)}); st != http.StatusCreated {
		t.Fatalf("upload: %d %s", st, body)
	}
	if got := only(t); len(got.Attachments) != 1 {
		t.Fatalf("after the upload the list shows %d attachments, want 1", len(got.Attachments))
	}
}
