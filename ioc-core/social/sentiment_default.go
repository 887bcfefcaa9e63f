package social

import (
	"bytes"
	_ "embed"
	"sync"
)

// The shipped dataset, written by TestWriteSentimentData (go test -run
// TestWriteSentimentData -args -write-sentiment) from GenerateSentiment(SentimentSize,
// SentimentSeed): the train split and the held-out split.
var (
	//go:embed data/sentiment_train.tsv
	sentimentTrainTSV []byte
	//go:embed data/sentiment_heldout.tsv
	sentimentHeldTSV []byte
)

// The size and seed of the shipped dataset, and the seed of the shipped model.
const (
	SentimentSize = 6000
	SentimentSeed = 1022
)

// SentimentTrainSet returns the shipped training split.
func SentimentTrainSet() ([]SentimentExample, error) {
	return ReadSentimentTSV(bytes.NewReader(sentimentTrainTSV))
}

// SentimentHeldOutSet returns the shipped held-out split.
func SentimentHeldOutSet() ([]SentimentExample, error) {
	return ReadSentimentTSV(bytes.NewReader(sentimentHeldTSV))
}

//go:embed data/sentiment.model.gz
var sentimentModelGz []byte

// DefaultSentimentOptions are the options the shipped model is trained with.
func DefaultSentimentOptions() SentimentOptions { return SentimentOptions{Seed: SentimentSeed} }

var defaultSentiment = sync.OnceValues(func() (*SentimentModel, error) {
	data, err := SentimentTrainSet()
	if err != nil {
		return nil, err
	}
	fp := SentimentFingerprint(data, DefaultSentimentOptions())
	if m, got, err := LoadSentiment(bytes.NewReader(sentimentModelGz)); err == nil && got == fp {
		return m, nil
	}
	return TrainSentiment(data, DefaultSentimentOptions())
})

// DefaultSentiment returns the shipped model (data/sentiment.model.gz) when it was trained
// from the shipped training split with the default options, else a model trained once
// per process from that split (which takes seconds). Safe for concurrent use.
func DefaultSentiment() (*SentimentModel, error) { return defaultSentiment() }
