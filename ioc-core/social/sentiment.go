package social

import (
	"fmt"
	"hash/fnv"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strings"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/initializers"
	"github.com/nlpodyssey/spago/mat"
	"github.com/nlpodyssey/spago/mat/rand"
	"github.com/nlpodyssey/spago/nn"
	"github.com/nlpodyssey/spago/nn/embedding"
	"github.com/nlpodyssey/spago/nn/linear"
	"github.com/nlpodyssey/spago/optimizers/adam"
)

func init() {
	// spago runs some operators in goroutines of their own; for a model this small that
	// costs more than the arithmetic and makes training nondeterministic (the chatbot's
	// NLU sets the same process-wide switch).
	ag.SetForceSyncExecution(true)
}

// sentimentNet is a fastText-style classifier: the embeddings of an item's features are
// averaged and a linear layer scores the three labels.
type sentimentNet struct {
	nn.Module
	Embeddings *embedding.Model
	Out        *linear.Model
}

// SentimentModel labels a text negative, neutral or positive. It is read-only once
// trained: Classify is safe for concurrent use.
type SentimentModel struct {
	net   *sentimentNet
	vocab map[uint64]int // feature hash → embedding row; row 0 is "unknown"
}

// SentimentOptions tune TrainSentiment; zero fields take their defaults.
type SentimentOptions struct {
	Seed     uint64
	Epochs   int     // default 6
	Dim      int     // default 16
	MinCount int     // default 2
	Rate     float64 // Adam step size; default 0.05
	Batch    int     // default 32
}

// chatAbbrev maps chat spellings (folded) to the folded word they stand for.
var chatAbbrev = map[string]string{"ko": "khong", "k": "khong", "kh": "khong", "hok": "khong", "dc": "duoc", "rat": "rat",
	"wa": "qua", "ng": "nguoi", "z": "vay", "mn": "moi nguoi", "ok": "tot", "oke": "tot"}

// negators open a negation scope of the two words after them.
var negators = map[string]bool{"khong": true, "chang": true, "chua": true, "het": true, "dung": true}

// sentimentFeatures returns the feature hashes of text: folded words, bigrams, and words
// marked as negated within two words after a negator.
func sentimentFeatures(text string) []uint64 {
	var words []string
	for _, w := range strings.Fields(FoldText(text)) {
		if a, ok := chatAbbrev[w]; ok {
			words = append(words, strings.Fields(a)...)
		} else {
			words = append(words, w)
		}
	}
	var out []uint64
	h := func(parts ...string) {
		f := fnv.New64a()
		for _, p := range parts {
			f.Write([]byte(p))
			f.Write([]byte{0})
		}
		out = append(out, f.Sum64())
	}
	scope := 0
	for i, w := range words {
		h("w", w)
		if i > 0 {
			h("b", words[i-1], w)
		}
		if scope > 0 {
			h("n", w)
			scope--
		}
		if negators[w] {
			scope = 2
		}
	}
	for _, r := range text { // emoji and "!!!" carry sentiment the folded words lose
		if r > 0x2000 || r == '!' || r == '?' {
			h("r", string(r))
		}
	}
	if len(out) == 0 {
		h("empty")
	}
	return out
}

func (m *SentimentModel) rows(hashes []uint64) []int {
	out := make([]int, 0, len(hashes))
	for _, h := range hashes {
		out = append(out, m.vocab[h])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func newSentimentModel(rows, dim int, seed uint64) *SentimentModel {
	m := &SentimentModel{vocab: make(map[uint64]int, rows)}
	m.net = &sentimentNet{Embeddings: embedding.New[float32](rows, dim), Out: linear.New[float32](dim, len(Sentiments))}
	initializers.XavierUniform(m.net.Out.W, 1, rand.NewLockedRand(seed))
	return m
}

// TrainSentiment fits a model on data. The same data and options give the same model.
func TrainSentiment(data []SentimentExample, o SentimentOptions) (*SentimentModel, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("train sentiment: no examples")
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Epochs, 6)
	def(&o.Dim, 16)
	def(&o.MinCount, 2)
	def(&o.Batch, 32)
	if o.Rate <= 0 {
		o.Rate = 0.05
	}
	feats := make([][]uint64, len(data))
	count := map[uint64]int{}
	for i, ex := range data {
		if labelIndex(ex.Label) < 0 {
			return nil, fmt.Errorf("train sentiment: example %d: unknown label %q", i, ex.Label)
		}
		feats[i] = sentimentFeatures(ex.Text)
		for _, h := range slices.Compact(slices.Sorted(slices.Values(feats[i]))) {
			count[h]++
		}
	}
	var kept []uint64
	for h, c := range count {
		if c >= o.MinCount {
			kept = append(kept, h)
		}
	}
	slices.Sort(kept)
	m := newSentimentModel(len(kept)+1, o.Dim, o.Seed)
	for i, h := range kept {
		m.vocab[h] = i + 1
	}
	ids := make([][]int, len(data))
	for i := range data {
		ids[i] = m.rows(feats[i])
	}
	m.fit(data, ids, o)
	return m, nil
}

func (m *SentimentModel) fit(data []SentimentExample, ids [][]int, o SentimentOptions) {
	rng := mrand.New(mrand.NewPCG(o.Seed, 0x5e471))
	opt := adam.New(adam.NewDefaultConfig())
	opt.StepSize = o.Rate
	order := rng.Perm(len(data))
	for range o.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for start := 0; start < len(order); start += o.Batch {
			for _, i := range order[start:min(start+o.Batch, len(order))] {
				loss := ag.Neg(ag.Log(ag.At(ag.Softmax(m.logits(ids[i])), labelIndex(data[i].Label))))
				if err := ag.Backward(loss); err != nil {
					panic(fmt.Sprintf("social: sentiment backward: %v", err)) // a malformed graph: a bug here
				}
			}
			m.step(opt)
		}
	}
}

