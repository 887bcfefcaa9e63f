// Package store opens ioc1022's MongoDB store: a real MongoDB deployment when a URI is given,
// otherwise FerretDB embedded in the process on a loopback port with SQLite files under the
// data directory. The rest of the code sees one *mongo.Database either way.
//
// The embedded store has no multi-document transactions and no change streams, so code built
// on this package changes one document per write (findOneAndUpdate with a version field).
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// Options selects and names the store.
type Options struct {
	URI      string // a MongoDB URI; empty starts the embedded store
	Database string
	DataDir  string // where the embedded store keeps its files
}

// Store is an open connection to the database. It is safe for concurrent use.
type Store struct {
	Client   *mongo.Client
	DB       *mongo.Database
	URI      string // the URI connected to, without credentials for a remote store
	Embedded bool
	// On FerretDB: the process-wide write lock of the serialising dialer, and a client without
	// it that UpdateByID uses while holding the lock (see conditional.go).
	writeMu *sync.Mutex
	direct  *mongo.Client
	// FerretDB is true when the store is FerretDB, embedded or behind a URI: this node is its
	// only client, its writes are serialised here, and it evaluates every filter other than
	// {_id: value} by scanning the collection, whatever the indexes.
	FerretDB bool

	stopEmbedded func()
}

// Open connects to the store described by opts, starting the embedded one when opts.URI is
// empty. The caller must Close it.
func Open(ctx context.Context, opts Options, log *slog.Logger) (*Store, error) {
	s := &Store{URI: opts.URI}
	if opts.URI == "" {
		uri, stop, err := startEmbedded(ctx, opts.DataDir, "127.0.0.1:0", log)
		if err != nil {
			return nil, err
		}
		s.URI, s.stopEmbedded, s.Embedded = uri, stop, true
	}
	serial := s.Embedded
	if !serial {
		// A FerretDB behind a URI (`ioc1022 store`, or a FerretDB server) needs the same
		// serialised writes as the embedded one; it must then serve this node alone.
		isFerret, err := isFerretDB(ctx, s.URI)
		if err != nil {
			return nil, fmt.Errorf("store unreachable at %s: %w", redact(s.URI), err)
		}
		serial = isFerret
	}
	s.FerretDB = serial
	var writeMu *sync.Mutex
	if serial {
		writeMu = &sync.Mutex{}
		direct, err := connect(ctx, s.URI, nil)
		if err != nil {
			s.stop()
			return nil, fmt.Errorf("store unreachable at %s: %w", redact(s.URI), err)
		}
		s.writeMu, s.direct = writeMu, direct
	}
	client, err := connect(ctx, s.URI, writeMu)
	if err != nil {
		s.closeDirect()
		s.stop()
		return nil, fmt.Errorf("store unreachable at %s: %w", redact(s.URI), err)
	}
	s.Client = client
	s.DB = client.Database(opts.Database)
	if !s.Embedded {
		s.URI = redact(s.URI)
	}
	return s, nil
}

// connect dials uri; with writeMu set, write commands hold it (serial.go).
func connect(ctx context.Context, uri string, writeMu *sync.Mutex) (*mongo.Client, error) {
	copts := options.Client().ApplyURI(uri).
		SetWriteConcern(writeconcern.Majority()).
		SetServerSelectionTimeout(10 * time.Second).
		SetAppName("ioc1022")
	if writeMu != nil {
		copts.SetDialer(serialDialer{mu: writeMu})
	}
	client, err := mongo.Connect(copts)
	if err != nil {
		return nil, err
	}
	if err := client.Ping(ctx, nil); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	return client, nil
}

// isFerretDB asks the server at uri whether it is FerretDB (its buildInfo says so).
func isFerretDB(ctx context.Context, uri string) (bool, error) {
	c, err := connect(ctx, uri, nil)
	if err != nil {
		return false, err
	}
	defer func() { _ = c.Disconnect(context.Background()) }()
	var info bson.M
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return false, err
	}
	_, ok := info["ferretdbVersion"]
	return ok, nil
}

// Ping reports whether the store answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.Client.Ping(ctx, nil)
}

// Close disconnects and stops the embedded store, after in-flight operations finish.
func (s *Store) Close(ctx context.Context) error {
	err := s.Client.Disconnect(ctx)
	s.closeDirect()
	s.stop()
	return err
}

func (s *Store) stop() {
	if s.stopEmbedded != nil {
		s.stopEmbedded()
		s.stopEmbedded = nil
	}
}

// C returns a collection of the store's database.
func (s *Store) C(name string) *mongo.Collection { return s.DB.Collection(name) }

// EnsureIndexes creates the indexes of a collection. It is idempotent: an index that exists
// with the same keys and options is left as it is.
func (s *Store) EnsureIndexes(ctx context.Context, coll string, models ...mongo.IndexModel) error {
	// One at a time: FerretDB v1.24 fails a createIndexes of several indexes when some exist.
	for _, m := range models {
		if _, err := s.C(coll).Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("create index on %s: %w", coll, err)
		}
	}
	return nil
}

// Index is shorthand for an ascending index on the given fields.
func Index(fields ...string) mongo.IndexModel {
	keys := bson.D{}
	for _, f := range fields {
		keys = append(keys, bson.E{Key: f, Value: 1})
	}
	return mongo.IndexModel{Keys: keys}
}

// UniqueIndex is shorthand for a unique ascending index on the given fields.
func UniqueIndex(fields ...string) mongo.IndexModel {
	m := Index(fields...)
	m.Options = options.Index().SetUnique(true)
	return m
}

// IsDuplicate reports whether err is a duplicate-key write error.
func IsDuplicate(err error) bool { return mongo.IsDuplicateKeyError(err) }

// IsNotFound reports whether err means no document matched.
func IsNotFound(err error) bool { return errors.Is(err, mongo.ErrNoDocuments) }

var embeddedNew sync.Mutex

// Serve runs the embedded store alone on addr until ctx ends: `ioc1022 store`, for tools
// such as mongosh while the node is stopped, and for test runs that share one store process.
func Serve(ctx context.Context, dir, addr string, log *slog.Logger) (string, func(), error) {
	return startEmbedded(ctx, dir, addr, log)
}

func startEmbedded(ctx context.Context, dir, addr string, log *slog.Logger) (string, func(), error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return "", nil, fmt.Errorf("create data dir: %w", err)
	}
	// ferretdb.New writes package globals: one at a time (tests start several stores).
	embeddedNew.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: addr},
		Handler:  "sqlite",
		// WAL with synchronous=NORMAL: a commit survives the process being killed (the
		// kill -9 test), not a power cut; production runs on a MongoDB replica set.
		SQLiteURL: "file:" + abs + "/?_pragma=synchronous(normal)",
		Logger:    slog.New(quietHandler{next: log.Handler()}),
	})
	embeddedNew.Unlock()
	if err != nil {
		return "", nil, fmt.Errorf("start embedded store in %s: %w", abs, err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		_ = f.Run(runCtx)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		keepIDIndexes(runCtx, abs, log)
	}()
	stop := func() {
		cancel()
		<-done
		<-done
	}
	return f.MongoDBURI(), stop, nil
}

func (s *Store) closeDirect() {
	if s.direct != nil {
		_ = s.direct.Disconnect(context.Background())
		s.direct = nil
	}
}
