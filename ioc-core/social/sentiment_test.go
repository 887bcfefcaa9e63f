package social

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var writeSentiment = flag.Bool("write-sentiment", false, "regenerate data/sentiment_*.tsv")

// The shipped files are exactly what the generator makes; -write-sentiment rewrites them.
func TestWriteSentimentData(t *testing.T) {
	train, held := GenerateSentiment(SentimentSize, SentimentSeed)
	if *writeSentiment {
		for name, d := range map[string][]SentimentExample{"data/sentiment_train.tsv": train, "data/sentiment_heldout.tsv": held} {
			f, err := os.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteSentimentTSV(f, d); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		return
	}
	gotTrain, err := SentimentTrainSet()
	if err != nil {
		t.Fatal(err)
	}
	gotHeld, err := SentimentHeldOutSet()
	if err != nil {
		t.Fatal(err)
	}
	if len(gotTrain) != len(train) || len(gotHeld) != len(held) {
		t.Fatalf("shipped %d/%d examples, generator makes %d/%d: run with -args -write-sentiment", len(gotTrain), len(gotHeld), len(train), len(held))
	}
	for i := range train {
		if train[i] != gotTrain[i] {
			t.Fatalf("train line %d differs from the generator: %q vs %q", i+1, gotTrain[i].Text, train[i].Text)
		}
	}
}

// The held-out phrases never occur in train, and the model is well above chance on them.
func TestSentimentHeldOut(t *testing.T) {
	m, err := DefaultSentiment()
	if err != nil {
		t.Fatal(err)
	}
	held, _ := SentimentHeldOutSet()
	ev := EvaluateSentiment(m, held)
	t.Logf("held-out n=%d accuracy=%.4f", ev.N, ev.Accuracy)
	for _, l := range Sentiments {
		c := ev.PerClass[l]
		t.Logf("%-8s support=%d precision=%.3f recall=%.3f f1=%.3f", l, c.Support, c.Precision, c.Recall, c.F1)
	}
	t.Logf("confusion %v", ev.Confusion)
	if ev.Accuracy < 0.70 {
		t.Fatalf("held-out accuracy %.3f under 0.70", ev.Accuracy)
	}
	train, _ := SentimentTrainSet()
	if tr := EvaluateSentiment(m, train); tr.Accuracy < 0.9 {
		t.Fatalf("training accuracy %.3f: the model does not fit", tr.Accuracy)
	}
}

func TestSentimentExamples(t *testing.T) {
	m, err := DefaultSentiment()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ text, want string }{
		{"Đường ngập sâu quá, dân khổ lắm, không ai giải quyết", Negative},
		{"duong ngap sau qua dan kho lam khong ai giai quyet", Negative},
		{"Cảm ơn phường đã xử lý rất nhanh, rất hài lòng", Positive},
		{"Thông báo lịch cắt điện ngày mai tại phường Hải Châu", Neutral},
	} {
		if got := m.Classify(c.text); got.Label != c.want {
			t.Errorf("%q: got %s %v, want %s", c.text, got.Label, got.Scores, c.want)
		}
	}
}

// The shipped model file is the one the shipped data and options make, so no process
// retrains at start.
func TestShippedSentimentModel(t *testing.T) {
	data, _ := SentimentTrainSet()
	if *writeSentiment {
		m, err := TrainSentiment(data, DefaultSentimentOptions())
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Create("data/sentiment.model.gz")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Save(f, SentimentFingerprint(data, DefaultSentimentOptions())); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	_, fp, err := LoadSentiment(bytes.NewReader(sentimentModelGz))
	if err != nil && !*writeSentiment {
		t.Fatal(err)
	}
	if want := SentimentFingerprint(data, DefaultSentimentOptions()); fp != want && !*writeSentiment {
		t.Fatalf("shipped model fingerprint %s, data makes %s: run go test -run Sentiment -args -write-sentiment", fp, want)
	}
}
