package kpi

import "time"

// Zone is the province's time zone, in which days and months are cut. Vietnam keeps no
// daylight saving time, so a fixed offset is exact and needs no tz database.
var Zone = time.FixedZone("ICT", 7*3600)

// Fine is the width of the finest buckets.
const Fine = 15 * time.Minute

// merger is a bucket's counters: it can add another bucket of its type.
type merger[C any] interface {
	*C
	Merge(*C)
}

// Series holds one kind of counters C per dimension key K in buckets of 15 minutes, of a
// day and of a month, all three updated by every event so that a query over any range
// reads few buckets. Bucket keys are the Unix second of the bucket's start. FineFloor is
// the start of the oldest 15-minute bucket still kept; older ranges fall back to days.
type Series[K comparable, C any, P merger[C]] struct {
	Fine      map[int64]map[K]*C
	Day       map[int64]map[K]*C
	Month     map[int64]map[K]*C
	FineFloor int64
}

// init makes the maps a decoded snapshot left nil (gob does not send empty maps).
func (s *Series[K, C, P]) init() {
	if s.Fine == nil {
		s.Fine = map[int64]map[K]*C{}
	}
	if s.Day == nil {
		s.Day = map[int64]map[K]*C{}
	}
	if s.Month == nil {
		s.Month = map[int64]map[K]*C{}
	}
}

func fineStart(t time.Time) time.Time { return t.Truncate(Fine) }

func dayStart(t time.Time) time.Time {
	l := t.In(Zone)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, Zone)
}

func monthStart(t time.Time) time.Time {
	l := t.In(Zone)
	return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, Zone)
}

func cellIn[K comparable, C any](m map[int64]map[K]*C, start int64, k K) *C {
	b := m[start]
	if b == nil {
		b = map[K]*C{}
		m[start] = b
	}
	c := b[k]
	if c == nil {
		c = new(C)
		b[k] = c
	}
	return c
}

// add applies f to the cell of k in the three buckets that hold t. A 15-minute bucket
// older than FineFloor is not created again.
func (s *Series[K, C, P]) add(t time.Time, k K, f func(*C)) {
	if fs := fineStart(t).Unix(); fs >= s.FineFloor {
		f(cellIn(s.Fine, fs, k))
	}
	f(cellIn(s.Day, dayStart(t).Unix(), k))
	f(cellIn(s.Month, monthStart(t).Unix(), k))
}

// prune drops the 15-minute buckets that start before floor.
func (s *Series[K, C, P]) prune(floor int64) {
	if floor <= s.FineFloor {
		return
	}
	for start := range s.Fine {
		if start < floor {
			delete(s.Fine, start)
		}
	}
	s.FineFloor = floor
}

// each calls fn with every cell whose key matches, in the buckets that tile [from, to):
// whole months, then whole days, then 15-minute buckets. from and to must lie on the
// 15-minute grid. Before FineFloor, a partial day is read from its whole day bucket.
func (s *Series[K, C, P]) each(from, to time.Time, match func(K) bool, fn func(K, *C)) {
	visit := func(b map[K]*C) {
		for k, c := range b {
			if match(k) {
				fn(k, c)
			}
		}
	}
	for t := from; t.Before(to); {
		if ms := monthStart(t); ms.Equal(t) && !ms.AddDate(0, 1, 0).After(to) {
			visit(s.Month[t.Unix()])
			t = ms.AddDate(0, 1, 0)
			continue
		}
		ds := dayStart(t)
		if next := ds.AddDate(0, 0, 1); (ds.Equal(t) && !next.After(to)) || t.Unix() < s.FineFloor {
			visit(s.Day[ds.Unix()])
			t = next
			continue
		}
		visit(s.Fine[t.Unix()])
		t = t.Add(Fine)
	}
}

// cells counts the cells held, for the benchmarks' memory figures.
func (s *Series[K, C, P]) cells() int {
	n := 0
	for _, m := range []map[int64]map[K]*C{s.Fine, s.Day, s.Month} {
		for _, b := range m {
			n += len(b)
		}
	}
	return n
}
