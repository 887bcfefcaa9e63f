package sla

import (
	"testing"
	"time"
)

var hcm = time.FixedZone("ICT", 7*3600)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, hcm)
	if err != nil {
		panic(err)
	}
	return t
}

func withMakeUp(t *testing.T) *Calendar {
	d := DefaultData()
	d.WorkingDays = append(d.WorkingDays, Day{Date: "2026-01-10", Name: "làm bù"})
	c, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestShippedCalendar(t *testing.T) {
	c := Default()
	cases := []struct {
		name    string
		at      string
		working bool
	}{
		{"weekday morning", "2026-01-05 08:00", true},
		{"lunch break", "2026-01-05 12:00", false},
		{"before opening", "2026-01-05 07:00", false},
		{"after closing", "2026-01-05 17:00", false},
		{"saturday", "2026-01-03 09:00", false},
		{"new year", "2026-01-01 09:00", false},
		{"tet eve", "2026-02-16 09:00", false},
		{"tet 4th day", "2026-02-20 09:00", false},
		{"after tet", "2026-02-23 09:00", true},
		{"hung kings observed", "2026-04-27 09:00", false},
		{"reunification", "2026-04-30 09:00", false},
		{"labour day", "2026-05-01 09:00", false},
		{"national day", "2026-09-02 09:00", false},
		{"national day eve", "2026-09-01 09:00", false},
		{"after national day", "2026-09-03 09:00", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.IsWorkingTime(at(tc.at)); got != tc.working {
				t.Fatalf("IsWorkingTime(%s) = %v", tc.at, got)
			}
		})
	}
}

func TestArithmetic(t *testing.T) {
	c, mk := Default(), withMakeUp(t)
	cases := []struct {
		name string
		cal  *Calendar
		got  time.Time
		want string
	}{
		{"hours within a morning", c, c.AddWorking(at("2026-01-05 08:00"), 2*time.Hour), "2026-01-05 10:00"},
		{"hours across lunch", c, c.AddWorking(at("2026-01-05 11:00"), time.Hour), "2026-01-05 14:00"},
		{"hours across a weekend", c, c.AddWorking(at("2026-01-09 16:00"), 4*time.Hour), "2026-01-12 10:30"},
		{"hours from a sunday", c, c.AddWorking(at("2026-01-11 20:00"), time.Hour), "2026-01-12 08:30"},
		{"hours across tet", c, c.AddWorking(at("2026-02-13 16:30"), time.Hour), "2026-02-23 08:00"},
		{"hours on a make-up saturday", mk, mk.AddWorking(at("2026-01-09 16:00"), 4*time.Hour), "2026-01-10 10:30"},
		{"days across a weekend", c, c.AddWorkingDays(at("2026-01-09 10:00"), 3), "2026-01-14 17:00"},
		{"days across tet", c, c.AddWorkingDays(at("2026-02-13 10:00"), 3), "2026-02-25 17:00"},
		{"days with a make-up saturday", mk, mk.AddWorkingDays(at("2026-01-09 10:00"), 3), "2026-01-13 17:00"},
		{"days from a holiday", c, c.AddWorkingDays(at("2026-01-01 10:00"), 1), "2026-01-02 17:00"},
		{"days across hung kings and 30/4", c, c.AddWorkingDays(at("2026-04-24 10:00"), 3), "2026-05-04 17:00"},
		{"back across lunch", c, c.SubWorking(at("2026-01-05 14:00"), time.Hour), "2026-01-05 11:00"},
		{"back across a weekend", c, c.SubWorking(at("2026-01-12 17:00"), 8*time.Hour), "2026-01-09 16:30"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.got.Equal(at(tc.want)) {
				t.Fatalf("got %s, want %s", tc.got.In(hcm).Format("2006-01-02 15:04 Mon"), tc.want)
			}
		})
	}
	if d := c.WorkingBetween(at("2026-01-09 16:00"), at("2026-01-12 10:30")); d != 4*time.Hour {
		t.Fatalf("WorkingBetween = %s", d)
	}
}

func TestInvalidData(t *testing.T) {
	d := DefaultData()
	d.TimeZone = "Mars/Olympus"
	d.WorkingHours = []string{"13:00-12:00"}
	d.Holidays = append(d.Holidays, Day{Date: "2026-13-01"})
	_, err := New(d)
	ve, ok := err.(ValidationError)
	if !ok || ve["time_zone"] == "" || ve["working_hours"] == "" || ve["holidays"] == "" {
		t.Fatalf("got %v", err)
	}
}
