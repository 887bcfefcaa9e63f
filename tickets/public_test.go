package tickets_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/tickets"
)

func TestPublicLookup(t *testing.T) {
	n := start(t, func(c *config.Config) { c.Auth.PublicLookupPerIP = 5 })
	tk := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà",
		"contact": map[string]any{"name": "Trần Thị B", "phone": "0912345678"}})
	n.mustAct(t, n.officer, tk.Code, "comment", map[string]any{"text": "Đã cử người kiểm tra", "public": true})
	n.mustAct(t, n.officer, tk.Code, "comment", map[string]any{"text": "nội bộ"})

	spoken := strings.ToLower(tk.Code.Spoken()) // as a citizen types it
	r := n.Do(t, "GET", "/api/v1/public/tickets/"+strings.ReplaceAll(spoken, " ", "-")+"?phone=5678", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("lookup: %d %s", r.Status, r.Body)
	}
	var v tickets.PublicView
	r.Decode(t, &v)
	if v.Code != tk.Code || v.Status != tickets.StatusAssigned || v.DepartmentName != "Sở Xây dựng" || len(v.Comments) != 1 {
		t.Fatalf("view %+v", v)
	}
	for _, secret := range []string{"0912345678", "Trần", "nội bộ", "history"} {
		if strings.Contains(string(r.Body), secret) {
			t.Fatalf("public view shows %q: %s", secret, r.Body)
		}
	}
	// A citizen who knows the digits is never limited: only failed lookups count.
	for i := 0; i < 8; i++ {
		if r := n.Do(t, "GET", "/api/v1/public/tickets/"+string(tk.Code)+"?phone=5678", "", nil); r.Status != http.StatusOK {
			t.Fatalf("lookup %d with the right digits: %d %s", i+2, r.Status, r.Body)
		}
	}
	if r := n.Do(t, "GET", "/api/v1/public/tickets/"+string(tk.Code)+"?phone=1234", "", nil); r.Status != http.StatusNotFound {
		t.Fatalf("wrong digits: %d", r.Status)
	}
	if r := n.Do(t, "GET", "/api/v1/public/tickets/PA0000000?phone=5678", "", nil); r.Status != http.StatusNotFound {
		t.Fatalf("unknown code: %d", r.Status)
	}
	limited := false
	for i := 0; i < 4; i++ { // 2 failures above, 3 more use up the 5, the 4th is refused
		if r := n.Do(t, "GET", "/api/v1/public/tickets/"+string(tk.Code)+"?phone=0000", "", nil); r.Status == http.StatusTooManyRequests {
			limited = r.Header.Get("Retry-After") != ""
			break
		}
	}
	if !limited {
		t.Fatalf("guessing is not rate limited")
	}
	if r := n.Do(t, "GET", "/api/v1/public/tickets/"+string(tk.Code)+"?phone=5678", "", nil); r.Status != http.StatusTooManyRequests {
		t.Fatalf("right digits from the guessing address: %d, want 429", r.Status)
	}
}
