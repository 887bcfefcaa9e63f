package nlu

import (
	"bytes"
	"math"
	"testing"

	"github.com/nlpodyssey/spago/mat"
)

// The graph-free classification path must compute what the spago network
// computes, on a trained model and on the same model after a save and load.
func TestInferenceMatchesNetwork(t *testing.T) {
	t.Parallel()
	m, err := smallModel()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(bytes.NewReader(saved(t, m)))
	if err != nil {
		t.Fatal(err)
	}
	texts := append([]string{"", "?", "a"}, benchTexts...)
	for _, model := range []*Model{m, loaded} {
		for _, text := range texts {
			ids := model.vocab.rows(featureHashes(Normalize(text)))
			gi, gc := model.net.logits(ids)
			fi, fc := model.infer.logits(ids)
			assertClose(t, text, mat.Data[float32](gi.Value()), fi)
			assertClose(t, text, mat.Data[float32](gc.Value()), fc)
		}
	}
}

func assertClose(t *testing.T, text string, want, got []float32) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%q: %d scores, want %d", text, len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(want[i]-got[i])) > 1e-4 {
			t.Fatalf("%q: score %d is %g, the network gives %g", text, i, got[i], want[i])
		}
	}
}
