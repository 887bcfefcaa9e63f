package faq

import (
	"math"
	"sort"
	"strings"

	"github.com/ioc1022/ioc1022/chatbot/nlu"
)

// BM25 parameters: term-frequency saturation and length normalisation.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// stopwords are folded words that say nothing about which procedure a question is about:
// question words, pronouns and politeness. They are dropped from queries and entries alike.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a ah ak ad ạ toi minh em anh chi ban co khong cho hoi xin vui long
		lam sao the nao nhu gi nhung can phai thi la va o dau duoc muon biet giup voi ve cua nay do
		nao bao lau khi nhe nha oi vay roi chua se dang da mot cac nhieu it hay hoac neu con ma de
		tai tu den toi cung ra vao len xuong the thu duoc ?`) {
		stopwords[w] = true
	}
}

// terms returns the folded content words of text and the bigrams of neighbouring content
// words ("khai sinh", "kinh doanh"), through the classifier's normalisation: accents,
// teen-code and abbreviations ("cccd", "dkkd") do not change the terms.
func terms(text string) []string {
	var words []string
	for _, w := range nlu.Normalize(text).FoldedTokens() {
		if !stopwords[w] {
			words = append(words, w)
		}
	}
	out := append([]string(nil), words...)
	for i := 1; i < len(words); i++ {
		out = append(out, words[i-1]+"_"+words[i])
	}
	return out
}

// document is one entry as the index sees it.
type document struct {
	entry Entry
	tf    map[string]int
	len   int
}

// Index ranks entries for a question with BM25 over the folded terms of each entry's
// question, alternative wordings and keywords. It is read-only once built and safe for
// concurrent use.
type Index struct {
	docs  []document
	df    map[string]int
	avgdl float64
}

// NewIndex indexes entries. The answer text is not indexed: questions are matched against
// how citizens ask, not against what the answer happens to mention.
func NewIndex(entries []Entry) *Index {
	ix := &Index{df: map[string]int{}}
	total := 0
	for _, e := range entries {
		d := document{entry: e, tf: map[string]int{}}
		text := e.Question + "\n" + strings.Join(e.Variants, "\n") + "\n" + strings.Join(e.Keywords, " ")
		for _, t := range terms(text) {
			if d.tf[t] == 0 {
				ix.df[t]++
			}
			d.tf[t]++
			d.len++
		}
		total += d.len
		ix.docs = append(ix.docs, d)
	}
	if len(ix.docs) > 0 {
		ix.avgdl = float64(total) / float64(len(ix.docs))
	}
	return ix
}

// Match is an entry found for a question.
type Match struct {
	Entry Entry `json:"entry"`
	// Score is the BM25 score; Confidence is the share of the question's information (the
	// IDF weight of its content terms) that the entry covers, from 0 to 1, lowered when the
	// runner-up covers almost as much.
	Score      float64 `json:"score"`
	Confidence float64 `json:"confidence"`
}

// idf is the BM25 inverse document frequency; a term no entry has gets the highest value,
// so an unknown word in a question weighs against every entry.
func (ix *Index) idf(t string) float64 {
	n := float64(len(ix.docs))
	df := float64(ix.df[t])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// Search returns up to limit entries for question, best first. Entries with no term in
// common are left out.
func (ix *Index) Search(question string, limit int) []Match {
	q := terms(question)
	if len(q) == 0 || len(ix.docs) == 0 {
		return nil
	}
	var want float64
	seen := map[string]bool{}
	for _, t := range q {
		if !seen[t] {
			seen[t] = true
			want += ix.idf(t)
		}
	}
	var out []Match
	for _, d := range ix.docs {
		var score, covered float64
		for t := range seen {
			tf := float64(d.tf[t])
			if tf == 0 {
				continue
			}
			idf := ix.idf(t)
			covered += idf
			score += idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(d.len)/ix.avgdl))
		}
		if score > 0 {
			out = append(out, Match{Entry: d.entry, Score: score, Confidence: covered / want})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > 1 && out[0].Confidence > 0 {
		// Two entries that explain the question equally well: neither is a sure answer.
		gap := (out[0].Confidence - out[1].Confidence) / out[0].Confidence
		if gap < 0.1 {
			out[0].Confidence *= 0.5 + 5*gap
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
