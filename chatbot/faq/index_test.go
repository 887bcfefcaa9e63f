package faq

import "testing"

func TestSearchDemoEntries(t *testing.T) {
	t.Parallel()
	ix := NewIndex(DemoEntries())
	for _, tc := range []struct {
		name, q, want string
	}{
		{"cccd accented", "Làm căn cước công dân ở đâu vậy?", "faq-can-cuoc"},
		{"cccd abbreviation unaccented", "lam cccd can mang gi", "faq-can-cuoc"},
		{"birth accented", "tôi muốn đăng ký khai sinh cho con", "faq-khai-sinh"},
		{"birth unaccented", "dang ky khai sinh cho be nhu the nao", "faq-khai-sinh"},
		{"household business", "thu tuc dang ky ho kinh doanh", "faq-ho-kinh-doanh"},
		{"water meter", "muốn lắp đồng hồ nước cho nhà mới", "faq-lap-nuoc"},
		{"marriage", "dang ky ket hon can giay to gi", "faq-ket-hon"},
		{"residence", "đăng ký tạm trú cho người thuê trọ", "faq-cu-tru"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := ix.Search(tc.q, 3)
			if len(ms) == 0 || ms[0].Entry.ID != tc.want {
				t.Fatalf("search %q = %+v, want %s first", tc.q, ms, tc.want)
			}
			if ms[0].Confidence < DefaultThreshold {
				t.Fatalf("search %q: confidence %.2f below %.2f", tc.q, ms[0].Confidence, DefaultThreshold)
			}
		})
	}
	for _, q := range []string{"thời tiết hôm nay thế nào", "giá vàng bao nhiêu", "xin chào"} {
		if ms := ix.Search(q, 1); len(ms) > 0 && ms[0].Confidence >= DefaultThreshold {
			t.Errorf("unrelated %q answered by %s (%.2f)", q, ms[0].Entry.ID, ms[0].Confidence)
		}
	}
}
