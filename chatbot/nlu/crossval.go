package nlu

import (
	"fmt"
)

// CrossValidate trains k models, each on all example groups but one fold,
// and scores each on its held-out fold; it returns the pooled report over
// every example. Folds are drawn by template group, so no variant of a
// template is both trained on and scored.
func CrossValidate(data []Example, k int, opts TrainOptions) (EvalReport, error) {
	if k < 2 {
		return EvalReport{}, fmt.Errorf("cross-validate: need at least 2 folds, got %d", k)
	}
	if len(data) == 0 {
		return EvalReport{}, fmt.Errorf("cross-validate: %w", ErrNoData)
	}
	folds := make([][]Example, k)
	rest := make([][]Example, k)
	for i, ex := range data {
		g := ex.Group
		if g == "" {
			g = fmt.Sprintf("#%d", i)
		}
		f := int(hashFeature('f', []string{g, fmt.Sprint(opts.Seed)}) % uint64(k))
		for j := range folds {
			if j == f {
				folds[j] = append(folds[j], ex)
			} else {
				rest[j] = append(rest[j], ex)
			}
		}
	}
	var scored []Example
	var preds []Result
	for j := range folds {
		m, _, err := Train(rest[j], opts)
		if err != nil {
			return EvalReport{}, fmt.Errorf("cross-validate fold %d: %w", j, err)
		}
		for _, ex := range folds[j] {
			if ex.Unclear {
				continue // no gold label to score
			}
			scored = append(scored, ex)
			preds = append(preds, m.Classify(ex.Text))
		}
	}
	return score(scored, preds), nil
}
