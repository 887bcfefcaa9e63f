package sectors

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Vietnam is the zone of times written without one.
var Vietnam = time.FixedZone("ICT", 7*3600)

// path reads a dotted path ("data.items", "hoSo.maHoSo") in a decoded JSON value; "" is
// the value itself.
func path(v any, p string) (any, bool) {
	if p == "" {
		return v, true
	}
	for _, k := range strings.Split(p, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// text reads a path as a string (numbers as written); "" when absent or null.
func text(v any, p string) string {
	x, ok := path(v, p)
	if !ok || x == nil {
		return ""
	}
	switch t := x.(type) {
	case string:
		return strings.TrimSpace(t)
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04",
	"02/01/2006 15:04:05", "02/01/2006 15:04", "2006-01-02", "02/01/2006"}

// ParseTime reads a time as portals write them: RFC 3339, "2006-01-02 15:04:05",
// "02/01/2006 15:04:05", a date alone, or Unix seconds (milliseconds above 1e11).
// Times without a zone are in Vietnam.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time")
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if n < 0 || n > 1e14 || math.IsNaN(n) {
			return time.Time{}, fmt.Errorf("%q is not a time", s)
		}
		if n > 1e11 {
			return time.UnixMilli(int64(n)).UTC(), nil
		}
		return time.Unix(int64(n), 0).UTC(), nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, Vietnam); err == nil {
			if t.Year() < 1900 || t.Year() > 2200 {
				return time.Time{}, fmt.Errorf("%q is out of range", s)
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time such as 2026-03-09T10:00:00+07:00 or 09/03/2026 10:00", s)
}

// optTime reads an optional time at path p; nil when absent or empty.
func optTime(v any, p string) (*time.Time, error) {
	s := text(v, p)
	if s == "" {
		return nil, nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}
