package nlu

import (
	"math"

	"github.com/nlpodyssey/spago/mat"
)

// calibrate fits one softmax temperature per head of one member network on
// held-out examples by minimising their negative log-likelihood
// (temperature scaling, Guo et al. 2017).
func (n *network) calibrate(data []encoded) (intentT, categoryT float64) {
	return fitTemperatures(data, func(ids []int) ([]float32, []float32) {
		li, lc := n.logits(ids)
		return mat.Data[float32](li.Value()), mat.Data[float32](lc.Value())
	})
}

// calibrate fits the temperatures of the averaged scores the same way.
func (inf *inference) calibrate(data []encoded) (intentT, categoryT float64) {
	return fitTemperatures(data, inf.logits)
}

// fitTemperatures collects the held-out scores given by logits and fits a
// temperature for each head.
func fitTemperatures(data []encoded, logits func(ids []int) ([]float32, []float32)) (intentT, categoryT float64) {
	var zi, zc [][]float32
	var gi, gc []int
	for _, ex := range data {
		if ex.intent < 0 {
			continue // Unclear: no gold label
		}
		li, lc := logits(ex.ids)
		zi = append(zi, li)
		gi = append(gi, ex.intent)
		if ex.category >= 0 {
			zc = append(zc, lc)
			gc = append(gc, ex.category)
		}
	}
	return fitTemperature(zi, gi), fitTemperature(zc, gc)
}

// fitTemperature is a golden-section search over log T in [1/20, 20].
func fitTemperature(logits [][]float32, gold []int) float64 {
	if len(logits) == 0 {
		return 1
	}
	nll := func(logT float64) float64 {
		t := math.Exp(logT)
		var s float64
		for i, z := range logits {
			s -= math.Log(math.Max(softmaxT(z, t)[gold[i]], 1e-12))
		}
		return s
	}
	lo, hi := math.Log(1.0/20), math.Log(20)
	phi := (math.Sqrt(5) - 1) / 2
	a, b := hi-phi*(hi-lo), lo+phi*(hi-lo)
	fa, fb := nll(a), nll(b)
	for range 60 {
		if fa < fb {
			hi, b, fb = b, a, fa
			a = hi - phi*(hi-lo)
			fa = nll(a)
		} else {
			lo, a, fa = a, b, fb
			b = lo + phi*(hi-lo)
			fb = nll(b)
		}
	}
	return math.Exp((lo + hi) / 2)
}
