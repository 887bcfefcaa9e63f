package alerts

import "math"

// meanStd returns the mean and the sample standard deviation of xs.
func meanStd(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// zscore is (x − mean) / std; with no spread it is +Inf above the mean and 0 otherwise.
func zscore(x, mean, std float64) float64 {
	if std == 0 {
		if x > mean {
			return math.Inf(1)
		}
		return 0
	}
	return (x - mean) / std
}

// poissonRate estimates λ from past counts with half a count of prior (Jeffreys), so that
// a baseline of zeros does not make any single event infinitely unlikely.
func poissonRate(past []float64) float64 {
	var sum float64
	for _, x := range past {
		sum += x
	}
	return (sum + 0.5) / float64(max(len(past), 1))
}

// poissonTail is P(X ≥ k) for X ~ Poisson(λ).
func poissonTail(k int, lambda float64) float64 {
	if k <= 0 {
		return 1
	}
	// 1 − P(X ≤ k−1), summed in log space for stability.
	var cdf float64
	logp := -lambda
	for i := 0; i < k; i++ {
		if i > 0 {
			logp += math.Log(lambda) - math.Log(float64(i))
		}
		cdf += math.Exp(logp)
	}
	return math.Max(0, 1-cdf)
}
