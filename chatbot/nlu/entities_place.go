package nlu

import (
	"sort"
	"strings"
	"unicode"
)

// Address is a street address found in a message. Fields are as written.
type Address struct {
	HouseNumber string `json:"house_number,omitempty"` // "12", "45/3B"
	Alley       string `json:"alley,omitempty"`        // "hẻm 45", "ngõ 12", "kiệt 34"
	Street      string `json:"street,omitempty"`       // "Trần Phú"
}

// Unit is a commune, ward or town of the caller's gazetteer. Aliases hold
// old names (before a merger) and other spellings.
type Unit struct {
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
}

// UnitMatch is a Unit named in a message.
type UnitMatch struct {
	Code  string `json:"code"`
	Name  string `json:"name"`  // the unit's current name
	Text  string `json:"text"`  // as written
	Alias bool   `json:"alias"` // matched one of the aliases
	Fuzzy bool   `json:"fuzzy"` // matched with a typo
}

// streetStopWords end a street name: words that start the next part of a
// sentence ("đường Trần Phú bị ngập", "đường Lê Lợi phường 2"). Several of
// them, typed without diacritics, are also syllables of street names
// ("ngõ"/Ngô, "đang"/Đằng, "thì"/Thị, "tô"/Tô): see streetStops.
var streetStopWords = []string{
	"bị", "có", "ở", "tại", "đoạn", "gần", "phường", "xã", "quận", "huyện", "thì", "đã", "đang", "rất",
	"không", "là", "và", "nhưng", "mà", "này", "trước", "sau", "của", "thuộc", "số", "hẻm", "ngõ", "kiệt",
	"tổ", "khu", "lúc", "từ", "đến", "với", "nên", "cho", "mới", "hay", "lại", "ngập", "hư", "hỏng",
	"nhà", "bên", "chỗ", "cạnh", "vừa", "cũng", "còn", "hôm", "sáng", "trưa", "chiều", "tối", "đêm",
	"mất", "cúp", "nứt", "sụt", "tắc", "nghẹt", "gì",
}

// streetStopHard are the stop words that end a name even when typed
// without diacritics as its first or second word: none of them is a
// syllable of a street name.
var streetStopHard = map[string]bool{
	"bi": true, "o": true, "phuong": true, "xa": true, "huyen": true, "khong": true, "va": true,
	"nhung": true, "cua": true, "thuoc": true, "so": true, "hem": true, "kiet": true, "ngap": true,
	"nha": true, "canh": true, "vua": true, "cung": true, "con": true, "hom": true, "ngach": true,
	"mat": true, "cup": true, "nghet": true,
}

// accentedStreetStops and foldedStreetStops index streetStopWords by their
// accented and diacritic-free forms.
var accentedStreetStops, foldedStreetStops = func() (map[string]bool, map[string]bool) {
	acc, fold := map[string]bool{}, map[string]bool{}
	for _, w := range streetStopWords {
		acc[w], fold[Fold(w)] = true, true
	}
	return acc, fold
}()

// streetStops reports whether toks[j] ends a street name that has n words
// so far. A word written with diacritics stops only as the stop word
// itself, so "Ngô" and "Đằng" continue a name while "ngõ" and "đang" end
// it. A word written without them is ambiguous: it always ends the name
// when it cannot be a name syllable (streetStopHard) or when it is an
// alley word before a number ("ngo 5"), and otherwise only once the name
// has two words, the usual length of a Vietnamese street name ("duong
// bach dang bi ngap" gives "bach dang", "duong tran phu dang ngap" gives
// "tran phu").
func streetStops(toks []token, j, n int) bool {
	t := toks[j]
	lower := strings.ToLower(t.orig)
	if lower != t.folded {
		return accentedStreetStops[lower]
	}
	if !foldedStreetStops[t.folded] {
		return false
	}
	if streetStopHard[t.folded] {
		return true
	}
	if alleyWords[t.folded] && j+1 < len(toks) && startsWithDigit(toks[j+1].folded) {
		return true
	}
	return n >= 2
}

// streetCues are the words after which a house number and a lower-case
// name make an address ("ở 12 ngo quyen", "nhà 45 le loi").
var streetCues = map[string]bool{"o": true, "tai": true, "nha": true, "chi": true, "den": true, "toi": true}

