package social

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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
	for _, w := range Tokens(folded) {
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

// Ingest normalises, deduplicates, analyses and stores items from source. Each item is
// judged alone: an invalid one is reported and the others are stored.
func (m *Module) Ingest(ctx context.Context, source, kind string, items []Incoming) ([]Result, error) {
	out := make([]Result, len(items))
	now := m.now()
	for i := range items {
		r, err := m.ingestOne(ctx, source, kind, &items[i], now)
		if err != nil {
			return out[:i], err
		}
		out[i] = r
	}
	return out, nil
}

func (m *Module) ingestOne(ctx context.Context, source, kind string, in *Incoming, now time.Time) (Result, error) {
	if bad := in.check(now); bad != nil {
		return Result{Status: StatusInvalid, Fields: bad}, nil
	}
	it := &Item{ID: bson.NewObjectID().Hex(), Source: source, Kind: kind, ExternalID: in.ID, URL: in.URL, Parent: in.Parent,
		Title: in.Title, Text: in.Text, Author: in.Author, PublishedAt: in.PublishedAt.UTC(), SeenAt: now, Reach: in.Reach, Version: 1}
	it.URLKey = source + "#" + in.ID
	if in.URL != "" {
		it.URLKey = CanonicalURL(in.URL)
	}
	if dup, err := m.byURLKey(ctx, it.URLKey); err != nil || dup != nil {
		if err != nil {
			return Result{}, err
		}
		return m.duplicate(ctx, dup, StatusDuplicate, in.Reach)
	}
	m.analyzer.Analyze(it)
	if len(Tokens(FoldText(it.Title+" "+it.Text))) >= minNearDupWords {
		near, err := m.nearDuplicate(ctx, it)
		if err != nil {
			return Result{}, err
		}
		if near != nil {
			return m.duplicate(ctx, near, StatusNearDuplicate, nil)
		}
	}
	topic, created := m.topics.assign(it.Terms, it.PublishedAt)
	it.Topic = topic
	if _, err := m.st.C(ItemsCollection).InsertOne(ctx, it); err != nil {
		if store.IsDuplicate(err) { // stored meanwhile by another poller or node
			dup, err := m.storedByURLKey(ctx, it.URLKey)
			if err != nil || dup == nil {
				return Result{}, errors.Join(fmt.Errorf("reload duplicate %s", it.URLKey), err)
			}
			return Result{Status: StatusDuplicate, ID: dup.ID, Of: dup.ID}, nil
		}
		return Result{}, fmt.Errorf("store item: %w", err)
	}
	if m.dedup != nil {
		m.dedup.add(it, time.Time{})
	}
	if err := m.countTopic(ctx, it, created); err != nil {
		return Result{}, err
	}
	m.ingested.Add(1)
	return Result{Status: StatusStored, ID: it.ID}, nil
}

func (m *Module) byURLKey(ctx context.Context, key string) (*Item, error) {
	if m.dedup != nil {
		if id, ok := m.dedup.url(key); ok {
			return &Item{ID: id}, nil
		}
		return nil, nil
	}
	return m.storedByURLKey(ctx, key)
}

// storedByURLKey looks an item up by URL key in the store.
func (m *Module) storedByURLKey(ctx context.Context, key string) (*Item, error) {
	var it Item
	err := m.st.C(ItemsCollection).FindOne(ctx, bson.M{"url_key": key}, options.FindOne().SetProjection(bson.M{"_id": 1, "reach": 1})).Decode(&it)
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up item by url: %w", err)
	}
	return &it, nil
}

// nearDuplicate returns a stored item of the last 30 days whose SimHash is within the
// configured distance of it's.
func (m *Module) nearDuplicate(ctx context.Context, it *Item) (*Item, error) {
	if m.dedup != nil {
		if id, ok := m.dedup.near(it, m.cfg.NearDuplicate); ok {
			return &Item{ID: id}, nil
		}
		return nil, nil
	}
	cur, err := m.st.C(ItemsCollection).Find(ctx, bson.M{"bands": bson.M{"$in": it.Bands}, "at": bson.M{"$gte": it.PublishedAt.Add(-30 * 24 * time.Hour)}},
		options.Find().SetProjection(bson.M{"_id": 1, "simhash": 1}).SetLimit(200))
	if err != nil {
		return nil, fmt.Errorf("near-duplicate lookup: %w", err)
	}
	var cands []Item
	if err := cur.All(ctx, &cands); err != nil {
		return nil, fmt.Errorf("near-duplicate lookup: %w", err)
	}
	for i := range cands {
		if Hamming(uint64(cands[i].SimHash), uint64(it.SimHash)) <= m.cfg.NearDuplicate {
			return &cands[i], nil
		}
	}
	return nil, nil
}

// duplicate counts a repeat of dup and refreshes its reach when the repeat carries newer
// figures (a poll of the same post later).
func (m *Module) duplicate(ctx context.Context, dup *Item, status string, reach *Reach) (Result, error) {
	u := bson.M{"$inc": bson.M{"duplicates": 1}}
	if reach != nil {
		u["$set"] = bson.M{"reach": reach}
	}
	if _, err := m.st.C(ItemsCollection).UpdateByID(ctx, dup.ID, u); err != nil {
		return Result{}, fmt.Errorf("count duplicate of %s: %w", dup.ID, err)
	}
	return Result{Status: status, ID: dup.ID, Of: dup.ID}, nil
}

// countTopic adds an item to its topic's stored figures.
func (m *Module) countTopic(ctx context.Context, it *Item, created bool) error {
	if it.Topic == "" {
		return nil
	}
	inc := bson.M{"items": 1, "sentiment." + it.Sentiment.Label: 1}
	for _, t := range it.Terms {
		inc["term_counts."+t] = 1
	}
	for _, w := range it.Wards {
		inc["wards."+w] = 1
	}
	set := bson.M{"last_at": it.PublishedAt}
	if created {
		set["first_at"] = it.PublishedAt
	}
	_, err := m.st.C(TopicsCollection).UpdateByID(ctx, it.Topic, bson.M{"$inc": inc, "$set": set}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("count topic %s: %w", it.Topic, err)
	}
	return nil
}
