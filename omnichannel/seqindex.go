package omnichannel

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// messageSeqsColl maps every sequence number of a conversation to the message it created
// or edited: one document per number, whose _id is "<conversation id>:<seq>". It exists
// on the embedded store only, where a filter other than a bare {_id} reads the whole
// collection in Go (and {_id: {$in: …}} is not pushed down either): the history, a
// resume and the receipts walk the numbers they need by _id instead of querying
// oc_messages by conversation. On MongoDB the indexed queries serve them.
//
// The entry is written before the message, so an entry may name a message that a crash
// kept from being written (its number is then a gap, skipped by readers, and the message
// gets a new number when it is processed again); a stored message always has its entry.
const messageSeqsColl = "oc_message_seqs"

type seqEntry struct {
	ID        string `bson:"_id"`
	MessageID string `bson:"message_id"`
}

func seqKey(convID string, seq int64) string { return convID + ":" + strconv.FormatInt(seq, 10) }

// recordSeq writes the entry of seq (embedded store only). It is idempotent.
func (m *Module) recordSeq(ctx context.Context, convID string, seq int64, msgID string) error {
	if !m.st.FerretDB {
		return nil
	}
	_, err := m.st.C(messageSeqsColl).InsertOne(ctx, seqEntry{ID: seqKey(convID, seq), MessageID: msgID})
	if err != nil && !store.IsDuplicate(err) {
		return fmt.Errorf("record seq %d of %s: %w", seq, convID, err)
	}
	return nil
}

// walkSeqs reads, by _id, the messages behind the numbers after+1 … upTo of a
// conversation, each message once and as it is now, oldest number first, calling visit
// for each (with the number it was found at) until visit returns false. Gaps (numbers whose message was never written) are
// skipped.
func (m *Module) walkSeqs(ctx context.Context, convID string, after, upTo int64, visit func(seq int64, msg *Message) bool) error {
	seen := map[string]bool{}
	for s := after + 1; s <= upTo; s++ {
		var e seqEntry
		err := m.st.C(messageSeqsColl).FindOne(ctx, bson.M{"_id": seqKey(convID, s)}).Decode(&e)
		if store.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read seq %d of %s: %w", s, convID, err)
		}
		if seen[e.MessageID] {
			continue
		}
		seen[e.MessageID] = true
		msg, err := m.message(ctx, e.MessageID)
		if store.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read message %s: %w", e.MessageID, err)
		}
		if !visit(s, msg) {
			return nil
		}
	}
	return nil
}

// messagesAfterByID is messagesAfter on the embedded store: it walks the numbers after
// after, up to the conversation's newest.
func (m *Module) messagesAfterByID(ctx context.Context, convID string, after int64, limit int, withNotes bool) ([]Message, error) {
	conv, err := m.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	out := []Message{}
	err = m.walkSeqs(ctx, convID, after, conv.Seq, func(_ int64, msg *Message) bool {
		if withNotes || msg.Direction != DirNote {
			out = append(out, *msg)
		}
		return len(out) < limit
	})
	if err != nil {
		return nil, fmt.Errorf("list messages of %s: %w", convID, err)
	}
	slices.SortFunc(out, func(a, b Message) int { return int(a.Seq - b.Seq) })
	return out, nil
}

// receiptWatermarks name the conversation fields that keep, on the embedded store, the
// sequence number up to which outbound messages were moved to a delivery state, so a
// receipt walks only what is new.
var receiptWatermarks = map[DeliveryState]string{DeliveryDelivered: "delivered_seq", DeliveryRead: "read_seq"}

// advanceDelivery moves the conversation's outbound messages covered by a citizen's
// receipt to state (delivered, or read): those numbered up to maxSeq whose covered
// reports true, from sent (and from delivered, for read). Receipts are idempotent and
// best effort. On MongoDB it is one indexed update; on the embedded store it walks the
// numbers after the conversation's watermark by _id and then raises the watermark.
func (m *Module) advanceDelivery(ctx context.Context, conv *Conversation, state DeliveryState, maxSeq int64, covered func(*Message) bool, filter bson.M) error {
	from := []DeliveryState{DeliverySent}
	if state == DeliveryRead {
		from = append(from, DeliveryDelivered)
	}
	now := time.Now().UTC()
	if !m.st.FerretDB {
		f := bson.M{"conversation_id": conv.ID, "direction": DirOut, "delivery.state": bson.M{"$in": from}}
		for k, v := range filter {
			f[k] = v
		}
		_, err := m.st.C(messagesColl).UpdateMany(ctx, f, bson.M{"$set": bson.M{"delivery.state": state, "delivery.at": now}})
		return err
	}
	start := conv.DeliveredSeq
	if state == DeliveryRead {
		start = conv.ReadSeq
	}
	maxSeq = min(maxSeq, conv.Seq)
	mark := start
	err := m.walkSeqs(ctx, conv.ID, start, maxSeq, func(seq int64, msg *Message) bool {
		if msg.Direction == DirOut && !covered(msg) {
			return false
		}
		mark = seq
		if msg.Direction != DirOut || msg.Delivery == nil || !slices.Contains(from, msg.Delivery.State) {
			return true
		}
		_, _, err := m.updateDelivery(ctx, msg.ID, msg.Delivery.State,
			bson.M{"$set": bson.M{"delivery.state": state, "delivery.at": now}})
		if err != nil {
			m.log.Warn("receipt", "conversation", conv.ID, "err", err)
		}
		return true
	})
	if err != nil || mark <= start {
		return err
	}
	set := bson.M{receiptWatermarks[state]: mark}
	if state == DeliveryRead {
		set[receiptWatermarks[DeliveryDelivered]] = mark
	}
	_, err = m.st.C(conversationsColl).UpdateOne(ctx, bson.M{"_id": conv.ID}, bson.M{"$max": set})
	return err
}

// seqsBackfilled marks (in oc_settings) that messages stored before the sequence entries
// existed have theirs.
const seqsBackfilled = "message_seqs_v1"

// backfillSeqs gives the messages stored before the sequence entries existed their entries
// (the number of each message, and of its last edit), once per database, on the embedded
// store only. It reads the messages collection whole, once.
func (m *Module) backfillSeqs(ctx context.Context) error {
	if !m.st.FerretDB {
		return nil
	}
	err := m.st.C(settingsColl).FindOne(ctx, bson.M{"_id": seqsBackfilled}).Err()
	if err == nil {
		return nil
	}
	if !store.IsNotFound(err) {
		return fmt.Errorf("read %s: %w", seqsBackfilled, err)
	}
	cur, err := m.st.C(messagesColl).Find(ctx, bson.M{},
		options.Find().SetProjection(bson.M{"conversation_id": 1, "seq": 1, "updated_seq": 1}))
	if err != nil {
		return fmt.Errorf("backfill message seqs: %w", err)
	}
	var msgs []Message
	if err := cur.All(ctx, &msgs); err != nil {
		return fmt.Errorf("backfill message seqs: %w", err)
	}
	for _, msg := range msgs {
		for _, s := range []int64{msg.Seq, msg.UpdatedSeq} {
			if s > 0 {
				if err := m.recordSeq(ctx, msg.ConversationID, s, msg.ID); err != nil {
					return err
				}
			}
		}
	}
	_, err = m.st.C(settingsColl).InsertOne(ctx, bson.M{"_id": seqsBackfilled, "at": time.Now().UTC()})
	if err != nil && !store.IsDuplicate(err) {
		return fmt.Errorf("mark %s: %w", seqsBackfilled, err)
	}
	return nil
}
