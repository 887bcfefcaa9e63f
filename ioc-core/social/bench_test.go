package social

import (
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"
)

// benchRules makes n keywords in rules of 10, from a Vietnamese syllable pool.
func benchRules(n int) []KeywordRule {
	syl := strings.Fields("ngập lụt đường điện nước rác cống cầu chợ trường bệnh viện phường xã cán bộ hồ sơ xe buýt đèn cây sạt lở bụi ồn mùi trễ hạn thu phí giá đất nhà ở an ninh trộm cắp")
	rng := mrand.New(mrand.NewPCG(1, 2))
	var rules []KeywordRule
	for i := 0; i < n; i += 10 {
		r := KeywordRule{ID: fmt.Sprintf("r%d", i), Name: "r", Enabled: true}
		for j := 0; j < 10 && i+j < n; j++ {
			r.Keywords = append(r.Keywords, syl[rng.IntN(len(syl))]+" "+syl[rng.IntN(len(syl))]+fmt.Sprint(i+j))
		}
		rules = append(rules, r)
	}
	rules[0].Keywords = append(rules[0].Keywords, "ngập sâu")
	return rules
}

var benchText = FoldText("Người dân phường Thạch Thang bức xúc vì đường ngập sâu sau mưa, rác trôi khắp nơi, cống bốc mùi, " +
	"xe chết máy hàng loạt, không ai giải quyết suốt nhiều ngày liền, đề nghị cán bộ phường xuống kiểm tra ngay")

func BenchmarkKeywordMatch(b *testing.B) {
	for _, n := range []int{100, 1000, 10000, 50000} {
		rs := CompileRules(benchRules(n))
		b.Run(fmt.Sprintf("keywords=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(benchText)))
			for b.Loop() {
				if len(rs.Match(benchText)) == 0 {
					b.Fatal("no match")
				}
			}
		})
	}
}

// BenchmarkAnalyze is the per-item analysis without storage: keywords (5,000), sentiment,
// places, terms, fingerprint.
func BenchmarkAnalyze(b *testing.B) {
	m, err := DefaultSentiment()
	if err != nil {
		b.Fatal(err)
	}
	a := NewAnalyzer(m)
	a.SetRules(CompileRules(benchRules(5000)))
	it := &Item{Text: "Người dân phường Thạch Thang bức xúc vì đường ngập sâu sau mưa, không ai giải quyết suốt nhiều ngày liền"}
	for b.Loop() {
		a.Analyze(it)
	}
}
