package social

import (
	"math"
	"sort"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Topic is a cluster of items about one thing, as a leader sees it: "20 posts about
// flooding in one ward" is one topic with its top terms.
type Topic struct {
	ID        string           `bson:"_id" json:"id"`
	Label     string           `bson:"label" json:"label"` // its top three terms
	TopTerms  []TermCount      `bson:"-" json:"top_terms"`
	TermCount map[string]int   `bson:"term_counts" json:"-"`
	Items     int              `bson:"items" json:"items"`
	Sentiment map[string]int   `bson:"sentiment" json:"sentiment"`
	Wards     map[string]int   `bson:"wards,omitempty" json:"wards,omitempty"`
	FirstAt   time.Time        `bson:"first_at" json:"first_at"`
	LastAt    time.Time        `bson:"last_at" json:"last_at"`
	Extra     map[string]int64 `bson:"-" json:"-"`
}

// TermCount is a term and how many items of a topic hold it.
type TermCount struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

// topTerms returns the n most frequent terms, ties by term.
func topTerms(counts map[string]int, n int) []TermCount {
	out := make([]TermCount, 0, len(counts))
	for t, c := range counts {
		out = append(out, TermCount{t, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Term < out[j].Term
	})
	return out[:min(n, len(out))]
}

// clusterer assigns items to topics by leader clustering: an item joins the recent topic
// whose term centroid is most similar (cosine) when the similarity reaches the threshold,
// else it starts a topic. Topics idle for longer than the horizon are forgotten (their
// stored documents stay). Safe for concurrent use.
type clusterer struct {
	threshold float64
	horizon   time.Duration

	mu     sync.Mutex
	topics map[string]*centroid
}

type centroid struct {
	terms  map[string]float64
	norm2  float64
	lastAt time.Time
}

func newClusterer(threshold float64, horizon time.Duration) *clusterer {
	return &clusterer{threshold: threshold, horizon: horizon, topics: map[string]*centroid{}}
}

// assign returns the topic of an item with terms at time at, and whether it is new.
func (c *clusterer) assign(terms []string, at time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(terms) == 0 {
		return "", false
	}
	best, bestSim := "", 0.0
	for id, t := range c.topics {
		if at.Sub(t.lastAt) > c.horizon {
			delete(c.topics, id)
			continue
		}
		if s := t.similarity(terms); s > bestSim || (s == bestSim && s > 0 && id < best) {
			best, bestSim = id, s
		}
	}
	if best != "" && bestSim >= c.threshold {
		c.topics[best].add(terms, at)
		return best, false
	}
	id := bson.NewObjectID().Hex()
	t := &centroid{terms: map[string]float64{}}
	t.add(terms, at)
	c.topics[id] = t
	return id, true
}

// restore puts back a stored topic (at start).
func (c *clusterer) restore(id string, counts map[string]int, lastAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &centroid{terms: map[string]float64{}, lastAt: lastAt}
	for term, n := range counts {
		t.terms[term] = float64(n)
		t.norm2 += float64(n * n)
	}
	c.topics[id] = t
}

func (t *centroid) add(terms []string, at time.Time) {
	for _, w := range terms {
		v := t.terms[w]
		t.norm2 += 2*v + 1
		t.terms[w] = v + 1
	}
	if at.After(t.lastAt) {
		t.lastAt = at
	}
}

// similarity is the cosine of the item's binary term vector and the centroid.
func (t *centroid) similarity(terms []string) float64 {
	if t.norm2 == 0 {
		return 0
	}
	var dot float64
	for _, w := range terms {
		dot += t.terms[w]
	}
	return dot / (math.Sqrt(t.norm2) * math.Sqrt(float64(len(terms))))
}
