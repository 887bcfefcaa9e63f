package nlu

import (
	"slices"
	"strings"
	"unicode"
)

// Feature kinds, hashed together with the feature text so that a word and
// a character n-gram never share a name.
const (
	featWord     = 'w' // diacritic-free token
	featBigram   = 'b' // two diacritic-free tokens
	featTrigram  = 't' // three diacritic-free tokens
	featAccented = 'a' // accented token, only when it differs from its folded form
	featChar     = 'c' // character 3- and 4-grams of a diacritic-free word
	featEdge     = 'e' // first and last words, where Vietnamese puts question and request markers
)

// featureIDs returns the sorted, distinct hashed feature buckets of a
// normalised message. The diacritic-free form carries every kind of feature,
// so a message typed without accents gets the same features as the accented
// one except the few accented-word ones.
func featureIDs(n Normalized, buckets int) []int {
	folded := n.FoldedTokens()
	accented := n.Tokens()
	words := make([]string, 0, len(folded)+2)
	words = append(words, "<s>")
	for _, t := range folded {
		words = append(words, tokenShape(t))
	}
	words = append(words, "</s>")

	ids := make([]int, 0, 8*len(words))
	add := func(kind byte, parts ...string) {
		ids = append(ids, int(hashFeature(kind, parts)%uint64(buckets)))
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
