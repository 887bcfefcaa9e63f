package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// groupCommit writes the inbound items of concurrent webhook requests together: one
// unordered InsertMany for everything waiting, instead of one insert per item. Each
// caller still waits for the outcome of its own items, so a platform is acknowledged only
// after its event is durable. On the embedded store, whose writes run one at a time, the
// batch is one write and one SQLite transaction for many requests.
//
// There is no goroutine of its own: the first caller to find no write in progress writes
// the batch (and any that queued meanwhile), the others wait for their result.
type groupCommit struct {
	insert func(ctx context.Context, docs []any) error // an unordered InsertMany
	stored func(in *Inbound)                           // called for each item stored now

	mu      sync.Mutex
	writing bool
	queue   []*commitReq
}

// commitReq is one item waiting for the group's write.
type commitReq struct {
	in  *Inbound
	err error // nil: stored now; errAlreadyStored: stored before
	ok  chan struct{}
}

// errAlreadyStored reports an item whose id was stored before (a redelivery).
var errAlreadyStored = errors.New("already stored")

// maxCommitBatch bounds one InsertMany; commitTimeout bounds its wait.
const (
	maxCommitBatch = 500
	commitTimeout  = 30 * time.Second
)

// write stores items, together with those of concurrent callers, and returns each one's
// outcome: nil (stored now, and handed to stored), errAlreadyStored, or the error. It
// returns early with ctx's
// error if ctx ends first; the items may then still be stored by the write in progress.
func (g *groupCommit) write(ctx context.Context, items []Inbound) ([]error, error) {
	reqs := make([]*commitReq, len(items))
	for i := range items {
		reqs[i] = &commitReq{in: &items[i], ok: make(chan struct{})}
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	g.mu.Lock()
	g.queue = append(g.queue, reqs...)
	lead := !g.writing
	g.writing = true
	g.mu.Unlock()
	if lead {
		g.drain(reqs[len(reqs)-1].ok)
	}
	out := make([]error, len(reqs))
	for i, r := range reqs {
		select {
		case <-r.ok:
			out[i] = r.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// drain writes batches until the queue is empty. Only the caller that set writing runs it.
// A caller leads until its own last item (mine) is written, then hands what is left to a
// goroutine that drains it, so no request waits for others' items under sustained load.
// The writes are not tied to one request's context, since they serve every waiting one.
func (g *groupCommit) drain(mine chan struct{}) {
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxCommitBatch)
		if n == 0 {
			g.writing = false
			g.mu.Unlock()
			return
		}
		if mine != nil && isClosed(mine) {
			g.mu.Unlock()
			go g.drain(nil)
			return
		}
		batch := append([]*commitReq(nil), g.queue[:n]...)
		g.queue = append(g.queue[:0], g.queue[n:]...)
		g.mu.Unlock()
		g.commit(batch)
	}
}

func (g *groupCommit) commit(batch []*commitReq) {
	docs := make([]any, len(batch))
	for i, r := range batch {
		docs[i] = r.in
	}
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	err := g.insert(ctx, docs)
	cancel()
	var bwe mongo.BulkWriteException
	switch {
	case err == nil:
	case errors.As(err, &bwe) && bwe.WriteConcernError == nil && len(bwe.WriteErrors) > 0:
		for _, we := range bwe.WriteErrors {
			if we.Index < 0 || we.Index >= len(batch) {
				continue
			}
			if isDuplicateCode(we.Code) {
				batch[we.Index].err = errAlreadyStored
			} else {
				batch[we.Index].err = fmt.Errorf("store inbound %s: %w", batch[we.Index].in.ID, we)
			}
		}
	default:
		for _, r := range batch {
			r.err = fmt.Errorf("store inbound %s: %w", r.in.ID, err)
		}
	}
	for _, r := range batch {
		if r.err == nil {
			g.stored(r.in) // even when its caller has gone: it is queued for processing
		}
		close(r.ok)
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func isDuplicateCode(code int) bool { return code == 11000 || code == 11001 || code == 12582 }

// insertUnordered is groupCommit.insert for a collection.
func insertUnordered(coll *mongo.Collection) func(ctx context.Context, docs []any) error {
	return func(ctx context.Context, docs []any) error {
		_, err := coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		return err
	}
}
