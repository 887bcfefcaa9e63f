package nlu

import (
	"runtime"
	"sync"

	"github.com/nlpodyssey/spago/mat"
)

// A model is an ensemble: Train fits Members networks that differ only in
// the seed of their initialisation, shuffling and feature dropout, on the
// same training split and vocabulary, and averages their calibrated scores.
// One network's accuracy moves by 2–4 points from seed to seed; the average
// of a few moves much less.
//
// Every member is linear after its lookup: a score is an affine head
// applied to a weighted mean of embedding rows. The average of the members'
// temperature-scaled scores is therefore itself a weighted mean of rows, of
// per-row score tables: row r holds Σₖ Wₖ·eₖ[r] / (K·Tₖ) for each label. So
// the ensemble is stored and run as one table of len(Intents)+len(Categories)
// values per row, smaller than a single member's embeddings and as fast to
// apply, whatever the number of members.

// member is one trained network of an ensemble and its own temperatures.
type member struct {
	net                *network
	intentT, categoryT float64
	loss               []float64 // mean loss of each epoch
}

// memberSeed is the seed of member k; member 0 uses the ensemble's seed.
func memberSeed(seed uint64, k int) uint64 {
	return seed + uint64(k)*0x9e3779b97f4a7c15
}

// trainMembers fits opts.Members networks on fit, at most GOMAXPROCS at a
// time, and calibrates each on calib. The result does not depend on the
// order in which members finish.
func trainMembers(rows, charFrom int, fit, calib []encoded, opts TrainOptions) []*member {
	members := make([]*member, opts.Members)
	var progressMu sync.Mutex
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for k := range members {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			seed := memberSeed(opts.Seed, k)
			mb := &member{net: newNetwork(rows, opts.Dim, seed), intentT: 1, categoryT: 1}
			mb.net.CharFrom = charFrom
			var progress func(epoch int, loss float64)
			if opts.Progress != nil {
				progress = func(epoch int, loss float64) {
					progressMu.Lock()
					defer progressMu.Unlock()
					opts.Progress(k, epoch, loss)
				}
			}
			mb.loss = mb.net.fit(fit, opts, seed, progress)
			if len(calib) > 0 {
				mb.intentT, mb.categoryT = mb.net.calibrate(calib)
			}
			members[k] = mb
		})
	}
	wg.Wait()
	return members
}

// combine folds the members into one inference table (see above).
func combine(members []*member) *inference {
	first := members[0].net
	nI, nC := len(Intents), len(Categories)
	inf := &inference{
		intents: nI, charFrom: first.CharFrom, width: nI + nC,
		table: make([]float32, len(first.Embeddings.Weights)*(nI+nC)),
		bias:  make([]float32, nI+nC),
	}
	k := float64(len(members))
	for _, mb := range members {
		n, dim := mb.net, mb.net.Dim
		wi, wc := mat.Data[float32](n.Intent.W), mat.Data[float32](n.Category.W)
		si, sc := float32(1/(k*mb.intentT)), float32(1/(k*mb.categoryT))
		project := func(dst, w, x []float32, scale float32) {
			for i := range dst {
				dst[i] += dot(w[i*dim:(i+1)*dim], x) * scale
			}
		}
		for i, b := range mat.Data[float32](n.Intent.B) {
			inf.bias[i] += b * si
		}
		for c, b := range mat.Data[float32](n.Category.B) {
			inf.bias[nI+c] += b * sc
		}
		for r, row := range n.Embeddings.Weights {
			e := mat.Data[float32](row)
			dst := inf.table[r*inf.width : (r+1)*inf.width]
			project(dst[:nI], wi, e[:dim], si)
			project(dst[nI:], wc, e[dim:], sc)
		}
	}
	return inf
}

func dot(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// meanLoss averages the members' losses epoch by epoch.
func meanLoss(losses [][]float64) []float64 {
	if len(losses) == 0 {
		return nil
	}
	out := make([]float64, len(losses[0]))
	for _, l := range losses {
		for i, v := range l {
			out[i] += v / float64(len(losses))
		}
	}
	return out
}
