package faq

import "testing"

// BenchmarkSearch ranks the demo knowledge base for one question (what the bot does for
// every question it may answer from the FAQ).
func BenchmarkSearch(b *testing.B) {
	ix := NewIndex(DemoEntries())
	qs := []string{"lam cccd can mang gi", "tôi muốn đăng ký khai sinh cho con", "giá vàng hôm nay bao nhiêu",
		"thu tuc dang ky ho kinh doanh o dau"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ix.Search(qs[i%len(qs)], 3)
	}
}
