package sectors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// SourcesCollection holds the sector sources that are pulled (dossier portals).
const SourcesCollection = "sector_sources"

// Record kinds of the dossier sector.
const (
	KindDossier = "dossier"
	KindFinding = "finding"
)

// Finding rules checked on each processing step.
const (
	RuleStepLate      = "step_late"      // a step finished after its own deadline
	RuleReturnedOften = "returned_often" // a dossier returned more than twice
)

// DueSoon is the window in which an open dossier counts as due soon.
const DueSoon = 48 * time.Hour

func dossierSector() *Sector {
	dims := []string{"unit", "procedure"}
	ind := func(name, summary, kind, sel string, group []string) Indicator {
		return Indicator{Indicator: alerts.Indicator{Name: name, Summary: summary, Kind: kind, GroupBy: group},
			Record: KindDossier, Select: sel, Aggregate: AggCount, DueSoon: DueSoon}
	}
	late := ind("dossiers.late", "dossiers open past their due time, or finished late in the range", "gauge", SelectLate, dims)
	late.Target = &Target{Op: "<=", Value: 0}
	late.Rules = []alerts.Rule{{ID: "dossiers-late", Name: "Dossiers: late dossiers at a unit", Kind: alerts.KindThreshold,
		Indicator: "dossiers.late", GroupBy: "unit", Op: ">=", Value: 5, Window: alerts.Duration(time.Hour),
		Cooldown: alerts.Duration(24 * time.Hour), Severity: "warning", Enabled: true}}
	findings := Indicator{Indicator: alerts.Indicator{Name: "dossiers.findings", Summary: "findings raised against units (step late, returned more than twice)",
		Kind: "count", GroupBy: []string{"unit", "rule", "procedure"}}, Record: KindFinding, Aggregate: AggCount,
		Target: &Target{Op: "<=", Value: 0},
		Rules: []alerts.Rule{{ID: "dossiers-findings", Name: "Dossiers: findings against a unit", Kind: alerts.KindThreshold,
			Indicator: "dossiers.findings", GroupBy: "unit", Op: ">=", Value: 3, Window: alerts.Duration(24 * time.Hour),
			Cooldown: alerts.Duration(24 * time.Hour), Severity: "warning", Enabled: true}}}
	return &Sector{ID: "dossiers", Name: "Public-service dossiers",
		Sources: []string{"HTTP JSON pull from the public-service portal with a configurable mapping (/api/v1/sectors/dossiers/sources)"},
		Indicators: []Indicator{
			ind("dossiers.received", "dossiers received", "count", SelectWindow, dims),
			ind("dossiers.open", "dossiers in progress", "gauge", SelectOpen, dims),
			late,
			ind("dossiers.due_soon", "open dossiers due within 48 hours", "gauge", SelectDueSoon, dims),
			findings,
		},
		Views: []View{
			{Name: "late", Path: "/api/v1/sectors/dossiers/late", Summary: "late and due-soon dossiers per unit"},
			{Name: "findings", Path: "/api/v1/sectors/dossiers/findings", Summary: "findings per unit"},
		}}
}

// DossierMapping says where a portal's JSON answer keeps each field: dotted paths, in the
// answer (Items) and in each dossier and step. Empty fields take the defaults.
type DossierMapping struct {
	Items        string `bson:"items" json:"items"`                 // the array of dossiers ("" = the answer itself)
	ID           string `bson:"id" json:"id"`                       // default "id"
	Received     string `bson:"received" json:"received"`           // default "received"
	Due          string `bson:"due" json:"due"`                     // default "due"
	Finished     string `bson:"finished" json:"finished"`           // default "finished"
	Unit         string `bson:"unit" json:"unit"`                   // default "unit"
	Procedure    string `bson:"procedure" json:"procedure"`         // default "procedure"
	Status       string `bson:"status" json:"status"`               // default "status"
	Steps        string `bson:"steps" json:"steps"`                 // default "steps"
	StepName     string `bson:"step_name" json:"step_name"`         // default "name"
	StepDue      string `bson:"step_due" json:"step_due"`           // default "due"
	StepFinished string `bson:"step_finished" json:"step_finished"` // default "finished"
	StepAction   string `bson:"step_action" json:"step_action"`     // default "action"
	Returned     string `bson:"returned" json:"returned"`           // action meaning "returned"; default "returned"
}

