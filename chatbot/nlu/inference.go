package nlu

import (
	"slices"
)

// inference is the read-only form of a trained ensemble used for
// classification without building a spago graph: for every vocabulary row,
// the row's contribution to each intent and category score, already
// averaged over the members and divided by their temperatures (see
// ensemble.go), and the averaged biases. A message's scores are the biases
// plus the same pooling the networks apply to their embeddings: half the
// mean of its word-level rows and half the mean of its character n-gram
// rows.
type inference struct {
	intents  int       // the first intents values of a row are intent scores, the rest category scores
	charFrom int       // first row of a character n-gram
	width    int       // values per row: len(Intents) + len(Categories)
	table    []float32 // rows × width
	bias     []float32 // width
}

// row returns row r of the table (not a copy).
func (inf *inference) row(r int) []float32 { return inf.table[r*inf.width : (r+1)*inf.width] }

// logits returns the intent and category scores of the given sorted rows.
func (inf *inference) logits(ids []int) (intent, category []float32) {
	h := slices.Clone(inf.bias)
	split, _ := slices.BinarySearch(ids, inf.charFrom)
	if split == 0 || split == len(ids) {
		inf.addMean(h, ids, 1)
	} else {
		inf.addMean(h, ids[:split], 0.5)
		inf.addMean(h, ids[split:], 0.5)
	}
	return h[:inf.intents], h[inf.intents:]
}

// addMean adds weight times the mean of the rows ids to h.
func (inf *inference) addMean(h []float32, ids []int, weight float32) {
	if len(ids) == 0 {
		return
	}
	sum := make([]float32, len(h))
	for _, id := range ids {
		row := inf.table[id*inf.width : (id+1)*inf.width]
		for j, v := range row {
			sum[j] += v
		}
	}
	scale := weight / float32(len(ids))
	for j := range h {
		h[j] += sum[j] * scale
	}
}
