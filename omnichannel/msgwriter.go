package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"
)

// messageWriter stores the new messages of concurrent callers together (a group commit).
// Messages queue while a batch is being written; one goroutine, started when the queue
// fills from empty and gone when it is empty again, writes them a batch at a time. A batch
// costs the same writes however many messages it holds: one update of each conversation
// concerned (numbers, newest inbound message, reply count: see sequencer), the sequence
// entries in one insert (embedded store) and the messages in one insert. Every caller is
// answered once the whole batch is durable, so an acknowledged message and its number are
// stored.
type messageWriter struct {
	m   *Module
	seq sequencer

	mu    sync.Mutex
	queue []*appendReq
	busy  bool // a goroutine is writing
	// pending maps the id of each message queued or being written to its request, so a
	// retry sent meanwhile waits for that request's answer instead of taking a number.
	pending map[string]*appendReq
}

// writeBatch bounds the messages of one batch.
const writeBatch = 256

// reserveConcurrency bounds the conversations of a batch numbered at once (each is a read
// on the embedded store, a findOneAndUpdate on MongoDB).
const reserveConcurrency = 8

// batchTimeout bounds the writes of one batch; it does not depend on any caller's context,
// as the batch holds the messages of many.
const batchTimeout = time.Minute

// appendReq is one message waiting to be written into conversation convID.
type appendReq struct {
	convID string
	msg    *Message
	done   chan appendResult // buffered: the writer never waits for a caller
	res    appendResult
	// repeats are requests for the same message id that arrived while this one was
	// pending; they get its answer, as a message found stored.
	repeats []*appendReq
}

// appendResult is appendMessage's answer.
type appendResult struct {
	msg     *Message
	conv    *Conversation
	created bool
	err     error
}

// writerShards is how many message writers run at once, each for the conversations whose id
// hashes to it (so a conversation's messages keep their order). On the embedded store every
// write command of the process waits for one lock: one writer alone would get a small share
// of it beside the event relay's and the bot's writes.
const writerShards = 4

// messageWriters are the module's message writers, sharing one sequencer.
type messageWriters struct {
	seq    sequencer
	shards [writerShards]*messageWriter
}

func newMessageWriters(m *Module) *messageWriters {
	ws := &messageWriters{seq: newSequencer(m.st)}
	for i := range ws.shards {
		ws.shards[i] = &messageWriter{m: m, seq: ws.seq, pending: map[string]*appendReq{}}
	}
	return ws
}

// forConversation returns the writer of conversation id.
func (ws *messageWriters) forConversation(id string) *messageWriter {
	return ws.shards[fnvOf(id)%writerShards]
}

// append queues msg (its ID set) and waits until it is stored, or found stored already.
// When ctx ends first, the message may still be stored: a retry with the same ID finds it.
func (w *messageWriter) append(ctx context.Context, convID string, msg *Message) appendResult {
	req := &appendReq{convID: convID, msg: msg, done: make(chan appendResult, 1)}
	w.mu.Lock()
	if first := w.pending[msg.ID]; first != nil {
		first.repeats = append(first.repeats, req)
		w.mu.Unlock()
		return w.wait(ctx, req)
	}
	w.pending[msg.ID] = req
	w.queue = append(w.queue, req)
	if !w.busy {
		w.busy = true
		go w.run()
	}
	w.mu.Unlock()
	return w.wait(ctx, req)
}

func (w *messageWriter) wait(ctx context.Context, req *appendReq) appendResult {
	select {
	case r := <-req.done:
		return r
	case <-ctx.Done():
		return appendResult{err: ctx.Err()}
	}
}

// run writes batches until the queue is empty.
func (w *messageWriter) run() {
	for {
		w.mu.Lock()
		n := min(len(w.queue), writeBatch)
		if n == 0 {
			w.busy = false
			w.mu.Unlock()
			return
		}
		batch := append([]*appendReq(nil), w.queue[:n]...)
		w.queue = w.queue[n:]
		if len(w.queue) == 0 {
			w.queue = nil
		}
		w.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
		w.write(ctx, batch)
		cancel()
		w.answer(batch)
	}
}

// answer sends each request of a written batch, and its repeats, their results.
func (w *messageWriter) answer(batch []*appendReq) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range batch {
		delete(w.pending, r.msg.ID)
		r.done <- r.res
		for _, again := range r.repeats {
			again.done <- appendResult{msg: r.res.msg, err: r.res.err}
		}
	}
}