func (mp *DossierMapping) defaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&mp.ID, "id")
	def(&mp.Received, "received")
	def(&mp.Due, "due")
	def(&mp.Finished, "finished")
	def(&mp.Unit, "unit")
	def(&mp.Procedure, "procedure")
	def(&mp.Status, "status")
	def(&mp.Steps, "steps")
	def(&mp.StepName, "name")
	def(&mp.StepDue, "due")
	def(&mp.StepFinished, "finished")
	def(&mp.StepAction, "action")
	def(&mp.Returned, "returned")
}

// Step is one processing step of a dossier.
type Step struct {
	Name     string
	Due      *time.Time
	Finished *time.Time
	Action   string
}

// Dossier is one dossier read from a portal.
type Dossier struct {
	ID        string
	Received  time.Time
	Due       *time.Time
	Finished  *time.Time
	Unit      string
	Procedure string
	Status    string
	Steps     []Step
}

// ParseDossiers reads a portal's answer with a mapping. Each dossier is judged alone: the
// valid ones are returned with one error line for each invalid one.
func ParseDossiers(body []byte, mp DossierMapping) ([]Dossier, []string, error) {
	mp.defaults()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("the answer is not JSON: %w", err)
	}
	raw, ok := path(doc, mp.Items)
	list, isList := raw.([]any)
	if !ok || !isList {
		return nil, nil, fmt.Errorf("no array of dossiers at %q", mp.Items)
	}
	var out []Dossier
	var bad []string
	for i, v := range list {
		d, err := parseDossier(v, mp)
		if err != nil {
			bad = append(bad, fmt.Sprintf("dossier %d: %v", i, err))
			continue
		}
		out = append(out, d)
	}
	return out, bad, nil
}

func parseDossier(v any, mp DossierMapping) (Dossier, error) {
	d := Dossier{ID: text(v, mp.ID), Unit: text(v, mp.Unit), Procedure: text(v, mp.Procedure), Status: text(v, mp.Status)}
	if d.ID == "" {
		return d, fmt.Errorf("no id at %q", mp.ID)
	}
	rec, err := ParseTime(text(v, mp.Received))
	if err != nil {
		return d, fmt.Errorf("%s: received: %w", d.ID, err)
	}
	d.Received = rec
	if d.Due, err = optTime(v, mp.Due); err != nil {
		return d, fmt.Errorf("%s: due: %w", d.ID, err)
	}
	if d.Finished, err = optTime(v, mp.Finished); err != nil {
		return d, fmt.Errorf("%s: finished: %w", d.ID, err)
	}
	steps, _ := path(v, mp.Steps)
	list, _ := steps.([]any)
	for j, sv := range list {
		s := Step{Name: text(sv, mp.StepName), Action: text(sv, mp.StepAction)}
		if s.Due, err = optTime(sv, mp.StepDue); err != nil {
			return d, fmt.Errorf("%s: step %d due: %w", d.ID, j, err)
		}
		if s.Finished, err = optTime(sv, mp.StepFinished); err != nil {
			return d, fmt.Errorf("%s: step %d finished: %w", d.ID, j, err)
		}
		d.Steps = append(d.Steps, s)
	}
	return d, nil
}

