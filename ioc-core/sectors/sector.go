package sectors

import (
	"math"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
)

// Sector is a monitoring module as data: the kinds of record its sources bring, the
// indicators computed from them (with targets and alert rules) and the views it exposes.
// A new sector (health, education, land, tourism) is a new Sector value fed by one of the
// record sources, not a new system.
type Sector struct {
	ID         string      `json:"id"` // also the prefix of its indicator names
	Name       string      `json:"name"`
	Sources    []string    `json:"sources"` // how records arrive, for people
	Indicators []Indicator `json:"indicators"`
	Views      []View      `json:"views"`
}

// View is a read endpoint a sector exposes.
type View struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Summary string `json:"summary"`
}

// The aggregates an indicator can compute over the records it selects.
const (
	AggCount = "count" // number of records
	AggSum   = "sum"   // sum of Field
	AggAvg   = "avg"   // mean of Field
	AggMax   = "max"   // largest Field
	AggMin   = "min"   // smallest Field
	AggPace  = "pace"  // smallest Field ÷ elapsed share of [At, Due): progress against the time gone
)

// The selections of records by time.
const (
	SelectWindow  = ""         // records whose At is in the query range
	SelectOpen    = "open"     // records not done at the query's Now (gauge)
	SelectLate    = "late"     // open records past Due at Now, or done after Due (gauge: done late ones of the range)
	SelectDueSoon = "due_soon" // open records due within DueSoon of Now (gauge)
	SelectLatest  = "latest"   // the newest record of each Series at Now (gauge)
)

// Indicator is one indicator of a sector: which records, which aggregate, grouped by
// which dimensions, with an optional target and the alert rules seeded for it.
type Indicator struct {
	alerts.Indicator
	Unit      string            `json:"unit,omitempty"`
	Record    string            `json:"record"` // kind of record
	Select    string            `json:"select,omitempty"`
	Series    []string          `json:"series,omitempty"` // dimensions naming a series (SelectLatest)
	Aggregate string            `json:"aggregate"`
	Field     string            `json:"field,omitempty"`
	Where     map[string]string `json:"where,omitempty"`
	DueSoon   time.Duration     `json:"-"`
	Target    *Target           `json:"target,omitempty"`
	Rules     []alerts.Rule     `json:"rules,omitempty"`
}

// Target is an indicator's goal: Value, reached when the indicator is Op Value.
type Target struct {
	Op    string  `json:"op"` // >= (higher is better) or <=
	Value float64 `json:"value"`
}

// Met reports whether v meets the target.
func (t Target) Met(v float64) bool {
	if t.Op == "<=" {
		return v <= t.Value
	}
	return v >= t.Value
}

// Record is one fact a sector source brought: a dossier, a finding, an indicator value, a
// sensor reading. Its ID is stable so a record brought twice is stored once.
type Record struct {
	ID      string             `bson:"_id" json:"id"`
	Sector  string             `bson:"sector" json:"sector"`
	Kind    string             `bson:"kind" json:"kind"`
	At      time.Time          `bson:"at" json:"at"`
	Due     *time.Time         `bson:"due,omitempty" json:"due,omitempty"`
	Done    *time.Time         `bson:"done,omitempty" json:"done,omitempty"`
	Dims    map[string]string  `bson:"dims,omitempty" json:"dims,omitempty"`
	Values  map[string]float64 `bson:"values,omitempty" json:"values,omitempty"`
	Version int64              `bson:"version" json:"version"`
}

func (r *Record) open(now time.Time) bool {
	return !r.At.After(now) && (r.Done == nil || r.Done.After(now))
}

func (r *Record) late(now time.Time) bool {
	if r.Due == nil {
		return false
	}
	if r.Done != nil && !r.Done.After(now) {
		return r.Done.After(*r.Due)
	}
	return now.After(*r.Due)
}

// selects reports whether the indicator counts r for a query at now over [from, to).
func (ind *Indicator) selects(r *Record, from, to, now time.Time, filter map[string]string) bool {
	if r.Kind != ind.Record {
		return false
	}
	for k, v := range ind.Where {
		if r.Dims[k] != v {
			return false
		}
	}
	for k, v := range filter {
		if r.Dims[k] != v {
			return false
		}
	}
	switch ind.Select {
	case SelectOpen:
		return r.open(now)
	case SelectLate:
		if r.Done != nil && !r.Done.After(now) {
			return r.late(now) && !r.Done.Before(from) && r.Done.Before(to)
		}
		return r.open(now) && r.late(now)
	case SelectDueSoon:
		return r.open(now) && r.Due != nil && !now.After(*r.Due) && r.Due.Sub(now) <= ind.DueSoon
	case SelectLatest:
		return !r.At.After(now)
	}
	return !r.At.Before(from) && r.At.Before(to)
}

// accumulator folds the values of one group.
type accumulator struct {
	n        float64
	sum      float64
	min, max float64
}

func (a *accumulator) add(v float64) {
	if a.n == 0 || v < a.min {
		a.min = v
	}
	if a.n == 0 || v > a.max {
		a.max = v
	}
	a.n++
	a.sum += v
}

func (a *accumulator) result(agg string) float64 {
	switch agg {
	case AggCount:
		return a.n
	case AggSum:
		return a.sum
	case AggAvg:
		return a.sum / a.n
	case AggMax:
		return a.max
	}
	return a.min // AggMin, AggPace
}

// value is what the indicator takes of a selected record.
func (ind *Indicator) value(r *Record, now time.Time) float64 {
	v := r.Values[ind.Field]
	if ind.Aggregate != AggPace || r.Due == nil {
		return v
	}
	span := r.Due.Sub(r.At)
	if span <= 0 {
		return v
	}
	elapsed := math.Min(1, math.Max(float64(now.Sub(r.At))/float64(span), 1e-3))
	return v / elapsed
}
