// Package faq is the chatbot's knowledge base: question and answer pairs about common
// procedures, edited by administrators through the API and answered by retrieval (BM25 over
// diacritic-free terms) with a confidence, so that the bot answers only what an entry says.
package faq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/text/unicode/norm"
)

// Collections of the package.
const (
	entriesColl = "chatbot_faq"
	metaColl    = "chatbot_meta"
)

// reloadAfter is how old the in-memory index may get before it is rebuilt from the store,
// so that an edit made on another node is seen.
const reloadAfter = 30 * time.Second

// Limits of an entry's text.
const (
	maxQuestion = 500
	maxAnswer   = 4000
	maxVariants = 30
)

// ErrStale is returned by Update and Delete when the entry changed since the version given.
var ErrStale = errors.New("faq: entry changed since it was read")

// Entry is one question with its answer.
type Entry struct {
	ID       string `bson:"_id" json:"id"`
	Question string `bson:"question" json:"question"`
	// Variants are other ways citizens ask the same question; Keywords are extra search terms.
	Variants []string `bson:"variants,omitempty" json:"variants,omitempty"`
	Keywords []string `bson:"keywords,omitempty" json:"keywords,omitempty"`
	Answer   string   `bson:"answer" json:"answer"`
	// Category is a ticket category code the question belongs to, when one fits.
	Category string `bson:"category,omitempty" json:"category,omitempty"`
	// Source names where the answer comes from (a law, a decree, a public portal).
	Source    string    `bson:"source,omitempty" json:"source,omitempty"`
	Demo      bool      `bson:"demo,omitempty" json:"demo,omitempty"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
	UpdatedBy string    `bson:"updated_by,omitempty" json:"updated_by,omitempty"`
	Version   int64     `bson:"version" json:"version"`
}

// EntryInput is what an administrator writes: an entry without its bookkeeping. Version,
// when set on an update, must be the entry's current version.
type EntryInput struct {
	Question string   `json:"question"`
	Variants []string `json:"variants,omitempty"`
	Keywords []string `json:"keywords,omitempty"`
	Answer   string   `json:"answer"`
	Category string   `json:"category,omitempty"`
	Source   string   `json:"source,omitempty"`
	Version  int64    `json:"version,omitempty"`
}

// KB is the knowledge base of one node: the entries in the store and an index of them.
type KB struct {
	st *store.Store

	mu       sync.Mutex
	ix       *Index
	loadedAt time.Time
}

// New returns the knowledge base kept in st.
func New(st *store.Store) *KB { return &KB{st: st} }

// Init seeds the demo entries once (when demo is set), so that entries an administrator
// deleted do not come back at the next start.
func (kb *KB) Init(ctx context.Context, demo bool) error {
	if !demo {
		return nil
	}
	_, err := kb.st.C(metaColl).InsertOne(ctx, bson.M{"_id": "faq_seeded", "at": time.Now().UTC()})
	if store.IsDuplicate(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("faq seed marker: %w", err)
	}
	now := time.Now().UTC()
	for _, e := range DemoEntries() {
		e.CreatedAt, e.UpdatedAt, e.Version, e.Demo, e.UpdatedBy = now, now, 1, true, "system"
		if _, err := kb.st.C(entriesColl).InsertOne(ctx, e); err != nil && !store.IsDuplicate(err) {
			return fmt.Errorf("seed faq %s: %w", e.ID, err)
		}
	}
	return nil
}

// List returns every entry, ordered by id.
func (kb *KB) List(ctx context.Context) ([]Entry, error) {
	cur, err := kb.st.C(entriesColl).Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list faq: %w", err)
	}
	out := []Entry{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list faq: %w", err)
	}
	return out, nil
}

// Get returns one entry; the error satisfies store.IsNotFound when there is none.
func (kb *KB) Get(ctx context.Context, id string) (*Entry, error) {
	var e Entry
	if err := kb.st.C(entriesColl).FindOne(ctx, bson.M{"_id": id}).Decode(&e); err != nil {
		return nil, err
	}
	return &e, nil
}

// Create stores a new entry under a fresh id.
func (kb *KB) Create(ctx context.Context, in EntryInput, by string) (*Entry, error) {
	e, fields := in.entry()
	if len(fields) > 0 {
		return nil, &InvalidError{Fields: fields}
	}
	now := time.Now().UTC()
	e.ID, e.CreatedAt, e.UpdatedAt, e.UpdatedBy, e.Version = "faq-"+bson.NewObjectID().Hex()[16:], now, now, by, 1
	if _, err := kb.st.C(entriesColl).InsertOne(ctx, e); err != nil {
		return nil, fmt.Errorf("create faq: %w", err)
	}
	kb.invalidate()
	return &e, nil
}

// Update replaces the text of an entry in one versioned write.
func (kb *KB) Update(ctx context.Context, id string, in EntryInput, by string) (*Entry, error) {
	e, fields := in.entry()
	if len(fields) > 0 {
		return nil, &InvalidError{Fields: fields}
	}
	filter := bson.M{"_id": id}
	if in.Version > 0 {
		filter["version"] = in.Version
	}
	set := bson.M{"question": e.Question, "variants": e.Variants, "keywords": e.Keywords, "answer": e.Answer,
		"category": e.Category, "source": e.Source, "updated_at": time.Now().UTC(), "updated_by": by}
	var out Entry
	err := kb.st.C(entriesColl).FindOneAndUpdate(ctx, filter, bson.M{"$set": set, "$inc": bson.M{"version": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&out)
	if store.IsNotFound(err) && in.Version > 0 {
		if _, gerr := kb.Get(ctx, id); gerr == nil {
			return nil, ErrStale
		}
	}
	if err != nil {
		return nil, err
	}
	kb.invalidate()
	return &out, nil
}

// Delete removes an entry.
func (kb *KB) Delete(ctx context.Context, id string) error {
	res, err := kb.st.C(entriesColl).DeleteOne(ctx, bson.M{"_id": id})
	if err != nil {
		return fmt.Errorf("delete faq %s: %w", id, err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("faq %s: %w", id, errNotFound)
	}
	kb.invalidate()
	return nil
}

var errNotFound = errors.New("no such entry")

// Search ranks the entries for question, best first.
func (kb *KB) Search(ctx context.Context, question string, limit int) ([]Match, error) {
	ix, err := kb.index(ctx)
	if err != nil {
		return nil, err
	}
	return ix.Search(question, limit), nil
}

// Answer returns the best entry for question when its confidence reaches min.
func (kb *KB) Answer(ctx context.Context, question string, min float64) (*Match, error) {
	ms, err := kb.Search(ctx, question, 1)
	if err != nil || len(ms) == 0 || ms[0].Confidence < min {
		return nil, err
	}
	return &ms[0], nil
}

func (kb *KB) invalidate() {
	kb.mu.Lock()
	kb.ix = nil
	kb.mu.Unlock()
}

// index returns the current index, rebuilding it when it is missing or old.
func (kb *KB) index(ctx context.Context) (*Index, error) {
	kb.mu.Lock()
	defer kb.mu.Unlock()
	if kb.ix != nil && time.Since(kb.loadedAt) < reloadAfter {
		return kb.ix, nil
	}
	entries, err := kb.List(ctx)
	if err != nil {
		return nil, err
	}
	kb.ix, kb.loadedAt = NewIndex(entries), time.Now()
	return kb.ix, nil
}

// InvalidError lists the fields of an entry that are not acceptable.
type InvalidError struct{ Fields map[string]string }

func (e *InvalidError) Error() string { return fmt.Sprintf("faq: invalid entry: %v", e.Fields) }

// entry checks and normalises an input.
func (in EntryInput) entry() (Entry, map[string]string) {
	e := Entry{Question: clean(in.Question), Answer: strings.TrimSpace(norm.NFC.String(in.Answer)),
		Category: strings.TrimSpace(in.Category), Source: clean(in.Source)}
	f := map[string]string{}
	switch n := utf8.RuneCountInString(e.Question); {
	case n == 0:
		f["question"] = "required"
	case n > maxQuestion:
		f["question"] = fmt.Sprintf("at most %d characters", maxQuestion)
	}
	switch n := utf8.RuneCountInString(e.Answer); {
	case n == 0:
		f["answer"] = "required"
	case n > maxAnswer:
		f["answer"] = fmt.Sprintf("at most %d characters", maxAnswer)
	}
	if len(in.Variants) > maxVariants {
		f["variants"] = fmt.Sprintf("at most %d", maxVariants)
	}
	for _, v := range in.Variants {
		if v = clean(v); v != "" && utf8.RuneCountInString(v) <= maxQuestion {
			e.Variants = append(e.Variants, v)
		} else if v != "" {
			f["variants"] = fmt.Sprintf("each at most %d characters", maxQuestion)
		}
	}
	for _, k := range in.Keywords {
		if k = clean(k); k != "" {
			e.Keywords = append(e.Keywords, k)
		}
	}
	return e, f
}

func clean(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }

// DefaultThreshold is the confidence below which the bot does not answer from the
// knowledge base.
const DefaultThreshold = 0.5