// findings checks the steps of a dossier: each step finished after its own deadline, and
// more than two returns. IDs are stable, so a step checked again raises nothing new.
func findings(base string, d Dossier, returned string, now time.Time) []*Record {
	var out []*Record
	dims := func(rule string) map[string]string {
		return map[string]string{"unit": d.Unit, "procedure": d.Procedure, "rule": rule, "dossier": d.ID}
	}
	returns := 0
	for i, s := range d.Steps {
		if s.Due != nil && s.Finished != nil && s.Finished.After(*s.Due) {
			r := &Record{ID: fmt.Sprintf("%s:%s:%d", base, RuleStepLate, i), Kind: KindFinding, At: *s.Finished, Dims: dims(RuleStepLate),
				Values: map[string]float64{"late_hours": s.Finished.Sub(*s.Due).Hours()}}
			r.Dims["step"] = s.Name
			out = append(out, r)
		}
		if strings.EqualFold(s.Action, returned) {
			returns++
			if returns == 3 {
				at := now
				if s.Finished != nil {
					at = *s.Finished
				}
				out = append(out, &Record{ID: base + ":" + RuleReturnedOften, Kind: KindFinding, At: at, Dims: dims(RuleReturnedOften)})
			}
		}
	}
	for _, r := range out {
		r.Sector = "dossiers"
	}
	return out
}

// DossierSource is a portal pulled on schedule.
type DossierSource struct {
	ID         string            `bson:"_id" json:"id"`
	Sector     string            `bson:"sector" json:"-"`
	Name       string            `bson:"name" json:"name"`
	URL        string            `bson:"url" json:"url"`
	Headers    map[string]string `bson:"headers,omitempty" json:"headers,omitempty"` // e.g. an Authorization token
	Mapping    DossierMapping    `bson:"mapping" json:"mapping"`
	Interval   int               `bson:"interval_seconds" json:"interval_seconds,omitempty"` // default 600
	Enabled    bool              `bson:"enabled" json:"enabled"`
	NextPullAt time.Time         `bson:"next_pull_at" json:"next_pull_at"`
	LastPullAt time.Time         `bson:"last_pull_at,omitempty" json:"last_pull_at,omitempty"`
	LastError  string            `bson:"last_error,omitempty" json:"last_error,omitempty"`
	Version    int64             `bson:"version" json:"version"`
}

// PullResult is what one pull did.
type PullResult struct {
	Dossiers int      `json:"dossiers"`
	Changed  int      `json:"changed"`
	Findings int      `json:"findings"`
	Invalid  []string `json:"invalid,omitempty"`
}

// dossierPuller pulls the enabled portals when they are due.
type dossierPuller struct {
	m      *Module
	client *http.Client
}

var _ app.Runner = (*dossierPuller)(nil)

// Run pulls due sources every 30 seconds until ctx ends.
func (p *dossierPuller) Run(ctx context.Context) error {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		srcs, err := p.m.dossierSources(ctx)
		if err != nil {
			p.m.log.Warn("list dossier sources", "err", err)
			continue
		}
		now := p.m.now()
		for _, s := range srcs {
			if s.Enabled && !s.NextPullAt.After(now) {
				if _, err := p.m.Pull(ctx, s.ID); err != nil {
					p.m.log.Warn("pull dossiers", "source", s.ID, "err", err)
				}
			}
		}
	}
}

func (m *Module) dossierSources(ctx context.Context) ([]DossierSource, error) {
	cur, err := m.store.C(SourcesCollection).Find(ctx, bson.M{"sector": "dossiers"})
	if err != nil {
		return nil, fmt.Errorf("list dossier sources: %w", err)
	}
	var out []DossierSource
	err = cur.All(ctx, &out)
	return out, err
}

// Pull fetches a portal now and stores what changed. The source is claimed by moving its
// next pull forward (a version-guarded update), so two nodes do not pull it together.
func (m *Module) Pull(ctx context.Context, id string) (*PullResult, error) {
	var src DossierSource
	if err := m.store.C(SourcesCollection).FindOne(ctx, bson.M{"_id": id}).Decode(&src); err != nil {
		return nil, httpapi.NotFound("no dossier source %s", id)
	}
	now := m.now()
	next := now.Add(time.Duration(max(src.Interval, 60)) * time.Second)
	ok, err := m.store.UpdateByID(ctx, SourcesCollection, id, bson.M{"version": src.Version},
		bson.M{"$set": bson.M{"next_pull_at": next, "last_pull_at": now}, "$inc": bson.M{"version": 1}}, nil)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, httpapi.Conflict("dossier source %s is being pulled", id)
	}
	res, perr := m.pull(ctx, &src, now)
	msg := ""
	if perr != nil {
		msg = perr.Error()
	}
	if _, err := m.store.C(SourcesCollection).UpdateByID(ctx, id, bson.M{"$set": bson.M{"last_error": msg}}); err != nil {
		return nil, err
	}
	if perr != nil {
		return nil, &httpapi.Error{Status: http.StatusBadGateway, Code: "pull_failed", Message: msg}
	}
	return res, nil
}

