package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses
)

// FerretDB v1.24 pushes a {_id: value} filter down to SQLite as
// `WHERE _ferretdb_sjson->'$._id' = ?`, but the unique index it creates for _id is on
// `_ferretdb_sjson->"_id"`, an expression SQLite does not recognise as the same: every lookup
// by _id scans the table and parses every row's JSON. The embedded store therefore adds, to
// every collection table, an index on exactly the pushed-down expression. It runs at start and
// then every idIndexInterval, so tables of collections created meanwhile get theirs too.

const (
	idColumnExpr    = `_ferretdb_sjson->'$._id'`
	idIndexSuffix   = "_ioc_id"
	idIndexInterval = 5 * time.Second
)

// ensureIDIndexes adds the missing _id indexes in every database file of dir.
func ensureIDIndexes(ctx context.Context, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := ensureIDIndexesIn(ctx, f); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
	}
	return nil
}

func ensureIDIndexesIn(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	tables, err := collectionTables(ctx, db)
	if err != nil {
		return err
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, t+idIndexSuffix, t, idColumnExpr)
		if _, err := db.ExecContext(ctx, q); err != nil && !strings.Contains(err.Error(), "no such table") {
			return fmt.Errorf("index %s: %w", t, err)
		}
	}
	return nil
}

// collectionTables lists the tables of FerretDB's collections in one database file.
func collectionTables(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil, nil
		}
		return nil, err
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	return tables, rows.Err()
}

// keepIDIndexes runs ensureIDIndexes now and then every idIndexInterval until ctx ends.
func keepIDIndexes(ctx context.Context, dir string, log *slog.Logger) {
	t := time.NewTicker(idIndexInterval)
	defer t.Stop()
	for {
		if err := ensureIDIndexes(ctx, dir); err != nil && ctx.Err() == nil {
			log.Warn("embedded store: _id index", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
