package geo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/refdata"
	"github.com/ioc1022/ioc1022/ioc-core/sectors"
	"github.com/ioc1022/ioc1022/ioc-core/social"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Place names the unit a ward feature counts (empty for a point feature without one).
type Place struct {
	Code  string `json:"code,omitempty"`
	Name  string `json:"name,omitempty"`
	Level string `json:"level,omitempty"`
}

func (p *Place) setPlace(x Place) { *p = x }

// TicketProps are the properties of a tickets feature. Merged tickets are not counted.
type TicketProps struct {
	Place
	Count      int            `json:"count"`
	Open       int            `json:"open"`     // not resolved, closed or rejected at now
	Overdue    int            `json:"overdue"`  // open and past the answer deadline, or not accepted past the accept deadline
	Resolved   int            `json:"resolved"` // resolved or closed
	Categories map[string]int `json:"categories,omitempty"`
}

// SocialProps are the properties of a social feature; an item naming two wards counts in both.
type SocialProps struct {
	Place
	Count    int `json:"count"`
	Negative int `json:"negative"`
	Neutral  int `json:"neutral"`
	Positive int `json:"positive"`
}

// DossierProps are the properties of a dossiers feature: dossiers received in the range with
// their state at now, and the findings raised in the range.
type DossierProps struct {
	Place
	Count    int `json:"count"`
	Open     int `json:"open"`
	Late     int `json:"late"` // open past due, or done after due
	DueSoon  int `json:"due_soon"`
	Done     int `json:"done"`
	Findings int `json:"findings"`
}

// SensorProps are the properties of a sensors feature: the readings in the range.
type SensorProps struct {
	Place
	Station     string                       `json:"station,omitempty"` // by=point
	StationName string                       `json:"station_name,omitempty"`
	Count       int                          `json:"count"`
	Stations    int                          `json:"stations"`
	Pollutants  map[string]*PollutantSummary `json:"pollutants"`
	stations    map[string]bool
}

// PollutantSummary sums up a pollutant's readings; Level is the level of Max against the
// pollutant's thresholds (ok, warning, critical, or unknown without thresholds).
type PollutantSummary struct {
	Count    int       `json:"count"`
	Mean     float64   `json:"mean"`
	Max      float64   `json:"max"`
	Latest   float64   `json:"latest"`
	LatestAt time.Time `json:"latest_at"`
	Unit     string    `json:"unit,omitempty"`
	Level    string    `json:"level"`
	sum      float64
}

// find reads the documents of coll matching f.
func (m *Module) find(ctx context.Context, coll string, f bson.M, proj bson.M, out any) error {
	cur, err := m.st.C(coll).Find(ctx, f, options.Find().SetProjection(proj))
	if err != nil {
		return fmt.Errorf("map: read %s: %w", coll, err)
	}
	if err := cur.All(ctx, out); err != nil {
		return fmt.Errorf("map: read %s: %w", coll, err)
	}
	return nil
}

func (q query) timeFilter() bson.M { return bson.M{"$gte": q.from, "$lt": q.to} }

