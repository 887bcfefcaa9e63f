package nlu

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sync"
)

// DefaultSeed is the seed of the shipped model.
const DefaultSeed = 1022

// DefaultOptions are the options the shipped model is trained with.
func DefaultOptions() TrainOptions { return TrainOptions{Seed: DefaultSeed} }

// The pre-trained model, written by `ioc1022 chatbot train --out
// chatbot/nlu/model/default.nlu.gz`. The directory always holds a README so
// that the embed pattern matches even when the model file is absent.
//
//go:embed model
var modelFS embed.FS

// DefaultModelPath is where the embedded pre-trained model lives in the package.
const DefaultModelPath = "model/default.nlu.gz"

var defaultModel = sync.OnceValues(func() (*Model, error) {
	data, err := TrainingSet()
	if err != nil {
		return nil, err
	}
	return loadOrTrain(modelFS, DefaultModelPath, data, DefaultOptions())
})

// Default returns the model of the embedded dataset: the embedded
// pre-trained file when it is present and was trained from the current
// dataset and default options (same fingerprint), otherwise a model trained
// once from the embedded templates (which takes a while). The result is
// cached; it is safe for concurrent use.
func Default() (*Model, error) { return defaultModel() }

// loadOrTrain loads the model at name in fsys if it was trained on data
// with opts (same fingerprint), else trains one.
func loadOrTrain(fsys fs.FS, name string, data []Example, opts TrainOptions) (*Model, error) {
	if m, err := loadFS(fsys, name); err == nil && m.Fingerprint() == Fingerprint(data, opts) {
		return m, nil
	}
	m, _, err := Train(data, opts)
	if err != nil {
		return nil, fmt.Errorf("train default model: %w", err)
	}
	return m, nil
}

func loadFS(fsys fs.FS, name string) (*Model, error) {
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, errors.New("empty model file")
	}
	return Load(bytes.NewReader(raw))
}
