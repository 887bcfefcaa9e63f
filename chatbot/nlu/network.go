package nlu

import (
	"slices"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/initializers"
	"github.com/nlpodyssey/spago/mat"
	"github.com/nlpodyssey/spago/mat/rand"
	"github.com/nlpodyssey/spago/nn"
	"github.com/nlpodyssey/spago/nn/embedding"
	"github.com/nlpodyssey/spago/nn/linear"
)

func init() {
	// spago runs some operators in goroutines of their own. For a model this
	// small that costs more than the arithmetic, and it makes training
	// nondeterministic, so every operator of the process runs synchronously.
	ag.SetForceSyncExecution(true)
}

// network is the spago model: a fastText-style bag of features whose
// embeddings are averaged into one hidden vector. The first half of the
// vector feeds the intent head and the second half the category head, so
// the two tasks share the lookup but not their features' meaning.
type network struct {
	nn.Module
	Dim        int // width of each half
	CharFrom   int // first embedding row of a character n-gram (rows are sorted by kind)
	Embeddings *embedding.Model
	Intent     *linear.Model
	Category   *linear.Model
}

// newNetwork returns a network with zero embeddings and Xavier-initialised
// heads drawn from seed.
func newNetwork(rows, dim int, seed uint64) *network {
	n := &network{
		Dim:        dim,
		Embeddings: embedding.New[float32](rows, 2*dim),
		Intent:     linear.New[float32](dim, len(Intents)),
		Category:   linear.New[float32](dim, len(Categories)),
	}
	rng := rand.NewLockedRand(seed)
	initializers.XavierUniform(n.Intent.W, 1, rng)
	initializers.XavierUniform(n.Category.W, 1, rng)
	return n
}

// hidden pools the embeddings of the given sorted rows: the mean of the
// word-level features and the mean of the character n-grams, weighted half
// and half. Pooled together, the many character n-grams of a long message
// would drown its few word-level cues (question words, bigrams); pooled
// apart, each kind keeps a fixed share whatever the message's length.
func (n *network) hidden(ids []int) mat.Tensor {
	split, _ := slices.BinarySearch(ids, n.CharFrom)
	if split == 0 || split == len(ids) {
		return n.mean(ids)
	}
	half := mat.Scalar(float32(0.5))
	return ag.Add(ag.ProdScalar(n.mean(ids[:split]), half), ag.ProdScalar(n.mean(ids[split:]), half))
}

// mean averages the embeddings of the given rows.
func (n *network) mean(ids []int) mat.Tensor {
	rows := n.Embeddings.MustEncode(ids)
	stacked := ag.Stack(rows...)
	ones := mat.NewDense[float32](mat.WithShape(len(ids)), mat.WithBacking(ones32(len(ids))))
	sum := ag.MulT(stacked, ones)
	return ag.ProdScalar(sum, mat.Scalar(float32(1)/float32(len(ids))))
}

// logits returns the raw intent and category scores of a feature bag.
func (n *network) logits(ids []int) (intent, category mat.Tensor) {
	hi, hc := n.halves(n.hidden(ids))
	return ag.Affine(n.Intent.B, n.Intent.W, hi), ag.Affine(n.Category.B, n.Category.W, hc)
}

// halves splits the hidden vector into its intent and category parts.
func (n *network) halves(h mat.Tensor) (intent, category mat.Tensor) {
	return ag.Slice(h, 0, 0, n.Dim, 1), ag.Slice(h, n.Dim, 0, 2*n.Dim, 1)
}

// negLogLikelihood is −log softmax(z)[gold], written as a chain in which
// every node has a single consumer: spago then accumulates gradients in a
// fixed order and training is bit-for-bit repeatable.
func negLogLikelihood(z mat.Tensor, gold int) mat.Tensor {
	return ag.Neg(ag.Log(ag.At(ag.Softmax(z), gold)))
}

// uniformLoss is the cross-entropy between the uniform distribution and
// softmax(z): −mean log softmax(z), as a single-consumer chain.
func uniformLoss(z mat.Tensor) mat.Tensor {
	return ag.Neg(ag.ReduceMean(ag.Log(ag.Softmax(z))))
}

func ones32(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 1
	}
	return s
}
