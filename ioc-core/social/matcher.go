package social

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ioc1022/ioc1022/ioc-core/refdata"
)

// Matcher finds many terms in a text in one pass (Aho-Corasick over folded bytes). Terms
// and text are folded (lower case, no diacritics, đ as d, spaces collapsed), so "ngập
// lụt", "Ngap Lut" and "ngập  lụt" match alike. A match must start and end at word
// boundaries. A Matcher is read-only once built: Find is safe for concurrent use.
type Matcher struct {
	next  []map[byte]int32 // goto function per state, while building
	fail  []int32
	out   [][]int32 // term indexes ending at each state (including by failure links)
	terms []string  // folded terms, by index

	// The goto function as read by Find: the root's 256 transitions in a table (0 is the
	// root itself), every other state's edges sorted by byte in one array, state s owning
	// edges[first[s]:first[s+1]]. Compact arrays keep big rule sets in cache.
	root  [256]int32
	first []int32
	edges []edge
}

// edge is a transition of the automaton on byte b.
type edge struct {
	b  byte
	to int32
}

// NewMatcher builds a matcher of terms; empty terms (after folding) are ignored. The
// index of a term in terms is the one Find reports.
func NewMatcher(terms []string) *Matcher {
	m := &Matcher{next: []map[byte]int32{{}}, fail: []int32{0}, out: [][]int32{nil}, terms: make([]string, len(terms))}
	for i, t := range terms {
		f := FoldText(t)
		m.terms[i] = f
		if f == "" {
			continue
		}
		s := int32(0)
		for j := 0; j < len(f); j++ {
			n, ok := m.next[s][f[j]]
			if !ok {
				n = int32(len(m.next))
				m.next = append(m.next, map[byte]int32{})
				m.fail = append(m.fail, 0)
				m.out = append(m.out, nil)
				m.next[s][f[j]] = n
			}
			s = n
		}
		m.out[s] = append(m.out[s], int32(i))
	}
	m.link()
	m.freeze()
	return m
}

// freeze turns the building maps into the compact goto function.
func (m *Matcher) freeze() {
	for b, n := range m.next[0] {
		m.root[b] = n
	}
	m.first = make([]int32, len(m.next)+1)
	for s, kids := range m.next {
		m.first[s] = int32(len(m.edges))
		if s == 0 {
			continue
		}
		start := len(m.edges)
		for b, n := range kids {
			m.edges = append(m.edges, edge{b, n})
		}
		slices.SortFunc(m.edges[start:], func(x, y edge) int { return int(x.b) - int(y.b) })
	}
	m.first[len(m.next)] = int32(len(m.edges))
	m.next = nil
}

// step follows the goto function from state s on byte b; ok is false when there is none
// (the root has a transition on every byte: to itself).
func (m *Matcher) step(s int32, b byte) (int32, bool) {
	if s == 0 {
		return m.root[b], true
	}
	for _, e := range m.edges[m.first[s]:m.first[s+1]] {
		if e.b >= b {
			return e.to, e.b == b
		}
	}
	return 0, false
}

// advance is one Aho-Corasick move: the goto function, else the failure links.
func (m *Matcher) advance(s int32, b byte) int32 {
	for {
		if n, ok := m.step(s, b); ok {
			return n
		}
		s = m.fail[s]
	}
}

// link computes the failure links breadth first and merges the outputs along them.
func (m *Matcher) link() {
	queue := make([]int32, 0, len(m.next))
	for _, n := range m.next[0] {
		queue = append(queue, n)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for b, n := range m.next[s] {
			queue = append(queue, n)
			f := m.fail[s]
			for {
				if t, ok := m.next[f][b]; ok && t != n {
					m.fail[n] = t
					break
				}
				if f == 0 {
					break
				}
				f = m.fail[f]
			}
			m.out[n] = append(m.out[n], m.out[m.fail[n]]...)
		}
	}
}

// Len is the number of terms the matcher was built with.
func (m *Matcher) Len() int { return len(m.terms) }

// Find returns the indexes of the terms occurring in folded (a text already passed
// through FoldText), each once, in order of first occurrence.
func (m *Matcher) Find(folded string) []int {
	var hits []int
	var seen map[int32]bool
	s := int32(0)
	for i := 0; i < len(folded); i++ {
		s = m.advance(s, folded[i])
		for _, t := range m.out[s] {
			start := i + 1 - len(m.terms[t])
			if !boundary(folded, start-1) || !boundary(folded, i+1) {
				continue
			}
			if seen == nil {
				seen = map[int32]bool{}
			}
			if !seen[t] {
				seen[t] = true
				hits = append(hits, int(t))
			}
		}
	}
	return hits
}

// Span is one occurrence of a term in a folded text: bytes [Start, End).
type Span struct {
	Term       int
	Start, End int
}

// Spans returns every occurrence of every term in folded (a text already passed through
// FoldText), at word boundaries, ordered by end then by start.
func (m *Matcher) Spans(folded string) []Span {
	var spans []Span
	s := int32(0)
	for i := 0; i < len(folded); i++ {
		s = m.advance(s, folded[i])
		for _, t := range m.out[s] {
			start := i + 1 - len(m.terms[t])
			if boundary(folded, start-1) && boundary(folded, i+1) {
				spans = append(spans, Span{Term: int(t), Start: start, End: i + 1})
			}
		}
	}
	return spans
}

// Longest keeps, of overlapping spans, the longest (the leftmost among equals), so that
// "Hòa Hiệp Bắc" is not also read as "Hòa Hiệp". The result is ordered by start.
func Longest(spans []Span) []Span {
	sorted := slices.Clone(spans)
	slices.SortStableFunc(sorted, func(a, b Span) int {
		if d := (b.End - b.Start) - (a.End - a.Start); d != 0 {
			return d
		}
		return a.Start - b.Start
	})
	var kept []Span
	for _, sp := range sorted {
		if !slices.ContainsFunc(kept, func(k Span) bool { return sp.Start < k.End && k.Start < sp.End }) {
			kept = append(kept, sp)
		}
	}
	slices.SortFunc(kept, func(a, b Span) int { return a.Start - b.Start })
	return kept
}

// boundary reports whether position i of s (−1 or len(s) included) is not inside a word.
func boundary(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	c := s[i]
	if c < utf8.RuneSelf {
		return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_')
	}
	// A multi-byte rune: find its start and judge the rune.
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// FoldText is the form every matcher and fingerprint reads: refdata.Fold (lower case, no
// diacritics) with every run of non-letters and non-digits made one space.
func FoldText(s string) string {
	f := refdata.Fold(s)
	var b strings.Builder
	b.Grow(len(f))
	space := true
	for _, r := range f {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}