func (m *Module) pull(ctx context.Context, src *DossierSource, now time.Time) (*PullResult, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", src.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", src.URL, err)
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range src.Headers {
		req.Header.Set(k, v)
	}
	resp, err := m.dossiers.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", src.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", src.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("pull %s: HTTP %d", src.URL, resp.StatusCode)
	}
	ds, bad, err := ParseDossiers(body, src.Mapping)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", src.URL, err)
	}
	returned := src.Mapping.Returned
	if returned == "" {
		returned = "returned"
	}
	res := &PullResult{Dossiers: len(ds), Invalid: bad}
	var changed []*Record
	for _, d := range ds {
		r, fs, err := m.storeDossier(ctx, src.ID, d, returned, now)
		if err != nil {
			return res, err
		}
		if r != nil {
			res.Changed++
			changed = append(changed, r)
		}
		res.Findings += len(fs)
		changed = append(changed, fs...)
	}
	if len(changed) > 0 {
		m.add("dossiers", changed...)
	}
	return res, nil
}

// storeDossier stores a dossier when it differs from the stored one, and the new findings
// of its steps; it returns what it stored (nil when unchanged).
func (m *Module) storeDossier(ctx context.Context, source string, d Dossier, returned string, now time.Time) (*Record, []*Record, error) {
	base := "dossiers:" + source + ":" + d.ID
	returns := 0
	for _, s := range d.Steps {
		if strings.EqualFold(s.Action, returned) {
			returns++
		}
	}
	r := &Record{ID: base, Sector: "dossiers", Kind: KindDossier, At: d.Received, Due: d.Due, Done: d.Finished,
		Dims:   map[string]string{"unit": d.Unit, "procedure": d.Procedure, "status": d.Status, "source": source, "dossier": d.ID},
		Values: map[string]float64{"steps": float64(len(d.Steps)), "returns": float64(returns)}}
	var fresh []*Record
	fs := findings(base+":finding", d, returned, now)
	var todo []*Record
	for _, f := range fs {
		if _, seen := m.recs["dossiers"].get(f.ID); !seen {
			todo = append(todo, f)
		}
	}
	if len(todo) > 0 {
		if _, err := m.st.insertNew(ctx, todo); err != nil {
			return nil, nil, err
		}
		fresh = todo
	}
	if old, ok := m.recs["dossiers"].get(r.ID); ok && sameDossier(old, r) {
		return nil, fresh, nil
	}
	if err := m.st.upsert(ctx, r); err != nil {
		return nil, nil, err
	}
	return r, fresh, nil
}

func sameDossier(a, b *Record) bool {
	eqT := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	if !a.At.Equal(b.At) || !eqT(a.Due, b.Due) || !eqT(a.Done, b.Done) || len(a.Dims) != len(b.Dims) || len(a.Values) != len(b.Values) {
		return false
	}
	for k, v := range a.Dims {
		if b.Dims[k] != v {
			return false
		}
	}
	for k, v := range a.Values {
		if b.Values[k] != v {
			return false
		}
	}
	return true
}

// UnitDossiers is the late and due-soon dossiers of one unit.
type UnitDossiers struct {
	Unit    string   `json:"unit"`
	Late    int      `json:"late"`
	DueSoon int      `json:"due_soon"`
	Items   []Record `json:"items"`
}

