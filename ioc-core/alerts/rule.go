package alerts

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Duration is a time.Duration written as "30m" in JSON and as nanoseconds in the store.
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "30m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "30m", "1h30m" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err := json.Unmarshal(b, &secs); err != nil {
			return fmt.Errorf("a duration is a string such as \"30m\" or a number of seconds")
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"30m\"", s)
	}
	*d = Duration(v)
	return nil
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// The kinds of rule.
const (
	KindThreshold = "threshold" // value op Value, over Window
	KindChange    = "change"    // (current − previous window) / previous window op Value
	KindZScore    = "zscore"    // z of the current window against the same hours of the past 7 days ≥ Value
	KindPoisson   = "poisson"   // P(X ≥ current | λ = mean of the same hours of the past 7 days) < PValue
	KindSpike     = "spike"     // zscore when the baseline mean is at least SparseBelow, else poisson
)

// Rule is an alert rule: data, edited through the API. A rule watches one indicator,
// optionally per group (a department, a ward, ...), and fires an alert per group whose
// condition holds for For, at most once per Cooldown after its previous alert resolved.
type Rule struct {
	ID          string            `bson:"_id" json:"id"`
	Name        string            `bson:"name" json:"name"`
	Kind        string            `bson:"kind" json:"kind"`
	Indicator   string            `bson:"indicator" json:"indicator"`
	GroupBy     string            `bson:"group_by,omitempty" json:"group_by,omitempty"`
	Filter      map[string]string `bson:"filter,omitempty" json:"filter,omitempty"`
	Op          string            `bson:"op,omitempty" json:"op,omitempty"` // >, >=, <, <= (threshold, change)
	Value       float64           `bson:"value" json:"value"`
	PValue      float64           `bson:"p_value,omitempty" json:"p_value,omitempty"`
	SparseBelow float64           `bson:"sparse_below,omitempty" json:"sparse_below,omitempty"`
	MinCount    float64           `bson:"min_count,omitempty" json:"min_count,omitempty"`
	Window      Duration          `bson:"window" json:"window"`
	For         Duration          `bson:"for" json:"for"`
	Cooldown    Duration          `bson:"cooldown" json:"cooldown"`
	Severity    string            `bson:"severity" json:"severity"`
	Context     []string          `bson:"context,omitempty" json:"context,omitempty"` // dimensions whose top values the alert carries
	Enabled     bool              `bson:"enabled" json:"enabled"`
	UpdatedAt   time.Time         `bson:"updated_at" json:"updated_at"`
	UpdatedBy   string            `bson:"updated_by,omitempty" json:"updated_by,omitempty"`
	Version     int64             `bson:"version" json:"version"`
}

var (
	kinds      = []string{KindThreshold, KindChange, KindZScore, KindPoisson, KindSpike}
	ops        = []string{">", ">=", "<", "<="}
	severities = []string{"info", "warning", "critical"}
)

// normalize fills the defaults of a rule and returns its invalid fields.
func (r *Rule) normalize(known func(indicator string) bool) map[string]string {
	bad := map[string]string{}
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len(r.Name) > 200 {
		bad["name"] = "1 to 200 characters"
	}
	if !slices.Contains(kinds, r.Kind) {
		bad["kind"] = "one of " + strings.Join(kinds, ", ")
	}
	if r.Indicator == "" || (known != nil && !known(r.Indicator)) {
		bad["indicator"] = "no source offers this indicator (see GET /api/v1/alert-indicators)"
	}
	if r.Severity == "" {
		r.Severity = "warning"
	}
	if !slices.Contains(severities, r.Severity) {
		bad["severity"] = "one of info, warning, critical"
	}
	if r.Window == 0 {
		r.Window = Duration(15 * time.Minute)
	}
	if r.Window < Duration(time.Minute) || r.Window > Duration(7*24*time.Hour) {
		bad["window"] = "from 1m to 168h"
	}
	if r.For < 0 || r.Cooldown < 0 {
		bad["for"] = "durations must not be negative"
	}
	switch r.Kind {
	case KindThreshold, KindChange:
		if !slices.Contains(ops, r.Op) {
			bad["op"] = "one of >, >=, <, <="
		}
	case KindZScore, KindSpike, KindPoisson:
		if r.Value == 0 {
			r.Value = 3
		}
		if r.PValue == 0 {
			r.PValue = 0.001
		}
		if r.SparseBelow == 0 {
			r.SparseBelow = 10
		}
		if r.PValue <= 0 || r.PValue >= 1 {
			bad["p_value"] = "between 0 and 1"
		}
	}
	return bad
}

// holds reports whether v op x.
func holds(v float64, op string, x float64) bool {
	switch op {
	case ">":
		return v > x
	case ">=":
		return v >= x
	case "<":
		return v < x
	case "<=":
		return v <= x
	}
	return false
}
