// Package sla computes ticket deadlines in working time: a province's working calendar
// (working hours, weekdays, public holidays and make-up working days per year, time zone
// Asia/Ho_Chi_Minh) and the arithmetic of working hours and working days on it.
package sla

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed calendar_2026.yaml
var defaultCalendar []byte

// Day is one dated entry of the calendar: a holiday or a make-up working day.
type Day struct {
	Date string `yaml:"date" json:"date"` // YYYY-MM-DD, local date
	Name string `yaml:"name" json:"name"`
}

// Data is the calendar as stored and edited: in the shipped YAML file and through the API.
type Data struct {
	TimeZone        string   `yaml:"time_zone" json:"time_zone"`
	WorkingHours    []string `yaml:"working_hours" json:"working_hours"`       // "07:30-11:30"
	WorkingWeekdays []string `yaml:"working_weekdays" json:"working_weekdays"` // mon..sun
	Holidays        []Day    `yaml:"holidays" json:"holidays"`
	WorkingDays     []Day    `yaml:"working_days" json:"working_days"` // make-up working days on weekends
}

// span is a working period of a day, in minutes after midnight, [start, end).
type span struct{ start, end int }

// Calendar answers working-time questions. It is safe for concurrent use; Set replaces its
// data atomically.
type Calendar struct {
	mu       sync.RWMutex
	data     Data
	loc      *time.Location
	spans    []span
	weekdays [7]bool
	holidays map[string]string
	workdays map[string]string
}

// DefaultData returns the shipped calendar (2026, Vietnam).
func DefaultData() Data {
	d, err := ParseYAML(defaultCalendar)
	if err != nil {
		panic(fmt.Sprintf("shipped calendar: %v", err)) // a build defect, caught by the tests
	}
	return d
}

// ParseYAML reads calendar data from YAML, refusing unknown keys.
func ParseYAML(b []byte) (Data, error) {
	var d Data
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("calendar: %w", err)
	}
	return d, nil
}

// New returns a calendar of d, or the field errors of d.
func New(d Data) (*Calendar, error) {
	c := &Calendar{}
	return c, c.Set(d)
}

// Default returns the shipped calendar.
func Default() *Calendar {
	c, err := New(DefaultData())
	if err != nil {
		panic(fmt.Sprintf("shipped calendar: %v", err))
	}
	return c
}

// ValidationError lists what is wrong with calendar data, by field.
type ValidationError map[string]string

func (e ValidationError) Error() string {
	parts := make([]string, 0, len(e))
	for k, v := range e {
		parts = append(parts, k+": "+v)
	}
	slices.Sort(parts)
	return "invalid calendar: " + strings.Join(parts, "; ")
}

var weekdayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// Set validates d and makes it the calendar's data.
func (c *Calendar) Set(d Data) error {
	bad := ValidationError{}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil || d.TimeZone == "" {
		bad["time_zone"] = fmt.Sprintf("%q is not a known time zone (e.g. Asia/Ho_Chi_Minh)", d.TimeZone)
	}
	spans, err := parseSpans(d.WorkingHours)
	if err != nil {
		bad["working_hours"] = err.Error()
	}
	var wd [7]bool
	for _, n := range d.WorkingWeekdays {
		w, ok := weekdayNames[strings.ToLower(n)]
		if !ok {
			bad["working_weekdays"] = fmt.Sprintf("%q is not one of mon, tue, wed, thu, fri, sat, sun", n)
		}
		wd[w] = true
	}
	holidays, herr := parseDays(d.Holidays)
	if herr != "" {
		bad["holidays"] = herr
	}
	workdays, werr := parseDays(d.WorkingDays)
	if werr != "" {
		bad["working_days"] = werr
	}
	for day := range workdays {
		if _, ok := holidays[day]; ok {
			bad["working_days"] = day + " is also a holiday"
		}
	}
	if len(bad) > 0 {
		return bad
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data, c.loc, c.spans, c.weekdays, c.holidays, c.workdays = d, loc, spans, wd, holidays, workdays
	return nil
}

// Data returns a copy of the calendar's data.
func (c *Calendar) Data() Data {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d := c.data
	d.WorkingHours = slices.Clone(d.WorkingHours)
	d.WorkingWeekdays = slices.Clone(d.WorkingWeekdays)
	d.Holidays = slices.Clone(d.Holidays)
	d.WorkingDays = slices.Clone(d.WorkingDays)
	return d
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.loc
}

func parseSpans(hours []string) ([]span, error) {
	if len(hours) == 0 {
		return nil, errors.New("at least one period such as 07:30-11:30")
	}
	var out []span
	for _, h := range hours {
		a, b, ok := strings.Cut(h, "-")
		s, err1 := parseClock(a)
		e, err2 := parseClock(b)
		if !ok || err1 != nil || err2 != nil || e <= s {
			return nil, fmt.Errorf("%q is not a period HH:MM-HH:MM", h)
		}
		if len(out) > 0 && s < out[len(out)-1].end {
			return nil, fmt.Errorf("%q overlaps or precedes the previous period; list them in order", h)
		}
		out = append(out, span{s, e})
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

func parseDays(days []Day) (map[string]string, string) {
	m := map[string]string{}
	for _, d := range days {
		if _, err := time.Parse(time.DateOnly, d.Date); err != nil {
			return nil, fmt.Sprintf("%q is not a date YYYY-MM-DD", d.Date)
		}
		m[d.Date] = d.Name
	}
	return m, ""
}
