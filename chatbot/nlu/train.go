package nlu

import (
	"fmt"
	"math"
	mrand "math/rand/v2"
	"time"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
	"github.com/nlpodyssey/spago/nn"
	"github.com/nlpodyssey/spago/optimizers/adam"
)

// TrainOptions tunes Train. The zero value of every field means its default.
type TrainOptions struct {
	Seed uint64 // drives initialisation, shuffling and the calibration split
	// Members is the number of networks trained from different seeds whose
	// calibrated scores are averaged; default 3 (see ensemble.go).
	Members      int
	Epochs       int     // passes over the training split; default 5
	Dim          int     // hidden width of each head; default 24
	MinCount     int     // a feature must occur in this many examples to get its own row; default 2
	LearningRate float64 // Adam step size; default 0.05
	BatchSize    int     // examples per optimiser step; default 64
	// FeatureDropout is the share of an example's features hidden at each
	// step, so that no single word carries a decision; default 0.4,
	// negative for none.
	FeatureDropout float64
	// CalibrationShare is the share of example groups held out of training
	// to fit the softmax temperatures; default 0.1. Negative disables
	// calibration (temperatures stay 1 and every example trains).
	CalibrationShare float64
	// MinConfidence and MinMargin set when a result is Confident: the top
	// calibrated probability must reach MinConfidence (default 0.6) and lead
	// the runner-up by MinMargin (default 0.2).
	MinConfidence float64
	MinMargin     float64
	// Progress, when set, receives one line per member and epoch. Members
	// train in parallel; calls are serialised.
	Progress func(member, epoch int, loss float64)
}

func (o TrainOptions) withDefaults() TrainOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Members, 3)
	def(&o.Epochs, 5)
	def(&o.Dim, 24)
	def(&o.MinCount, 2)
	def(&o.BatchSize, 64)
	deff(&o.LearningRate, 0.05)
	deff(&o.CalibrationShare, 0.1)
	deff(&o.FeatureDropout, 0.4)
	deff(&o.MinConfidence, 0.6)
	deff(&o.MinMargin, 0.2)
	return o
}

// TrainReport tells what Train did.
type TrainReport struct {
	Examples            int           // examples given
	TrainExamples       int           // examples the weights were fitted on
	CalibrationExamples int           // examples the temperatures were fitted on
	Epochs              int           // passes made
	EpochLoss           []float64     // mean loss of each epoch
	Members             int           // networks averaged
	MemberLoss          [][]float64   // mean loss of each epoch of each member
	IntentTemperature   float64       // fitted softmax temperature of the averaged intent scores
	CategoryTemperature float64       // fitted softmax temperature of the averaged category scores
	Vocabulary          int           // features with their own embedding row
	Duration            time.Duration // wall time
}

// Train fits a new model on data. The same data, options and seed give the
// same model, bit for bit, on the same machine.
func Train(data []Example, opts TrainOptions) (*Model, TrainReport, error) {
	m, _, rep, err := train(data, opts)
	return m, rep, err
}

// train is Train that also returns the trained member networks, which the
// tests compare with the combined tables.
func train(data []Example, opts TrainOptions) (*Model, []*member, TrainReport, error) {
	start := time.Now()
	opts = opts.withDefaults()
	rep := TrainReport{Examples: len(data), Epochs: opts.Epochs}
	if len(data) == 0 {
		return nil, nil, rep, fmt.Errorf("train: %w", ErrNoData)
	}
	for i, ex := range data {
		if err := ex.Validate(); err != nil {
			return nil, nil, rep, fmt.Errorf("train: example %d: %w: %v", i, ErrBadExample, err)
		}
	}
	// Training allocates many small short-lived matrices. A lazier collector
	// (GOGC 400, tried before) let the heap grow to 2.9 GB per network and
	// made training about 2.5 times slower in CPU (cold memory), so the
	// collector keeps the process's setting.
	fit, calib := splitByGroup(data, opts.CalibrationShare, opts.Seed)
	rep.TrainExamples, rep.CalibrationExamples = len(fit), len(calib)

	fitHashes := hashAll(fit)
	vocab := buildVocabulary(fitHashes, opts.MinCount)
	rep.Vocabulary, rep.Members = len(vocab), opts.Members
	fitEnc, calibEnc := encode(vocab, fit, fitHashes), encode(vocab, calib, hashAll(calib))
	members := trainMembers(len(vocab)+1, vocab.charFrom(), fitEnc, calibEnc, opts)
	m := &Model{
		vocab:   vocab,
		members: len(members),
		infer:   combine(members),
		intentT: 1, categoryT: 1,
		minConfidence: opts.MinConfidence, minMargin: opts.MinMargin,
		fingerprint: Fingerprint(data, opts),
	}
	if len(calibEnc) > 0 {
		m.intentT, m.categoryT = m.infer.calibrate(calibEnc)
	}
	for _, mb := range members {
		rep.MemberLoss = append(rep.MemberLoss, mb.loss)
	}
	rep.EpochLoss = meanLoss(rep.MemberLoss)
	rep.IntentTemperature, rep.CategoryTemperature = m.intentT, m.categoryT
	rep.Duration = time.Since(start)
	return m, members, rep, nil
}

