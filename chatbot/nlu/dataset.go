package nlu

import (
	"embed"
	"fmt"
	"sync"
)

// The shipped data: templates for the training set, and a held-out set
// written separately, in different words, that no training run ever reads.
//
//go:embed data/templates/*.tmpl data/heldout.tsv
var dataFS embed.FS

// DatasetSeed fixes the variants drawn from the templates.
const DatasetSeed = 1022

var trainingSet = sync.OnceValues(func() ([]Example, error) {
	t, err := readTemplates(dataFS, "data/templates")
	if err != nil {
		return nil, fmt.Errorf("training set: %w", err)
	}
	return t.expand(DatasetSeed), nil
})

// TrainingSet returns the examples generated from the embedded templates
// with DatasetSeed: several thousand messages, about half without
// diacritics, some with teen-code or typos. The result is the same on every
// call; callers must not modify it.
func TrainingSet() ([]Example, error) { return trainingSet() }

// HeldOutSet returns the embedded held-out examples (data/heldout.tsv):
// hand-written messages in wordings that the templates do not use, each in
// an accented and an unaccented form. Never train on them.
func HeldOutSet() ([]Example, error) {
	f, err := dataFS.Open("data/heldout.tsv")
	if err != nil {
		return nil, fmt.Errorf("held-out set: %w", err)
	}
	defer f.Close()
	ex, err := ReadTSV(f)
	if err != nil {
		return nil, fmt.Errorf("held-out set: %w", err)
	}
	return ex, nil
}
