package nlu

import (
	"slices"
	"strings"
	"unicode"
)

// vocabulary maps the hashes of features seen often enough in training to
// embedding rows. Row 0 stands for every other feature: unseen words then
// share one learned "unknown" vector instead of colliding with known ones.
type vocabulary map[uint64]int32

// buildVocabulary keeps the features found in at least minCount examples
// and numbers them from 1 in hash order, so the same data gives the same rows.
func buildVocabulary(examples [][]uint64, minCount int) vocabulary {
	count := map[uint64]int{}
	for _, hs := range examples {
		for _, h := range hs {
			count[h]++
		}
	}
	kept := make([]uint64, 0, len(count))
	for h, c := range count {
		if c >= minCount {
			kept = append(kept, h)
		}
	}
	slices.Sort(kept)
	v := make(vocabulary, len(kept))
	for i, h := range kept {
		v[h] = int32(i + 1)
	}
	return v
}

// charFeatureBit is set in the hash of every character n-gram and clear in
// every other feature's. Rows are numbered in hash order, so the rows of
// character n-grams all come after the rows of word-level features, and
// the network can pool the two kinds separately (see network.hidden).
const charFeatureBit = 1 << 63

// charFrom returns the first row of a character n-gram: every row below it
// is the unknown row or a word-level feature.
func (v vocabulary) charFrom() int {
	n := 1
	for h := range v {
		if h&charFeatureBit == 0 {
			n++
		}
	}
	return n
}