// features turns the groups into features: per ward with its boundary or centroid, or per
// point at the key's coordinates.
func features[P any, PP interface {
	*P
	setPlace(Place)
}](m *Module, q query, fc *FeatureCollection, units map[string]refdata.Unit, groups map[string]*P, points map[string]latLng) {
	if q.by == ByWard {
		fc.Boundaries = "centroids"
		if m.bounds != nil {
			fc.Boundaries = "geojson"
		}
		if q.empty {
			for code := range units {
				if groups[code] == nil {
					groups[code] = new(P)
				}
			}
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := Feature{Type: "Feature", ID: k, Geometry: null, Properties: groups[k]}
		if q.by == ByPoint {
			p := points[k]
			f.Geometry = point(p.Lat, p.Lng)
		} else {
			u := units[k]
			PP(groups[k]).setPlace(Place{Code: u.Code, Name: u.Name, Level: string(u.Level)})
			if b, ok := m.bounds[k]; ok {
				f.Geometry = b
			} else if u.Centroid != nil {
				f.Geometry = point(u.Centroid.Lat, u.Centroid.Lng)
			}
		}
		fc.Features = append(fc.Features, f)
	}
}

// group returns the group of key, creating it.
func group[P any](groups map[string]*P, key string) *P {
	g := groups[key]
	if g == nil {
		g = new(P)
		groups[key] = g
	}
	return g
}

func pointKey(lat, lng float64) string { return fmt.Sprintf("%.5f,%.5f", lat, lng) }

func (m *Module) tickets(ctx context.Context, q query) (*FeatureCollection, error) {
	var ts []mapTicket
	if err := m.find(ctx, TicketsCollection, bson.M{"created_at": q.timeFilter()}, nil, &ts); err != nil {
		return nil, err
	}
	units, err := m.units(ctx)
	if err != nil {
		return nil, err
	}
	fc, groups, points := q.collection(), map[string]*TicketProps{}, map[string]latLng{}
	for _, t := range ts {
		if t.Status == "merged" {
			continue
		}
		fc.Total++
		key := t.Ward
		if q.by == ByPoint && t.Location != nil {
			key = pointKey(t.Location.Lat, t.Location.Lng)
			points[key] = latLng{Lat: t.Location.Lat, Lng: t.Location.Lng}
		} else if _, ok := units[key]; !ok || q.by == ByPoint {
			fc.Unplaced++
			continue
		}
		g := group(groups, key)
		g.Count++
		switch t.Status {
		case "resolved", "closed":
			g.Resolved++
		case "rejected":
		default:
			g.Open++
			if t.DueAt != nil && q.now.After(*t.DueAt) || (t.Status == "new" || t.Status == "assigned") && t.AcceptDueAt != nil && q.now.After(*t.AcceptDueAt) {
				g.Overdue++
			}
		}
		if t.Category != "" {
			if g.Categories == nil {
				g.Categories = map[string]int{}
			}
			g.Categories[t.Category]++
		}
	}
	features(m, q, fc, units, groups, points)
	return fc, nil
}

func (m *Module) social(ctx context.Context, q query) (*FeatureCollection, error) {
	if err := q.pointOnly("social items"); err != nil {
		return nil, err
	}
	var items []struct {
		Wards     []string `bson:"wards"`
		Sentiment struct {
			Label string `bson:"label"`
		} `bson:"sentiment"`
	}
	if err := m.find(ctx, social.ItemsCollection, bson.M{"at": q.timeFilter()}, bson.M{"wards": 1, "sentiment": 1}, &items); err != nil {
		return nil, err
	}
	units, err := m.units(ctx)
	if err != nil {
		return nil, err
	}
	fc, groups := q.collection(), map[string]*SocialProps{}
	for _, it := range items {
		fc.Total++
		placed := false
		for _, w := range it.Wards {
			if _, ok := units[w]; !ok {
				continue
			}
			placed = true
			g := group(groups, w)
			g.Count++
			switch it.Sentiment.Label {
			case social.Negative:
				g.Negative++
			case social.Positive:
				g.Positive++
			default:
				g.Neutral++
			}
		}
		if !placed {
			fc.Unplaced++
		}
	}
	features(m, q, fc, units, groups, nil)
	return fc, nil
}

// unitWards maps a dossier's unit to its ward: the unit is a ward code itself, or a
// department (a people's committee) whose unit is the ward.
func (m *Module) unitWards(ctx context.Context, units map[string]refdata.Unit) (map[string]string, error) {
	depts, err := m.ref.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("map: departments: %w", err)
	}
	out := map[string]string{}
	for code := range units {
		out[code] = code
	}
	for _, d := range depts {
		if _, ok := units[d.Unit]; ok {
			out[d.Code] = d.Unit
		}
	}
	return out, nil
}

func (m *Module) dossiers(ctx context.Context, q query) (*FeatureCollection, error) {
	if err := q.pointOnly("dossiers"); err != nil {
		return nil, err
	}
	var recs []sectors.Record
	f := bson.M{"sector": "dossiers", "kind": bson.M{"$in": bson.A{sectors.KindDossier, sectors.KindFinding}}, "at": q.timeFilter()}
	if err := m.find(ctx, sectors.RecordsCollection, f, nil, &recs); err != nil {
		return nil, err
	}
	units, err := m.units(ctx)
	if err != nil {
		return nil, err
	}
	wardOf, err := m.unitWards(ctx, units)
	if err != nil {
		return nil, err
	}
	fc, groups := q.collection(), map[string]*DossierProps{}
	for _, r := range recs {
		if r.Kind == sectors.KindDossier {
			fc.Total++
		}
		w, ok := wardOf[r.Dims["unit"]]
		if !ok {
			if r.Kind == sectors.KindDossier {
				fc.Unplaced++
			}
			continue
		}
		g := group(groups, w)
		if r.Kind == sectors.KindFinding {
			g.Findings++
			continue
		}
		g.Count++
		countDossier(g, &r, q.now)
	}
	features(m, q, fc, units, groups, nil)
	return fc, nil
}

