package tickets

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/refdata"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// storeIndex asks the store, through the indexes Module.Init creates. It is the index of a
// real MongoDB, which several nodes may write.
type storeIndex struct {
	coll *mongo.Collection
}

func (s *storeIndex) load(context.Context) error { return nil }

// closedChan is a channel closed from the start.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (s *storeIndex) ready() <-chan struct{} { return closedChan }

func (s *storeIndex) put(*Ticket) {}

func (s *storeIndex) touch(Code) {}

func (s *storeIndex) list(ctx context.Context, q listQuery) ([]Ticket, error) {
	f := bson.M{}
	if q.departments != nil {
		f["department"] = bson.M{"$in": q.departments}
	}
	switch len(q.statuses) {
	case 0:
	case 1:
		f["status"] = q.statuses[0]
	default:
		f["status"] = bson.M{"$in": q.statuses}
	}
	for k, v := range map[string]string{"category": q.category, "ward": q.ward, "channel": q.channel} {
		if v != "" {
			f[k] = v
		}
	}
	if q.overdue != nil {
		if *q.overdue {
			f["overdue"] = true
		} else {
			f["overdue"] = bson.M{"$ne": true}
		}
	}
	if q.text != "" {
		f["search"] = bson.M{"$regex": regexp.QuoteMeta(q.text)}
	}
	created := bson.M{}
	if q.from != nil {
		created["$gte"] = *q.from
	}
	if q.to != nil {
		created["$lt"] = *q.to
	}
	if c := q.cursor; c != nil {
		f["$or"] = bson.A{bson.M{"created_at": bson.M{"$lt": c.At}}, bson.M{"created_at": c.At, "_id": bson.M{"$lt": string(c.Code)}}}
	}
	if len(created) > 0 {
		f["created_at"] = created
	}
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(int64(q.limit)).SetProjection(listProjection)
	return s.find(ctx, f, opts)
}

func (s *storeIndex) duplicateCandidates(ctx context.Context, t *Ticket, since time.Time) ([]Ticket, error) {
	if t.Category == "" {
		return nil, nil
	}
	filter := bson.M{
		"category":   t.Category,
		"status":     bson.M{"$in": dupStatuses},
		"created_at": bson.M{"$gte": since},
		"_id":        bson.M{"$ne": string(t.Code)},
	}
	cands, err := s.find(ctx, filter, options.Find().
		SetProjection(bson.M{"status": 1, "category": 1, "ward": 1, "location": 1, "description": 1, "created_at": 1}).
		SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(duplicateScan))
	for i := range cands {
		cands[i].Description = refdata.Fold(cands[i].Description)
	}
	return cands, err
}

func (s *storeIndex) crossing(ctx context.Context, now, after time.Time, afterCode Code, limit int) ([]deadline, error) {
	q := bson.M{"next_deadline": bson.M{"$lte": now}}
	if afterCode != "" {
		q = bson.M{"$or": bson.A{
			bson.M{"next_deadline": bson.M{"$gt": after, "$lte": now}},
			bson.M{"next_deadline": after, "_id": bson.M{"$gt": string(afterCode)}},
		}}
	}
	ts, err := s.find(ctx, q, options.Find().
		SetSort(bson.D{{Key: "next_deadline", Value: 1}, {Key: "_id", Value: 1}}).
		SetLimit(int64(limit)).SetProjection(bson.M{"next_deadline": 1}))
	if err != nil {
		return nil, err
	}
	out := make([]deadline, 0, len(ts))
	for _, t := range ts {
		if t.NextDeadline != nil {
			out = append(out, deadline{code: t.Code, at: *t.NextDeadline})
		}
	}
	return out, nil
}

func (s *storeIndex) byPhone(ctx context.Context, phone string, limit int) ([]Ticket, error) {
	return s.find(ctx, bson.M{"reporter.phone": phone}, options.Find().
		SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(int64(limit)).SetProjection(listProjection))
}

func (s *storeIndex) find(ctx context.Context, filter bson.M, opts *options.FindOptionsBuilder) ([]Ticket, error) {
	cur, err := s.coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("find tickets: %w", err)
	}
	out := []Ticket{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("find tickets: %w", err)
	}
	return out, nil
}
