package omnichannel

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// convChange is what a batch of messages (or an edit) changes on its conversation: the
// newest sequence number and the coalesced fields (newest inbound message, reply count).
type convChange struct {
	id  string
	seq int64
	set bson.M
	inc bson.M
}

// sequencer numbers the messages and edits of conversations and keeps each conversation's
// newest number (Conversation.Seq) with the other fields a batch of messages changes.
//
// The message writer calls reserve for each conversation of a batch, writes the batch's
// sequence entries and messages, then calls commit for the whole batch before any message
// is acknowledged: once a message is acknowledged, its conversation's Seq covers it.
type sequencer interface {
	// reserve takes n numbers of conversation id and returns the conversation (as the
	// caller may use it to decide the messages' fields) with Seq set to the last of them.
	// The change's set and inc fields are applied now or kept for commit.
	reserve(ctx context.Context, ch convChange, n int64) (*Conversation, error)
	// commit makes durable what reserve kept, for every change of a batch.
	commit(ctx context.Context, chs []convChange) error
	// settle makes the conversation's Seq cover seq, the number of a message found stored
	// by a retry: a crash may have come between the message and its commit.
	settle(ctx context.Context, id string, seq int64) error
}

// newSequencer returns the sequencer for st: the in-process one on the embedded store
// (FerretDB serves this node alone: store.Store.FerretDB), the store's counter otherwise,
// which any number of nodes may share.
func newSequencer(st *store.Store) sequencer {
	if st.FerretDB {
		return &memorySequencer{st: st, last: map[string]int64{}}
	}
	return storeSequencer{st: st}
}

// storeSequencer takes numbers from the conversation document with one findOneAndUpdate per
// conversation and batch ($inc of the count, and the batch's fields), before the messages
// are written: nodes sharing a MongoDB never hand out the same number.
type storeSequencer struct{ st *store.Store }

func (s storeSequencer) reserve(ctx context.Context, ch convChange, n int64) (*Conversation, error) {
	inc := bson.M{"seq": n}
	for k, v := range ch.inc {
		inc[k] = v
	}
	var conv Conversation
	err := s.st.C(conversationsColl).FindOneAndUpdate(ctx, bson.M{"_id": ch.id}, bson.M{"$set": ch.set, "$inc": inc},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&conv)
	if err != nil {
		return nil, fmt.Errorf("next seq of %s: %w", ch.id, err)
	}
	return &conv, nil
}

func (storeSequencer) commit(context.Context, []convChange) error { return nil }

func (storeSequencer) settle(context.Context, string, int64) error { return nil }

// memorySequencer hands out numbers from memory, for the embedded store only, where this
// process is the store's one client (see store.Store.FerretDB): a conversation's newest
// number is read once per process (its Seq, then past it every sequence entry a crash left
// before the conversation was updated), and commit writes the newest numbers and fields of
// a whole batch in one update command (by _id: FerretDB pushes nothing else down) after
// the batch's messages. It saves the embedded store, which runs one write at a time for
// the process, a write per message.
type memorySequencer struct {
	st   *store.Store
	mu   sync.Mutex
	last map[string]int64 // conversation id → newest number handed out
}

func (s *memorySequencer) reserve(ctx context.Context, ch convChange, n int64) (*Conversation, error) {
	var conv Conversation
	if err := s.st.C(conversationsColl).FindOne(ctx, bson.M{"_id": ch.id}).Decode(&conv); err != nil {
		return nil, fmt.Errorf("next seq of %s: %w", ch.id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last, ok := s.last[ch.id]
	if !ok {
		var err error
		if last, err = s.probeLocked(ctx, ch.id, conv.Seq); err != nil {
			return nil, err
		}
	}
	last = max(last, conv.Seq) + n
	s.last[ch.id] = last
	conv.Seq = last
	applyChange(&conv, ch)
	return &conv, nil
}

// probeLocked returns the newest number of conversation id whose entry is written, from
// seq on.
func (s *memorySequencer) probeLocked(ctx context.Context, id string, seq int64) (int64, error) {
	for {
		err := s.st.C(messageSeqsColl).FindOne(ctx, bson.M{"_id": seqKey(id, seq+1)}).Err()
		if store.IsNotFound(err) {
			return seq, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read seq %d of %s: %w", seq+1, id, err)
		}
		seq++
	}
}

// forget drops what the sequencer knows of conversation id, so the next reserve reads it
// again from the store (after an entry was found taken).
func (s *memorySequencer) forget(id string) {
	s.mu.Lock()
	delete(s.last, id)
	s.mu.Unlock()
}

// commitChunk bounds the statements of one update command. FerretDB 1.24 keeps the query of
// every statement of an update command open until the command ends, each holding one of its
// 100 SQLite connections, and each statement's write needs one more: an update command of
// about a hundred statements waits forever for a connection it holds itself (and every other
// command with it). Write commands run one at a time (store.Store.FerretDB), so one command
// of 48 leaves the other connections to reads, which hold theirs only while they run.
const commitChunk = 48

func (s *memorySequencer) commit(ctx context.Context, chs []convChange) error {
	for len(chs) > 0 {
		n := min(len(chs), commitChunk)
		if err := s.commitChunk(ctx, chs[:n]); err != nil {
			return err
		}
		chs = chs[n:]
	}
	return nil
}

func (s *memorySequencer) commitChunk(ctx context.Context, chs []convChange) error {
	models := make([]mongo.WriteModel, len(chs))
	for i, ch := range chs {
		u := bson.M{"$max": bson.M{"seq": ch.seq}}
		if len(ch.set) > 0 {
			u["$set"] = ch.set
		}
		if len(ch.inc) > 0 {
			u["$inc"] = ch.inc
		}
		models[i] = mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": ch.id}).SetUpdate(u)
	}
	if _, err := s.st.C(conversationsColl).BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
		return fmt.Errorf("update %d conversations: %w", len(chs), err)
	}
	return nil
}

func (s *memorySequencer) settle(ctx context.Context, id string, seq int64) error {
	var conv struct {
		Seq int64 `bson:"seq"`
	}
	err := s.st.C(conversationsColl).FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"seq": 1})).Decode(&conv)
	if err != nil || conv.Seq >= seq {
		return err
	}
	_, err = s.st.C(conversationsColl).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$max": bson.M{"seq": seq}})
	return err
}

// applyChange sets on conv, as read before the change, the fields of ch that callers use.
func applyChange(conv *Conversation, ch convChange) {
	if t, ok := ch.set["last_inbound_at"].(time.Time); ok {
		conv.LastInboundAt = &t
		conv.LastInboundID, _ = ch.set["last_inbound_id"].(string)
	}
	if n, ok := ch.set["replies_since_inbound"].(int); ok {
		conv.RepliesSinceInbound = n
	}
	if n, ok := ch.inc["replies_since_inbound"].(int); ok {
		conv.RepliesSinceInbound += n
	}
	if t, ok := ch.set["updated_at"].(time.Time); ok {
		conv.UpdatedAt = t
	}
}
