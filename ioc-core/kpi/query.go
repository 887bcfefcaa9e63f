package kpi

import (
	"slices"
	"time"
)

// Filter narrows a KPI query. Empty fields do not filter; a field with several values
// matches any of them.
type Filter struct {
	Departments []string
	Categories  []string
	Wards       []string
	Channels    []string
	Queues      []string
}

// Range is a half-open time range [From, To) on the 15-minute grid.
type Range struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// NewRange widens [from, to) to whole 15-minute buckets.
func NewRange(from, to time.Time) Range {
	r := Range{From: fineStart(from), To: fineStart(to)}
	if r.To.Before(to) {
		r.To = r.To.Add(Fine)
	}
	return r
}

// Ratio is a share with its parts; Value is null when the denominator is zero.
type Ratio struct {
	Value *float64 `json:"value"`
	Num   int64    `json:"num"`
	Den   int64    `json:"den"`
}

func ratio(num, den int64) Ratio {
	r := Ratio{Num: num, Den: den}
	if den > 0 {
		v := float64(num) / float64(den)
		r.Value = &v
	}
	return r
}

// meanS is a mean of milliseconds in seconds, null when n is zero.
func meanS(totalMS, n int64) *float64 {
	if n == 0 {
		return nil
	}
	v := float64(totalMS) / float64(n) / 1000
	return &v
}

// idSet is a filter's values as interned ids; nil matches everything.
type idSet []uint32

func (s idSet) has(id uint32) bool { return s == nil || slices.Contains(s, id) }

// idsLocked interns a filter's values for matching. A value never seen matches nothing.
func (p *Projection) idsLocked(names []string) idSet {
	if len(names) == 0 {
		return nil
	}
	out := idSet{}
	for _, n := range names {
		if id, ok := p.lookupLocked(n); ok {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return idSet{^uint32(0)} // matches no id
	}
	return out
}

func (p *Projection) nameLocked(id uint32) string { return p.st.Names[id] }

// overlap is the part of [a, b) inside r.
func overlap(a, b time.Time, r Range) time.Duration {
	if a.Before(r.From) {
		a = r.From
	}
	if b.After(r.To) {
		b = r.To
	}
	if !b.After(a) {
		return 0
	}
	return b.Sub(a)
}
