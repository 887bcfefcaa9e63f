package sectors

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// RecordsCollection holds the records of every sector, keyed by a stable _id.
const RecordsCollection = "sector_records"

// records is the in-process view of a sector's records that indicators are measured on:
// every record still open and every record of the retention window (the alert engine
// looks back 7 days). It is rebuilt from the store at start; the store is the truth.
// Safe for concurrent use.
type records struct {
	mu     sync.RWMutex
	byID   map[string]*Record
	keep   time.Duration
	pruned time.Time
}

func newRecords(keep time.Duration) *records {
	return &records{byID: map[string]*Record{}, keep: keep}
}

func (rs *records) put(r *Record) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.byID[r.ID] = r
}

func (rs *records) get(id string) (*Record, bool) {
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	r, ok := rs.byID[id]
	return r, ok
}

// prune drops records done (or, with no end, dated) before now − keep, at most once a minute.
func (rs *records) prune(now time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if now.Sub(rs.pruned) < time.Minute {
		return
	}
	rs.pruned = now
	cut := now.Add(-rs.keep)
	for id, r := range rs.byID {
		end := r.At
		if r.Due != nil {
			if r.Done == nil {
				continue
			}
			end = *r.Done
		}
		if end.Before(cut) {
			delete(rs.byID, id)
		}
	}
}

// each calls f with every record of kind under the read lock; f must not block.
func (rs *records) each(kind string, f func(r *Record)) {
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	for _, r := range rs.byID {
		if r.Kind == kind {
			f(r)
		}
	}
}

// measure computes an indicator per value of groupBy.
func (rs *records) measure(ind *Indicator, groupBy string, filter map[string]string, from, to, now time.Time) map[string]float64 {
	groups := map[string]*accumulator{}
	add := func(r *Record) {
		g := ""
		if groupBy != "" {
			g = r.Dims[groupBy]
		}
		a := groups[g]
		if a == nil {
			a = &accumulator{}
			groups[g] = a
		}
		a.add(ind.value(r, now))
	}
	if ind.Select == SelectLatest {
		latest := map[string]*Record{}
		rs.each(ind.Record, func(r *Record) {
			if !ind.selects(r, from, to, now, filter) {
				return
			}
			k := seriesKey(r, ind.Series)
			if cur := latest[k]; cur == nil || r.At.After(cur.At) {
				latest[k] = r
			}
		})
		for _, r := range latest {
			add(r)
		}
	} else {
		rs.each(ind.Record, func(r *Record) {
			if ind.selects(r, from, to, now, filter) {
				add(r)
			}
		})
	}
	out := make(map[string]float64, len(groups))
	for g, a := range groups {
		out[g] = a.result(ind.Aggregate)
	}
	return out
}

func seriesKey(r *Record, dims []string) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = r.Dims[d]
	}
	return strings.Join(parts, "\x00")
}

// list returns the records of kind selected by keep, newest first.
func (rs *records) list(kind string, keep func(r *Record) bool) []Record {
	var out []Record
	rs.each(kind, func(r *Record) {
		if keep(r) {
			out = append(out, *r)
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out
}

// recordStore persists records: each write names its document by _id, which the embedded
// store answers from its table without scanning.
type recordStore struct {
	st *store.Store
}

// upsert writes r whole, replacing the stored version.
func (s recordStore) upsert(ctx context.Context, r *Record) error {
	_, err := s.st.C(RecordsCollection).ReplaceOne(ctx, bson.M{"_id": r.ID}, r, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store record %s: %w", r.ID, err)
	}
	return nil
}

// insertNew inserts records, skipping those already stored; it returns how many were new.
func (s recordStore) insertNew(ctx context.Context, rs []*Record) (int, error) {
	docs := make([]any, len(rs))
	for i, r := range rs {
		docs[i] = r
	}
	res, err := s.st.C(RecordsCollection).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	n := 0
	if res != nil {
		n = len(res.InsertedIDs)
	}
	var bwe mongo.BulkWriteException
	if err != nil && errors.As(err, &bwe) {
		for _, we := range bwe.WriteErrors {
			if we.Code != 11000 {
				return n, fmt.Errorf("store records: %w", err)
			}
		}
		return len(rs) - len(bwe.WriteErrors), nil
	}
	if err != nil {
		return n, fmt.Errorf("store records: %w", err)
	}
	return n, nil
}

// load reads the records of a sector that the in-process view keeps.
func (s recordStore) load(ctx context.Context, sector string, since time.Time) ([]*Record, error) {
	cur, err := s.st.C(RecordsCollection).Find(ctx, bson.M{"sector": sector, "$or": bson.A{
		bson.M{"at": bson.M{"$gte": since}}, bson.M{"done": bson.M{"$gte": since}},
		bson.M{"due": bson.M{"$exists": true}, "done": bson.M{"$exists": false}}}})
	if err != nil {
		return nil, fmt.Errorf("load %s records: %w", sector, err)
	}
	var out []*Record
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("load %s records: %w", sector, err)
	}
	return out, nil
}