// notStreetWords are words that follow a number without naming a street
// ("12 người", "3 ngày").
var notStreetWords = map[string]bool{
	"nguoi": true, "ngay": true, "gio": true, "thang": true, "nam": true, "lan": true, "cai": true,
	"con": true, "chiec": true, "ho": true, "km": true, "met": true, "m": true, "phut": true, "tuan": true,
	"trieu": true, "nghin": true, "ngan": true, "dong": true, "tieng": true, "tang": true, "can": true,
	"xe": true, "cay": true, "tuoi": true, "h": true, "k": true, "hom": true, "buoi": true, "dem": true,
	"ca": true, "lop": true, "hoc": true, "cot": true, "tru": true, "bong": true, "so": true,
}

var alleyWords = map[string]bool{"hem": true, "kiet": true, "ngo": true, "ngach": true}

// extractAddress reads the first house number ("số 12", "số nhà 45/3"),
// alley ("hẻm 45", "ngõ 12", "kiệt 34", "ngách 5") and street ("đường Trần
// Phú", "phố Huế", or a number followed by a capitalised name: "12 Tran
// Phu"). A street name runs up to four words and stops at punctuation, a
// number or a word that starts the next phrase.
func extractAddress(toks []token) *Address {
	var a Address
	for i := 0; i < len(toks); i++ {
		w := toks[i].folded
		switch {
		case a.Alley == "" && alleyWords[w] && i+1 < len(toks) && startsWithDigit(toks[i+1].folded):
			a.Alley = toks[i].orig + " " + toks[i+1].orig
			i++ // the alley number is no house number; a capitalised name after it is the street
			if a.Street == "" && i+1 < len(toks) && !toks[i+1].punct {
				a.Street = numberedStreet(toks, i)
			}
		case a.HouseNumber == "" && w == "so" && i+1 < len(toks):
			j := i + 1
			if toks[j].folded == "nha" && j+1 < len(toks) {
				j++
			}
			phoneLike := j+1 < len(toks) && startsWithDigit(toks[j+1].folded)
			if isHouseNumber(toks[j].folded) && !phoneLike {
				a.HouseNumber = toks[j].orig
			}
		case a.Street == "" && (w == "duong" || w == "pho") && i+1 < len(toks):
			a.Street = streetName(toks, i+1, false)
		case a.Street == "" && isHouseNumber(w) && i+1 < len(toks) && !toks[i+1].punct:
			if name := numberedStreet(toks, i); name != "" {
				a.Street = name
				if a.HouseNumber == "" {
					a.HouseNumber = toks[i].orig
				}
			}
		}
	}
	if a == (Address{}) {
		return nil
	}
	return &a
}

// numberedStreet returns the street named right after the house number
// toks[i]: a capitalised name of two words or more ("12 Tran Phu"), or,
// after a place cue, an alley word or at the start of the message, a
// lower-case one
// ("ở 12 ngo quyen", "12 le loi bi ngap") that does not start with a
// counted noun ("ở 12 người").
func numberedStreet(toks []token, i int) string {
	next := toks[i+1]
	if isCapitalized(next.orig) {
		if name := streetName(toks, i+1, true); strings.Contains(name, " ") {
			return name
		}
		return ""
	}
	cued := i == 0 || (streetCues[toks[i-1].folded] || alleyWords[toks[i-1].folded]) && !toks[i].punct
	if !cued || notStreetWords[next.folded] || startsWithDigit(next.folded) || next.folded == "duong" || next.folded == "pho" {
		return ""
	}
	if name := streetName(toks, i+1, false); strings.Contains(name, " ") {
		return name
	}
	return ""
}

// isPlain reports whether t is written without diacritics.
func isPlain(t token) bool { return strings.ToLower(t.orig) == t.folded }

// streetName collects the words of a street name starting at toks[i].
// Numbers belong to a name only in dates such as "30 tháng 4". A name
// that starts with a capital ends at the first word without one.
func streetName(toks []token, i int, capitalizedOnly bool) string {
	if i < len(toks) && isCapitalized(toks[i].orig) {
		capitalizedOnly = true // "đường Lê Lợi mất điện": the name ends with its capitals
	}
	// A lower-case name typed without diacritics ends where accented words
	// start ("le loi mất điện"), once it has two words: "thanh bình" is
	// one name whose first syllable has no mark.
	plain := i < len(toks) && !capitalizedOnly && isPlain(toks[i]) && !startsWithDigit(toks[i].folded)
	var parts []string
	for j := i; j < len(toks) && len(parts) < 4; j++ {
		t := toks[j]
		if j > i && t.punct || streetStops(toks, j, len(parts)) || capitalizedOnly && !isCapitalized(t.orig) {
			break
		}
		if plain && len(parts) >= 2 && !isPlain(t) && !startsWithDigit(t.folded) {
			break
		}
		if startsWithDigit(t.folded) {
			dateStart := len(parts) == 0 && j+1 < len(toks) && toks[j+1].folded == "thang"
			monthNumber := j > i && toks[j-1].folded == "thang"
			if !dateStart && !monthNumber {
				break
			}
		}
		parts = append(parts, t.orig)
	}
	return strings.Join(parts, " ")
}

