package sectors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Collections of the sensor sector.
const (
	StationsCollection   = "sector_stations"
	ThresholdsCollection = "sector_thresholds"
)

// KindReading is the record kind of a sensor reading.
const KindReading = "reading"

// MaxReadings is the most readings one push may carry.
const MaxReadings = 5000

func sensorSector() *Sector {
	dims := []string{"station", "pollutant", "ward"}
	return &Sector{ID: "sensors", Name: "Environment sensors",
		Sources: []string{"HTTP push of readings (/api/v1/sectors/sensors/readings, API key with scope ingest)",
			"MQTT subscription (ioc.sensors.mqtt: broker url, topics, payload mapping)"},
		Indicators: []Indicator{
			{Indicator: alerts.Indicator{Name: "sensors.level", Summary: "latest reading of each station and pollutant (filter by pollutant)", Kind: "gauge", GroupBy: dims},
				Record: KindReading, Select: SelectLatest, Series: []string{"station", "pollutant"}, Aggregate: AggMax, Field: "value"},
			{Indicator: alerts.Indicator{Name: "sensors.mean", Summary: "mean of the readings in the range (filter by pollutant)", Kind: "gauge", GroupBy: dims},
				Record: KindReading, Aggregate: AggAvg, Field: "value"},
			{Indicator: alerts.Indicator{Name: "sensors.readings", Summary: "readings received", Kind: "count", GroupBy: dims},
				Record: KindReading, Aggregate: AggCount},
		},
		Views: []View{{Name: "latest", Path: "/api/v1/sectors/sensors/latest", Summary: "latest reading of each station and pollutant, with its level against the thresholds"}}}
}

// Station is a sensor station and where it stands.
type Station struct {
	ID   string  `bson:"_id" json:"id"`
	Name string  `bson:"name" json:"name"`
	Ward string  `bson:"ward,omitempty" json:"ward,omitempty"`
	Lat  float64 `bson:"lat" json:"lat"`
	Lon  float64 `bson:"lon" json:"lon"`
}

// Threshold is the warning and critical levels of a pollutant ("pm2_5", "water_level").
// Setting one keeps two alert rules of the shared engine in step:
// sensor-<pollutant>-warning and sensor-<pollutant>-critical on sensors.level per station.
type Threshold struct {
	Pollutant string  `bson:"_id" json:"pollutant"`
	Unit      string  `bson:"unit" json:"unit"`
	Warning   float64 `bson:"warning" json:"warning"`
	Critical  float64 `bson:"critical" json:"critical"`
	For       string  `bson:"for,omitempty" json:"for,omitempty"` // how long a level holds before the alert fires; default 10m
}

type sensorState struct {
	mu         sync.RWMutex
	stations   map[string]Station
	thresholds map[string]Threshold
}

func (m *Module) loadSensors(ctx context.Context) error {
	m.sensors.stations, m.sensors.thresholds = map[string]Station{}, map[string]Threshold{}
	var ss []Station
	if err := m.findAll(ctx, StationsCollection, &ss); err != nil {
		return err
	}
	for _, s := range ss {
		m.sensors.stations[s.ID] = s
	}
	var ts []Threshold
	if err := m.findAll(ctx, ThresholdsCollection, &ts); err != nil {
		return err
	}
	for _, t := range ts {
		m.sensors.thresholds[t.Pollutant] = t
	}
	return nil
}

func (m *Module) findAll(ctx context.Context, coll string, out any) error {
	cur, err := m.store.C(coll).Find(ctx, bson.M{})
	if err != nil {
		return fmt.Errorf("load %s: %w", coll, err)
	}
	if err := cur.All(ctx, out); err != nil {
		return fmt.Errorf("load %s: %w", coll, err)
	}
	return nil
}

func (m *Module) replace(ctx context.Context, coll, id string, doc any) error {
	if _, err := m.store.C(coll).DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store %s %s: %w", coll, id, err)
	}
	if _, err := m.store.C(coll).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("store %s %s: %w", coll, id, err)
	}
	return nil
}

// PutStation creates or replaces a station.
func (m *Module) PutStation(ctx context.Context, id string, s Station) (Station, error) {
	bad := map[string]string{}
	if !validKey(id) {
		bad["id"] = "1 to 64 letters, digits, '-', '_' or '.'"
	}
	if s.Lat < -90 || s.Lat > 90 || math.IsNaN(s.Lat) {
		bad["lat"] = "a latitude"
	}
	if s.Lon < -180 || s.Lon > 180 || math.IsNaN(s.Lon) {
		bad["lon"] = "a longitude"
	}
	if len(bad) > 0 {
		return s, httpapi.Invalid(bad)
	}
	s.ID = id
	if err := m.replace(ctx, StationsCollection, id, s); err != nil {
		return s, err
	}
	m.sensors.mu.Lock()
	m.sensors.stations[id] = s
	m.sensors.mu.Unlock()
	return s, nil
}

