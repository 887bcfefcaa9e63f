package sectors

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/xuri/excelize/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// DefinitionsCollection holds the socio-economic indicator definitions.
const DefinitionsCollection = "sector_indicator_defs"

// KindValue is the record kind of an indicator's value for a period.
const KindValue = "value"

// Periods of socio-economic indicators.
const (
	PeriodDay     = "day"
	PeriodMonth   = "month"
	PeriodQuarter = "quarter"
	PeriodYear    = "year"
)

func indicatorSector() *Sector {
	group := []string{"indicator"}
	return &Sector{ID: "indicators", Name: "Socio-economic indicators",
		Sources: []string{"values entered through the API (/api/v1/sectors/indicators/values)", "CSV or XLSX import (/api/v1/sectors/indicators/import)"},
		Indicators: []Indicator{
			{Indicator: alerts.Indicator{Name: "indicators.progress", Summary: "latest value ÷ target of each indicator (for ≤ targets, target ÷ value)", Kind: "gauge", GroupBy: group},
				Record: KindValue, Select: SelectLatest, Series: group, Aggregate: AggMin, Field: "progress", Target: &Target{Op: ">=", Value: 1}},
			{Indicator: alerts.Indicator{Name: "indicators.pace", Summary: "progress of each indicator ÷ the share of its period gone (cumulative indicators); below 1 is behind", Kind: "gauge", GroupBy: group},
				Record: KindValue, Select: SelectLatest, Series: group, Aggregate: AggPace, Field: "progress", Target: &Target{Op: ">=", Value: 1},
				Rules: []alerts.Rule{{ID: "indicators-behind", Name: "Indicators: behind target", Kind: alerts.KindThreshold, Indicator: "indicators.pace",
					GroupBy: "indicator", Op: "<", Value: 0.9, Window: alerts.Duration(time.Hour), Cooldown: alerts.Duration(7 * 24 * time.Hour),
					Severity: "warning", Enabled: true}}},
			{Indicator: alerts.Indicator{Name: "indicators.value", Summary: "latest value of each indicator", Kind: "gauge", GroupBy: group},
				Record: KindValue, Select: SelectLatest, Series: group, Aggregate: AggMax, Field: "value"},
		},
		Views: []View{{Name: "progress", Path: "/api/v1/sectors/indicators/progress", Summary: "each indicator's latest value against its target"}}}
}

// Definition is a socio-economic indicator: its period, unit and target per period.
type Definition struct {
	Code       string  `bson:"_id" json:"code"`
	Name       string  `bson:"name" json:"name"`
	Unit       string  `bson:"unit" json:"unit"`
	Period     string  `bson:"period" json:"period"`
	Target     float64 `bson:"target" json:"target"`
	Op         string  `bson:"op" json:"op"`                 // >= (default: more is better) or <=
	Cumulative bool    `bson:"cumulative" json:"cumulative"` // the value accumulates over the period (pace applies)
}

// defs are the definitions in memory; the store is the truth.
type defs struct {
	mu sync.RWMutex
	m  map[string]Definition
}

// ValueIn is one value entered or imported.
type ValueIn struct {
	Indicator string  `json:"indicator"`
	Period    string  `json:"period"` // 2026-03-09, 2026-03, 2026-Q1 or 2026 by the indicator's period
	Value     float64 `json:"value"`
}

