package sla

import "time"

// maxDays bounds every walk over the calendar, so a calendar with no working time at all
// cannot loop forever.
const maxDays = 3660

// IsWorkingDay reports whether the local date of t is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.workingDayLocked(t.In(c.loc))
}

func (c *Calendar) workingDayLocked(local time.Time) bool {
	key := local.Format(time.DateOnly)
	if _, ok := c.workdays[key]; ok {
		return true
	}
	if _, ok := c.holidays[key]; ok {
		return false
	}
	return c.weekdays[local.Weekday()]
}

// IsWorkingTime reports whether offices are open at t: a working day, within working hours.
func (c *Calendar) IsWorkingTime(t time.Time) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	local := t.In(c.loc)
	if !c.workingDayLocked(local) {
		return false
	}
	m := local.Hour()*60 + local.Minute()
	for _, s := range c.spans {
		if m >= s.start && m < s.end {
			return true
		}
	}
	return false
}

// periods calls f with the working periods of the local day of t, in order, until f returns
// false; it reports whether it was stopped.
func (c *Calendar) periodsLocked(day time.Time, f func(from, to time.Time) bool) bool {
	if !c.workingDayLocked(day) {
		return false
	}
	midnight := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, c.loc)
	for _, s := range c.spans {
		if !f(midnight.Add(time.Duration(s.start)*time.Minute), midnight.Add(time.Duration(s.end)*time.Minute)) {
			return true
		}
	}
	return false
}

// AddWorking returns the instant when d of working time has passed after t. With d zero it is
// t itself.
func (c *Calendar) AddWorking(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t.UTC()
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	local := t.In(c.loc)
	left := d
	var due time.Time
	for i := 0; i < maxDays; i++ {
		day := local.AddDate(0, 0, i)
		if c.periodsLocked(day, func(from, to time.Time) bool {
			if from.Before(local) {
				from = local
			}
			if !from.Before(to) {
				return true
			}
			if avail := to.Sub(from); left > avail {
				left -= avail
				return true
			}
			due = from.Add(left)
			return false
		}) {
			return due.UTC()
		}
	}
	return local.AddDate(0, 0, maxDays).UTC()
}

// SubWorking returns the instant that lies d of working time before t.
func (c *Calendar) SubWorking(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t.UTC()
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	local := t.In(c.loc)
	left := d
	var at time.Time
	for i := 0; i < maxDays; i++ {
		day := local.AddDate(0, 0, -i)
		var periods [][2]time.Time
		c.periodsLocked(day, func(from, to time.Time) bool {
			periods = append(periods, [2]time.Time{from, to})
			return true
		})
		for j := len(periods) - 1; j >= 0; j-- {
			from, to := periods[j][0], periods[j][1]
			if to.After(local) {
				to = local
			}
			if !from.Before(to) {
				continue
			}
			if avail := to.Sub(from); left > avail {
				left -= avail
				continue
			}
			at = to.Add(-left)
			return at.UTC()
		}
	}
	return local.AddDate(0, 0, -maxDays).UTC()
}

// WorkingBetween returns the working time from a to b (zero when b is not after a).
func (c *Calendar) WorkingBetween(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	la, lb := a.In(c.loc), b.In(c.loc)
	var sum time.Duration
	for i := 0; i < maxDays; i++ {
		day := la.AddDate(0, 0, i)
		if day.After(lb) && day.Format(time.DateOnly) != lb.Format(time.DateOnly) {
			break
		}
		c.periodsLocked(day, func(from, to time.Time) bool {
			if from.Before(la) {
				from = la
			}
			if to.After(lb) {
				to = lb
			}
			if from.Before(to) {
				sum += to.Sub(from)
			}
			return true
		})
	}
	return sum
}

// AddWorkingDays returns the deadline of n working days counted from t: the day of t does not
// count, and the deadline is the end of working hours of the n-th working day after it.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	local := t.In(c.loc)
	if n <= 0 {
		return t.UTC()
	}
	for i := 1; i < maxDays; i++ {
		day := local.AddDate(0, 0, i)
		if !c.workingDayLocked(day) {
			continue
		}
		if n--; n == 0 {
			end := c.spans[len(c.spans)-1].end
			return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, c.loc).Add(time.Duration(end) * time.Minute).UTC()
		}
	}
	return local.AddDate(0, 0, maxDays).UTC()
}
