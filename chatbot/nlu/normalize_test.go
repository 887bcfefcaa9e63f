package nlu

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, text, folded string
	}{
		{"accents and case", "Đường Trần Phú", "đường trần phú", "duong tran phu"},
		{"decomposed input becomes NFC", "\u0111u\u031bo\u031b\u0300ng", "đường", "duong"},
		{"teen code", "ko dc j z", "không được gì vậy", "khong duoc gi vay"},
		{"abbreviations", "cho hỏi làm cccd, sđt ubnd", "cho hỏi làm căn cước công dân số điện thoại ủy ban nhân dân", "cho hoi lam can cuoc cong dan so dien thoai uy ban nhan dan"},
		{"bhyt and people", "mn ơi bhyt ng già", "mọi người ơi bảo hiểm y tế người già", "moi nguoi oi bao hiem y te nguoi gia"},
		{"squeezed letters", "quaaaa điiii cứuuuu", "qua đi cứu", "qua di cuu"},
		{"squeeze keeps the toned letter", "quáaaa", "quá", "qua"},
		{"uu kept for unaccented cứu", "cuuuu voi", "cuu voi", "cuu voi"},
		{"oo kept in xoong", "cái xoong", "cái xoong", "cai xoong"},
		{"punctuation dropped, ? and ! kept", "sao vậy??? nhanh lên!!!", "sao vậy ? nhanh lên !", "sao vay ? nhanh len !"},
		{"emoji mapped or dropped", "🔥🔥 cứu 😀", "cháy cháy cứu", "chay chay cuu"},
		{"numbers and codes kept", "mã PA-123456 lúc 8h30 ngày 25/11", "mã pa-123456 lúc 8h30 ngày 25/11", "ma pa-123456 luc 8h30 ngay 25/11"},
		{"hẻm is not hem", "hẻm 45, hem 45", "hẻm 45 hem 45", "hem 45 hem 45"},
		{"k after a number is thousand", "50 k", "50 nghìn", "50 nghin"},
		{"empty", "   ", "", ""},
		{"invalid utf8", "xin\xffchào", "xin chào", "xin chao"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Normalize(tt.in)
			if got.Text != tt.text || got.Folded != tt.folded {
				t.Errorf("Normalize(%q) = %q / %q, want %q / %q", tt.in, got.Text, got.Folded, tt.text, tt.folded)
			}
		})
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"vietnamese", "Ủy ban nhân dân Đà Nẵng", "Uy ban nhan dan Da Nang"},
		{"ascii untouched", "PA-123456", "PA-123456"},
		{"all tones", "àáảãạ ằắẳẵặ ầấẩẫậ", "aaaaa aaaaa aaaaa"},
		{"combining marks alone", "e\u0301", "e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"Đường ở tổ 5 phường X bị ổ gà lâu rồi ko ai sửa", "cho em hỏi làm cccd cần giấy tờ gì",
		"hồ sơ mã 1022-123456 đến đâu rồi", "CHÁY!!! cứuuuu 🔥", "a\xff\xfe", "e\u0301\u0301", "??!!..//::--",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n.Text) || !utf8.ValidString(n.Folded) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		if !norm.NFC.IsNormalString(n.Text) {
			t.Errorf("Text %q is not NFC", n.Text)
		}
		if n.Text != strings.Join(strings.Fields(n.Text), " ") {
			t.Errorf("Text %q has stray spaces", n.Text)
		}
		for _, r := range n.Folded {
			if unicode.Is(unicode.Mn, r) || r == 'đ' {
				t.Errorf("Folded %q keeps a diacritic", n.Folded)
				break
			}
		}
		if again := Normalize(n.Text); again.Text != n.Text {
			t.Errorf("not idempotent: %q -> %q -> %q", s, n.Text, again.Text)
		}
	})
}
