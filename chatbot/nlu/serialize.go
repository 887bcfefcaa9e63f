package nlu

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
)

// modelMagic starts every model file.
const modelMagic = "ioc1022-nlu"

// modelHeader is the JSON first line of a model file.
type modelHeader struct {
	Magic         string     `json:"magic"`
	Version       int        `json:"version"`
	Members       int        `json:"members"` // networks averaged into the tables (informative)
	Rows          int        `json:"rows"`    // vocabulary size + 1 (the unknown row)
	Intents       []Intent   `json:"intents"`
	Categories    []Category `json:"categories"`
	IntentT       float64    `json:"intent_temperature"`
	CategoryT     float64    `json:"category_temperature"`
	MinConfidence float64    `json:"min_confidence"`
	MinMargin     float64    `json:"min_margin"`
	Fingerprint   string     `json:"fingerprint"`
}

// Save writes m as a gzip stream: a JSON header line, then the
// little-endian float32 biases, the unknown row, then the vocabulary
// (feature hash and score row; see ensemble.go). Rows are stored as
// bfloat16 (the top 16 bits of a float32, rounded to nearest even), which
// halves the file at a relative precision of 2⁻⁸ that does not change
// predictions in practice; Save of a loaded model writes the same bytes
// again. Load reads it back.
func (m *Model) Save(w io.Writer) error {
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriter(zw)
	inf := m.infer
	hdr := modelHeader{
		Magic: modelMagic, Version: modelVersion, Members: m.members, Rows: len(m.vocab) + 1,
		Intents: Intents, Categories: Categories, IntentT: m.intentT, CategoryT: m.categoryT,
		MinConfidence: m.minConfidence, MinMargin: m.minMargin, Fingerprint: m.fingerprint,
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	bw.Write(append(js, '\n'))
	writeFloats(bw, inf.bias)
	writeHalves(bw, inf.row(0))
	hashes := make([]uint64, 0, len(m.vocab))
	for h := range m.vocab {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	for _, h := range hashes {
		binary.Write(bw, binary.LittleEndian, h)
		writeHalves(bw, inf.row(int(m.vocab[h])))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	return nil
}

// Load reads a model written by Save. It fails with ErrBadModel for a
// stream of another format, version or label set.
func Load(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("load model: %w: %v", ErrBadModel, err)
	}
	br := bufio.NewReader(zr)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("load model: %w: header: %v", ErrBadModel, err)
	}
	var hdr modelHeader
	if err := json.Unmarshal(line, &hdr); err != nil {
		return nil, fmt.Errorf("load model: %w: header: %v", ErrBadModel, err)
	}
	if err := hdr.check(); err != nil {
		return nil, fmt.Errorf("load model: %w: %v", ErrBadModel, err)
	}
	width := len(Intents) + len(Categories)
	inf := &inference{
		intents: len(Intents), width: width,
		table: make([]float32, hdr.Rows*width), bias: make([]float32, width),
	}
	m := &Model{
		vocab: make(vocabulary, hdr.Rows-1), members: hdr.Members, infer: inf,
		intentT: hdr.IntentT, categoryT: hdr.CategoryT,
		minConfidence: hdr.MinConfidence, minMargin: hdr.MinMargin, fingerprint: hdr.Fingerprint,
	}
	if err := readFloats(br, inf.bias); err != nil {
		return nil, fmt.Errorf("load model: %w: biases: %v", ErrBadModel, err)
	}
	if err := readHalves(br, inf.row(0)); err != nil {
		return nil, fmt.Errorf("load model: %w: rows: %v", ErrBadModel, err)
	}
	for row := 1; row < hdr.Rows; row++ {
		var h uint64
		if err := binary.Read(br, binary.LittleEndian, &h); err != nil {
			return nil, fmt.Errorf("load model: %w: vocabulary: %v", ErrBadModel, err)
		}
		m.vocab[h] = int32(row)
		if err := readHalves(br, inf.row(row)); err != nil {
			return nil, fmt.Errorf("load model: %w: rows: %v", ErrBadModel, err)
		}
	}
	inf.charFrom = m.vocab.charFrom()
	return m, nil
}

func (h modelHeader) check() error {
	switch {
	case h.Magic != modelMagic:
		return fmt.Errorf("not a model file")
	case h.Version != modelVersion:
		return fmt.Errorf("model version %d, want %d", h.Version, modelVersion)
	case !slices.Equal(h.Intents, Intents) || !slices.Equal(h.Categories, Categories):
		return fmt.Errorf("model was trained for another label set")
	case h.Rows <= 0 || h.Rows > 1<<24:
		return fmt.Errorf("implausible size rows=%d", h.Rows)
	}
	return nil
}

func writeFloats(w io.Writer, v []float32) {
	_ = binary.Write(w, binary.LittleEndian, v) // the writer's error surfaces when it is flushed
}

func readFloats(r io.Reader, v []float32) error {
	return binary.Read(r, binary.LittleEndian, v)
}

// writeHalves writes v as bfloat16.
func writeHalves(w io.Writer, v []float32) {
	buf := make([]byte, 2*len(v))
	for i, x := range v {
		b := math.Float32bits(x)
		b += 0x7fff + (b>>16)&1 // round to nearest, ties to even
		binary.LittleEndian.PutUint16(buf[2*i:], uint16(b>>16))
	}
	w.Write(buf)
}

func readHalves(r io.Reader, v []float32) error {
	buf := make([]byte, 2*len(v))
	if _, err := io.ReadFull(r, buf); err != nil {
		return err
	}
	for i := range v {
		v[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(buf[2*i:])) << 16)
	}
	return nil
}
