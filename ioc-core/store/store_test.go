package store_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// openTest opens the store the tests run against: MONGODB_URI when set, else embedded.
func openTest(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{URI: os.Getenv("MONGODB_URI"), Database: "storetest_" + bson.NewObjectID().Hex(), DataDir: t.TempDir()},
		slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.DB.Drop(ctx)
		_ = s.Close(ctx)
	})
	return s
}

func TestUpdateOperatorsOnTheWire(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	c := s.C("docs")
	if err := s.EnsureIndexes(ctx, "docs", store.Index("pending"), store.UniqueIndex("code")); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureIndexes(ctx, "docs", store.Index("pending"), store.UniqueIndex("code")); err != nil {
		t.Fatalf("second EnsureIndexes: %v", err)
	}
	if _, err := c.InsertOne(ctx, bson.M{"_id": "a", "code": "A", "version": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertOne(ctx, bson.M{"_id": "b", "code": "A"}); !store.IsDuplicate(err) {
		t.Fatalf("want duplicate key error, got %v", err)
	}
	var u store.Update
	u.SetField("pending", true)
	u.PushEach("box", bson.M{"id": "e1", "n": 1}, bson.M{"id": "e2", "n": 2})
	u.Inc = bson.M{"version": 1}
	var out bson.M
	err := c.FindOneAndUpdate(ctx, bson.M{"_id": "a", "version": 1}, u.Doc(),
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&out)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.FindOneAndUpdate(ctx, bson.M{"_id": "a", "version": 1}, u.Doc()).Err(); !store.IsNotFound(err) {
		t.Fatalf("stale version: want not found, got %v", err)
	}
	n, err := c.CountDocuments(ctx, bson.M{"_id": "a", "box": bson.M{"$size": 2}})
	if err != nil || n != 1 {
		t.Fatalf("$size: n=%d err=%v", n, err)
	}
}

func TestConditionalUpdatesAreAtomic(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	c := s.C("race")
	for round := 0; round < 5; round++ {
		id := bson.NewObjectID()
		if _, err := c.InsertOne(ctx, bson.M{"_id": id, "version": 1}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := c.FindOneAndUpdate(ctx, bson.M{"_id": id, "version": 1}, bson.M{"$inc": bson.M{"version": 1}, "$set": bson.M{"by": i}}).Err()
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !store.IsNotFound(err) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("round %d: %d of 8 concurrent findOneAndUpdate on version 1 won, want 1", round, wins)
		}
	}
}

func TestUpdateByIDOneWinnerPerVersion(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	if _, err := s.C("cond").InsertOne(ctx, bson.M{"_id": "doc", "version": int64(1), "state": "open"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out struct {
				Version int64 `bson:"version"`
			}
			ok, err := s.UpdateByID(ctx, "cond", "doc", bson.M{"version": 1}, bson.M{"$inc": bson.M{"version": 1}, "$set": bson.M{"by": i}}, &out)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
				if out.Version != 2 {
					t.Errorf("after: version %d", out.Version)
				}
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d of 10 updates of version 1 won", wins)
	}
	cases := []struct {
		name  string
		match bson.M
		want  bool
	}{
		{"stale version", bson.M{"version": 1}, false},
		{"current version as int32", bson.M{"version": int32(2)}, true},
		{"string field", bson.M{"state": "open"}, true},
		{"string mismatch", bson.M{"state": "closed"}, false},
		{"missing field", bson.M{"nope": 1}, false},
	}
	for _, c := range cases {
		// Each case leaves version as it was: $set of the same value.
		ok, err := s.UpdateByID(ctx, "cond", "doc", c.match, bson.M{"$set": bson.M{"touched": c.name}}, nil)
		if err != nil || ok != c.want {
			t.Errorf("%s: matched=%v err=%v, want %v", c.name, ok, err, c.want)
		}
	}
	if ok, _ := s.UpdateByID(ctx, "cond", "absent", nil, bson.M{"$set": bson.M{"x": 1}}, nil); ok {
		t.Error("an absent document matched")
	}
}