// LateDossiers lists the open dossiers late or due within DueSoon, per unit (most late first).
func (m *Module) LateDossiers(unit string) []UnitDossiers {
	now := m.now()
	byUnit := map[string]*UnitDossiers{}
	for _, r := range m.recs["dossiers"].list(KindDossier, func(r *Record) bool {
		return r.open(now) && r.Due != nil && (unit == "" || r.Dims["unit"] == unit) && r.Due.Sub(now) <= DueSoon
	}) {
		u := byUnit[r.Dims["unit"]]
		if u == nil {
			u = &UnitDossiers{Unit: r.Dims["unit"]}
			byUnit[r.Dims["unit"]] = u
		}
		if now.After(*r.Due) {
			u.Late++
		} else {
			u.DueSoon++
		}
		u.Items = append(u.Items, r)
	}
	out := make([]UnitDossiers, 0, len(byUnit))
	for _, u := range byUnit {
		sort.Slice(u.Items, func(i, j int) bool { return u.Items[i].Due.Before(*u.Items[j].Due) })
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Late != out[j].Late {
			return out[i].Late > out[j].Late
		}
		return out[i].Unit < out[j].Unit
	})
	return out
}

func (m *Module) registerDossiers(api *httpapi.API) {
	watch := httpapi.Users(httpapi.RoleSupervisor, httpapi.RoleLeader, httpapi.RoleOfficer)
	admin := httpapi.Users(httpapi.RoleSupervisor)
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/sectors/dossiers/late", Tag: "sectors", Access: watch,
		Summary: "Open dossiers late or due within 48 hours, per unit", Response: []UnitDossiers{},
		Params: []httpapi.Param{{Name: "unit", In: "query", Description: "one unit"}},
		Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) ([]UnitDossiers, error) {
			return m.LateDossiers(r.URL.Query().Get("unit")), nil
		})})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/sectors/dossiers/findings", Tag: "sectors", Access: watch,
		Summary: "Findings raised against units by the step rules, newest first", Response: []Record{},
		Params: []httpapi.Param{{Name: "unit", In: "query", Description: "one unit"}},
		Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) ([]Record, error) {
			unit := r.URL.Query().Get("unit")
			return m.recs["dossiers"].list(KindFinding, func(f *Record) bool { return unit == "" || f.Dims["unit"] == unit }), nil
		})})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/sectors/dossiers/sources", Tag: "sectors", Access: admin,
		Summary: "Portals pulled for dossiers", Response: []DossierSource{},
		Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) ([]DossierSource, error) { return m.dossierSources(r.Context()) })})
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/sectors/dossiers/sources/{id}", Tag: "sectors", Access: admin,
		Summary: "Create or replace a portal source (URL, headers, mapping, interval)", Body: DossierSource{}, Response: DossierSource{},
		Handle: httpapi.ReplyBody(http.StatusOK, func(r *http.Request, in DossierSource) (DossierSource, error) {
			return m.putDossierSource(r.Context(), r.PathValue("id"), in)
		})})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/sectors/dossiers/sources/{id}/pull", Tag: "sectors", Access: admin,
		Summary: "Pull a portal now", Response: PullResult{},
		Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) (*PullResult, error) { return m.Pull(r.Context(), r.PathValue("id")) })})
}

func (m *Module) putDossierSource(ctx context.Context, id string, in DossierSource) (DossierSource, error) {
	bad := map[string]string{}
	if id == "" || len(id) > 64 {
		bad["id"] = "1 to 64 characters"
	}
	if !strings.HasPrefix(in.URL, "http://") && !strings.HasPrefix(in.URL, "https://") {
		bad["url"] = "an http(s) URL"
	}
	if in.Interval != 0 && in.Interval < 60 {
		bad["interval_seconds"] = "at least 60"
	}
	if len(bad) > 0 {
		return in, httpapi.Invalid(bad)
	}
	in.ID, in.Sector, in.NextPullAt, in.LastError = id, "dossiers", m.now(), ""
	in.Version = 0
	if _, err := m.store.C(SourcesCollection).DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return in, err
	}
	if _, err := m.store.C(SourcesCollection).InsertOne(ctx, in); err != nil {
		return in, fmt.Errorf("store dossier source %s: %w", id, err)
	}
	return in, nil
}