// rows returns the sorted, distinct embedding rows of the given features.
func (v vocabulary) rows(hashes []uint64) []int {
	out := make([]int, 0, len(hashes))
	for _, h := range hashes {
		out = append(out, int(v[h]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Feature kinds, hashed together with the feature text so that a word and
// a character n-gram never share a name.
const (
	featWord     = 'w' // diacritic-free token
	featBigram   = 'b' // two diacritic-free tokens
	featTrigram  = 't' // three diacritic-free tokens
	featAccented = 'a' // accented token, only when it differs from its folded form
	featChar     = 'c' // character 3- and 4-grams of a diacritic-free word
	featEdge     = 'e' // first and last words, where Vietnamese puts question and request markers
	featAsk      = 'q' // a question or procedure word anywhere in the message, repeated (see addAskCues)
)

// featureHashes returns the sorted, distinct 64-bit hashes of the features
// of a normalised message. The diacritic-free form carries every kind of
// feature, so a message typed without accents gets the same features as the
// accented one except the few accented-word ones.
func featureHashes(n Normalized) []uint64 {
	folded := n.FoldedTokens()
	accented := n.Tokens()
	words := make([]string, 0, len(folded)+2)
	words = append(words, "<s>")
	for _, t := range folded {
		words = append(words, tokenShape(t))
	}
	words = append(words, "</s>")

	ids := make([]uint64, 0, 8*len(words))
	add := func(kind byte, parts ...string) {
		h := hashFeature(kind, parts) &^ charFeatureBit
		if kind == featChar {
			h |= charFeatureBit
		}
		ids = append(ids, h)
	}
	for i, w := range words {
		if i > 0 && i < len(words)-1 {
			add(featWord, w)
			addCharGrams(w, add)
		}
		if i > 0 {
			add(featBigram, words[i-1], w)
		}
		if i > 1 {
			add(featTrigram, words[i-2], words[i-1], w)
		}
	}
	if inner := words[1 : len(words)-1]; len(inner) > 0 {
		add(featEdge, "^", inner[0])
		add(featEdge, "$", inner[len(inner)-1])
		if len(inner) > 1 {
			add(featEdge, "^", inner[0], inner[1])
			add(featEdge, "$", inner[len(inner)-2], inner[len(inner)-1])
		}
		addQuestionCues(inner, add)
		addAskCues(inner, add)
	}
	if len(accented) == len(folded) {
		for i, a := range accented {
			if a != folded[i] {
				add(featAccented, a)
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// tokenShape replaces tokens that hold digits by their shape, since the
// exact number never tells the intent but its shape does: a ticket code
// or a phone number says "check status" or "call me back".
func tokenShape(t string) string {
	var letters, digits, slashes, colons int
	for _, r := range t {
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsLetter(r):
			letters++
		case r == '/':
			slashes++
		case r == ':':
			colons++
		}
	}
	switch {
	case digits == 0:
		return t
	case letters >= 2 && digits >= 4:
		return "#code"
	case letters > 0:
		return "#alnum" // 8h30, 12a, 5k
	case slashes > 0:
		return "#date"
	case colons > 0:
		return "#clock"
	case digits >= 9:
		return "#phone"
	case digits >= 5:
		return "#longnum"
	default:
		return "#num"
	}
}

// addCharGrams adds the character 3- and 4-grams of a word padded with
// boundary marks, for tolerance to typos and missing letters.
func addCharGrams(w string, add func(kind byte, parts ...string)) {
	if strings.HasPrefix(w, "#") || w == "?" || w == "!" {
		return
	}
	padded := []rune("<" + w + ">")
	for n := 3; n <= 4; n++ {
		for i := 0; i+n <= len(padded); i++ {
			add(featChar, string(padded[i:i+n]))
		}
	}
}

// hashFeature is 64-bit FNV-1a over the kind and the parts, with a
// separator between parts.
func hashFeature(kind byte, parts []string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	h = (h ^ uint64(kind)) * prime
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h = (h ^ uint64(p[i])) * prime
		}
		h = (h ^ 0xff) * prime
	}
	return h
}

// trailingParticles are polite or emphatic words that end a Vietnamese
// sentence without changing what it asks ("... không ạ", "... vậy chị").
var trailingParticles = map[string]bool{
	"a": true, "vay": true, "nhi": true, "ha": true, "nhe": true, "the": true, "chi": true,
	"anh": true, "em": true, "admin": true, "?": true, "!": true, "nha": true, "ban": true,
	"voi": true, "ah": true, "oi": true, "nhen": true, "hen": true, "day": true, "ta": true,
}

// addQuestionCues adds the last words of the message once its trailing
// particles are stripped, and whether it has the "có ... không" or
// "... chưa" shape of a yes/no question.
func addQuestionCues(words []string, add func(kind byte, parts ...string)) {
	end := len(words)
	for end > 0 && trailingParticles[words[end-1]] {
		end--
	}
	if end == 0 {
		return
	}
	last := words[end-1]
	add(featEdge, "q", last)
	if end > 1 {
		add(featEdge, "q", words[end-2], last)
	}
	if last == "khong" || last == "chua" {
		for _, w := range words[:end-1] {
			if w == "co" || w == "duoc" || w == "phai" || w == "can" || w == "bi" {
				add(featEdge, "yn", w, last)
			}
		}
	}
}

// askWords are the diacritic-free words and word pairs that make a message
// a question about a procedure or a piece of information wherever they
// stand in it; askPairs are matched on two consecutive words.
var (
	askWords = map[string]bool{
		"gi": true, "dau": true, "nao": true, "sao": true, "may": true, "hoi": true,
		"huong": true, "thu": true, "bao": true, "the": true, "khong": true, "chua": true,
		"can": true, "muon": true, "ai": true, "?": true,
	}
	askPairs = map[[2]string]bool{
		{"o", "dau"}: true, {"the", "nao"}: true, {"bao", "nhieu"}: true, {"bao", "lau"}: true,
		{"lam", "sao"}: true, {"ra", "sao"}: true, {"khi", "nao"}: true, {"cho", "hoi"}: true,
		{"thu", "tuc"}: true, {"huong", "dan"}: true, {"giay", "to"}: true, {"ho", "so"}: true,
		{"can", "gi"}: true, {"duoc", "khong"}: true, {"co", "phai"}: true, {"bao", "gio"}: true,
		{"lien", "he"}: true, {"nop", "o"}: true, {"muon", "biet"}: true, {"xin", "hoi"}: true,
		{"phan", "anh"}: true, {"kien", "nghi"}: true, {"de", "nghi"}: true, {"bi", "hu"}: true,
	}
)

// askRepeat is how many distinct features each ask cue becomes. The
// network averages its features, and a long message has a hundred or more
// (character n-grams above all), so a single question word would weigh
// almost nothing against the topic words that reports and questions share;
// repeating the cue under distinct names gives it a fixed share of the bag.
const askRepeat = 4

// addAskCues adds the ask words and pairs found anywhere in the message,
// each askRepeat times. The pairs include the report markers ("phản ánh",
// "đề nghị") so both sides of the report/question boundary are weighted.
func addAskCues(words []string, add func(kind byte, parts ...string)) {
	seen := map[string]bool{}
	emit := func(cue string) {
		if seen[cue] {
			return
		}
		seen[cue] = true
		for r := 0; r < askRepeat; r++ {
			add(featAsk, cue, string(rune('0'+r)))
		}
	}
	for i, w := range words {
		if askWords[w] {
			emit(w)
		}
		if i > 0 && askPairs[[2]string{words[i-1], w}] {
			emit(words[i-1] + "_" + w)
		}
	}
}
