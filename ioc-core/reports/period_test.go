package reports_test

import (
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/reports"
)

func TestBoundsAndDue(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, ict) }
	cases := []struct {
		name     string
		period   reports.Period
		now      time.Time
		from, to time.Time // Bounds(now)
		dueFrom  time.Time // Due(period, 7, now)
	}{
		{"daily before the hour", reports.Daily, time.Date(2026, 3, 3, 6, 59, 0, 0, ict), day(2026, 3, 3), day(2026, 3, 4), day(2026, 3, 1)},
		{"daily at the hour", reports.Daily, time.Date(2026, 3, 3, 7, 0, 0, 0, ict), day(2026, 3, 3), day(2026, 3, 4), day(2026, 3, 2)},
		{"weekly on Sunday", reports.Weekly, time.Date(2026, 3, 8, 23, 0, 0, 0, ict), day(2026, 3, 2), day(2026, 3, 9), day(2026, 2, 23)},
		{"weekly on Monday 07:00", reports.Weekly, time.Date(2026, 3, 9, 7, 0, 0, 0, ict), day(2026, 3, 9), day(2026, 3, 16), day(2026, 3, 2)},
		{"monthly across the year", reports.Monthly, time.Date(2026, 1, 1, 7, 0, 0, 0, ict), day(2026, 1, 1), day(2026, 2, 1), day(2025, 12, 1)},
		{"UTC input is cut locally", reports.Daily, time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC), day(2026, 3, 3), day(2026, 3, 4), day(2026, 3, 1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			from, to := c.period.Bounds(c.now)
			if !from.Equal(c.from) || !to.Equal(c.to) {
				t.Errorf("bounds %v–%v, want %v–%v", from, to, c.from, c.to)
			}
			if due, _ := reports.Due(c.period, 7, c.now); !due.Equal(c.dueFrom) {
				t.Errorf("due %v, want %v", due, c.dueFrom)
			}
		})
	}
	if _, err := reports.ParsePeriod("yearly"); err == nil {
		t.Error("yearly parsed")
	}
}