// countDossier adds a dossier's state at now, as the dossiers sector judges it.
func countDossier(g *DossierProps, r *sectors.Record, now time.Time) {
	done := r.Done != nil && !r.Done.After(now)
	if done {
		g.Done++
		if r.Due != nil && r.Done.After(*r.Due) {
			g.Late++
		}
		return
	}
	g.Open++
	switch {
	case r.Due == nil:
	case now.After(*r.Due):
		g.Late++
	case r.Due.Sub(now) <= sectors.DueSoon:
		g.DueSoon++
	}
}

func (m *Module) sensors(ctx context.Context, q query) (*FeatureCollection, error) {
	var recs []sectors.Record
	f := bson.M{"sector": "sensors", "kind": sectors.KindReading, "at": q.timeFilter()}
	if err := m.find(ctx, sectors.RecordsCollection, f, nil, &recs); err != nil {
		return nil, err
	}
	var stations []sectors.Station
	var thresholds []sectors.Threshold
	if err := m.find(ctx, sectors.StationsCollection, bson.M{}, nil, &stations); err != nil {
		return nil, err
	}
	if err := m.find(ctx, sectors.ThresholdsCollection, bson.M{}, nil, &thresholds); err != nil {
		return nil, err
	}
	units, err := m.units(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]sectors.Station{}
	for _, s := range stations {
		byID[s.ID] = s
	}
	fc, groups, points := q.collection(), map[string]*SensorProps{}, map[string]latLng{}
	for _, r := range recs {
		fc.Total++
		st, known := byID[r.Dims["station"]]
		key := firstNonEmpty(r.Dims["ward"], st.Ward)
		if q.by == ByPoint {
			if !known {
				fc.Unplaced++
				continue
			}
			key = st.ID
			points[key] = latLng{Lat: st.Lat, Lng: st.Lon}
		} else if _, ok := units[key]; !ok {
			fc.Unplaced++
			continue
		}
		g := group(groups, key)
		if q.by == ByPoint && g.Station == "" {
			g.Station, g.StationName = st.ID, st.Name
		}
		addReading(g, &r)
	}
	finishSensors(groups, thresholds)
	features(m, q, fc, units, groups, points)
	if q.by == ByPoint {
		for i := range fc.Features {
			p := fc.Features[i].Properties.(*SensorProps)
			if u, ok := units[byID[p.Station].Ward]; ok {
				p.Place = Place{Code: u.Code, Name: u.Name, Level: string(u.Level)}
			}
		}
	}
	return fc, nil
}

func addReading(g *SensorProps, r *sectors.Record) {
	g.Count++
	if g.stations == nil {
		g.stations, g.Pollutants = map[string]bool{}, map[string]*PollutantSummary{}
	}
	g.stations[r.Dims["station"]] = true
	p := r.Dims["pollutant"]
	s := g.Pollutants[p]
	v := r.Values["value"]
	if s == nil {
		s = &PollutantSummary{Max: v}
		g.Pollutants[p] = s
	}
	s.Count++
	s.sum += v
	s.Max = max(s.Max, v)
	if !r.At.Before(s.LatestAt) {
		s.Latest, s.LatestAt = v, r.At
	}
}

// finishSensors computes the means and levels.
func finishSensors(groups map[string]*SensorProps, thresholds []sectors.Threshold) {
	th := map[string]sectors.Threshold{}
	for _, t := range thresholds {
		th[t.Pollutant] = t
	}
	for _, g := range groups {
		g.Stations = len(g.stations)
		if g.Pollutants == nil {
			g.Pollutants = map[string]*PollutantSummary{}
		}
		for p, s := range g.Pollutants {
			s.Mean = s.sum / float64(s.Count)
			s.Level = "unknown"
			if t, ok := th[p]; ok {
				s.Unit, s.Level = t.Unit, "ok"
				if s.Max >= t.Critical {
					s.Level = "critical"
				} else if s.Max >= t.Warning {
					s.Level = "warning"
				}
			}
		}
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
