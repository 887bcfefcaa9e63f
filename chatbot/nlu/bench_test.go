package nlu

import (
	"sort"
	"testing"
	"time"
)

var benchTexts = []string{
	"Đường ở tổ 5 phường An Phú bị ổ gà lâu rồi ko ai sửa",
	"cho em hỏi làm cccd cần giấy tờ gì",
	"hồ sơ của tôi mã PA-123456 đến đâu rồi",
	"cháy nhà ở hẻm 45 Lê Lợi cứu với",
	"alo",
	"nha toi o kiet 12 hung vuong mat nuoc tu hom qua toi gio, goi cong ty cap nuoc khong ai nghe may, de nghi xu ly gap",
}

// BenchmarkClassify measures one classification (normalisation, features,
// spago forward pass, calibrated softmax) and reports the 99th percentile.
func BenchmarkClassify(b *testing.B) {
	m, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		m.Classify(benchTexts[i%len(benchTexts)])
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkClassifyParallel measures throughput with every core busy.
func BenchmarkClassifyParallel(b *testing.B) {
	m, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			m.Classify(benchTexts[i%len(benchTexts)])
		}
	})
}

func BenchmarkExtract(b *testing.B) {
	units := []Unit{{Code: "1", Name: "Phường An Phú"}, {Code: "2", Name: "Xã Hòa Phong", Aliases: []string{"Hòa Phong cũ"}}}
	now := time.Now()
	for i := 0; i < b.N; i++ {
		Extract(benchTexts[i%len(benchTexts)], now, units)
	}
}

func BenchmarkNormalize(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Normalize(benchTexts[i%len(benchTexts)])
	}
}