// PutThreshold creates or replaces a pollutant's thresholds and their alert rules.
func (m *Module) PutThreshold(ctx context.Context, pollutant string, t Threshold) (Threshold, error) {
	bad := map[string]string{}
	if !validKey(pollutant) {
		bad["pollutant"] = "1 to 64 letters, digits, '-', '_' or '.'"
	}
	if !(t.Warning < t.Critical) {
		bad["critical"] = "above warning"
	}
	if t.For == "" {
		t.For = "10m"
	}
	hold, err := time.ParseDuration(t.For)
	if err != nil || hold < 0 {
		bad["for"] = "a duration such as 10m"
	}
	if len(bad) > 0 {
		return t, httpapi.Invalid(bad)
	}
	t.Pollutant = pollutant
	if err := m.replace(ctx, ThresholdsCollection, pollutant, t); err != nil {
		return t, err
	}
	m.sensors.mu.Lock()
	m.sensors.thresholds[pollutant] = t
	m.sensors.mu.Unlock()
	if m.engine != nil {
		for sev, v := range map[string]float64{"warning": t.Warning, "critical": t.Critical} {
			r := alerts.Rule{ID: "sensor-" + pollutant + "-" + sev, Name: fmt.Sprintf("Sensors: %s at or above %g %s", pollutant, v, t.Unit),
				Kind: alerts.KindThreshold, Indicator: "sensors.level", GroupBy: "station", Filter: map[string]string{"pollutant": pollutant},
				Op: ">=", Value: v, Window: alerts.Duration(time.Hour), For: alerts.Duration(hold), Cooldown: alerts.Duration(time.Hour),
				Severity: sev, Context: []string{"ward"}, Enabled: true}
			if err := m.putRule(ctx, r); err != nil {
				return t, err
			}
		}
	}
	return t, nil
}

func (m *Module) putRule(ctx context.Context, r alerts.Rule) error {
	old, err := m.engine.Rule(ctx, r.ID)
	if err != nil {
		_, err = m.engine.CreateRule(ctx, r, "sectors")
		return err
	}
	r.Version = old.Version
	_, err = m.engine.UpdateRule(ctx, r.ID, r, "sectors")
	return err
}

func validKey(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Reading is one sensor reading as pushed.
type Reading struct {
	Station   string    `json:"station"`
	Pollutant string    `json:"pollutant"`
	Value     float64   `json:"value"`
	At        time.Time `json:"at"`
}

// ReadingsIn is the body of a push: {"readings":[{"station","pollutant","value","at"}]}.
type ReadingsIn struct {
	Readings []Reading `json:"readings"`
}

// ReadingsResponse answers a push: how many readings were new, how many repeated one
// already stored, and the invalid ones by index.
type ReadingsResponse struct {
	Stored    int                       `json:"stored"`
	Duplicate int                       `json:"duplicate"`
	Invalid   map[int]map[string]string `json:"invalid,omitempty"`
}

// ParseReadings reads a push body strictly (unknown fields are an error).
func ParseReadings(body []byte) (ReadingsIn, error) {
	var in ReadingsIn
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, fmt.Errorf("the body is not {\"readings\":[{\"station\",\"pollutant\",\"value\",\"at\"}]}: %w", err)
	}
	if dec.More() {
		return in, fmt.Errorf("trailing data after the JSON body")
	}
	if len(in.Readings) == 0 || len(in.Readings) > MaxReadings {
		return in, fmt.Errorf("1 to %d readings per push", MaxReadings)
	}
	return in, nil
}

// checkReading returns the invalid fields of a reading (nil when valid).
func (m *Module) checkReading(r Reading, now time.Time) (Station, map[string]string) {
	bad := map[string]string{}
	m.sensors.mu.RLock()
	st, ok := m.sensors.stations[r.Station]
	m.sensors.mu.RUnlock()
	if !ok {
		bad["station"] = fmt.Sprintf("no station %q", r.Station)
	}
	if !validKey(r.Pollutant) {
		bad["pollutant"] = "1 to 64 letters, digits, '-', '_' or '.'"
	}
	if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
		bad["value"] = "a number"
	}
	if r.At.IsZero() || r.At.After(now.Add(5*time.Minute)) || r.At.Before(now.Add(-Retention)) {
		bad["at"] = "a time within the last 8 days, not ahead"
	}
	if len(bad) > 0 {
		return st, bad
	}
	return st, nil
}

// StoreReadings stores the valid readings of a push; a reading already stored (same
// station, pollutant and time) is a duplicate.
func (m *Module) StoreReadings(ctx context.Context, in []Reading) (*ReadingsResponse, error) {
	now := m.now()
	out := &ReadingsResponse{}
	var recs []*Record
	seen := map[string]bool{}
	for i, r := range in {
		st, bad := m.checkReading(r, now)
		if bad != nil {
			if out.Invalid == nil {
				out.Invalid = map[int]map[string]string{}
			}
			out.Invalid[i] = bad
			continue
		}
		at := r.At.UTC()
		id := fmt.Sprintf("sensors:%s:%s:%d", r.Station, r.Pollutant, at.UnixNano())
		if _, dup := m.recs["sensors"].get(id); dup || seen[id] {
			out.Duplicate++
			continue
		}
		seen[id] = true
		recs = append(recs, &Record{ID: id, Sector: "sensors", Kind: KindReading, At: at,
			Dims: map[string]string{"station": r.Station, "pollutant": r.Pollutant, "ward": st.Ward}, Values: map[string]float64{"value": r.Value}})
	}
	if len(recs) == 0 {
		return out, nil
	}
	n, err := m.st.insertNew(ctx, recs)
	if err != nil {
		return out, err
	}
	out.Stored, out.Duplicate = n, out.Duplicate+len(recs)-n
	m.add("sensors", recs...)
	return out, nil
}