// isHouseNumber accepts "12", "12a", "45/3", "45/3B": at most four digits
// before any slash.
func isHouseNumber(w string) bool {
	if !startsWithDigit(w) || strings.ContainsAny(w, ":.") || len(w) > 10 {
		return false
	}
	lead := 0
	for _, r := range w {
		if !unicode.IsDigit(r) {
			break
		}
		lead++
	}
	if lead > 4 {
		return false
	}
	for _, r := range w {
		if !unicode.IsDigit(r) && r != '/' && !unicode.IsLetter(r) {
			return false
		}
	}
	return !strings.HasSuffix(w, "h") && !strings.Contains(w, "h")
}

func isCapitalized(s string) bool {
	for _, r := range s {
		return unicode.IsUpper(r)
	}
	return false
}

// unitPrefixes are administrative words dropped from unit names before
// matching, so "Phường Bến Nghé", "P. Bến Nghé" and "Bến Nghé" are one name.
var unitPrefixes = []string{"thi tran", "thi xa", "phuong", "xa", "quan", "huyen", "tt", "p", "x", "q"}

// matchUnits finds the units of the gazetteer named in the text. Matching
// ignores diacritics and case; a word of five letters or more may have one
// typo (edit distance 1). Aliases match like names, so old names still
// find the current unit. A name right after "đường" or "phố" is a street,
// not a unit. Exact matches win over fuzzy ones on the same words, and
// longer names over shorter ones ("Hòa Cường Bắc" before "Hòa Cường").
func matchUnits(toks []token, units []Unit) []UnitMatch {
	type candidate struct {
		unit  *Unit
		alias bool
		words []string
	}
	var cands []candidate
	for i := range units {
		u := &units[i]
		for k, name := range append([]string{u.Name}, u.Aliases...) {
			if words := unitWords(name); len(words) > 0 {
				cands = append(cands, candidate{u, k > 0, words})
			}
		}
	}
	sort.SliceStable(cands, func(a, b int) bool { return len(cands[a].words) > len(cands[b].words) })
	var out []UnitMatch
	used := make([]bool, len(toks))
	for _, fuzzy := range []bool{false, true} {
		for _, c := range cands {
			if hasCode(out, c.unit.Code) {
				continue
			}
			if i, ok := findWords(toks, c.words, fuzzy, used); ok {
				for j := i; j < i+len(c.words); j++ {
					used[j] = true
				}
				out = append(out, UnitMatch{Code: c.unit.Code, Name: c.unit.Name, Text: spanText(toks, i, len(c.words)), Alias: c.alias, Fuzzy: fuzzy})
			}
		}
	}
	return out
}

func hasCode(list []UnitMatch, code string) bool {
	for _, m := range list {
		if m.Code == code {
			return true
		}
	}
	return false
}

// unitWords folds a unit name and drops its administrative prefix.
func unitWords(name string) []string {
	words := strings.FieldsFunc(strings.ToLower(Fold(name)), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, p := range unitPrefixes {
		pw := strings.Fields(p)
		if len(words) > len(pw) && strings.Join(words[:len(pw)], " ") == p {
			return words[len(pw):]
		}
	}
	return words
}

// findWords returns where words occur in toks, exactly or (fuzzy) with at
// most one word of five letters or more off by one edit.
func findWords(toks []token, words []string, fuzzy bool, used []bool) (int, bool) {
	for i := 0; i+len(words) <= len(toks); i++ {
		if i > 0 && (toks[i-1].folded == "duong" || toks[i-1].folded == "pho") {
			continue
		}
		typos, ok := 0, true
		for k, w := range words {
			t := toks[i+k].folded
			if used[i+k] {
				ok = false
				break
			}
			if t == w {
				continue
			}
			if fuzzy && len(w) >= 5 && len(t) >= 4 && editDistanceAtMost1(t, w) {
				typos++
				continue
			}
			ok = false
			break
		}
		if ok && (typos == 0 && !fuzzy || typos == 1 && fuzzy) {
			return i, true
		}
	}
	return 0, false
}

// editDistanceAtMost1 reports whether a and b differ by at most one
// insertion, deletion, substitution or swap of adjacent letters (the
// optimal-string-alignment distance).
func editDistanceAtMost1(a, b string) bool {
	return osaDistance([]rune(a), []rune(b)) <= 1
}

func osaDistance(a, b []rune) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
