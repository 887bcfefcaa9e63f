package store

import (
	"bytes"
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// UpdateByID applies update to the document of coll whose _id is id, if the document's
// top-level fields equal those of match (for optimistic concurrency: {"version": 3}). It
// reports whether the document matched; when after is not nil the updated document is
// decoded into it.
//
// On MongoDB this is one findOneAndUpdate on {_id, ...match}. On FerretDB, where such a filter
// reads the whole collection, the document is read by _id, the condition checked here and the
// update applied by _id, all while holding the process-wide write lock that every other write
// command of this process waits for (FerretDB serves one node, so this process is its only
// writer): no write can slip between the check and the update.
func (s *Store) UpdateByID(ctx context.Context, coll string, id any, match bson.M, update any, after any) (bool, error) {
	opts := options.FindOneAndUpdate().SetReturnDocument(options.After)
	if !s.FerretDB {
		filter := bson.M{"_id": id}
		for k, v := range match {
			filter[k] = v
		}
		return decodeResult(s.C(coll).FindOneAndUpdate(ctx, filter, update, opts), after)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	c := s.direct.Database(s.DB.Name()).Collection(coll)
	if len(match) > 0 {
		raw, err := c.FindOne(ctx, bson.M{"_id": id}).Raw()
		if IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("read %s %v: %w", coll, id, err)
		}
		ok, err := fieldsEqual(raw, match)
		if err != nil || !ok {
			return false, err
		}
	}
	return decodeResult(c.FindOneAndUpdate(ctx, bson.M{"_id": id}, update, opts), after)
}

func decodeResult(res *mongo.SingleResult, after any) (bool, error) {
	if err := res.Err(); err != nil {
		if IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	if after != nil {
		if err := res.Decode(after); err != nil {
			return true, err
		}
	}
	return true, nil
}

// fieldsEqual reports whether each field of match has the same BSON value in doc. Numbers are
// compared as numbers, so an int32 version matches an int64 one.
func fieldsEqual(doc bson.Raw, match bson.M) (bool, error) {
	for k, want := range match {
		got, err := doc.LookupErr(k)
		if err != nil {
			return false, nil
		}
		if gi, ok := got.AsInt64OK(); ok {
			if wi, ok := asInt64(want); ok {
				if gi != wi {
					return false, nil
				}
				continue
			}
		}
		typ, data, err := bson.MarshalValue(want)
		if err != nil {
			return false, fmt.Errorf("condition %s: %w", k, err)
		}
		if got.Type != typ || !bytes.Equal(got.Value, data) {
			return false, nil
		}
	}
	return true, nil
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}
