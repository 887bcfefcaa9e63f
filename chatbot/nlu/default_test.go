package nlu

import (
	"bytes"
	"os"
	"testing"
	"testing/fstest"
)

func TestEmbeddedModelIsCurrent(t *testing.T) {
	t.Parallel()
	m, err := loadFS(modelFS, DefaultModelPath)
	if err != nil {
		t.Fatalf("embedded model: %v (regenerate it: see model/README.md)", err)
	}
	data, err := TrainingSet()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Fingerprint(), Fingerprint(data, DefaultOptions()); got != want {
		t.Fatalf("embedded model fingerprint %s, current data and options give %s: regenerate it (model/README.md)", got, want)
	}
	if info, err := os.Stat("model/default.nlu.gz"); err == nil && info.Size() > 5<<20 {
		t.Errorf("embedded model is %d bytes, want under 5 MiB", info.Size())
	}
}

func TestDefaultTrainsWhenTheFileIsMissingOrStale(t *testing.T) {
	t.Parallel()
	data := smallSet(t)
	fresh, err := loadOrTrain(fstest.MapFS{}, DefaultModelPath, data, smallOpts)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Fingerprint() != Fingerprint(data, smallOpts) {
		t.Fatal("trained model has the wrong fingerprint")
	}
	file := saved(t, fresh)
	fsys := fstest.MapFS{DefaultModelPath: {Data: file}}
	again, err := loadOrTrain(fsys, DefaultModelPath, data, smallOpts)
	if err != nil || !bytes.Equal(saved(t, again), file) {
		t.Fatalf("a current file was not loaded as is (err %v)", err)
	}
	other := smallOpts
	other.Seed++
	retrained, err := loadOrTrain(fsys, DefaultModelPath, data, other)
	if err != nil || retrained.Fingerprint() != Fingerprint(data, other) {
		t.Fatalf("a stale file was not replaced by training (err %v)", err)
	}
	corrupt := fstest.MapFS{DefaultModelPath: {Data: []byte("garbage")}}
	if _, err := loadOrTrain(corrupt, DefaultModelPath, data, smallOpts); err != nil {
		t.Fatalf("a corrupt file should fall back to training, got %v", err)
	}
}

// heldOutFloors are the figures the shipped model must keep on each
// held-out split: its measured figures rounded down (see docs/chatbot.md).
// The project's targets are 0.92 intent and 0.88 category accuracy with the
// unaccented half within 0.03 of the accented half. The shipped model (fifth
// round of templates) measures heldout.tsv 0.889 / 0.843 (neither accuracy
// target), heldout2.tsv 0.968 / 0.929, heldout3.tsv 0.965 / 0.981 and
// heldout4.tsv 0.949 / 0.945, where the unaccented half trails the
// accented half by 0.047 (intent) and 0.051 (category): the 0.03 target is
// not met there, and its floor guards the measured gap, not the target.
var heldOutFloors = []struct {
	name                        string
	set                         func() ([]Example, error)
	intent, category, accentGap float64
}{
	{"heldout.tsv", HeldOutSet, 0.88, 0.84, 0.03},
	{"heldout2.tsv", HeldOut2Set, 0.96, 0.92, 0.03},
	{"heldout3.tsv", HeldOut3Set, 0.96, 0.98, 0.03},
	{"heldout4.tsv", HeldOut4Set, 0.94, 0.94, 0.06},
}

func TestHeldOutAccuracy(t *testing.T) {
	t.Parallel()
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, floor := range heldOutFloors {
		t.Run(floor.name, func(t *testing.T) {
			held, err := floor.set()
			if err != nil {
				t.Fatal(err)
			}
			rep := Evaluate(m, held)
			t.Logf("n=%d intent %.3f category %.3f handoff %.3f; accented %.3f/%.3f unaccented %.3f/%.3f",
				rep.N, rep.IntentAccuracy, rep.CategoryAccuracy, rep.HandoffRate,
				rep.Accented.IntentAccuracy, rep.Accented.CategoryAccuracy, rep.Unaccented.IntentAccuracy, rep.Unaccented.CategoryAccuracy)
			if rep.IntentAccuracy < floor.intent {
				t.Errorf("intent accuracy %.3f < %.2f", rep.IntentAccuracy, floor.intent)
			}
			if rep.CategoryAccuracy < floor.category {
				t.Errorf("category accuracy %.3f < %.2f", rep.CategoryAccuracy, floor.category)
			}
			if gap := rep.Accented.IntentAccuracy - rep.Unaccented.IntentAccuracy; gap > floor.accentGap {
				t.Errorf("unaccented intent accuracy %.3f trails accented %.3f by more than %.2f",
					rep.Unaccented.IntentAccuracy, rep.Accented.IntentAccuracy, floor.accentGap)
			}
			if gap := rep.Accented.CategoryAccuracy - rep.Unaccented.CategoryAccuracy; gap > floor.accentGap {
				t.Errorf("unaccented category accuracy %.3f trails accented %.3f by more than %.2f",
					rep.Unaccented.CategoryAccuracy, rep.Accented.CategoryAccuracy, floor.accentGap)
			}
		})
	}
}

// TestFullTrainingMatchesEmbeddedModel retrains the shipped model (three
// networks, about a minute of CPU each), so it is skipped under -race and
// -short.
func TestFullTrainingMatchesEmbeddedModel(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("full training is too slow under -race or -short")
	}
	data, err := TrainingSet()
	if err != nil {
		t.Fatal(err)
	}
	trained, _, err := Train(data, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := loadFS(modelFS, DefaultModelPath)
	if err != nil {
		t.Fatal(err)
	}
	roundTripped, err := Load(bytes.NewReader(saved(t, trained)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved(t, roundTripped), saved(t, embedded)) {
		t.Error("training with the default options does not reproduce the embedded model file")
	}
}
