package nlu

import (
	"strconv"
	"strings"
	"time"
)

// TimeKind says how precise a TimeMention is.
type TimeKind string

// The kinds of time mention.
const (
	TimeDay       TimeKind = "day"         // a whole day: "hôm qua", "25/11"
	TimePartOfDay TimeKind = "part_of_day" // "sáng nay", "tối qua"
	TimeClock     TimeKind = "clock"       // "lúc 8h30", "20:15", "3 giờ chiều"
)

// TimeMention is a date or time found in a message, resolved to the
// interval [Start, End) in Asia/Ho_Chi_Minh.
type TimeMention struct {
	Text  string    `json:"text"`
	Kind  TimeKind  `json:"kind"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// vietnam is Asia/Ho_Chi_Minh: UTC+7 all year, without daylight saving, so
// a fixed zone is exact and needs no tz database.
var vietnam = time.FixedZone("Asia/Ho_Chi_Minh", 7*3600)

// dayWords are relative days, folded, with their offset from today.
var dayWords = map[string]int{
	"hom nay": 0, "bua nay": 0, "hom qua": -1, "bua qua": -1, "hom kia": -2,
	"ngay mai": 1, "mai": 1, "ngay mot": 2, "ngay kia": 2,
}

// partsOfDay are the hours [from, to) of each part of the day; đêm runs
// into the next morning.
var partsOfDay = map[string][2]int{
	"sang": {5, 11}, "trua": {11, 13}, "chieu": {13, 18}, "toi": {18, 22}, "dem": {22, 29}, "khuya": {23, 29},
}

// partDayOffset reads the word after a part of the day: "nay" today,
// "qua" the day before (tối qua), "mai" the day after.
var partDayOffset = map[string]int{"nay": 0, "qua": -1, "hom qua": -1, "mai": 1, "hom nay": 0}

// extractTimes finds relative days, parts of days, dates and clock times.
// A clock time takes the day of the day or date mentioned in the same
// message, or today. A date without a year is in the current year unless
// that is more than a month ahead, then in the previous year: citizens
// mostly report what already happened.
func extractTimes(toks []token, now time.Time) []TimeMention {
	now = now.In(vietnam)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, vietnam)
	var out []TimeMention
	var clocks []int // indexes in out of clock mentions still on "today"
	day := today
	var part *TimeMention // the part of the day mentioned, if any
	for i := 0; i < len(toks); {
		if m, n, ownDay, ok := clockAt(toks, i, today); ok {
			out = append(out, m)
			if !ownDay {
				clocks = append(clocks, len(out)-1)
			}
			i += n
			continue
		}
		if m, n, ok := partOfDayAt(toks, i, today); ok {
			out = append(out, m)
			part = &m
			day = startOfDay(m.Start)
			i += n
			continue
		}
		if m, n, ok := dayAt(toks, i, today, now); ok {
			out = append(out, m)
			day = m.Start
			i += n
			continue
		}
		i++
	}
	for _, c := range clocks {
		shift := day.Sub(today)
		if part != nil && afternoonClock(out[c].Start.Add(shift), *part) {
			shift += 12 * time.Hour // "tối qua lúc 9h" is 21:00
		}
		out[c].Start, out[c].End = out[c].Start.Add(shift), out[c].End.Add(shift)
	}
	return out
}

// afternoonClock reports whether a clock time read as morning belongs
// twelve hours later, in the part of the day the message names: "9h" with
// "tối qua" is 21:00, "2h" with "chiều nay" is 14:00.
func afternoonClock(t time.Time, part TimeMention) bool {
	inside := func(x time.Time) bool { return !x.Before(part.Start) && x.Before(part.End) }
	return t.Hour() < 12 && !inside(t) && inside(t.Add(12*time.Hour))
}

func startOfDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, vietnam)
}

// phrase returns the folded words i..i+n-1 joined, or "" past the end.
func phrase(toks []token, i, n int) string {
	if i+n > len(toks) {
		return ""
	}
	parts := make([]string, n)
	for k := range parts {
		parts[k] = toks[i+k].folded
	}
	return strings.Join(parts, " ")
}

func spanText(toks []token, i, n int) string {
	parts := make([]string, n)
	for k := range parts {
		parts[k] = toks[i+k].orig
	}
	return strings.Join(parts, " ")
}

// dayAt reads "hôm qua", "ngày mai", "25/11", "25/11/2026" or
// "ngày 25 tháng 11 (năm 2026)" at toks[i].
func dayAt(toks []token, i int, today, now time.Time) (TimeMention, int, bool) {
	for _, n := range []int{2, 1} {
		if off, ok := dayWords[phrase(toks, i, n)]; ok && !(n == 1 && toks[i].folded == "mai" && (i == 0 || !isDayContext(toks[i-1].folded))) {
			s := today.AddDate(0, 0, off)
			return TimeMention{Text: spanText(toks, i, n), Kind: TimeDay, Start: s, End: s.AddDate(0, 0, 1)}, n, true
		}
	}
	if d, mo, y, ok := parseDate(toks[i].folded); ok {
		if s, ok := resolveDate(d, mo, y, now); ok {
			return TimeMention{Text: toks[i].orig, Kind: TimeDay, Start: s, End: s.AddDate(0, 0, 1)}, 1, true
		}
	}
	if phrase(toks, i, 1) == "ngay" && phrase(toks, i+2, 1) == "thang" {
		d, err1 := strconv.Atoi(phrase(toks, i+1, 1))
		mo, err2 := strconv.Atoi(phrase(toks, i+3, 1))
		n, y := 4, 0
		if phrase(toks, i+4, 1) == "nam" {
			if yy, err := strconv.Atoi(phrase(toks, i+5, 1)); err == nil {
				n, y = 6, yy
			}
		}
		if err1 == nil && err2 == nil {
			if s, ok := resolveDate(d, mo, y, now); ok {
				return TimeMention{Text: spanText(toks, i, n), Kind: TimeDay, Start: s, End: s.AddDate(0, 0, 1)}, n, true
			}
		}
	}
	return TimeMention{}, 0, false
}

// isDayContext reports whether a bare "mai" after w means tomorrow (and not
// the name Mai).
func isDayContext(w string) bool {
	return w == "sang" || w == "chieu" || w == "toi" || w == "trua" || w == "dem" || w == "den" || w == "tu" || w == "hen"
}

func parseDate(s string) (d, mo, y int, ok bool) {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	if len(parts) < 2 || len(parts) > 3 || strings.ContainsAny(s, ":") {
		return 0, 0, 0, false
	}
	nums := make([]int, len(parts))
	for k, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || len(p) > 4 {
			return 0, 0, 0, false
		}
		nums[k] = v
	}
	if len(nums) == 3 {
		y = nums[2]
		if y < 100 {
			y += 2000
		}
	}
	return nums[0], nums[1], y, true
}

// resolveDate builds a valid day; year 0 means "the most recent one".
func resolveDate(d, mo, y int, now time.Time) (time.Time, bool) {
	if mo < 1 || mo > 12 || d < 1 || d > 31 || (y != 0 && (y < 1900 || y > 2200)) {
		return time.Time{}, false
	}
	guessed := y == 0
	if guessed {
		y = now.Year()
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, vietnam)
	if t.Day() != d {
		return time.Time{}, false // 31/2 and the like
	}
	if guessed && t.After(now.AddDate(0, 1, 0)) {
		t = t.AddDate(-1, 0, 0)
	}
	return t, true
}

// partOfDayAt reads "sáng nay", "tối qua", "chiều mai", "đêm qua".
func partOfDayAt(toks []token, i int, today time.Time) (TimeMention, int, bool) {
	hours, ok := partsOfDay[phrase(toks, i, 1)]
	if !ok {
		return TimeMention{}, 0, false
	}
	for _, n := range []int{2, 1} {
		off, ok := partDayOffset[phrase(toks, i+1, n)]
		if !ok {
			continue
		}
		day := today.AddDate(0, 0, off)
		return TimeMention{
			Text: spanText(toks, i, n+1), Kind: TimePartOfDay,
			Start: day.Add(time.Duration(hours[0]) * time.Hour), End: day.Add(time.Duration(hours[1]) * time.Hour),
		}, n + 1, true
	}
	return TimeMention{}, 0, false
}

// clockAt reads "8h", "8h30", "8 giờ 30", "8 giờ rưỡi", "20:15", optionally
// after "lúc" and followed by a part of the day ("8h tối" is 20:00) and a
// day word ("8h sáng nay"); ownDay reports that it named its day.
func clockAt(toks []token, i int, today time.Time) (m TimeMention, n int, ownDay, ok bool) {
	start := i
	if toks[i].folded == "luc" || toks[i].folded == "khoang" {
		i++
	}
	if i >= len(toks) {
		return TimeMention{}, 0, false, false
	}
	h, mins, n, ok := readClock(toks, i)
	if !ok {
		return TimeMention{}, 0, false, false
	}
	j := i + n
	day := today
	if hours, ok := partsOfDay[phrase(toks, j, 1)]; ok {
		if h < 12 && hours[0] >= 13 {
			h += 12
		}
		j++
		for _, k := range []int{2, 1} {
			if off, ok := partDayOffset[phrase(toks, j, k)]; ok {
				day, ownDay = today.AddDate(0, 0, off), true
				j += k
				break
			}
		}
	}
	if h > 23 || mins > 59 {
		return TimeMention{}, 0, false, false
	}
	t := day.Add(time.Duration(h)*time.Hour + time.Duration(mins)*time.Minute)
	return TimeMention{Text: spanText(toks, start, j-start), Kind: TimeClock, Start: t, End: t.Add(time.Minute)}, j - start, ownDay, true
}

// readClock reads the hour and minute of a clock time at toks[i].
func readClock(toks []token, i int) (h, m, n int, ok bool) {
	w := toks[i].folded
	if hh, mm, found := strings.Cut(w, ":"); found {
		h, err1 := strconv.Atoi(hh)
		m, err2 := strconv.Atoi(mm)
		return h, m, 1, err1 == nil && err2 == nil && len(mm) == 2
	}
	for _, sep := range []string{"h", "g"} {
		if hh, mm, found := strings.Cut(w, sep); found && hh != "" {
			h, err := strconv.Atoi(hh)
			if err != nil {
				return 0, 0, 0, false
			}
			if mm == "" || mm == "00" {
				if phrase(toks, i+1, 1) == "ruoi" {
					return h, 30, 2, true
				}
				return h, 0, 1, true
			}
			mm = strings.TrimSuffix(mm, "p")
			m, err := strconv.Atoi(mm)
			return h, m, 1, err == nil
		}
	}
	h, err := strconv.Atoi(w)
	if err != nil || phrase(toks, i+1, 1) != "gio" {
		return 0, 0, 0, false
	}
	switch next := phrase(toks, i+2, 1); {
	case next == "ruoi":
		return h, 30, 3, true
	case next != "":
		if m, err := strconv.Atoi(next); err == nil {
			n := 3
			if p := phrase(toks, i+3, 1); p == "phut" {
				n = 4
			}
			return h, m, n, true
		}
	}
	return h, 0, 2, true
}
