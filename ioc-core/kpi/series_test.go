package kpi

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

type countCell struct{ N int64 }

func (c *countCell) Merge(o *countCell) { c.N += o.N }

func TestSeriesTilesAnyRange(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	s := Series[ChannelKey, countCell, *countCell]{}
	s.init()
	base := time.Date(2025, 11, 20, 0, 0, 0, 0, Zone)
	var times []time.Time
	for range 5000 {
		tm := base.Add(time.Duration(rng.Int64N(int64(120 * 24 * time.Hour))))
		times = append(times, tm)
		s.add(tm, ChannelKey{Channel: uint32(rng.IntN(3))}, func(c *countCell) { c.N++ })
	}
	for i := range 300 {
		from := fineStart(base.Add(time.Duration(rng.Int64N(int64(100 * 24 * time.Hour)))))
		to := from.Add(time.Duration(rng.Int64N(int64(60*24*time.Hour))) + Fine).Truncate(Fine)
		if i%3 == 0 { // whole days and months too
			from, to = dayStart(from), dayStart(to)
		}
		var got int64
		s.each(from, to, func(ChannelKey) bool { return true }, func(_ ChannelKey, c *countCell) { got += c.N })
		var want int64
		for _, tm := range times {
			if !tm.Before(from) && tm.Before(to) {
				want++
			}
		}
		if got != want {
			t.Fatalf("[%s, %s): got %d, want %d", from, to, got, want)
		}
	}
	// After pruning, a partial day before the floor is read from its whole day.
	s.prune(fineStart(base.Add(60 * 24 * time.Hour)).Unix())
	from, to := base.Add(10*24*time.Hour+3*time.Hour), base.Add(10*24*time.Hour+5*time.Hour)
	var got, want int64
	s.each(from, to, func(ChannelKey) bool { return true }, func(_ ChannelKey, c *countCell) { got += c.N })
	for _, tm := range times {
		if dayStart(tm).Equal(dayStart(from)) {
			want++
		}
	}
	if got != want {
		t.Fatalf("pruned range: got %d, want the whole day's %d", got, want)
	}
}

func TestSketchQuantileWithinOnePercent(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	var parts [4]Sketch
	var all []float64
	for i := range 10000 {
		v := math.Exp(rng.Float64() * 14) // 1 s to about two weeks
		all = append(all, v)
		parts[i%4].Add(v)
	}
	var d denseSketch
	for i := range parts {
		d.add(&parts[i])
	}
	sort.Float64s(all)
	for _, q := range []float64{0.5, 0.9, 0.99} {
		exact := all[int(math.Ceil(q*float64(len(all))))-1]
		got, _ := d.quantile(q)
		if math.Abs(got-exact)/exact > 0.01 {
			t.Errorf("q%.2f = %v, exact %v", q, got, exact)
		}
	}
}
