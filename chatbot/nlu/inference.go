package nlu

import (
	"slices"

	"github.com/nlpodyssey/spago/mat"
)

// inference is a read-only copy of a trained network's weights laid out for
// classification without building a spago graph: one contiguous table of
// embedding rows and the two heads. It computes what network.logits
// computes (the same pooling and affine heads, in float32), without the
// graph's allocations and bookkeeping, which dominated classification time.
type inference struct {
	dim      int       // width of each half of the hidden vector
	charFrom int       // first row of a character n-gram
	table    []float32 // rows × 2·dim embedding values
	wi, bi   []float32 // intent head: len(Intents) × dim weights, biases
	wc, bc   []float32 // category head: len(Categories) × dim weights, biases
}

// newInference copies the weights of n.
func newInference(n *network) *inference {
	width := 2 * n.Dim
	inf := &inference{
		dim: n.Dim, charFrom: n.CharFrom,
		table: make([]float32, 0, len(n.Embeddings.Weights)*width),
		wi:    slices.Clone(mat.Data[float32](n.Intent.W)), bi: slices.Clone(mat.Data[float32](n.Intent.B)),
		wc: slices.Clone(mat.Data[float32](n.Category.W)), bc: slices.Clone(mat.Data[float32](n.Category.B)),
	}
	for _, row := range n.Embeddings.Weights {
		inf.table = append(inf.table, mat.Data[float32](row)...)
	}
	return inf
}

// logits returns the intent and category scores of the given sorted rows.
func (inf *inference) logits(ids []int) (intent, category []float32) {
	h := make([]float32, 2*inf.dim)
	split, _ := slices.BinarySearch(ids, inf.charFrom)
	if split == 0 || split == len(ids) {
		inf.addMean(h, ids, 1)
	} else {
		inf.addMean(h, ids[:split], 0.5)
		inf.addMean(h, ids[split:], 0.5)
	}
	return affine(inf.wi, inf.bi, h[:inf.dim]), affine(inf.wc, inf.bc, h[inf.dim:])
}

// addMean adds weight times the mean of the rows ids to h.
func (inf *inference) addMean(h []float32, ids []int, weight float32) {
	if len(ids) == 0 {
		return
	}
	sum := make([]float32, len(h))
	for _, id := range ids {
		row := inf.table[id*len(h) : (id+1)*len(h)]
		for j, v := range row {
			sum[j] += v
		}
	}
	scale := weight / float32(len(ids))
	for j := range h {
		h[j] += sum[j] * scale
	}
}

// affine returns w·x + b for a row-major weight matrix of len(b) rows.
func affine(w, b, x []float32) []float32 {
	out := make([]float32, len(b))
	for i := range out {
		s := b[i]
		for j, v := range w[i*len(x) : (i+1)*len(x)] {
			s += v * x[j]
		}
		out[i] = s
	}
	return out
}
