package social

import (
	"slices"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/refdata"
)

func TestGazetteerPrefersLongestName(t *testing.T) {
	t.Parallel()
	g := BuildGazetteer([]refdata.Unit{
		{Code: "HH", Name: "Phường Hòa Hiệp"},
		{Code: "HHB", Name: "Phường Hòa Hiệp Bắc"},
		{Code: "HHN", Name: "Xã Hòa Hiệp Nam", Aliases: []string{"Hiệp Nam Cũ"}},
		{Code: "HC", Name: "Phường Hải Châu", Aliases: []string{"Phường Hải Châu 1"}},
	})
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"longer name only", "Ngập sâu ở phường Hòa Hiệp Bắc sáng nay", []string{"HHB"}},
		{"bare longer name", "đường ở Hoa Hiep Bac hỏng", []string{"HHB"}},
		{"shorter name alone", "cây đổ ở Hòa Hiệp, chiều nay", []string{"HH"}},
		{"both, apart", "Hòa Hiệp Bắc và Hòa Hiệp", []string{"HHB", "HH"}},
		{"other suffix", "xã Hòa Hiệp Nam mất điện", []string{"HHN"}},
		{"alias longer than current name", "phường Hải Châu 1 cũ", []string{"HC"}},
		{"longer name cut by a word boundary", "Hòa Hiệp Bắcx", []string{"HH"}},
		{"no place", "Hòa Hiệpx", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, codes := g.Find(FoldText(tc.text))
			if !slices.Equal(codes, tc.want) {
				t.Errorf("Find(%q) = %v, want %v", tc.text, codes, tc.want)
			}
		})
	}
}

func TestLongestSpans(t *testing.T) {
	t.Parallel()
	got := Longest([]Span{{Term: 0, Start: 0, End: 8}, {Term: 1, Start: 0, End: 12}, {Term: 2, Start: 4, End: 12}, {Term: 3, Start: 13, End: 17}})
	want := []Span{{Term: 1, Start: 0, End: 12}, {Term: 3, Start: 13, End: 17}}
	if !slices.Equal(got, want) {
		t.Fatalf("Longest = %v, want %v", got, want)
	}
}
