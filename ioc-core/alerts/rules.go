package alerts

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var ruleID = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// Rules returns every rule, by id.
func (e *Engine) Rules(ctx context.Context) ([]Rule, error) {
	cur, err := e.st.C(RulesCollection).Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("load alert rules: %w", err)
	}
	out := []Rule{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("load alert rules: %w", err)
	}
	return out, nil
}

// Rule returns one rule.
func (e *Engine) Rule(ctx context.Context, id string) (*Rule, error) {
	var r Rule
	err := e.st.C(RulesCollection).FindOne(ctx, bson.M{"_id": id}).Decode(&r)
	if store.IsNotFound(err) {
		return nil, httpapi.NotFound("no alert rule %s", id)
	}
	return &r, err
}

func (e *Engine) validate(r *Rule) error {
	bad := r.normalize(e.known)
	if !ruleID.MatchString(r.ID) {
		bad["id"] = "1 to 64 lower-case letters, digits, dots, dashes or underscores"
	}
	if len(bad) > 0 {
		return httpapi.Invalid(bad)
	}
	return nil
}

// CreateRule stores a new rule; an empty id is made from the time.
func (e *Engine) CreateRule(ctx context.Context, r Rule, by string) (*Rule, error) {
	if r.ID == "" {
		r.ID = "rule-" + bson.NewObjectID().Hex()
	}
	if err := e.validate(&r); err != nil {
		return nil, err
	}
	r.Version, r.UpdatedAt, r.UpdatedBy = 1, time.Now().UTC(), by
	if _, err := e.st.C(RulesCollection).InsertOne(ctx, r); err != nil {
		if store.IsDuplicate(err) {
			return nil, httpapi.Conflict("a rule %s exists", r.ID)
		}
		return nil, fmt.Errorf("create alert rule: %w", err)
	}
	return &r, nil
}

// UpdateRule replaces rule id when its stored version is r.Version.
func (e *Engine) UpdateRule(ctx context.Context, id string, r Rule, by string) (*Rule, error) {
	r.ID = id
	if err := e.validate(&r); err != nil {
		return nil, err
	}
	prev := r.Version
	r.Version, r.UpdatedAt, r.UpdatedBy = prev+1, time.Now().UTC(), by
	res, err := e.st.C(RulesCollection).ReplaceOne(ctx, bson.M{"_id": id, "version": prev}, r)
	if err != nil {
		return nil, fmt.Errorf("update alert rule %s: %w", id, err)
	}
	if res.MatchedCount == 0 {
		if _, err := e.Rule(ctx, id); err != nil {
			return nil, err
		}
		return nil, httpapi.Conflict("rule %s was changed since version %d; reload it", id, prev)
	}
	return &r, nil
}

// DeleteRule removes a rule; its active alerts resolve at the next evaluation.
func (e *Engine) DeleteRule(ctx context.Context, id string) error {
	res, err := e.st.C(RulesCollection).DeleteOne(ctx, bson.M{"_id": id})
	if err != nil {
		return fmt.Errorf("delete alert rule %s: %w", id, err)
	}
	if res.DeletedCount == 0 {
		return httpapi.NotFound("no alert rule %s", id)
	}
	return nil
}

// DefaultRules are the rules a new installation starts with.
func DefaultRules() []Rule {
	m := func(d time.Duration) Duration { return Duration(d) }
	return []Rule{
		{ID: "hotline-service-level", Name: "Service level under 70%", Kind: KindThreshold, Indicator: "hotline.service_level",
			Op: "<", Value: 0.7, Window: m(15 * time.Minute), For: m(30 * time.Minute), Cooldown: m(time.Hour), Severity: "critical", Enabled: true},
		{ID: "hotline-calls-waiting", Name: "More than 10 calls waiting", Kind: KindThreshold, Indicator: "hotline.calls_waiting",
			Op: ">", Value: 10, Window: m(15 * time.Minute), For: m(2 * time.Minute), Cooldown: m(30 * time.Minute), Severity: "warning", Enabled: true},
		{ID: "tickets-overdue-department", Name: "More than 20 overdue tickets in a department", Kind: KindThreshold,
			Indicator: "tickets.overdue", GroupBy: "department", Op: ">", Value: 20, Window: m(15 * time.Minute),
			For: m(15 * time.Minute), Cooldown: m(24 * time.Hour), Severity: "warning", Enabled: true},
		{ID: "tickets-spike-ward", Name: "Spike of tickets in a ward", Kind: KindSpike, Indicator: "tickets.received",
			GroupBy: "ward", Value: 3, PValue: 0.001, SparseBelow: 10, MinCount: 5, Window: m(time.Hour),
			Cooldown: m(6 * time.Hour), Severity: "warning", Context: []string{"category"}, Enabled: true},
		{ID: "tickets-spike-category", Name: "Spike of tickets in a category", Kind: KindSpike, Indicator: "tickets.received",
			GroupBy: "category", Value: 3, PValue: 0.001, SparseBelow: 10, MinCount: 5, Window: m(time.Hour),
			Cooldown: m(6 * time.Hour), Severity: "warning", Context: []string{"ward"}, Enabled: true},
	}
}

// seed stores the default rules when there is no rule at all. Indicators are not checked:
// their sources may register later.
func (e *Engine) seed(ctx context.Context) error {
	n, err := e.st.C(RulesCollection).CountDocuments(ctx, bson.M{})
	if err != nil || n > 0 {
		return err
	}
	for _, r := range DefaultRules() {
		r.normalize(nil)
		r.Version, r.UpdatedAt = 1, time.Now().UTC()
		if _, err := e.st.C(RulesCollection).InsertOne(ctx, r); err != nil && !store.IsDuplicate(err) {
			return fmt.Errorf("seed alert rule %s: %w", r.ID, err)
		}
	}
	return nil
}
