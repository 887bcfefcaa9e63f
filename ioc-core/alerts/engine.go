package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collections of the alert engine.
const (
	RulesCollection  = "alert_rules"
	AlertsCollection = "alerts"
	keysCollection   = "alert_keys" // one document per active alert key: the dedupe lock
)

// ErrNotFound is returned for an unknown alert or rule.
var ErrNotFound = errors.New("alerts: not found")

// Publisher is what the engine needs of the event bus: its alert documents stage their
// events, and the relay is kicked after each write.
type Publisher interface {
	Kick(refs ...events.Ref)
}

// Engine evaluates the rules against the registered sources and keeps the alerts. One
// engine serves every module of the core; modules register their Source under a prefix.
type Engine struct {
	st  *store.Store
	bus Publisher
	log *slog.Logger

	mu      sync.Mutex
	sources map[string]Source
	pending map[string]time.Time // key → when its condition started to hold
	hooks   []func(Alert)
}

// NewEngine returns an engine storing alerts in st.
func NewEngine(st *store.Store, bus Publisher, log *slog.Logger) *Engine {
	return &Engine{st: st, bus: bus, log: log, sources: map[string]Source{}, pending: map[string]time.Time{}}
}

// Register adds the source of the indicators named prefix.*. It may be called at any time.
func (e *Engine) Register(prefix string, src Source) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sources[prefix] = src
}

// OnChange registers f, called with every alert that fires, is acknowledged or resolves.
func (e *Engine) OnChange(f func(Alert)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hooks = append(e.hooks, f)
}

func (e *Engine) notify(a Alert) {
	e.mu.Lock()
	hooks := append([]func(Alert){}, e.hooks...)
	e.mu.Unlock()
	for _, h := range hooks {
		h(a)
	}
}

func (e *Engine) source(indicator string) Source {
	prefix, _, _ := strings.Cut(indicator, ".")
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sources[prefix]
}

