package social

import (
	"hash/fnv"
	"math/bits"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// NormalizeText returns s in NFC with control characters dropped and runs of white space
// made one space: the form in which every item is stored.
func NormalizeText(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, ""))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case unicode.IsControl(r):
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stopwords are frequent Vietnamese words (folded) that carry no topic.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`va la cua co cho cac nhung mot duoc trong khi da dang se voi tai
		nay do thi ma de tu den ra vao len nhu rat cung con nua bi o khong chua van theo ve nhieu
		hon sau truoc the nao gi ai day kia roi luon moi tren duoi qua lai tren toi ban chung ta
		anh chi em ho minh nguoi ngay gio nam thang hom nay http https www com vn html`) {
		stopwords[w] = true
	}
}

// Tokens returns the words of folded text that may carry meaning: no stop words, no
// single letters, no pure numbers.
func Tokens(folded string) []string {
	var out []string
	for _, w := range strings.Fields(folded) {
		if len(w) < 2 || stopwords[w] || isNumber(w) {
			continue
		}
		out = append(out, w)
	}
	return out
}

func isNumber(w string) bool {
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// SimHash is a 64-bit fingerprint of folded text over its word trigrams (words for short
// texts): texts that differ in a few words have fingerprints a few bits apart.
func SimHash(folded string) uint64 {
	words := strings.Fields(folded)
	var v [64]int
	add := func(s string) {
		h := fnv.New64a()
		h.Write([]byte(s))
		x := h.Sum64()
		for i := range 64 {
			if x&(1<<i) != 0 {
				v[i]++
			} else {
				v[i]--
			}
		}
	}
	if len(words) < 3 {
		for _, w := range words {
			add(w)
		}
	}
	for i := 0; i+3 <= len(words); i++ {
		add(words[i] + " " + words[i+1] + " " + words[i+2])
	}
	var out uint64
	for i := range 64 {
		if v[i] > 0 {
			out |= 1 << i
		}
	}
	return out
}

// Hamming is the number of bits in which a and b differ.
func Hamming(a, b uint64) int { return bits.OnesCount64(a ^ b) }
