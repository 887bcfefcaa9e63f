package nlu

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// LabelStats is the precision, recall and F1 of one label.
type LabelStats struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"` // gold examples with this label
}

// SliceAccuracy is the accuracy on a subset of the evaluation data.
type SliceAccuracy struct {
	N                int     `json:"n"`
	IntentAccuracy   float64 `json:"intent_accuracy"`
	CategoryAccuracy float64 `json:"category_accuracy"`
}

// EvalReport is the result of Evaluate.
type EvalReport struct {
	N                int     `json:"n"`
	IntentAccuracy   float64 `json:"intent_accuracy"`
	CategoryN        int     `json:"category_n"`        // lines whose gold category is not "-"
	CategoryAccuracy float64 `json:"category_accuracy"` // over those lines; a wrong intent that drops the category counts as wrong
	HandoffRate      float64 `json:"handoff_rate"`      // share of lines where the result is not Confident
	// ConfidentAccuracy is the intent accuracy over the lines that were
	// Confident, i.e. those the bot would answer without a person.
	ConfidentAccuracy float64       `json:"confident_intent_accuracy"`
	Accented          SliceAccuracy `json:"accented"`   // lines typed with diacritics
	Unaccented        SliceAccuracy `json:"unaccented"` // lines typed without any diacritic
	Intents           []LabelStats  `json:"-"`
	Categories        []LabelStats  `json:"-"`
	// IntentConfusion[gold][predicted] counts lines, indexed as Intents.
	IntentConfusion [][]int `json:"-"`
	// CategoryConfusion[gold][predicted] counts lines with a gold category,
	// indexed as Categories; the last column counts predictions of "-".
	CategoryConfusion [][]int `json:"-"`
}

// Evaluate classifies every example with m and scores the results.
func Evaluate(m *Model, data []Example) EvalReport {
	preds := make([]Result, len(data))
	for i, ex := range data {
		preds[i] = m.Classify(ex.Text)
	}
	return score(data, preds)
}

// score compares predictions with the gold labels of data.
func score(data []Example, preds []Result) EvalReport {
	rep := EvalReport{
		N:                 len(data),
		IntentConfusion:   newMatrix(len(Intents), len(Intents)),
		CategoryConfusion: newMatrix(len(Categories), len(Categories)+1),
	}
	var intentOK, catOK, confident, confidentOK int
	var acc, unacc sliceCounter
	for i, ex := range data {
		res := preds[i]
		okI := res.Intent == ex.Intent
		rep.IntentConfusion[indexOf(Intents, ex.Intent)][indexOf(Intents, res.Intent)]++
		okC := false
		if ex.Category != CategoryNone {
			rep.CategoryN++
			okC = res.Category == ex.Category
			col := indexOf(Categories, res.Category)
			if col < 0 {
				col = len(Categories)
			}
			rep.CategoryConfusion[indexOf(Categories, ex.Category)][col]++
		}
		intentOK += b2i(okI)
		catOK += b2i(okC)
		if res.Confident {
			confident++
			confidentOK += b2i(okI)
		}
		slice := &unacc
		if Fold(ex.Text) != ex.Text {
			slice = &acc
		}
		slice.add(okI, ex.Category != CategoryNone, okC)
	}
	rep.IntentAccuracy = ratio(intentOK, rep.N)
	rep.CategoryAccuracy = ratio(catOK, rep.CategoryN)
	rep.HandoffRate = ratio(rep.N-confident, rep.N)
	rep.ConfidentAccuracy = ratio(confidentOK, confident)
	rep.Accented, rep.Unaccented = acc.result(), unacc.result()
	rep.Intents = labelStats(rep.IntentConfusion, labelsOf(Intents))
	rep.Categories = labelStats(rep.CategoryConfusion, labelsOf(Categories))
	return rep
}

type sliceCounter struct{ n, intentOK, catN, catOK int }

func (s *sliceCounter) add(intentOK, hasCat, catOK bool) {
	s.n++
	s.intentOK += b2i(intentOK)
	s.catN += b2i(hasCat)
	s.catOK += b2i(catOK)
}

func (s sliceCounter) result() SliceAccuracy {
	return SliceAccuracy{N: s.n, IntentAccuracy: ratio(s.intentOK, s.n), CategoryAccuracy: ratio(s.catOK, s.catN)}
}

// labelStats reads per-label scores off a confusion matrix whose first
// len(labels) columns match its rows.
func labelStats(conf [][]int, labels []string) []LabelStats {
	out := make([]LabelStats, len(labels))
	for i, l := range labels {
		tp, gold, pred := conf[i][i], 0, 0
		for j := range conf[i] {
			gold += conf[i][j]
		}
		for r := range conf {
			pred += conf[r][i]
		}
		p, r := ratio(tp, pred), ratio(tp, gold)
		f1 := 0.0
		if p+r > 0 {
			f1 = 2 * p * r / (p + r)
		}
		out[i] = LabelStats{Label: l, Precision: p, Recall: r, F1: f1, Support: gold}
	}
	return out
}

// WriteText writes the per-label tables and confusion tables for people,
// then, as its last line, the headline figures as one JSON object (n,
// intent_accuracy, category_accuracy, handoff_rate and a few more) for
// scripts.
func (r EvalReport) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	writeLabelTable(tw, "intent", r.Intents)
	fmt.Fprintln(tw)
	writeLabelTable(tw, "category", r.Categories)
	fmt.Fprintln(tw)
	writeConfusion(tw, "intent gold \\ predicted", labelsOf(Intents), labelsOf(Intents), r.IntentConfusion)
	fmt.Fprintln(tw)
	writeConfusion(tw, "category gold \\ predicted", labelsOf(Categories),
		append(labelsOf(Categories), string(CategoryNone)), r.CategoryConfusion)
	fmt.Fprintln(tw)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	js, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if _, err := fmt.Fprintf(w, "%s\n", js); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func writeLabelTable(w io.Writer, kind string, stats []LabelStats) {
	fmt.Fprintf(w, "%s\tprecision\trecall\tf1\tsupport\t\n", kind)
	for _, s := range stats {
		fmt.Fprintf(w, "%s\t%.3f\t%.3f\t%.3f\t%d\t\n", s.Label, s.Precision, s.Recall, s.F1, s.Support)
	}
}

func writeConfusion(w io.Writer, title string, rows, cols []string, m [][]int) {
	fmt.Fprintf(w, "%s\t", title)
	for _, c := range cols {
		fmt.Fprintf(w, "%s\t", abbreviate(c))
	}
	fmt.Fprintln(w)
	for i, r := range rows {
		fmt.Fprintf(w, "%s\t", r)
		for _, v := range m[i] {
			fmt.Fprintf(w, "%d\t", v)
		}
		fmt.Fprintln(w)
	}
}

// abbreviate shortens a label for a confusion-table column header.
func abbreviate(label string) string {
	parts := strings.Split(label, "_")
	if len(parts) == 1 {
		return label[:min(5, len(label))]
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p[:min(3, len(p))])
	}
	return b.String()
}

func labelsOf[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func newMatrix(rows, cols int) [][]int {
	m := make([][]int, rows)
	for i := range m {
		m[i] = make([]int, cols)
	}
	return m
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
