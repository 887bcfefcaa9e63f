package alerts

import (
	"context"
	"time"
)

// Query asks a source for an indicator's value over [From, To), per value of GroupBy
// (under the key "" when GroupBy is empty). Filter narrows by dimension (department,
// category, ward, channel, ...). Gauges (values "now") ignore the range and use Now.
type Query struct {
	Indicator string
	GroupBy   string
	Filter    map[string]string
	From, To  time.Time
	Now       time.Time
}

// Indicator describes one indicator a source answers.
type Indicator struct {
	Name    string   `json:"name"`
	Summary string   `json:"summary"`
	Kind    string   `json:"kind"` // count, ratio, seconds or gauge
	GroupBy []string `json:"group_by,omitempty"`
}

// Source is a module that measures indicators: the KPIs, social listening, a sector
// module. Its indicator names start with its prefix and a dot ("hotline.", "tickets.").
type Source interface {
	Indicators() []Indicator
	Measure(ctx context.Context, q Query) (map[string]float64, error)
}
