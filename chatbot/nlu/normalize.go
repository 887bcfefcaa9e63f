package nlu

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalized is a message in the two forms the classifier reads.
type Normalized struct {
	// Text is NFC, lower case, with teen-code and abbreviations expanded,
	// letter runs squeezed ("quaaaa" → "qua"), known emoji mapped to words,
	// "?" and "!" kept as tokens and other punctuation removed. Tokens are
	// separated by single spaces.
	Text string
	// Folded is Text without diacritics ("đường" → "duong"): the form that
	// makes typing without accents work as well as typing with them.
	Folded string
}

// Tokens returns the space-separated tokens of the accented form.
func (n Normalized) Tokens() []string { return strings.Fields(n.Text) }

// FoldedTokens returns the space-separated tokens of the diacritic-free form.
func (n Normalized) FoldedTokens() []string { return strings.Fields(n.Folded) }

// Normalize turns raw citizen text into its Normalized forms. It accepts any
// input, including invalid UTF-8, and never panics; it is safe for
// concurrent use.
func Normalize(text string) Normalized {
	text = strings.ToValidUTF8(text, " ")
	text = norm.NFC.String(text)
	text = strings.ToLower(text)
	raw := tokenize(text)
	out := make([]string, 0, len(raw))
	for i, tok := range raw {
		if _, known := abbreviations[tok]; !known {
			tok = squeezeRepeats(tok)
		}
		out = append(out, expandAbbreviation(raw, i, tok)...)
	}
	t := norm.NFC.String(strings.Join(out, " "))
	return Normalized{Text: t, Folded: Fold(t)}
}

// Fold removes Vietnamese (and any other) diacritics: it decomposes s,
// drops combining marks and maps đ/Đ to d/D. Case is preserved.
func Fold(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch f, ok := foldTable[r]; {
		case ok:
			b.WriteRune(f)
		case unicode.Is(unicode.Mn, r):
		case r >= utf8.RuneSelf && hasDecomposition(r):
			for _, d := range norm.NFD.String(string(r)) {
				if !unicode.Is(unicode.Mn, d) {
					b.WriteRune(d)
				}
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hasDecomposition(r rune) bool {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	return !norm.NFD.IsNormal(buf[:n])
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// tokenize splits lower-cased NFC text into word tokens, number-like tokens
// ("25/11", "8h30", "0912.345.678", "pa-123456") and the punctuation tokens
// "?" and "!". Known emoji become words; everything else is a separator.
func tokenize(text string) []string {
	var toks []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			toks = append(toks, string(cur))
			cur = cur[:0]
		}
	}
	runes := []rune(text)
	for i, r := range runes {
		switch {
		case isWordRune(r):
			cur = append(cur, r)
		case isJoiner(r) && len(cur) > 0 && i+1 < len(runes) && joinsNumbers(cur[len(cur)-1], runes[i+1]):
			cur = append(cur, r)
		case r == '?' || r == '!':
			flush()
			if len(toks) == 0 || toks[len(toks)-1] != string(r) {
				toks = append(toks, string(r))
			}
		default:
			flush()
			if w, ok := emojiWords[r]; ok {
				toks = append(toks, strings.Fields(w)...)
			}
		}
	}
	flush()
	return toks
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isJoiner(r rune) bool { return r == '/' || r == '.' || r == ':' || r == '-' }

// joinsNumbers reports whether a joiner between prev and next belongs inside
// one token: dates, clock times, phone numbers and ticket codes.
func joinsNumbers(prev, next rune) bool {
	return unicode.IsDigit(next) && (unicode.IsDigit(prev) || unicode.IsLetter(prev))
}

// squeezeRepeats collapses runs of the same letter ("quaaaa" → "qua",
// "điiii" → "đi"), comparing letters without their tone marks and keeping a
// toned letter of the run if there is one. Digits are left alone. Two
// letters survive where Vietnamese needs them: "oo" as in "xoong", and "uu"
// as in "cuu" (cứu typed without accents).
func squeezeRepeats(tok string) string {
	runes := []rune(tok)
	if len(runes) < 2 {
		return tok
	}
	out := runes[:0:0]
	for i := 0; i < len(runes); {
		base := toneless(runes[i])
		j := i + 1
		for j < len(runes) && unicode.IsLetter(runes[i]) && toneless(runes[j]) == base {
			j++
		}
		keep := 1
		switch {
		case base == 'o' && j-i == 2:
			keep = 2
		case base == 'u' && j-i >= 2 && (len(out) == 0 || toneless(out[len(out)-1]) != 'ư'):
			keep = 2
		}
		out = append(out, mostMarked(runes[i:j]))
		if keep == 2 {
			out = append(out, base)
		}
		i = j
	}
	return string(out)
}

// mostMarked returns the first rune of run that carries a tone mark, or the
// first rune when none does.
func mostMarked(run []rune) rune {
	for _, r := range run {
		if toneless(r) != r {
			return r
		}
	}
	return run[0]
}

// toneless returns r without its Vietnamese tone mark (grave, acute, hook,
// tilde, dot below), keeping the vowel marks that make ư, ơ, ô, ê, â, ă.
func toneless(r rune) rune {
	if t, ok := tonelessTable[r]; ok {
		return t
	}
	return r
}

// Tables for the Latin letters Vietnamese uses, built once.
var foldTable, tonelessTable = buildLetterTables()

func buildLetterTables() (fold, tone map[rune]rune) {
	fold, tone = map[rune]rune{'đ': 'd', 'Đ': 'D'}, map[rune]rune{}
	toneMarks := map[rune]bool{0x0300: true, 0x0301: true, 0x0303: true, 0x0309: true, 0x0323: true}
	for _, rng := range [][2]rune{{0x00C0, 0x024F}, {0x1E00, 0x1EFF}} {
		for r := rng[0]; r <= rng[1]; r++ {
			d := []rune(norm.NFD.String(string(r)))
			if len(d) < 2 {
				continue
			}
			var kept []rune
			for _, c := range d {
				if !toneMarks[c] {
					kept = append(kept, c)
				}
			}
			if t := []rune(norm.NFC.String(string(kept))); len(t) == 1 && t[0] != r {
				tone[r] = t[0]
			}
			if !unicode.Is(unicode.Mn, d[0]) {
				fold[r] = d[0]
			}
		}
	}
	return fold, tone
}

// emojiWords maps emoji that carry meaning for the hotline to words; other
// emoji are dropped.
var emojiWords = map[rune]string{
	'🔥': "cháy",
	'🆘': "cứu",
	'🚑': "cấp cứu",
	'🚒': "cứu hỏa",
	'🚓': "công an",
	'👍': "ok",
	'👌': "ok",
	'👋': "chào",
	'🙏': "ạ",
	'😡': "bực",
	'😠': "bực",
	'🤬': "bực",
	'😭': "khổ",
	'😢': "khổ",
	'💧': "nước",
	'⚡': "điện",
	'🌊': "ngập",
	'🗑': "rác",
}
