package omnichannel

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Inbound is one thing a citizen sent, as a connector read it, stored before the channel is
// acknowledged and processed afterwards from the store.
type Inbound struct {
	// ID is the channel and the channel's own id of the message ("zalo:<msg_id>"): a
	// redelivery has the same id and is stored once.
	ID      string  `bson:"_id"`
	Channel Channel `bson:"channel"`
	MsgID   string  `bson:"msg_id"`
	// Thread is the citizen's address on the channel; Keys identify the citizen.
	Thread      string       `bson:"thread"`
	Address     string       `bson:"address,omitempty"`
	Keys        []ContactKey `bson:"keys"`
	Name        string       `bson:"name,omitempty"`
	Phone       string       `bson:"phone,omitempty"`
	Email       string       `bson:"email,omitempty"`
	Kind        Kind         `bson:"kind"`
	Event       string       `bson:"event,omitempty"` // follow, unfollow for KindEvent
	Text        string       `bson:"text,omitempty"`
	Attachments []Attachment `bson:"attachments,omitempty"`
	// Meta carries channel details: e-mail Message-ID, In-Reply-To, References, subject.
	Meta       map[string]string `bson:"meta,omitempty"`
	SentAt     time.Time         `bson:"sent_at"`
	ReceivedAt time.Time         `bson:"received_at"`
	Done       bool              `bson:"done"`
	Attempts   int               `bson:"attempts"`
	Error      string            `bson:"error,omitempty"`
}

// accept stores inbound items durably. It returns once every item is written (or was
// already, for a redelivery), so the caller may acknowledge the channel. A written item is
// queued for processing; a redelivered one is not (it is processed or queued already).
//
// Each item is its own insert. A group commit of concurrent requests (one InsertMany for
// every waiting request) was measured slower on the embedded store: its one writer got a
// smaller share of the store's process-wide write lock than the processor's writers
// (docs/benchmarks.md).
func (m *Module) accept(ctx context.Context, items ...Inbound) error {
	now := time.Now().UTC()
	for i := range items {
		in := &items[i]
		in.ReceivedAt, in.Done, in.Text = now, false, nfc(in.Text)
		if in.SentAt.IsZero() {
			in.SentAt = now
		}
		_, err := m.st.C(inboundColl).InsertOne(ctx, in)
		switch {
		case err == nil:
			m.inbound.push(in.ID, *in)
		case store.IsDuplicate(err):
		default:
			return fmt.Errorf("store inbound %s: %w", in.ID, err)
		}
	}
	return nil
}

// processorShards is how many conversations are processed at once; one thread always goes
// to the same shard, so its messages keep their order.
const processorShards = 4

// processorBatch is how many queued items one pass takes.
const processorBatch = 256

// runProcessor turns stored inbound items into messages and runs what follows a citizen's
// message (rating, bot, routing), until ctx ends. It starts from what the store holds
// pending (after a crash too), then works from its queues; on MongoDB it also polls the
// store every second for work other nodes wrote.
func (m *Module) runProcessor(ctx context.Context) error {
	if m.beforeProcess != nil {
		m.beforeProcess(ctx)
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	poll := true
	for {
		if poll {
			err := m.loadPendingInbound(ctx)
			if err != nil && ctx.Err() == nil {
				m.log.Error("read pending inbound", "err", err)
			}
			poll = err != nil
		}
		if n := m.processQueued(ctx); n > 0 && ctx.Err() == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-m.inbound.kick:
		case <-m.todo.kick:
		case <-t.C:
			poll = poll || !m.st.FerretDB
		}
	}
}

// loadPendingInbound queues the stored inbound items and messages whose processing is not
// done. These filters are indexed on MongoDB; the embedded store reads the collections
// whole, which is why it runs them once, at start.
func (m *Module) loadPendingInbound(ctx context.Context) error {
	cur, err := m.st.C(inboundColl).Find(ctx, bson.M{"done": false, "attempts": bson.M{"$lt": maxIngestAttempts}},
		options.Find().SetSort(bson.D{{Key: "received_at", Value: 1}}))
	if err != nil {
		return fmt.Errorf("read inbound: %w", err)
	}
	var ins []Inbound
	if err := cur.All(ctx, &ins); err != nil {
		return fmt.Errorf("read inbound: %w", err)
	}
	for _, in := range ins {
		m.inbound.push(in.ID, in)
	}
	cur, err = m.st.C(messagesColl).Find(ctx, bson.M{"todo": true},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "seq", Value: 1}}))
	if err != nil {
		return fmt.Errorf("read messages to process: %w", err)
	}
	var msgs []Message
	if err := cur.All(ctx, &msgs); err != nil {
		return fmt.Errorf("read messages to process: %w", err)
	}
	for _, msg := range msgs {
		m.todo.push(msg.ID, msg)
	}
	return nil
}

func shardOf(key string) int { return int(fnvOf(key) % processorShards) }

func fnvOf(key string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return h.Sum32()
}

