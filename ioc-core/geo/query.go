package geo

import (
	"net/http"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// Vietnam is the zone of the dates of a query and of the times it answers with.
var Vietnam = time.FixedZone("ICT", 7*3600)

// MaxRange is the longest time range of one view.
const MaxRange = 366 * 24 * time.Hour

// The groupings of a view.
const (
	ByWard  = "ward"
	ByPoint = "point"
)

// query is a parsed view request.
type query struct {
	layer    string
	from, to time.Time // UTC, [from, to)
	by       string
	empty    bool
	now      time.Time
}

// parseQuery reads from, to, by and empty; every bad parameter is named in one error.
func parseQuery(r *http.Request, now time.Time, layer string) (query, error) {
	q := query{layer: layer, now: now, by: ByWard, to: now}
	v := r.URL.Query()
	bad := map[string]string{}
	if s := v.Get("to"); s != "" {
		t, err := parseTime(s, true)
		if err != nil {
			bad["to"] = err.Error()
		}
		q.to = t
	}
	q.from = q.to.Add(-30 * 24 * time.Hour)
	if layer == "sensors" {
		q.from = q.to.Add(-24 * time.Hour)
	}
	if s := v.Get("from"); s != "" {
		t, err := parseTime(s, false)
		if err != nil {
			bad["from"] = err.Error()
		}
		q.from = t
	}
	if len(bad) == 0 && !q.from.Before(q.to) {
		bad["from"] = "must be before to"
	} else if len(bad) == 0 && q.to.Sub(q.from) > MaxRange {
		bad["from"] = "the range is at most 366 days"
	}
	switch b := v.Get("by"); b {
	case "", ByWard:
	case ByPoint:
		q.by = ByPoint
	default:
		bad["by"] = "ward or point"
	}
	switch e := v.Get("empty"); e {
	case "", "false":
	case "true":
		q.empty = true
	default:
		bad["empty"] = "true or false"
	}
	if len(bad) > 0 {
		return q, httpapi.Invalid(bad)
	}
	return q, nil
}

type timeError string

func (e timeError) Error() string { return string(e) }

// parseTime reads RFC 3339 or a date in Vietnam; a date as the end of a range includes
// the whole day.
func parseTime(s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, Vietnam)
	if err != nil {
		return time.Time{}, timeError("RFC 3339 (2026-03-09T08:00:00+07:00) or a date (2026-03-09)")
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d.UTC(), nil
}

// collection starts the answer of q.
func (q query) collection() *FeatureCollection {
	return &FeatureCollection{Type: "FeatureCollection", Features: []Feature{}, Layer: q.layer, By: q.by,
		From: q.from.In(Vietnam).Format(time.RFC3339), To: q.to.In(Vietnam).Format(time.RFC3339)}
}

// pointOnly refuses by=point for a layer whose items carry no coordinates.
func (q query) pointOnly(what string) error {
	if q.by == ByPoint {
		return httpapi.Invalid(map[string]string{"by": what + " carry no coordinates, only wards: use by=ward"})
	}
	return nil
}