// encoded is an example turned into model inputs.
type encoded struct {
	ids      []int
	intent   int // -1 for an Unclear example
	category int // -1 when the example has no category
}

// hashAll returns the feature hashes of every example.
func hashAll(data []Example) [][]uint64 {
	out := make([][]uint64, len(data))
	for i, ex := range data {
		out[i] = featureHashes(Normalize(ex.Text))
	}
	return out
}

// encode turns examples and their feature hashes into model inputs.
func encode(vocab vocabulary, data []Example, hashes [][]uint64) []encoded {
	out := make([]encoded, len(data))
	for i, ex := range data {
		out[i] = encoded{
			ids:      vocab.rows(hashes[i]),
			intent:   indexOf(Intents, ex.Intent),
			category: indexOf(Categories, ex.Category),
		}
		if ex.Unclear {
			out[i].intent, out[i].category = -1, -1
		}
	}
	return out
}

// fit runs the epochs of mini-batch Adam, with shuffling and dropout drawn
// from seed, and returns the mean loss of each; progress may be nil.
func (n *network) fit(data []encoded, opts TrainOptions, seed uint64, progress func(epoch int, loss float64)) []float64 {
	rng := mrand.New(mrand.NewPCG(seed, 0x10221022))
	opt := adam.New(adam.NewDefaultConfig())
	opt.StepSize = opts.LearningRate
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	losses := make([]float64, 0, opts.Epochs)
	for epoch := 1; epoch <= opts.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var total float64
		for start := 0; start < len(order); start += opts.BatchSize {
			end := min(start+opts.BatchSize, len(order))
			for _, idx := range order[start:end] {
				ex := data[idx]
				ex.ids = dropFeatures(ex.ids, opts.FeatureDropout, rng)
				total += n.backward(ex)
			}
			n.step(opt)
		}
		mean := total / float64(len(order))
		losses = append(losses, mean)
		if progress != nil {
			progress(epoch, mean)
		}
	}
	return losses
}

// dropFeatures returns ids without a random share p of them, keeping at
// least one.
func dropFeatures(ids []int, p float64, rng *mrand.Rand) []int {
	if p <= 0 || len(ids) < 2 {
		return ids
	}
	kept := make([]int, 0, len(ids))
	for _, id := range ids {
		if rng.Float64() >= p {
			kept = append(kept, id)
		}
	}
	if len(kept) == 0 {
		kept = append(kept, ids[rng.IntN(len(ids))])
	}
	return kept
}

// backward accumulates the gradients of one example's loss and returns the loss.
func (n *network) backward(ex encoded) float64 {
	hi, hc := n.halves(n.hidden(ex.ids))
	var loss mat.Tensor
	switch {
	case ex.intent < 0: // Unclear: towards uniform scores on both heads
		loss = ag.Add(uniformLoss(ag.Affine(n.Intent.B, n.Intent.W, hi)), uniformLoss(ag.Affine(n.Category.B, n.Category.W, hc)))
	default:
		loss = negLogLikelihood(ag.Affine(n.Intent.B, n.Intent.W, hi), ex.intent)
	}
	if ex.category >= 0 {
		catLoss := negLogLikelihood(ag.Affine(n.Category.B, n.Category.W, hc), ex.category)
		loss = ag.Add(loss, catLoss)
	}
	if err := ag.Backward(loss); err != nil {
		panic(fmt.Sprintf("nlu: backward: %v", err)) // only on a malformed graph: a bug here
	}
	return float64(loss.Value().Item().F64())
}

// step applies one Adam update to every parameter that holds a gradient,
// then clears the gradients. It calls the strategy directly, one parameter
// after the other, instead of optimizers.Optimizer.Optimize, which in spago
// v1.1.0 returns before its goroutines finish; and it clears the embedding
// table's record of touched rows, which Adam's per-parameter ZeroGrad leaves.
func (n *network) step(opt *adam.Adam) {
	opt.IncExample()
	update := func(p *nn.Param) {
		if p.HasGrad() {
			if err := opt.OptimizeParams(p); err != nil {
				panic(fmt.Sprintf("nlu: optimise: %v", err)) // only on a foreign param state: a bug here
			}
		}
	}
	for _, p := range []*nn.Param{n.Intent.W, n.Intent.B, n.Category.W, n.Category.B} {
		update(p)
	}
	n.Embeddings.TraverseParams(update)
	n.Embeddings.ZeroGrad()
}

// splitByGroup puts a share of the example groups, chosen by seed, aside.
func splitByGroup(data []Example, share float64, seed uint64) (keep, aside []Example) {
	if share <= 0 {
		return data, nil
	}
	for i, ex := range data {
		g := ex.Group
		if g == "" {
			g = fmt.Sprintf("#%d", i)
		}
		h := hashFeature('g', []string{g, fmt.Sprint(seed)})
		if float64(h%10000)/10000 < share {
			aside = append(aside, ex)
		} else {
			keep = append(keep, ex)
		}
	}
	return keep, aside
}

// softmaxT returns softmax(z / t).
func softmaxT(z []float32, t float64) []float64 {
	out := make([]float64, len(z))
	maxZ := math.Inf(-1)
	for _, v := range z {
		maxZ = math.Max(maxZ, float64(v))
	}
	var sum float64
	for i, v := range z {
		out[i] = math.Exp((float64(v) - maxZ) / t)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
