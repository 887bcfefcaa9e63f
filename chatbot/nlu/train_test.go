package nlu

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// smallSet is every 20th training example: enough to learn something, small
// enough to train in a few seconds under the race detector.
func smallSet(t *testing.T) []Example {
	t.Helper()
	all, err := TrainingSet()
	if err != nil {
		t.Fatal(err)
	}
	var out []Example
	for i := 0; i < len(all); i += 20 {
		out = append(out, all[i])
	}
	return out
}

// smallOpts trains two members, so the determinism tests cover members
// that finish in any order.
var smallOpts = TrainOptions{Seed: 42, Epochs: 2, Dim: 8, Members: 2}

// smallModel is trained once on smallSet and shared by read-only tests.
var smallModel = sync.OnceValues(func() (*Model, error) {
	all, err := TrainingSet()
	if err != nil {
		return nil, err
	}
	var data []Example
	for i := 0; i < len(all); i += 20 {
		data = append(data, all[i])
	}
	m, _, err := Train(data, smallOpts)
	return m, err
})

func saved(t *testing.T, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTrainIsDeterministic(t *testing.T) {
	t.Parallel()
	data := smallSet(t)
	a, repA, err := Train(data, smallOpts)
	if err != nil {
		t.Fatal(err)
	}
	b, repB, err := Train(data, smallOpts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved(t, a), saved(t, b)) {
		t.Error("two trainings with the same seed give different models")
	}
	for i := range repA.EpochLoss {
		if repA.EpochLoss[i] != repB.EpochLoss[i] {
			t.Errorf("epoch %d loss %v vs %v", i+1, repA.EpochLoss[i], repB.EpochLoss[i])
		}
	}
	other := smallOpts
	other.Seed = 43
	c, _, err := Train(data, other)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(saved(t, a), saved(t, c)) {
		t.Error("a different seed gives the same model")
	}
}

func TestTrainRejectsBadInput(t *testing.T) {
	t.Parallel()
	if _, _, err := Train(nil, smallOpts); !errors.Is(err, ErrNoData) {
		t.Errorf("Train(nil) error = %v, want ErrNoData", err)
	}
	bad := []Example{{Intent: IntentReport, Category: CategoryNone, Text: "x"}}
	if _, _, err := Train(bad, smallOpts); !errors.Is(err, ErrBadExample) {
		t.Errorf("Train(bad) error = %v, want ErrBadExample", err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	m, err := smallModel()
	if err != nil {
		t.Fatal(err)
	}
	first := saved(t, m)
	loaded, err := Load(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, saved(t, loaded)) {
		t.Error("Save(Load(Save(m))) differs from Save(m)")
	}
	for _, text := range []string{"đèn đường hư", "cho hỏi làm căn cước ở đâu", "alo", "cháy nhà cứu với"} {
		a, b := m.Classify(text), loaded.Classify(text)
		if a.Intent != b.Intent || a.Category != b.Category || abs(a.IntentConfidence-b.IntentConfidence) > 0.02 {
			t.Errorf("%q: trained %s/%s %.3f, loaded %s/%s %.3f", text, a.Intent, a.Category, a.IntentConfidence, b.Intent, b.Category, b.IntentConfidence)
		}
	}
	if _, err := Load(bytes.NewReader([]byte("not a model"))); !errors.Is(err, ErrBadModel) {
		t.Errorf("Load(garbage) error = %v, want ErrBadModel", err)
	}
	if _, err := Load(bytes.NewReader(first[:len(first)/2])); !errors.Is(err, ErrBadModel) {
		t.Errorf("Load(truncated) error = %v, want ErrBadModel", err)
	}
}

func TestClassifyIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	m, err := smallModel()
	if err != nil {
		t.Fatal(err)
	}
	want := m.Classify("nước máy có mùi lạ")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if got := m.Classify("nước máy có mùi lạ"); got.Intent != want.Intent || got.IntentConfidence != want.IntentConfidence {
					t.Errorf("concurrent Classify = %+v, want %+v", got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestResultShape(t *testing.T) {
	t.Parallel()
	m, err := smallModel()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"", "alo", "đường hư quá", "\xff\xfe"} {
		r := m.Classify(text)
		if len(r.IntentScores) != len(Intents) || len(r.CategoryScores) != len(Categories) {
			t.Fatalf("%q: score maps have %d and %d entries", text, len(r.IntentScores), len(r.CategoryScores))
		}
		var sum float64
		for _, p := range r.IntentScores {
			sum += p
		}
		if abs(sum-1) > 1e-6 || r.IntentScores[r.Intent] != r.IntentConfidence {
			t.Errorf("%q: intent scores sum to %v, top %v", text, sum, r.IntentConfidence)
		}
		if r.Intent.HasCategory() == (r.Category == CategoryNone) {
			t.Errorf("%q: intent %s with category %s", text, r.Intent, r.Category)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Unclear examples teach the model to be unsure: trained next to clear
// examples, a message made of their words gets spread scores, not a
// confident label, while the clear messages stay confident.
func TestUnclearExamplesGiveLowConfidence(t *testing.T) {
	t.Parallel()
	var data []Example
	add := func(n int, ex Example) {
		for i := range n {
			ex.Group = fmt.Sprintf("%s-%d", ex.Text, i)
			data = append(data, ex)
		}
	}
	add(30, Example{Intent: IntentReport, Category: "flooding_drainage", Text: "đường ngập nước"})
	add(30, Example{Intent: IntentThanksBye, Category: CategoryNone, Text: "cảm ơn nhé"})
	add(30, Example{Intent: IntentGreeting, Category: CategoryNone, Text: "xin chào"})
	add(30, Example{Intent: IntentOutOfScope, Category: CategoryNone, Text: "ừ thì", Unclear: true})
	m, _, err := Train(data, TrainOptions{Seed: 3, Epochs: 10, Dim: 8, Members: 1, CalibrationShare: -1, FeatureDropout: -1})
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Classify("ừ thì"); r.Confident || r.IntentConfidence > 0.3 {
		t.Errorf("unclear message: %s %.2f confident=%v, want spread scores", r.Intent, r.IntentConfidence, r.Confident)
	}
	if r := m.Classify("cảm ơn nhé"); !r.Confident || r.Intent != IntentThanksBye {
		t.Errorf("clear message: %s %.2f confident=%v", r.Intent, r.IntentConfidence, r.Confident)
	}
	all, err := TrainingSet()
	if err != nil {
		t.Fatal(err)
	}
	unclear := 0
	for _, ex := range all {
		if ex.Unclear {
			unclear++
			if ex.Intent != IntentOutOfScope || ex.Category != CategoryNone {
				t.Fatalf("unclear example labelled %s/%s", ex.Intent, ex.Category)
			}
		}
	}
	if unclear == 0 {
		t.Error("the shipped templates yield no unclear example")
	}
}