// ValueResult is the outcome of one value.
type ValueResult struct {
	Status string            `json:"status"` // stored or invalid
	ID     string            `json:"id,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

// ValuesResponse answers a batch of values.
type ValuesResponse struct {
	Results []ValueResult `json:"results"`
	Stored  int           `json:"stored"`
}

// ParsePeriod reads a period key of kind and returns its [start, end) in Vietnam time.
func ParsePeriod(kind, key string) (time.Time, time.Time, error) {
	var start time.Time
	var err error
	switch kind {
	case PeriodDay:
		start, err = time.ParseInLocation("2006-01-02", key, Vietnam)
		return start.UTC(), start.AddDate(0, 0, 1).UTC(), err
	case PeriodMonth:
		start, err = time.ParseInLocation("2006-01", key, Vietnam)
		return start.UTC(), start.AddDate(0, 1, 0).UTC(), err
	case PeriodQuarter:
		y, q, ok := strings.Cut(key, "-Q")
		yy, e1 := strconv.Atoi(y)
		qq, e2 := strconv.Atoi(q)
		if !ok || e1 != nil || e2 != nil || qq < 1 || qq > 4 || yy < 1900 || yy > 2200 {
			return start, start, fmt.Errorf("%q is not a quarter such as 2026-Q1", key)
		}
		start = time.Date(yy, time.Month(3*qq-2), 1, 0, 0, 0, 0, Vietnam)
		return start.UTC(), start.AddDate(0, 3, 0).UTC(), nil
	case PeriodYear:
		start, err = time.ParseInLocation("2006", key, Vietnam)
		return start.UTC(), start.AddDate(1, 0, 0).UTC(), err
	}
	return start, start, fmt.Errorf("unknown period %q", kind)
}

// progress is how far value is toward target.
func progress(d Definition, v float64) float64 {
	if d.Op == "<=" {
		if v <= 0 {
			return 1
		}
		return d.Target / v
	}
	if d.Target == 0 {
		return 1
	}
	return v / d.Target
}

func (m *Module) definition(code string) (Definition, bool) {
	m.defs.mu.RLock()
	defer m.defs.mu.RUnlock()
	d, ok := m.defs.m[code]
	return d, ok
}

func (m *Module) loadDefinitions(ctx context.Context) error {
	cur, err := m.store.C(DefinitionsCollection).Find(ctx, bson.M{})
	if err != nil {
		return fmt.Errorf("load indicator definitions: %w", err)
	}
	var ds []Definition
	if err := cur.All(ctx, &ds); err != nil {
		return fmt.Errorf("load indicator definitions: %w", err)
	}
	m.defs.m = map[string]Definition{}
	for _, d := range ds {
		m.defs.m[d.Code] = d
	}
	return nil
}

// PutDefinition creates or replaces an indicator definition.
func (m *Module) PutDefinition(ctx context.Context, code string, d Definition) (Definition, error) {
	bad := map[string]string{}
	if code == "" || len(code) > 64 || strings.ContainsAny(code, ":/ ") {
		bad["code"] = "1 to 64 characters without ':', '/' or spaces"
	}
	if strings.TrimSpace(d.Name) == "" {
		bad["name"] = "required"
	}
	if d.Period != PeriodDay && d.Period != PeriodMonth && d.Period != PeriodQuarter && d.Period != PeriodYear {
		bad["period"] = "day, month, quarter or year"
	}
	if d.Op == "" {
		d.Op = ">="
	}
	if d.Op != ">=" && d.Op != "<=" {
		bad["op"] = ">= or <="
	}
	if math.IsNaN(d.Target) || math.IsInf(d.Target, 0) {
		bad["target"] = "a number"
	}
	if len(bad) > 0 {
		return d, httpapi.Invalid(bad)
	}
	d.Code = code
	if _, err := m.store.C(DefinitionsCollection).DeleteOne(ctx, bson.M{"_id": code}); err != nil {
		return d, err
	}
	if _, err := m.store.C(DefinitionsCollection).InsertOne(ctx, d); err != nil {
		return d, fmt.Errorf("store indicator %s: %w", code, err)
	}
	m.defs.mu.Lock()
	m.defs.m[code] = d
	m.defs.mu.Unlock()
	return d, nil
}

// StoreValues stores values; each is judged alone, the valid ones are stored.
func (m *Module) StoreValues(ctx context.Context, in []ValueIn) (*ValuesResponse, error) {
	out := &ValuesResponse{Results: make([]ValueResult, len(in))}
	var stored []*Record
	for i, v := range in {
		r, bad := m.valueRecord(v)
		if bad != nil {
			out.Results[i] = ValueResult{Status: "invalid", Fields: bad}
			continue
		}
		if err := m.st.upsert(ctx, r); err != nil {
			return out, err
		}
		stored = append(stored, r)
		out.Results[i] = ValueResult{Status: "stored", ID: r.ID}
		out.Stored++
	}
	if len(stored) > 0 {
		m.add("indicators", stored...)
	}
	return out, nil
}

func (m *Module) valueRecord(v ValueIn) (*Record, map[string]string) {
	d, ok := m.definition(v.Indicator)
	if !ok {
		return nil, map[string]string{"indicator": fmt.Sprintf("no indicator %q", v.Indicator)}
	}
	start, end, err := ParsePeriod(d.Period, v.Period)
	if err != nil {
		return nil, map[string]string{"period": fmt.Sprintf("a %s such as %s", d.Period, examplePeriod[d.Period])}
	}
	if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
		return nil, map[string]string{"value": "a number"}
	}
	r := &Record{ID: "indicators:" + d.Code + ":" + v.Period, Sector: "indicators", Kind: KindValue, At: start,
		Dims:   map[string]string{"indicator": d.Code, "period": v.Period, "unit": d.Unit},
		Values: map[string]float64{"value": v.Value, "target": d.Target, "progress": progress(d, v.Value)}}
	if d.Cumulative {
		r.Due = &end
	}
	return r, nil
}

var examplePeriod = map[string]string{PeriodDay: "2026-03-09", PeriodMonth: "2026-03", PeriodQuarter: "2026-Q1", PeriodYear: "2026"}

// ParseValuesCSV reads a CSV of values with a header naming the columns indicator,
// period and value (in any order; other columns are ignored). A row that cannot be read
// is reported with its line and the others are returned.
func ParseValuesCSV(r io.Reader) ([]ValueIn, []string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var rows [][]string
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read CSV: %w", err)
		}
		rows = append(rows, row)
	}
	return valuesOfRows(rows)
}

// ParseValuesXLSX reads the first sheet of an XLSX workbook like ParseValuesCSV.
func ParseValuesXLSX(r io.Reader) ([]ValueIn, []string, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read XLSX: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, fmt.Errorf("read XLSX: no sheet")
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, nil, fmt.Errorf("read XLSX: %w", err)
	}
	return valuesOfRows(rows)
}

func valuesOfRows(rows [][]string) ([]ValueIn, []string, error) {
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("no header row")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"indicator", "period", "value"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("the header has no %q column (indicator, period, value)", need)
		}
	}
	cell := func(row []string, name string) string {
		if i := col[name]; i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	var out []ValueIn
	var bad []string
	for i, row := range rows[1:] {
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(cell(row, "value"), ",", "."), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			bad = append(bad, fmt.Sprintf("line %d: value %q is not a number", i+2, cell(row, "value")))
			continue
		}
		out = append(out, ValueIn{Indicator: cell(row, "indicator"), Period: cell(row, "period"), Value: v})
	}
	return out, bad, nil
}

// ImportResponse answers an import: the rows that could not be read, and each value.
type ImportResponse struct {
	Unreadable []string `json:"unreadable,omitempty"`
	ValuesResponse
}

// Progress is an indicator's latest value against its target.
type Progress struct {
	Definition
	Period   string   `json:"period,omitempty"`
	Value    *float64 `json:"value,omitempty"`
	Progress *float64 `json:"progress,omitempty"`
	Pace     *float64 `json:"pace,omitempty"`
	Behind   bool     `json:"behind"`
}

// Progresses lists every indicator with its latest value.
func (m *Module) Progresses() []Progress {
	now := m.now()
	m.defs.mu.RLock()
	out := make([]Progress, 0, len(m.defs.m))
	for _, d := range m.defs.m {
		out = append(out, Progress{Definition: d})
	}
	m.defs.mu.RUnlock()
	latest := map[string]Record{}
	for _, r := range m.recs["indicators"].list(KindValue, func(r *Record) bool { return !r.At.After(now) }) {
		if _, ok := latest[r.Dims["indicator"]]; !ok {
			latest[r.Dims["indicator"]] = r
		}
	}
	pace := &Indicator{Aggregate: AggPace, Field: "progress"}
	for i := range out {
		r, ok := latest[out[i].Code]
		if !ok {
			continue
		}
		v, p, pc := r.Values["value"], r.Values["progress"], pace.value(&r, now)
		out[i].Period, out[i].Value, out[i].Progress, out[i].Pace, out[i].Behind = r.Dims["period"], &v, &p, &pc, pc < 1
	}
	sortByCode(out)
	return out
}

func sortByCode(ps []Progress) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].Code < ps[j-1].Code; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

func (m *Module) registerIndicators(api *httpapi.API) {
	watch := httpapi.Users(httpapi.RoleSupervisor, httpapi.RoleLeader, httpapi.RoleOfficer)
	enter := httpapi.Users(httpapi.RoleSupervisor, httpapi.RoleOfficer)
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/sectors/indicators/defs/{code}", Tag: "sectors", Access: httpapi.Users(httpapi.RoleSupervisor),
		Summary: "Create or replace a socio-economic indicator (period, unit, target)", Body: Definition{}, Response: Definition{},
		Handle: httpapi.ReplyBody(http.StatusOK, func(r *http.Request, in Definition) (Definition, error) {
			return m.PutDefinition(r.Context(), r.PathValue("code"), in)
		})})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/sectors/indicators/progress", Tag: "sectors", Access: watch,
		Summary: "Each indicator's latest value against its target", Response: []Progress{},
		Handle: httpapi.Reply(http.StatusOK, func(*http.Request) ([]Progress, error) { return m.Progresses(), nil })})
	type valuesIn struct {
		Values []ValueIn `json:"values"`
	}
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/sectors/indicators/values", Tag: "sectors", Access: enter,
		Summary: "Enter values of indicators for periods (each judged alone; at most 5000)", Body: valuesIn{}, Response: ValuesResponse{},
		Handle: httpapi.ReplyBody(http.StatusOK, func(r *http.Request, in valuesIn) (*ValuesResponse, error) {
			if len(in.Values) == 0 || len(in.Values) > 5000 {
				return nil, httpapi.Invalid(map[string]string{"values": "1 to 5000 values"})
			}
			return m.StoreValues(r.Context(), in.Values)
		})})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/sectors/indicators/import", Tag: "sectors", Access: enter,
		Summary: "Import values from CSV (text/csv) or XLSX with the columns indicator, period, value", Response: ImportResponse{},
		Handle: m.importValues})
}

func (m *Module) importValues(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return httpapi.BadRequest("read body: %v", err)
	}
	var vals []ValueIn
	var bad []string
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "text/csv"):
		vals, bad, err = ParseValuesCSV(bytes.NewReader(body))
	case strings.Contains(ct, "spreadsheetml"):
		vals, bad, err = ParseValuesXLSX(bytes.NewReader(body))
	default:
		return &httpapi.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send text/csv or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
	}
	if err != nil {
		return httpapi.BadRequest("%v", err)
	}
	out := &ImportResponse{Unreadable: bad}
	if len(vals) > 0 {
		res, err := m.StoreValues(r.Context(), vals)
		if err != nil {
			return err
		}
		out.ValuesResponse = *res
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}