// Latest is the latest reading of a station and pollutant with its level.
type Latest struct {
	Station   Station   `json:"station"`
	Pollutant string    `json:"pollutant"`
	Value     float64   `json:"value"`
	Unit      string    `json:"unit,omitempty"`
	At        time.Time `json:"at"`
	Level     string    `json:"level"` // ok, warning, critical, or unknown without thresholds
}

// LatestReadings returns the latest reading of each station and pollutant.
func (m *Module) LatestReadings() []Latest {
	now := m.now()
	latest := map[string]*Record{}
	m.recs["sensors"].each(KindReading, func(r *Record) {
		k := r.Dims["station"] + "\x00" + r.Dims["pollutant"]
		if cur := latest[k]; !r.At.After(now) && (cur == nil || r.At.After(cur.At)) {
			latest[k] = r
		}
	})
	m.sensors.mu.RLock()
	defer m.sensors.mu.RUnlock()
	out := make([]Latest, 0, len(latest))
	for _, r := range latest {
		l := Latest{Station: m.sensors.stations[r.Dims["station"]], Pollutant: r.Dims["pollutant"], Value: r.Values["value"], At: r.At, Level: "unknown"}
		if t, ok := m.sensors.thresholds[l.Pollutant]; ok {
			l.Unit, l.Level = t.Unit, "ok"
			if l.Value >= t.Critical {
				l.Level = "critical"
			} else if l.Value >= t.Warning {
				l.Level = "warning"
			}
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Station.ID+"\x00"+out[i].Pollutant < out[j].Station.ID+"\x00"+out[j].Pollutant
	})
	return out
}

func (m *Module) registerSensors(api *httpapi.API) {
	watch := httpapi.Users(httpapi.RoleSupervisor, httpapi.RoleLeader, httpapi.RoleOfficer)
	admin := httpapi.Users(httpapi.RoleSupervisor)
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/sectors/sensors/stations/{id}", Tag: "sectors", Access: admin,
		Summary: "Create or replace a sensor station (name, ward, lat, lon)", Body: Station{}, Response: Station{},
		Handle: httpapi.ReplyBody(http.StatusOK, func(r *http.Request, in Station) (Station, error) {
			return m.PutStation(r.Context(), r.PathValue("id"), in)
		})})
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/sectors/sensors/thresholds/{pollutant}", Tag: "sectors", Access: admin,
		Summary: "Set a pollutant's warning and critical levels (keeps the sensor-<pollutant>-warning/critical alert rules in step)",
		Body:    Threshold{}, Response: Threshold{},
		Handle: httpapi.ReplyBody(http.StatusOK, func(r *http.Request, in Threshold) (Threshold, error) {
			return m.PutThreshold(r.Context(), r.PathValue("pollutant"), in)
		})})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/sectors/sensors/latest", Tag: "sectors", Access: watch,
		Summary: "Latest reading of each station and pollutant with its level", Response: []Latest{},
		Handle: httpapi.Reply(http.StatusOK, func(*http.Request) ([]Latest, error) { return m.LatestReadings(), nil })})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/sectors/sensors/mqtt", Tag: "sectors", Access: admin,
		Summary: "The MQTT subscriber's state: broker, connection, messages, readings stored, refused", Response: MQTTStatus{},
		Handle: httpapi.Reply(http.StatusOK, func(*http.Request) (MQTTStatus, error) {
			if m.mqtt == nil {
				return MQTTStatus{}, nil
			}
			return m.mqtt.Status(), nil
		})})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/sectors/sensors/readings", Tag: "sectors",
		Access:  httpapi.Access{Scope: auth.ScopeIngest, Roles: []httpapi.Role{httpapi.RoleSupervisor}},
		Summary: "Push sensor readings (API key with scope ingest); each judged alone, at most 5000", Body: ReadingsIn{}, Response: ReadingsResponse{},
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			body, err := readAll(r, 8<<20)
			if err != nil {
				return err
			}
			in, err := ParseReadings(body)
			if err != nil {
				return httpapi.BadRequest("%v", err)
			}
			out, err := m.StoreReadings(r.Context(), in.Readings)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, out)
			return nil
		}})
}

func readAll(r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, httpapi.BadRequest("read body: %v", err)
	}
	if int64(len(body)) > limit {
		return nil, &httpapi.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("the body is over %d bytes", limit)}
	}
	return body, nil
}
