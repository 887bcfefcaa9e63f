package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestIDLookupsUseAnIndexOnTheEmbeddedStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, Options{Database: "idx", DataDir: dir}, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	docs := make([]any, 5000)
	for i := range docs {
		docs[i] = bson.M{"_id": fmt.Sprintf("doc-%05d", i), "body": strings.Repeat("x", 200)}
	}
	if _, err := s.C("things").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := ensureIDIndexes(ctx, dir); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "idx.sqlite")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := collectionTables(ctx, db)
	if err != nil || len(tables) != 1 {
		t.Fatalf("tables %v, err %v", tables, err)
	}
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE %s = ?`, tables[0], idColumnExpr), `"doc-00042"`)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	rows.Close()
	if !strings.Contains(strings.Join(plan, " "), "USING INDEX") {
		t.Fatalf("the _id lookup FerretDB sends does not use an index: %v", plan)
	}
	start := time.Now()
	for i := 0; i < 200; i++ {
		var out bson.M
		if err := s.C("things").FindOne(ctx, bson.M{"_id": fmt.Sprintf("doc-%05d", i*7)}).Decode(&out); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("200 lookups by _id in a 5,000-document collection: %v", time.Since(start))
}
