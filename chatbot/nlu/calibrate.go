package nlu

import (
	"math"

	"github.com/nlpodyssey/spago/mat"
)

// calibrate fits one softmax temperature per head on held-out examples by
// minimising their negative log-likelihood (temperature scaling, Guo et al.
// 2017). The search is a golden-section search over log T in [1/20, 20].
func (m *Model) calibrate(data []encoded) (intentT, categoryT float64) {
	var zi, zc [][]float32
	var gi, gc []int
	for _, ex := range data {
		li, lc := m.net.logits(ex.ids)
		zi = append(zi, mat.Data[float32](li.Value()))
		gi = append(gi, ex.intent)
		if ex.category >= 0 {
			zc = append(zc, mat.Data[float32](lc.Value()))
			gc = append(gc, ex.category)
		}
	}
	return fitTemperature(zi, gi), fitTemperature(zc, gc)
}

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