// Indicators lists every indicator of every registered source, by name.
func (e *Engine) Indicators() []Indicator {
	e.mu.Lock()
	var out []Indicator
	for _, s := range e.sources {
		out = append(out, s.Indicators()...)
	}
	e.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (e *Engine) known(indicator string) bool {
	src := e.source(indicator)
	if src == nil {
		return false
	}
	for _, i := range src.Indicators() {
		if i.Name == indicator {
			return true
		}
	}
	return false
}

// observation is a rule's verdict for one group.
type observation struct {
	value    float64
	breach   bool
	baseline *Baseline
}

// Evaluate runs every enabled rule at now: conditions that have held for their rule's
// duration fire (once per key, not within the cooldown), active alerts whose condition
// no longer holds resolve. Run calls it on a ticker; tests call it with their own clock.
func (e *Engine) Evaluate(ctx context.Context, now time.Time) error {
	rules, err := e.Rules(ctx)
	if err != nil {
		return err
	}
	active, err := e.activeAlerts(ctx)
	if err != nil {
		return err
	}
	var errs []error
	seen := map[string]bool{}
	for i := range rules {
		r := &rules[i]
		if !r.Enabled {
			continue
		}
		seen[r.ID] = true
		if err := e.evalRule(ctx, r, now, active); err != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", r.ID, err))
		}
	}
	for _, a := range active { // alerts of rules deleted or disabled
		if !seen[a.Rule] {
			errs = append(errs, e.resolve(ctx, a, now))
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) evalRule(ctx context.Context, r *Rule, now time.Time, active map[string]*Alert) error {
	src := e.source(r.Indicator)
	if src == nil {
		return fmt.Errorf("no source for indicator %s", r.Indicator)
	}
	obs, err := observe(ctx, src, r, now)
	if err != nil {
		return err
	}
	prefix := r.ID + "|"
	e.mu.Lock()
	for key := range e.pending { // forget holds of groups that are no longer breached
		if strings.HasPrefix(key, prefix) && !obs[strings.TrimPrefix(key, prefix)].breach {
			delete(e.pending, key)
		}
	}
	e.mu.Unlock()
	var errs []error
	for group, o := range obs {
		key := prefix + group
		if !o.breach {
			continue
		}
		e.mu.Lock()
		since, ok := e.pending[key]
		if !ok {
			since = now
			e.pending[key] = now
		}
		e.mu.Unlock()
		if active[key] == nil && now.Sub(since) >= r.For.D() {
			errs = append(errs, e.fire(ctx, src, r, group, o, since, now))
		}
	}
	for key, a := range active {
		if a.Rule == r.ID && !obs[strings.TrimPrefix(key, prefix)].breach {
			errs = append(errs, e.resolve(ctx, a, now))
		}
	}
	return errors.Join(errs...)
}

// observe measures a rule's indicator and judges each group.
func observe(ctx context.Context, src Source, r *Rule, now time.Time) (map[string]observation, error) {
	w := r.Window.D()
	q := Query{Indicator: r.Indicator, GroupBy: r.GroupBy, Filter: r.Filter, From: now.Add(-w), To: now, Now: now}
	cur, err := src.Measure(ctx, q)
	if err != nil {
		return nil, err
	}
	out := map[string]observation{}
	switch r.Kind {
	case KindThreshold:
		for g, v := range cur {
			out[g] = observation{value: v, breach: holds(v, r.Op, r.Value)}
		}
	case KindChange:
		q.From, q.To = now.Add(-2*w), now.Add(-w)
		prev, err := src.Measure(ctx, q)
		if err != nil {
			return nil, err
		}
		for g, v := range cur {
			p := prev[g]
			o := observation{value: v, baseline: &Baseline{Mean: p}}
			if p > 0 {
				o.breach = holds((v-p)/p, r.Op, r.Value)
			}
			out[g] = o
		}
	default:
		past := make([]map[string]float64, 7)
		for d := range 7 {
			back := time.Duration(d+1) * 24 * time.Hour
			q.From, q.To = now.Add(-w-back), now.Add(-back)
			if past[d], err = src.Measure(ctx, q); err != nil {
				return nil, err
			}
		}
		for g, v := range cur {
			samples := make([]float64, 7)
			for d := range 7 {
				samples[d] = past[d][g]
			}
			out[g] = spike(r, v, samples)
		}
	}
	return out, nil
}

// spike judges a count against the same hours of the past 7 days.
func spike(r *Rule, v float64, samples []float64) observation {
	mean, std := meanStd(samples)
	b := &Baseline{Samples: samples, Mean: mean, Std: std}
	o := observation{value: v, baseline: b}
	useZ := r.Kind == KindZScore || (r.Kind == KindSpike && mean >= r.SparseBelow)
	if useZ {
		z := zscore(v, mean, std)
		b.Test = "zscore"
		if !math.IsInf(z, 0) { // no spread: z is unbounded and left out (JSON and BSON have no ∞)
			b.Z = &z
		}
		o.breach = z >= r.Value
	} else {
		p := poissonTail(int(math.Round(v)), poissonRate(samples))
		b.P, b.Test = &p, "poisson"
		o.breach = p < r.PValue && v > mean
	}
	o.breach = o.breach && v >= r.MinCount
	return o
}

func (e *Engine) activeAlerts(ctx context.Context) (map[string]*Alert, error) {
	cur, err := e.st.C(AlertsCollection).Find(ctx, bson.M{"state": bson.M{"$in": bson.A{StateFiring, StateAcknowledged}}})
	if err != nil {
		return nil, fmt.Errorf("load active alerts: %w", err)
	}
	var list []Alert
	if err := cur.All(ctx, &list); err != nil {
		return nil, fmt.Errorf("load active alerts: %w", err)
	}
	out := make(map[string]*Alert, len(list))
	for i := range list {
		out[list[i].Key] = &list[i]
	}
	return out, nil
}

func (e *Engine) fire(ctx context.Context, src Source, r *Rule, group string, o observation, since, now time.Time) error {
	key := r.ID + "|" + group
	if r.Cooldown > 0 {
		n, err := e.st.C(AlertsCollection).CountDocuments(ctx, bson.M{"key": key, "state": StateResolved,
			"resolved_at": bson.M{"$gt": now.Add(-r.Cooldown.D())}})
		if err != nil {
			return fmt.Errorf("cooldown of %s: %w", key, err)
		}
		if n > 0 {
			return nil
		}
	}
	a := Alert{ID: bson.NewObjectID().Hex(), Key: key, Rule: r.ID, RuleName: r.Name, Kind: r.Kind, Indicator: r.Indicator,
		GroupBy: r.GroupBy, Group: group, Severity: r.Severity, State: StateFiring, Value: o.value, LastValue: o.value,
		Threshold: r.Value, Baseline: o.baseline, Since: since, FiredAt: now, UpdatedAt: now, Version: 1}
	a.Message = message(r, group, o)
	a.Context = e.context(ctx, src, r, group, now)
	if _, err := e.st.C(keysCollection).InsertOne(ctx, bson.M{"_id": key, "alert": a.ID, "at": now}); err != nil {
		if store.IsDuplicate(err) {
			return nil // another evaluator fired it
		}
		return fmt.Errorf("lock alert key %s: %w", key, err)
	}
	doc := struct {
		Alert         `bson:",inline"`
		events.Outbox `bson:",inline"`
	}{a, events.NewOutbox(events.MustNew("alert.fired", a.ID, a.eventData()))}
	if _, err := e.st.C(AlertsCollection).InsertOne(ctx, doc); err != nil {
		_, _ = e.st.C(keysCollection).DeleteOne(context.WithoutCancel(ctx), bson.M{"_id": key})
		return fmt.Errorf("store alert %s: %w", key, err)
	}
	e.bus.Kick(events.Ref{Coll: AlertsCollection, ID: a.ID})
	e.log.Info("alert fired", "rule", r.ID, "group", group, "value", o.value)
	e.notify(a)
	return nil
}

func message(r *Rule, group string, o observation) string {
	var s string
	switch {
	case r.Kind == KindThreshold:
		s = fmt.Sprintf("%s: %s = %.4g %s %.4g", r.Name, r.Indicator, o.value, r.Op, r.Value)
	case r.Kind == KindChange:
		s = fmt.Sprintf("%s: %s = %.4g against %.4g in the previous window", r.Name, r.Indicator, o.value, o.baseline.Mean)
	default:
		s = fmt.Sprintf("%s: %s = %.4g against a mean of %.3g at the same hours of the past 7 days", r.Name, r.Indicator, o.value, o.baseline.Mean)
	}
	if r.For > 0 {
		s += fmt.Sprintf(" for %s", r.For.D())
	}
	if r.GroupBy != "" {
		s += fmt.Sprintf(" (%s %s)", r.GroupBy, group)
	}
	return s
}

// context measures the top values of each of the rule's context dimensions within the
// group, over the rule's window.
func (e *Engine) context(ctx context.Context, src Source, r *Rule, group string, now time.Time) map[string][]Top {
	if len(r.Context) == 0 {
		return nil
	}
	out := map[string][]Top{}
	for _, dim := range r.Context {
		f := map[string]string{}
		for k, v := range r.Filter {
			f[k] = v
		}
		if r.GroupBy != "" {
			f[r.GroupBy] = group
		}
		vals, err := src.Measure(ctx, Query{Indicator: r.Indicator, GroupBy: dim, Filter: f, From: now.Add(-r.Window.D()), To: now, Now: now})
		if err != nil {
			e.log.Warn("alert context", "rule", r.ID, "dim", dim, "err", err)
			continue
		}
		var tops []Top
		for v, n := range vals {
			if n > 0 {
				tops = append(tops, Top{Value: v, Count: n})
			}
		}
		sort.Slice(tops, func(i, j int) bool {
			if tops[i].Count != tops[j].Count {
				return tops[i].Count > tops[j].Count
			}
			return tops[i].Value < tops[j].Value
		})
		out[dim] = tops[:min(len(tops), 5)]
	}
	return out
}

func (e *Engine) resolve(ctx context.Context, a *Alert, now time.Time) error {
	u := store.Update{Set: bson.M{"state": StateResolved, "resolved_at": now, "updated_at": now}, Inc: bson.M{"version": 1}}
	res := *a
	res.State, res.ResolvedAt, res.UpdatedAt = StateResolved, &now, now
	events.Stage(&u, events.MustNew("alert.resolved", a.ID, res.eventData()))
	err := e.st.C(AlertsCollection).FindOneAndUpdate(ctx, bson.M{"_id": a.ID, "state": bson.M{"$ne": StateResolved}}, u.Doc(),
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&res)
	if store.IsNotFound(err) {
		return nil // resolved meanwhile
	}
	if err != nil {
		return fmt.Errorf("resolve alert %s: %w", a.ID, err)
	}
	if _, err := e.st.C(keysCollection).DeleteOne(ctx, bson.M{"_id": a.Key, "alert": a.ID}); err != nil {
		return fmt.Errorf("unlock alert key %s: %w", a.Key, err)
	}
	e.bus.Kick(events.Ref{Coll: AlertsCollection, ID: a.ID})
	e.notify(res)
	return nil
}

// Ack acknowledges a firing alert on behalf of by. Acknowledging an alert that is not
// firing is a conflict.
func (e *Engine) Ack(ctx context.Context, id, by, note string) (*Alert, error) {
	now := time.Now().UTC()
	var cur Alert
	if err := e.st.C(AlertsCollection).FindOne(ctx, bson.M{"_id": id}).Decode(&cur); err != nil {
		if store.IsNotFound(err) {
			return nil, httpapi.NotFound("no alert %s", id)
		}
		return nil, fmt.Errorf("ack alert %s: %w", id, err)
	}
	if cur.State != StateFiring {
		return nil, httpapi.Conflict("alert %s is %s, not firing", id, cur.State)
	}
	cur.State, cur.AckedBy, cur.AckedAt, cur.AckNote = StateAcknowledged, by, &now, note
	u := store.Update{Set: bson.M{"state": StateAcknowledged, "acked_by": by, "acked_at": now, "ack_note": note, "updated_at": now},
		Inc: bson.M{"version": 1}}
	events.Stage(&u, events.MustNew("alert.acknowledged", id, cur.eventData()))
	var out Alert
	err := e.st.C(AlertsCollection).FindOneAndUpdate(ctx, bson.M{"_id": id, "state": StateFiring, "version": cur.Version}, u.Doc(),
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&out)
	if store.IsNotFound(err) {
		return nil, httpapi.Conflict("alert %s changed meanwhile; try again", id)
	}
	if err != nil {
		return nil, fmt.Errorf("ack alert %s: %w", id, err)
	}
	e.bus.Kick(events.Ref{Coll: AlertsCollection, ID: id})
	e.notify(out)
	return &out, nil
}

// Alert returns one alert.
func (e *Engine) Alert(ctx context.Context, id string) (*Alert, error) {
	var a Alert
	err := e.st.C(AlertsCollection).FindOne(ctx, bson.M{"_id": id}).Decode(&a)
	if store.IsNotFound(err) {
		return nil, ErrNotFound
	}
	return &a, err
}

// Alerts lists alerts in the given states (all when none), newest first, at most limit
// after the alert id cursor (ids grow with time).
func (e *Engine) Alerts(ctx context.Context, states []string, before string, limit int) ([]Alert, error) {
	f := bson.M{}
	if len(states) > 0 {
		f["state"] = bson.M{"$in": states}
	}
	if before != "" {
		f["_id"] = bson.M{"$lt": before}
	}
	cur, err := e.st.C(AlertsCollection).Find(ctx, f, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	out := []Alert{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return out, nil
}

// Run evaluates the rules every interval until ctx ends.
func (e *Engine) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := e.Evaluate(ctx, time.Now().UTC()); err != nil && ctx.Err() == nil {
				e.log.Warn("alert evaluation", "err", err)
			}
		}
	}
}