// inParallel runs work for each key's items, one goroutine per shard.
func inParallel[T any](items []T, key func(T) string, work func(T)) {
	var shards [processorShards][]T
	for _, it := range items {
		s := shardOf(key(it))
		shards[s] = append(shards[s], it)
	}
	var wg sync.WaitGroup
	for _, sh := range shards {
		if len(sh) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, it := range sh {
				work(it)
			}
		}()
	}
	wg.Wait()
}

// processQueued ingests a batch of queued inbound items, then follows up a batch of
// messages; it returns how many items it took.
//
// Once ctx ends, the items of the batch not started yet are left as they are stored
// (pending), so stopping does not wait for a whole batch of work (the bot's included):
// the next start queues them again. An item under way is finished (one per shard), so a
// bot's reply is not sent twice because its message was left half done.
func (m *Module) processQueued(ctx context.Context) int {
	ins := m.inbound.take(processorBatch)
	inParallel(ins, func(in Inbound) string { return threadKey(in.Channel, in.Thread) }, func(in Inbound) {
		if ctx.Err() != nil {
			m.inbound.done(in.ID)
			return
		}
		m.ingestOne(context.WithoutCancel(ctx), &in)
	})
	msgs := m.todo.take(processorBatch)
	inParallel(msgs, func(msg Message) string { return msg.ConversationID }, func(msg Message) {
		defer m.todo.done(msg.ID)
		if ctx.Err() != nil {
			return
		}
		if err := m.followUpQueued(context.WithoutCancel(ctx), &msg); err != nil {
			m.log.Error("message follow-up", "conversation", msg.ConversationID, "err", err)
		}
	})
	return len(ins) + len(msgs)
}

// followUpQueued follows a queued message up unless that is done already: a poll may have
// read it before an earlier follow-up finished.
func (m *Module) followUpQueued(ctx context.Context, queued *Message) error {
	msg, err := m.message(ctx, queued.ID)
	if err != nil {
		return fmt.Errorf("load message %s: %w", queued.ID, err)
	}
	if !msg.Todo {
		return nil
	}
	return m.followUp(ctx, msg)
}

// maxIngestAttempts is how many times an inbound item is tried before it is left, with its
// error, for an operator.
const maxIngestAttempts = 5

func (m *Module) ingestOne(ctx context.Context, in *Inbound) {
	err := m.ingest(ctx, in)
	set := bson.M{"done": err == nil}
	if err != nil {
		if ctx.Err() != nil {
			m.inbound.done(in.ID)
			return
		}
		m.log.Error("ingest inbound", "channel", in.Channel, "id", in.ID, "err", err)
		set["error"] = err.Error()
	}
	_, uerr := m.st.C(inboundColl).UpdateOne(context.WithoutCancel(ctx), bson.M{"_id": in.ID},
		bson.M{"$set": set, "$inc": bson.M{"attempts": 1}})
	if uerr != nil {
		m.log.Error("mark inbound", "id", in.ID, "err", uerr)
	}
	m.inbound.done(in.ID)
	if err != nil && in.Attempts+1 < maxIngestAttempts {
		retry := *in
		retry.Attempts++
		m.inbound.push(in.ID, retry)
	}
}

// ingest makes a stored inbound item a message of its conversation. It is idempotent: the
// message id is the item's id.
func (m *Module) ingest(ctx context.Context, in *Inbound) error {
	c, err := m.resolveContact(ctx, in.Keys, in.Name, in.Phone, in.Email)
	if err != nil {
		return err
	}
	if in.Kind == KindEvent {
		return m.recordContactEvent(ctx, c.ID, in)
	}
	thread := in.Thread
	if in.Channel == ChannelEmail {
		if thread, err = m.emailThread(ctx, in); err != nil {
			return err
		}
	}
	first := StateQueued
	if m.bot != nil {
		first = StateBot
	}
	conv, created, err := m.conversationFor(ctx, in.Channel, thread, c.ID, first)
	if err != nil {
		return err
	}
	set := bson.M{}
	if in.Address != "" && conv.Address != in.Address {
		set["address"] = in.Address
	}
	if s := in.Meta["subject"]; s != "" && conv.Subject == "" {
		set["subject"] = s
	}
	if len(set) > 0 {
		if _, err := m.st.C(conversationsColl).UpdateOne(ctx, bson.M{"_id": conv.ID}, bson.M{"$set": set}); err != nil {
			return fmt.Errorf("set conversation address: %w", err)
		}
	}
	msg := &Message{ID: in.ID, Direction: DirIn, Kind: in.Kind, Text: in.Text, Attachments: in.Attachments,
		ChannelMsgID: in.MsgID, Meta: in.Meta}
	if _, _, _, err := m.appendMessage(ctx, conv.ID, msg); err != nil {
		return err
	}
	if created && conv.State == StateQueued {
		m.router.Kick()
	}
	return nil
}

func (m *Module) recordContactEvent(ctx context.Context, contactID string, in *Inbound) error {
	_, err := m.st.C(contactsColl).UpdateOne(ctx, bson.M{"_id": contactID},
		bson.M{"$addToSet": bson.M{"history": ContactEvent{At: in.SentAt.Truncate(time.Millisecond), What: in.Event + " " + in.ID}}})
	if err != nil {
		return fmt.Errorf("record %s: %w", in.Event, err)
	}
	return nil
}
