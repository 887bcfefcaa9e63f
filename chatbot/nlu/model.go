package nlu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
)

// modelVersion changes whenever features, normalisation or the network
// change in a way that makes saved models or their fingerprints stale.
const modelVersion = 4

// Model classifies citizen messages into an intent and a category. A Model
// is read-only once trained or loaded: Classify is safe for concurrent use.
type Model struct {
	vocab                    vocabulary
	members                  int     // networks averaged into infer
	intentT, categoryT       float64 // softmax temperatures of the averaged scores
	minConfidence, minMargin float64
	fingerprint              string     // of the training data and options
	infer                    *inference // the members' averaged score tables
}

// Result is the classification of one message.
type Result struct {
	Intent             Intent               `json:"intent"`
	Category           Category             `json:"category"` // "-" unless Intent.HasCategory()
	IntentConfidence   float64              `json:"intent_confidence"`
	CategoryConfidence float64              `json:"category_confidence"` // 0 when Category is "-"
	IntentScores       map[Intent]float64   `json:"intent_scores"`       // calibrated probabilities
	CategoryScores     map[Category]float64 `json:"category_scores"`     // as if the message had a category
	// Confident is false when the top intent (or, for reports and questions,
	// the top category) is below the model's confidence threshold or too
	// close to the runner-up: the caller should hand the message to a person.
	Confident  bool   `json:"confident"`
	Normalized string `json:"normalized"` // the normalised text the model read
}

// Classify returns the intent and category of text with calibrated scores.
func (m *Model) Classify(text string) Result {
	n := Normalize(text)
	zi, zc := m.infer.logits(m.vocab.rows(featureHashes(n)))
	pi := softmaxT(zi, m.intentT)
	pc := softmaxT(zc, m.categoryT)
	res := Result{
		IntentScores:   make(map[Intent]float64, len(Intents)),
		CategoryScores: make(map[Category]float64, len(Categories)),
		Normalized:     n.Text,
		Category:       CategoryNone,
	}
	for i, p := range pi {
		res.IntentScores[Intents[i]] = p
	}
	for i, p := range pc {
		res.CategoryScores[Categories[i]] = p
	}
	ti, ok := m.decide(pi)
	res.Intent, res.IntentConfidence, res.Confident = Intents[ti], pi[ti], ok
	if res.Intent.HasCategory() {
		tc, ok := m.decide(pc)
		res.Category, res.CategoryConfidence = Categories[tc], pc[tc]
		res.Confident = res.Confident && ok
	}
	return res
}

// decide returns the index of the top probability and whether it clears
// the confidence threshold and margin.
func (m *Model) decide(p []float64) (int, bool) {
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p[order[a]] > p[order[b]] })
	top := p[order[0]]
	second := 0.0
	if len(order) > 1 {
		second = p[order[1]]
	}
	return order[0], top >= m.minConfidence && top-second >= m.minMargin
}

// WithThresholds returns a model that shares m's weights but calls a result
// Confident only when its top calibrated probability reaches minConfidence
// and leads the runner-up by minMargin. A deployment can be stricter or
// laxer than the trained defaults; a test can make every result unsure.
func (m *Model) WithThresholds(minConfidence, minMargin float64) *Model {
	c := *m
	c.minConfidence, c.minMargin = minConfidence, minMargin
	return &c
}

// Fingerprint identifies a training run: the examples and every option that
// changes the weights. A saved model records the fingerprint it was trained
// with, so a stale embedded model can be detected.
func Fingerprint(data []Example, opts TrainOptions) string {
	opts = opts.withDefaults()
	h := sha256.New()
	fmt.Fprintf(h, "v%d seed=%d members=%d epochs=%d dim=%d mincount=%d lr=%g batch=%d drop=%g calib=%g conf=%g margin=%g\n",
		modelVersion, opts.Seed, opts.Members, opts.Epochs, opts.Dim, opts.MinCount, opts.LearningRate,
		opts.BatchSize, opts.FeatureDropout, opts.CalibrationShare, opts.MinConfidence, opts.MinMargin)
	for _, ex := range data {
		fmt.Fprintf(h, "%s\t%s\t%s\t%s\t%t\n", ex.Intent, ex.Category, ex.Group, ex.Text, ex.Unclear)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Fingerprint returns the fingerprint of the training run that made m.
func (m *Model) Fingerprint() string { return m.fingerprint }
