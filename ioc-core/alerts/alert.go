package alerts

import "time"

// The states of an alert.
const (
	StateFiring       = "firing"
	StateAcknowledged = "acknowledged"
	StateResolved     = "resolved"
)

// Top is one of the top values of a dimension in an alert's context.
type Top struct {
	Value string  `bson:"value" json:"value"`
	Count float64 `bson:"count" json:"count"`
}

// Baseline is what a spike or change was measured against.
type Baseline struct {
	Samples []float64 `bson:"samples,omitempty" json:"samples,omitempty"`
	Mean    float64   `bson:"mean" json:"mean"`
	Std     float64   `bson:"std" json:"std"`
	Z       *float64  `bson:"z,omitempty" json:"z,omitempty"`
	P       *float64  `bson:"p,omitempty" json:"p,omitempty"`
	Test    string    `bson:"test,omitempty" json:"test,omitempty"` // zscore or poisson
}

// Alert is one firing of a rule for one group, from firing to resolved. Key dedupes:
// while an alert of a key is firing or acknowledged no other is raised for it.
type Alert struct {
	ID         string           `bson:"_id" json:"id"`
	Key        string           `bson:"key" json:"key"`
	Rule       string           `bson:"rule" json:"rule"`
	RuleName   string           `bson:"rule_name" json:"rule_name"`
	Kind       string           `bson:"kind" json:"kind"`
	Indicator  string           `bson:"indicator" json:"indicator"`
	GroupBy    string           `bson:"group_by,omitempty" json:"group_by,omitempty"`
	Group      string           `bson:"group,omitempty" json:"group,omitempty"`
	Severity   string           `bson:"severity" json:"severity"`
	State      string           `bson:"state" json:"state"`
	Value      float64          `bson:"value" json:"value"`
	Threshold  float64          `bson:"threshold" json:"threshold"`
	Message    string           `bson:"message" json:"message"`
	Baseline   *Baseline        `bson:"baseline,omitempty" json:"baseline,omitempty"`
	Context    map[string][]Top `bson:"context,omitempty" json:"context,omitempty"`
	Since      time.Time        `bson:"since" json:"since"` // when the condition started to hold
	FiredAt    time.Time        `bson:"fired_at" json:"fired_at"`
	AckedAt    *time.Time       `bson:"acked_at,omitempty" json:"acked_at,omitempty"`
	AckedBy    string           `bson:"acked_by,omitempty" json:"acked_by,omitempty"`
	AckNote    string           `bson:"ack_note,omitempty" json:"ack_note,omitempty"`
	ResolvedAt *time.Time       `bson:"resolved_at,omitempty" json:"resolved_at,omitempty"`
	LastValue  float64          `bson:"last_value" json:"last_value"`
	UpdatedAt  time.Time        `bson:"updated_at" json:"updated_at"`
	Version    int64            `bson:"version" json:"version"`
}

// Active reports whether the alert is firing or acknowledged.
func (a *Alert) Active() bool { return a.State != StateResolved }

// eventData is the payload of alert.fired, alert.acknowledged and alert.resolved.
func (a *Alert) eventData() map[string]any {
	d := map[string]any{"id": a.ID, "key": a.Key, "rule": a.Rule, "rule_name": a.RuleName, "indicator": a.Indicator,
		"group_by": a.GroupBy, "group": a.Group, "severity": a.Severity, "state": a.State, "value": a.Value,
		"threshold": a.Threshold, "message": a.Message, "fired_at": a.FiredAt}
	if a.AckedBy != "" {
		d["acked_by"] = a.AckedBy
	}
	if a.Context != nil {
		d["context"] = a.Context
	}
	return d
}
