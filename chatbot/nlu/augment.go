package nlu

import (
	mrand "math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

// augment turns a clean template sentence into the way citizens type it:
// often without diacritics, sometimes with teen-code, a typo, odd casing or
// trailing punctuation. It draws every choice from rng, so a seed fixes the
// training set.
func augment(s string, rng *mrand.Rand) string {
	words := strings.Fields(s)
	if rng.Float64() < 0.3 {
		words = teenCode(words, rng)
	}
	if rng.Float64() < 0.2 && len(words) > 0 {
		i := rng.IntN(len(words))
		words[i] = typo(words[i], rng)
	}
	switch r := rng.Float64(); {
	case r < 0.45: // no diacritics at all
		for i := range words {
			words[i] = Fold(words[i])
		}
	case r < 0.55: // diacritics on some words only
		for i := range words {
			if rng.Float64() < 0.5 {
				words[i] = Fold(words[i])
			}
		}
	}
	out := strings.Join(words, " ")
	switch r := rng.Float64(); {
	case r < 0.2:
		out = upperFirst(out)
	case r < 0.23:
		out = strings.ToUpper(out)
	}
	return out + trailers[rng.IntN(len(trailers))]
}

// trailers end a message; the empty one is the most frequent.
var trailers = []string{"", "", "", "", "", "", ".", "?", "!", "!!", "...", " ạ", " a", " 🙏"}

// teenSpellings are the shorthand forms citizens type for common words.
var teenSpellings = map[string][]string{
	"không":             {"ko", "k", "hok", "hem", "kh", "khum", "hông", "hk"},
	"được":              {"dc", "đc", "đk", "dk"},
	"gì":                {"j", "gi", "dzì"},
	"vậy":               {"z", "v", "zậy", "dzậy"},
	"người":             {"ng"},
	"mọi người":         {"mn", "mng"},
	"số điện thoại":     {"sđt", "sdt"},
	"căn cước công dân": {"cccd", "CCCD"},
	"căn cước":          {"cccd"},
	"ủy ban nhân dân":   {"ubnd", "UBND"},
	"ủy ban":            {"ub"},
	"bảo hiểm y tế":     {"bhyt", "BHYT"},
	"bảo hiểm xã hội":   {"bhxh", "BHXH"},
	"rồi":               {"r", "rùi", "ròi"},
	"mình":              {"mk", "mik"},
	"biết":              {"bik", "bít"},
	"thôi":              {"thui"},
	"nhiều":             {"nhìu"},
	"trước":             {"trc"},
	"với":               {"vs"},
	"cũng":              {"cx", "cg"},
	"điện thoại":        {"đt", "dt"},
	"thành phố":         {"tp"},
	"cảm ơn":            {"tks", "thks", "cám ơn", "camon"},
	"em":                {"e"},
	"tôi":               {"t"},
	"quá":               {"wa", "wá", "quáaa"},
	"làm":               {"lm"},
	"mới":               {"ms"},
	"đang":              {"đag", "dag"},
	"giấy phép lái xe":  {"gplx", "bằng lái"},
	"cứu":               {"cứuuu", "cuuu"},
}

// teenCode rewrites some words and phrases of words into shorthand.
func teenCode(words []string, rng *mrand.Rand) []string {
	var out []string
	for i := 0; i < len(words); {
		matched := false
		for n := 4; n >= 1 && !matched; n-- {
			if i+n > len(words) {
				continue
			}
			phrase := strings.ToLower(strings.Join(words[i:i+n], " "))
			if alts, ok := teenSpellings[phrase]; ok && rng.Float64() < 0.6 {
				out = append(out, alts[rng.IntN(len(alts))])
				i += n
				matched = true
			}
		}
		if !matched {
			out = append(out, words[i])
			i++
		}
	}
	return out
}

// typo makes one keyboard slip in w: a dropped, doubled, swapped or
// neighbouring letter, or (for Vietnamese) a hỏi/ngã tone swap.
func typo(w string, rng *mrand.Rand) string {
	r := []rune(w)
	if len(r) < 3 {
		return w
	}
	i := rng.IntN(len(r) - 1)
	switch rng.IntN(5) {
	case 0:
		return string(append(r[:i:i], r[i+1:]...))
	case 1:
		return string(append(r[:i+1:i+1], r[i:]...))
	case 2:
		r[i], r[i+1] = r[i+1], r[i]
		return string(r)
	case 3:
		if nb, ok := keyNeighbours[unicode.ToLower(r[i])]; ok {
			r[i] = rune(nb[rng.IntN(len(nb))])
		}
		return string(r)
	default:
		return swapHoiNga(w)
	}
}

var keyNeighbours = map[rune]string{
	'a': "sq", 'b': "vn", 'c': "xv", 'd': "sf", 'e': "wr", 'g': "fh", 'h': "gj",
	'i': "uo", 'k': "jl", 'l': "k", 'm': "n", 'n': "bm", 'o': "ip", 'p': "o",
	'r': "et", 's': "ad", 't': "ry", 'u': "yi", 'v': "cb", 'x': "zc", 'y': "tu",
}

// swapHoiNga swaps the hỏi and ngã tones, the most common Vietnamese
// spelling mistake ("sửa" ↔ "sữa").
func swapHoiNga(w string) string {
	var b strings.Builder
	for _, c := range w {
		if swapped, ok := hoiNga[c]; ok {
			c = swapped
		}
		b.WriteRune(c)
	}
	return b.String()
}

var hoiNga = func() map[rune]rune {
	hoi := []rune("ảẩẳẻểỉỏổởủửỷ")
	nga := []rune("ãẫẵẽễĩõỗỡũữỹ")
	m := make(map[rune]rune, 2*len(hoi))
	for i := range hoi {
		m[hoi[i]], m[nga[i]] = nga[i], hoi[i]
	}
	return m
}()

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