// step applies one Adam update parameter by parameter (Optimizer.Optimize of spago v1.1.0
// returns before its goroutines finish) and clears the embedding table's touched rows.
func (m *SentimentModel) step(opt *adam.Adam) {
	opt.IncExample()
	update := func(p *nn.Param) {
		if p.HasGrad() {
			if err := opt.OptimizeParams(p); err != nil {
				panic(fmt.Sprintf("social: sentiment optimise: %v", err))
			}
		}
	}
	update(m.net.Out.W)
	update(m.net.Out.B)
	m.net.Embeddings.TraverseParams(update)
	m.net.Embeddings.ZeroGrad()
}

func (m *SentimentModel) logits(ids []int) mat.Tensor {
	rows := m.net.Embeddings.MustEncode(ids)
	var sum mat.Tensor = rows[0]
	for _, r := range rows[1:] {
		sum = ag.Add(sum, r)
	}
	h := ag.ProdScalar(sum, mat.Scalar(float32(1)/float32(len(ids))))
	return ag.Affine(m.net.Out.B, m.net.Out.W, h)
}

// Sentiment is the model's verdict on one text.
type Sentiment struct {
	Label  string             `bson:"label" json:"label"`
	Scores map[string]float64 `bson:"scores" json:"scores"`
}

// Classify returns the label of text and the probability of each label.
func (m *SentimentModel) Classify(text string) Sentiment {
	z := mat.Data[float32](m.logits(m.rows(sentimentFeatures(text))).Value())
	maxZ := math.Inf(-1)
	for _, v := range z {
		maxZ = math.Max(maxZ, float64(v))
	}
	p := make([]float64, len(z))
	var sum float64
	for i, v := range z {
		p[i] = math.Exp(float64(v) - maxZ)
		sum += p[i]
	}
	out := Sentiment{Scores: make(map[string]float64, len(p))}
	best := 0
	for i := range p {
		p[i] /= sum
		out.Scores[Sentiments[i]] = math.Round(p[i]*1000) / 1000
		if p[i] > p[best] {
			best = i
		}
	}
	out.Label = Sentiments[best]
	return out
}

// SentimentEval is the accuracy of a model on a labelled set, overall and per class.
type SentimentEval struct {
	N         int                       `json:"n"`
	Accuracy  float64                   `json:"accuracy"`
	PerClass  map[string]ClassMetrics   `json:"per_class"`
	Confusion map[string]map[string]int `json:"confusion"` // gold → predicted → count
}

// ClassMetrics are precision, recall and F1 of one label.
type ClassMetrics struct {
	Support   int     `json:"support"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// EvaluateSentiment measures m on data.
func EvaluateSentiment(m *SentimentModel, data []SentimentExample) SentimentEval {
	ev := SentimentEval{N: len(data), PerClass: map[string]ClassMetrics{}, Confusion: map[string]map[string]int{}}
	for _, l := range Sentiments {
		ev.Confusion[l] = map[string]int{}
	}
	correct := 0
	for _, ex := range data {
		got := m.Classify(ex.Text).Label
		ev.Confusion[ex.Label][got]++
		if got == ex.Label {
			correct++
		}
	}
	if len(data) > 0 {
		ev.Accuracy = float64(correct) / float64(len(data))
	}
	for _, l := range Sentiments {
		tp, support, predicted := ev.Confusion[l][l], 0, 0
		for _, g := range Sentiments {
			support += ev.Confusion[l][g]
			predicted += ev.Confusion[g][l]
		}
		c := ClassMetrics{Support: support}
		if predicted > 0 {
			c.Precision = float64(tp) / float64(predicted)
		}
		if support > 0 {
			c.Recall = float64(tp) / float64(support)
		}
		if c.Precision+c.Recall > 0 {
			c.F1 = 2 * c.Precision * c.Recall / (c.Precision + c.Recall)
		}
		ev.PerClass[l] = c
	}
	return ev
}
