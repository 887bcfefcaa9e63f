package nlu

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestReadTSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		n       int
		errLine string // expected in the error, "" for none
	}{
		{"good lines, comments and blanks", "# c\nreport\troads_traffic\tđường hư\n\ngreeting\t-\talo\n", 2, ""},
		{"CRLF", "greeting\t-\talo\r\n", 1, ""},
		{"two fields", "greeting\talo\n", 0, "line 1"},
		{"unknown intent", "# x\nhello\t-\talo\n", 0, "line 2"},
		{"unknown category", "report\troads\tđường hư\n", 0, "line 1"},
		{"report without category", "greeting\t-\talo\nreport\t-\tđường hư\n", 0, "line 2"},
		{"greeting with category", "greeting\thealth\talo\n", 0, "line 1"},
		{"empty text", "greeting\t-\t  \n", 0, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadTSV(strings.NewReader(tt.in))
			if tt.errLine == "" {
				if err != nil || len(got) != tt.n {
					t.Fatalf("ReadTSV = %d examples, %v; want %d, nil", len(got), err, tt.n)
				}
				return
			}
			if !errors.Is(err, ErrBadExample) || !strings.Contains(err.Error(), tt.errLine) {
				t.Fatalf("ReadTSV error = %v, want ErrBadExample at %s", err, tt.errLine)
			}
		})
	}
}

func TestWriteTSVRoundTrip(t *testing.T) {
	t.Parallel()
	in := []Example{{Intent: IntentReport, Category: CategoryHealth, Text: "có\tổ dịch"}, {Intent: IntentGreeting, Category: CategoryNone, Text: "alo"}}
	var buf bytes.Buffer
	if err := WriteTSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadTSV(&buf)
	if err != nil || len(out) != 2 || out[0].Text != "có ổ dịch" || out[1].Intent != IntentGreeting {
		t.Fatalf("round trip = %+v, %v", out, err)
	}
}

func TestShippedDataIsValid(t *testing.T) {
	t.Parallel()
	train, err := TrainingSet()
	if err != nil {
		t.Fatal(err)
	}
	if len(train) < 5000 {
		t.Errorf("training set has %d examples, want several thousand", len(train))
	}
	perIntent := map[Intent]int{}
	for _, ex := range train {
		if err := ex.Validate(); err != nil {
			t.Fatalf("training example %+v: %v", ex, err)
		}
		perIntent[ex.Intent]++
	}
	for _, i := range Intents {
		if perIntent[i] < 100 {
			t.Errorf("intent %s has only %d training examples", i, perIntent[i])
		}
	}
	held, err := HeldOutSet()
	if err != nil {
		t.Fatal(err)
	}
	dev, err := DevSet()
	if err != nil {
		t.Fatal(err)
	}
	held2, err := HeldOut2Set()
	if err != nil {
		t.Fatal(err)
	}
	held3, err := HeldOut3Set()
	if err != nil {
		t.Fatal(err)
	}
	held4, err := HeldOut4Set()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ex := range train {
		seen[Normalize(ex.Text).Folded] = true
	}
	for _, set := range [][]Example{held, held2, held3, held4, dev} {
		for _, ex := range set {
			// One- and two-word chit-chat ("alo", "hihi") is bound to recur.
			if f := Normalize(ex.Text).Folded; len(strings.Fields(f)) > 2 && seen[f] {
				t.Errorf("evaluation sentence %q is also in the training set", ex.Text)
			}
		}
	}
}

func TestTrainingSetIsDeterministic(t *testing.T) {
	t.Parallel()
	tmpl, err := readTemplates(dataFS, "data/templates")
	if err != nil {
		t.Fatal(err)
	}
	a, b := tmpl.expand(7), tmpl.expand(7)
	if len(a) != len(b) {
		t.Fatalf("sizes differ: %d, %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("example %d differs: %+v vs %+v", i, a[i], b[i])
		}
	}
}
