package kpi

import (
	"math"
	"slices"
)

// Sketch is a mergeable histogram of durations in seconds with logarithmic bins, in the
// manner of DDSketch: a value x ≥ 1 s falls in bin ceil(log_γ x) and is estimated as
// 2γ^i/(γ+1), so every quantile read from it is within ±1% of a value of the data
// (γ = 1.02). Values under one second share bin 0. Merging two sketches adds their
// bins, so a quantile over any set of buckets is read from their merged sketch.
// Bins are kept sparse and sorted; a bucket with few resolutions costs a few bytes.
type Sketch struct {
	Bins []SketchBin
}

// SketchBin is one non-empty bin of a Sketch.
type SketchBin struct {
	I uint16
	N uint32
}

// sketchGamma is the ratio of consecutive bin bounds.
const sketchGamma = 1.02

// sketchBins bounds the bin index: γ^1100 s is far beyond any ticket's life.
const sketchBins = 1100

var logGamma = math.Log(sketchGamma)

func sketchIndex(seconds float64) uint16 {
	if seconds <= 1 {
		return 0
	}
	i := int(math.Ceil(math.Log(seconds) / logGamma))
	return uint16(min(i, sketchBins-1))
}

func sketchValue(i int) float64 {
	if i == 0 {
		return 1
	}
	return 2 * math.Pow(sketchGamma, float64(i)) / (sketchGamma + 1)
}

// Add records one value in seconds.
func (s *Sketch) Add(seconds float64) {
	i := sketchIndex(seconds)
	pos, found := slices.BinarySearchFunc(s.Bins, i, func(b SketchBin, i uint16) int { return int(b.I) - int(i) })
	if found {
		s.Bins[pos].N++
		return
	}
	s.Bins = slices.Insert(s.Bins, pos, SketchBin{I: i, N: 1})
}

// Merge adds the bins of o.
func (s *Sketch) Merge(o *Sketch) {
	for _, b := range o.Bins {
		pos, found := slices.BinarySearchFunc(s.Bins, b.I, func(x SketchBin, i uint16) int { return int(x.I) - int(i) })
		if found {
			s.Bins[pos].N += b.N
		} else {
			s.Bins = slices.Insert(s.Bins, pos, b)
		}
	}
}

// denseSketch accumulates many sketches cheaply during a query.
type denseSketch struct {
	n    int64
	bins [sketchBins]int64
}

func (d *denseSketch) add(s *Sketch) {
	for _, b := range s.Bins {
		d.bins[b.I] += int64(b.N)
		d.n += int64(b.N)
	}
}

// quantile returns the nearest-rank q-quantile (rank ceil(q·n)), or false when empty.
func (d *denseSketch) quantile(q float64) (float64, bool) {
	if d.n == 0 {
		return 0, false
	}
	rank := int64(math.Ceil(q * float64(d.n)))
	rank = max(rank, 1)
	var seen int64
	for i, c := range d.bins {
		seen += c
		if seen >= rank {
			return sketchValue(i), true
		}
	}
	return sketchValue(sketchBins - 1), true
}
