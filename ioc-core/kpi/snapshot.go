package kpi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Snapshots let a node start without replaying the whole log: the state is written in
// chunks under a new snapshot id, then one head document is switched to that id in a
// single write, then the older chunks are removed. A crash at any point leaves the head
// on a whole snapshot.
const (
	snapshotCollection = "kpi_snapshots"
	headCollection     = "kpi_snapshot_head"
	chunkBytes         = 4 << 20
)

type snapshotHead struct {
	ID     string    `bson:"_id"`
	Snap   string    `bson:"snap"`
	Seq    int64     `bson:"seq"`
	Params Params    `bson:"params"`
	At     time.Time `bson:"at"`
	Chunks int       `bson:"chunks"`
}

type snapshotChunk struct {
	ID   string `bson:"_id"`
	Snap string `bson:"snap"`
	I    int    `bson:"i"`
	Data []byte `bson:"data"`
}

// encode writes the state as gzip'd gob.
func (p *Projection) encode() ([]byte, int64, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := gob.NewEncoder(zw).Encode(&p.st); err != nil {
		return nil, 0, fmt.Errorf("encode kpi state: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), p.st.Seq, nil
}

func decodeState(raw []byte) (State, error) {
	var st State
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return st, fmt.Errorf("decode kpi state: %w", err)
	}
	if err := gob.NewDecoder(zr).Decode(&st); err != nil && !errors.Is(err, io.EOF) {
		return st, fmt.Errorf("decode kpi state: %w", err)
	}
	return st, nil
}

// SaveSnapshot stores the projection's state; it returns the sequence number saved.
func (p *Projection) SaveSnapshot(ctx context.Context, st *store.Store) (int64, error) {
	raw, seq, err := p.encode()
	if err != nil {
		return 0, err
	}
	snap := bson.NewObjectID().Hex()
	n := 0
	for off := 0; off < len(raw) || n == 0; off += chunkBytes {
		end := min(off+chunkBytes, len(raw))
		c := snapshotChunk{ID: fmt.Sprintf("%s/%d", snap, n), Snap: snap, I: n, Data: raw[off:end]}
		if _, err := st.C(snapshotCollection).InsertOne(ctx, c); err != nil {
			return 0, fmt.Errorf("save kpi snapshot: %w", err)
		}
		n++
	}
	head := snapshotHead{ID: "head", Snap: snap, Seq: seq, Params: p.Params(), At: time.Now().UTC(), Chunks: n}
	if _, err := st.C(headCollection).ReplaceOne(ctx, bson.M{"_id": "head"}, head, options.Replace().SetUpsert(true)); err != nil {
		return 0, fmt.Errorf("save kpi snapshot head: %w", err)
	}
	if _, err := st.C(snapshotCollection).DeleteMany(ctx, bson.M{"snap": bson.M{"$ne": snap}}); err != nil {
		return seq, fmt.Errorf("remove old kpi snapshots: %w", err)
	}
	return seq, nil
}

// LoadSnapshot returns the projection of the stored snapshot, or false when there is none
// or it was made with other params.
func LoadSnapshot(ctx context.Context, st *store.Store, params Params) (*Projection, bool, error) {
	var head snapshotHead
	err := st.C(headCollection).FindOne(ctx, bson.M{"_id": "head"}).Decode(&head)
	if store.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load kpi snapshot head: %w", err)
	}
	if head.Params != params {
		return nil, false, nil
	}
	cur, err := st.C(snapshotCollection).Find(ctx, bson.M{"snap": head.Snap}, options.Find().SetSort(bson.D{{Key: "i", Value: 1}}))
	if err != nil {
		return nil, false, fmt.Errorf("load kpi snapshot: %w", err)
	}
	var chunks []snapshotChunk
	if err := cur.All(ctx, &chunks); err != nil {
		return nil, false, fmt.Errorf("load kpi snapshot: %w", err)
	}
	if len(chunks) != head.Chunks {
		return nil, false, fmt.Errorf("kpi snapshot %s has %d chunks, head says %d", head.Snap, len(chunks), head.Chunks)
	}
	var raw []byte
	for _, c := range chunks {
		raw = append(raw, c.Data...)
	}
	state, err := decodeState(raw)
	if err != nil {
		return nil, false, err
	}
	p := &Projection{}
	p.reset(state)
	return p, true, nil
}