// convBatch is the messages of one conversation in a batch, in arrival order.
type convBatch struct {
	change convChange
	reqs   []*appendReq
	conv   *Conversation
}

// write stores one batch and sets each request's result.
func (w *messageWriter) write(ctx context.Context, batch []*appendReq) {
	convs := groupByConversation(batch)
	var g errgroup.Group
	g.SetLimit(reserveConcurrency)
	for _, cb := range convs {
		g.Go(func() error {
			if err := w.reserve(ctx, cb); err != nil {
				failAll(cb.reqs, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	var live []*appendReq
	for _, cb := range convs {
		if cb.conv != nil {
			live = append(live, cb.reqs...)
		}
	}
	live = w.recordSeqs(ctx, live)
	live = w.insert(ctx, live)
	var changes []convChange
	for _, cb := range convs {
		if cb.conv != nil {
			changes = append(changes, cb.change)
		}
	}
	if err := w.seq.commit(ctx, changes); err != nil {
		failAll(live, err)
		live = nil
	}
	w.finish(ctx, live)
}

// groupByConversation groups reqs by conversation and coalesces what they change on it.
func groupByConversation(reqs []*appendReq) []*convBatch {
	byID := map[string]*convBatch{}
	var out []*convBatch
	for _, r := range reqs {
		cb := byID[r.convID]
		if cb == nil {
			cb = &convBatch{change: convChange{id: r.convID}}
			byID[r.convID] = cb
			out = append(out, cb)
		}
		cb.reqs = append(cb.reqs, r)
	}
	now := time.Now().UTC()
	for _, cb := range out {
		cb.change.set, cb.change.inc = coalesce(cb.reqs, now)
	}
	return out
}

// coalesce returns the conversation fields that the messages reqs, in order, change: the
// time and id of the citizen's newest message, and the replies sent since.
func coalesce(reqs []*appendReq, now time.Time) (set, inc bson.M) {
	set, inc = bson.M{"updated_at": now}, bson.M{}
	replies, inbound := 0, false
	for _, r := range reqs {
		switch r.msg.Direction {
		case DirIn:
			set["last_inbound_at"], set["last_inbound_id"] = now, r.msg.ChannelMsgID
			replies, inbound = 0, true
		case DirOut:
			replies++
		}
	}
	switch {
	case inbound:
		set["replies_since_inbound"] = replies
	case replies > 0:
		inc["replies_since_inbound"] = replies
	}
	return set, inc
}

// reserve numbers the messages of one conversation and fills in their stored fields.
func (w *messageWriter) reserve(ctx context.Context, cb *convBatch) error {
	conv, err := w.seq.reserve(ctx, cb.change, int64(len(cb.reqs)))
	if err != nil {
		return err
	}
	cb.conv, cb.change.seq = conv, conv.Seq
	first := conv.Seq - int64(len(cb.reqs)) + 1
	now := time.Now().UTC()
	for i, r := range cb.reqs {
		w.m.prepareMessage(conv, r.msg, first+int64(i), now)
		r.res.conv = conv
	}
	return nil
}

// recordSeqs writes the sequence entries of reqs (embedded store) in one insert, and
// returns the requests whose entry is written. An entry found naming another message means
// the number was taken by a writer this process did not know of: that message fails (its
// sender retries) and the conversation's numbers are read again.
func (w *messageWriter) recordSeqs(ctx context.Context, reqs []*appendReq) []*appendReq {
	if !w.m.st.FerretDB || len(reqs) == 0 {
		return reqs
	}
	docs := make([]any, len(reqs))
	for i, r := range reqs {
		docs[i] = seqEntry{ID: seqKey(r.convID, r.msg.Seq), MessageID: r.msg.ID}
	}
	_, err := w.m.st.C(messageSeqsColl).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	failed, err := writeErrors(err)
	if err != nil {
		failAll(reqs, fmt.Errorf("record seqs: %w", err))
		return nil
	}
	var ok []*appendReq
	for i, r := range reqs {
		if werr, bad := failed[i]; bad {
			var e seqEntry
			ferr := w.m.st.C(messageSeqsColl).FindOne(ctx, bson.M{"_id": seqKey(r.convID, r.msg.Seq)}).Decode(&e)
			if !mongo.IsDuplicateKeyError(werr) || ferr != nil || e.MessageID != r.msg.ID {
				if ms, isMem := w.seq.(*memorySequencer); isMem {
					ms.forget(r.convID)
				}
				r.res.err = fmt.Errorf("record seq %d of %s: %w", r.msg.Seq, r.convID, werr)
				continue
			}
		}
		ok = append(ok, r)
	}
	return ok
}

// insert writes the messages of reqs in one insert and returns the requests whose message
// this batch stored. A message found stored already (a retry that raced its first attempt)
// is answered as stored.
func (w *messageWriter) insert(ctx context.Context, reqs []*appendReq) []*appendReq {
	if len(reqs) == 0 {
		return nil
	}
	docs := make([]any, len(reqs))
	for i, r := range reqs {
		docs[i] = r.msg
	}
	_, err := w.m.st.C(messagesColl).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	failed, err := writeErrors(err)
	if err != nil {
		failAll(reqs, fmt.Errorf("store messages: %w", err))
		return nil
	}
	var ok []*appendReq
	for i, r := range reqs {
		werr, bad := failed[i]
		switch {
		case !bad:
			r.res.msg, r.res.created = r.msg, true
			ok = append(ok, r)
		case mongo.IsDuplicateKeyError(werr):
			old, err := w.m.message(ctx, r.msg.ID)
			r.res = appendResult{msg: old, err: err}
		default:
			r.res.err = fmt.Errorf("store message: %w", werr)
		}
	}
	return ok
}

// writeErrors splits an unordered insert's error into the failed documents by index, or
// returns it when it is not about single documents.
func writeErrors(err error) (map[int]error, error) {
	if err == nil {
		return nil, nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return nil, err
	}
	out := map[int]error{}
	for _, we := range bwe.WriteErrors {
		out[we.Index] = mongo.WriteException{WriteErrors: []mongo.WriteError{we.WriteError}}
	}
	return out, nil
}

// finish runs what follows the storing of each new message: the event relay, the
// follow-up queue, the e-mail thread key, the live fan-out.
func (w *messageWriter) finish(ctx context.Context, reqs []*appendReq) {
	refs := make([]events.Ref, 0, len(reqs))
	for _, r := range reqs {
		if r.msg.Outbox.Pending {
			refs = append(refs, events.Ref{Coll: messagesColl, ID: r.msg.ID})
		}
	}
	if len(refs) > 0 {
		w.m.bus.Kick(refs...)
	}
	for _, r := range reqs {
		msg, conv := r.msg, r.res.conv
		if msg.Todo {
			w.m.todo.push(msg.ID, *msg)
		}
		if conv.Channel == ChannelEmail && msg.ChannelMsgID != "" {
			if _, err := w.m.claimKey(ctx, mailKey(msg.ChannelMsgID), conv.ID); err != nil {
				r.res = appendResult{err: err}
				continue
			}
		}
		w.m.publishMessage(conv, msg)
	}
}

func failAll(reqs []*appendReq, err error) {
	for _, r := range reqs {
		r.res = appendResult{err: err}
	}
}

// prepareMessage fills in the stored fields of a new message numbered seq in conv.
func (m *Module) prepareMessage(conv *Conversation, msg *Message, seq int64, now time.Time) {
	msg.ConversationID, msg.Channel, msg.Seq, msg.UpdatedSeq, msg.CreatedAt = conv.ID, conv.Channel, seq, seq, now
	msg.Text = nfc(msg.Text)
	if msg.Kind == "" {
		msg.Kind = KindText
	}
	if _, chat := m.connectors[conv.Channel].(chatConnector); chat && msg.Direction == DirOut &&
		msg.Delivery != nil && msg.Delivery.State == DeliveryPending {
		// The chat connector's send is the message reaching the hub and the history: it is
		// stored sent, sparing the claim and the record of a delivery.
		msg.Delivery = &Delivery{State: DeliverySent, Attempts: 1, At: now}
	}
	if msg.Direction == DirIn {
		msg.Todo = conv.State == StateBot || conv.State == StateResolved || conv.AwaitingRating != ""
	}
	if msg.Direction != DirNote {
		typ := "message.received"
		if msg.Direction == DirOut {
			typ = "message.sent"
		}
		msg.Outbox = events.NewOutbox(events.MustNew(typ, msg.ID, bson.M{"id": msg.ID, "conversation_id": conv.ID,
			"contact_id": conv.ContactID, "channel": conv.Channel, "kind": msg.Kind, "direction": msg.Direction}))
	}
}
