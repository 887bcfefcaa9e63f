package tickets

import (
	"context"
	"crypto/subtle"
	"net/http"

	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// statusText is how a status reads to a citizen.
var statusText = map[Status]string{
	StatusNew:        "Đã tiếp nhận, đang phân loại",
	StatusAssigned:   "Đã chuyển đến cơ quan xử lý",
	StatusInProgress: "Cơ quan đang xử lý",
	StatusAnswered:   "Đã có kết quả, đang kiểm tra",
	StatusResolved:   "Đã trả lời",
	StatusClosed:     "Đã đóng",
	StatusMerged:     "Đã gộp với phản ánh trùng",
	StatusRejected:   "Không tiếp nhận",
}

// PublicLookup returns what a citizen may see of a ticket when phoneLast4 are the last four
// digits of the reporter's phone. Any mismatch, including a ticket with no phone, is the same
// 404 as an unknown code, so the answer tells nothing about which part was wrong.
func (m *Module) PublicLookup(ctx context.Context, code Code, phoneLast4 string) (*PublicView, error) {
	notFound := httpapi.NotFound("no ticket %s with those phone digits", code)
	t, err := m.load(ctx, code)
	if err != nil {
		if e, ok := err.(*httpapi.Error); ok && e.Status == http.StatusNotFound {
			return nil, notFound
		}
		return nil, err
	}
	want := last4(t.Reporter.Phone)
	if len(phoneLast4) != 4 || want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(phoneLast4)) != 1 {
		return nil, notFound
	}
	v := &PublicView{Code: t.Code, Status: t.Status, StatusText: statusText[t.Status], Category: t.Category,
		Department: t.Department, CreatedAt: t.CreatedAt, DueAt: t.DueAt, ResolvedAt: t.ResolvedAt, MergedInto: t.MergedInto}
	if t.Department != "" {
		if d, err := m.core.Ref.Department(ctx, t.Department); err == nil {
			v.DepartmentName = d.Name
		}
	}
	if t.Answer != nil && (t.Status == StatusResolved || t.Status == StatusClosed) {
		v.Answer = t.Answer.Text
	}
	for _, c := range t.Comments {
		if c.Public {
			v.Comments = append(v.Comments, c.Text)
		}
	}
	return v, nil
}

// handlePublic serves the citizen's lookup. Failed lookups (no such ticket, wrong digits)
// are limited per client address and per ticket, so guessing the four digits is slow while a
// citizen who knows them can look as often as they like.
func (m *Module) handlePublic(w http.ResponseWriter, r *http.Request) error {
	ipKey, perIP := "ip:"+auth.ClientIP(r), m.core.Config.Auth.PublicLookupPerIP
	if blocked, wait := m.lookups.Exhausted(ipKey, perIP); blocked {
		return httpapi.TooManyRequests(wait)
	}
	code, err := ParseCode(r.PathValue("code"))
	if err != nil {
		m.lookups.Allow(ipKey, perIP)
		return httpapi.NotFound("no ticket %q: %v", r.PathValue("code"), err)
	}
	// Wrong digits also count against the ticket, so that many addresses cannot share the guessing.
	codeKey, perCode := "code:"+string(code), 3*perIP
	if blocked, wait := m.lookups.Exhausted(codeKey, perCode); blocked {
		return httpapi.TooManyRequests(wait)
	}
	v, err := m.PublicLookup(r.Context(), code, r.URL.Query().Get("phone"))
	if err != nil {
		m.lookups.Allow(ipKey, perIP)
		m.lookups.Allow(codeKey, perCode)
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
	return nil
}
