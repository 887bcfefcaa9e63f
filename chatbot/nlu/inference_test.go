package nlu

import (
	"bytes"
	"math"
	"testing"

	"github.com/nlpodyssey/spago/mat"
)

// The ensemble's tables must compute the average of what its spago member
// networks compute, each divided by its own temperature; and a saved and
// loaded model, whose rows are rounded to bfloat16, must stay close to it
// and predict the same labels.
func TestInferenceMatchesNetworks(t *testing.T) {
	t.Parallel()
	opts := smallOpts
	opts.Members = 2
	m, members, _, err := train(smallSet(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 || members[0].intentT == 1 || members[1].categoryT == 1 {
		t.Fatalf("members not trained and calibrated: %d", len(members))
	}
	loaded, err := Load(bytes.NewReader(saved(t, m)))
	if err != nil {
		t.Fatal(err)
	}
	texts := append([]string{"", "?", "a"}, benchTexts...)
	for _, text := range texts {
		ids := m.vocab.rows(featureHashes(Normalize(text)))
		wantI, wantC := make([]float32, len(Intents)), make([]float32, len(Categories))
		for _, mb := range members {
			gi, gc := mb.net.logits(ids)
			addScaled(wantI, mat.Data[float32](gi.Value()), 1/(float64(len(members))*mb.intentT))
			addScaled(wantC, mat.Data[float32](gc.Value()), 1/(float64(len(members))*mb.categoryT))
		}
		fi, fc := m.infer.logits(ids)
		assertClose(t, text, wantI, fi, 1e-4)
		assertClose(t, text, wantC, fc, 1e-4)
		li, lc := loaded.infer.logits(loaded.vocab.rows(featureHashes(Normalize(text))))
		assertClose(t, text+" (loaded)", fi, li, 0.02)
		assertClose(t, text+" (loaded)", fc, lc, 0.02)
		if a, b := m.Classify(text), loaded.Classify(text); a.Intent != b.Intent || a.Category != b.Category {
			t.Errorf("%q: loaded model says %s/%s, trained %s/%s", text, b.Intent, b.Category, a.Intent, a.Category)
		}
	}
}

func addScaled(dst, v []float32, scale float64) {
	for i := range dst {
		dst[i] += float32(float64(v[i]) * scale)
	}
}

func assertClose(t *testing.T, text string, want, got []float32, tol float64) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%q: %d scores, want %d", text, len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(want[i]-got[i])) > tol {
			t.Fatalf("%q: score %d is %g, want %g", text, i, got[i], want[i])
		}
	}
}
