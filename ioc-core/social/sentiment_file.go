package social

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/nlpodyssey/spago/mat"
)

// ErrBadModel is returned by LoadSentiment for a stream that is not a sentiment model.
var ErrBadModel = errors.New("social: not a sentiment model of this version")

const sentimentMagic = "ioc1022-sentiment-v1"

type sentimentHeader struct {
	Magic       string   `json:"magic"`
	Labels      []string `json:"labels"`
	Dim         int      `json:"dim"`
	Rows        int      `json:"rows"`
	Fingerprint string   `json:"fingerprint"`
}

// SentimentFingerprint identifies a training run: the examples and the options.
func SentimentFingerprint(data []SentimentExample, o SentimentOptions) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %+v\n", sentimentMagic, o)
	for _, ex := range data {
		fmt.Fprintf(h, "%s\t%s\n", ex.Label, ex.Text)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Save writes m as gzip: a JSON header line, the output layer, then each embedding row
// with its feature hash (row 0, the unknown row, has hash 0), all little-endian float32.
func (m *SentimentModel) Save(w io.Writer, fingerprint string) error {
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriter(zw)
	rows := len(m.vocab) + 1
	hdr, _ := json.Marshal(sentimentHeader{Magic: sentimentMagic, Labels: Sentiments, Dim: m.net.Out.W.Shape()[1], Rows: rows, Fingerprint: fingerprint})
	bw.Write(append(hdr, '\n'))
	writeF32(bw, mat.Data[float32](m.net.Out.W))
	writeF32(bw, mat.Data[float32](m.net.Out.B))
	hashOf := make([]uint64, rows)
	for h, r := range m.vocab {
		hashOf[r] = h
	}
	for r := range rows {
		binary.Write(bw, binary.LittleEndian, hashOf[r])
		writeF32(bw, mat.Data[float32](m.net.Embeddings.Weights[r]))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("save sentiment model: %w", err)
	}
	return zw.Close()
}

// LoadSentiment reads a model written by Save and returns it with its fingerprint.
func LoadSentiment(r io.Reader) (*SentimentModel, string, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	br := bufio.NewReader(zr)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, "", fmt.Errorf("%w: header: %v", ErrBadModel, err)
	}
	var hdr sentimentHeader
	if json.Unmarshal(line, &hdr) != nil || hdr.Magic != sentimentMagic || !slices.Equal(hdr.Labels, Sentiments) ||
		hdr.Dim <= 0 || hdr.Dim > 1024 || hdr.Rows <= 0 || hdr.Rows > 1<<22 {
		return nil, "", fmt.Errorf("%w: bad header", ErrBadModel)
	}
	m := newSentimentModel(hdr.Rows, hdr.Dim, 0)
	if err := readF32(br, mat.Data[float32](m.net.Out.W)); err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	if err := readF32(br, mat.Data[float32](m.net.Out.B)); err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	for r := range hdr.Rows {
		var h uint64
		if err := binary.Read(br, binary.LittleEndian, &h); err != nil {
			return nil, "", fmt.Errorf("%w: %v", ErrBadModel, err)
		}
		if r > 0 {
			m.vocab[h] = r
		}
		if err := readF32(br, mat.Data[float32](m.net.Embeddings.Weights[r])); err != nil {
			return nil, "", fmt.Errorf("%w: %v", ErrBadModel, err)
		}
	}
	return m, hdr.Fingerprint, nil
}

func writeF32(w io.Writer, v []float32) {
	_ = binary.Write(w, binary.LittleEndian, v) // the writer's error surfaces when it is flushed
}

func readF32(r io.Reader, v []float32) error {
	return binary.Read(r, binary.LittleEndian, v)
}
