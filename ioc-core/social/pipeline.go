package social

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Categorizer gives the category of a text (a refdata category code) and its confidence;
// the binary wires the chatbot's model, which ioc-core may not import. An empty category
// means none.
type Categorizer interface {
	Categorize(text string) (category string, confidence float64)
}

// SentimentClassifier labels a text negative, neutral or positive.
type SentimentClassifier interface {
	Classify(text string) Sentiment
}

// Analyzer runs the analysis of one item: keyword rules, sentiment, category, places and
// terms. Its rule set and gazetteer are swapped atomically when they change; it is safe
// for concurrent use.
type Analyzer struct {
	rules     atomic.Pointer[RuleSet]
	gazetteer atomic.Pointer[Gazetteer]
	Sentiment SentimentClassifier
	Category  Categorizer // optional
}

// NewAnalyzer returns an analyzer with no rules and no gazetteer.
func NewAnalyzer(s SentimentClassifier) *Analyzer {
	a := &Analyzer{Sentiment: s}
	a.rules.Store(CompileRules(nil))
	return a
}

// SetRules replaces the keyword rules.
func (a *Analyzer) SetRules(rs *RuleSet) { a.rules.Store(rs) }

// SetGazetteer replaces the gazetteer.
func (a *Analyzer) SetGazetteer(g *Gazetteer) { a.gazetteer.Store(g) }

// maxTerms is how many distinct terms of an item are kept for topics and alert context.
const maxTerms = 24

// Analyze fills the analysis fields of it from its title and text.
func (a *Analyzer) Analyze(it *Item) {
	text := it.Text
	if it.Title != "" {
		text = it.Title + ". " + it.Text
	}
	folded := FoldText(text)
	it.SimHash = int64(SimHash(folded))
	it.Bands = bandsOf(uint64(it.SimHash))
	it.Keywords = a.rules.Load().Match(folded)
	it.Rules = nil
	for _, k := range it.Keywords {
		it.Rules = append(it.Rules, k.Rule)
	}
	it.Sentiment = a.Sentiment.Classify(text)
	if a.Category != nil {
		it.Category, it.CatScore = a.Category.Categorize(text)
	}
	it.Places, it.Wards = a.gazetteer.Load().Find(folded)
	var terms []string
	words := Tokens(folded)
	it.words = len(words)
	for _, w := range words {
		if !slices.Contains(terms, w) {
			terms = append(terms, w)
			if len(terms) == maxTerms {
				break
			}
		}
	}
	it.Terms = terms
}

// Result is what became of one incoming item.
type Result struct {
	Status string            `json:"status"` // stored, duplicate, near_duplicate or invalid
	ID     string            `json:"id,omitempty"`
	Of     string            `json:"of,omitempty"` // the item it duplicates
	Fields map[string]string `json:"fields,omitempty"`
}

// The statuses of Result.
const (
	StatusStored        = "stored"
	StatusDuplicate     = "duplicate"
	StatusNearDuplicate = "near_duplicate"
	StatusInvalid       = "invalid"
)

// minNearDupWords is the length under which texts are not compared by fingerprint: short
// comments ("đồng ý", "cảm ơn") are alike without being the same item.
const minNearDupWords = 8

// Ingest normalises, deduplicates, analyses and stores items from source; every item
// reported stored is durable (and analysed) when it returns. Each item is judged alone: an
// invalid one is reported and the others are stored. Items are analysed in parallel, then
// the batch is deduplicated and stored in one insert under the module's write lock, and
// the topic projection is updated once per topic of the batch (see projection.go). Until the
// start-up load is done it stores nothing and answers httpapi.Loading.
func (m *Module) Ingest(ctx context.Context, source, kind string, items []Incoming) ([]Result, error) {
	if !m.isLoaded() {
		return nil, errLoading
	}
	now := m.now()
	out := make([]Result, len(items))
	cands := make([]*Item, len(items))
	for i := range items {
		in := &items[i]
		if bad := in.check(now); bad != nil {
			out[i] = Result{Status: StatusInvalid, Fields: bad}
			continue
		}
		cands[i] = newItem(source, kind, in, now)
	}
	m.analyseAll(cands)
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	return m.storeBatchLocked(ctx, items, cands, out)
}

// newItem makes the stored form of a checked incoming item, before analysis.
func newItem(source, kind string, in *Incoming, now time.Time) *Item {
	it := &Item{ID: bson.NewObjectID().Hex(), Source: source, Kind: kind, ExternalID: in.ID, URL: in.URL, Parent: in.Parent,
		Title: in.Title, Text: in.Text, Author: in.Author, PublishedAt: in.PublishedAt.UTC(), SeenAt: now, Reach: in.Reach, Version: 1}
	it.URLKey = source + "#" + in.ID
	if in.URL != "" {
		it.URLKey = CanonicalURL(in.URL)
	}
	return it
}

// analyseAll analyses the non-nil items on every core. Items whose URL key is already
// known to the in-process index are skipped: they will be reported as duplicates.
func (m *Module) analyseAll(items []*Item) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(items)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(items); i = int(next.Add(1) - 1) {
				it := items[i]
				if it == nil {
					continue
				}
				if m.dedup != nil {
					if _, known := m.dedup.url(it.URLKey); known {
						continue
					}
				}
				m.analyzer.Analyze(it)
				it.analysed = true
			}
		})
	}
	wg.Wait()
}
