package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

const deliverySending DeliveryState = "sending" // claimed by a sender

const (
	maxSendAttempts = 5
)

// sendText stores an outbound text message of author (an agent, "bot", "system") and
// delivers it now. The message keeps its delivery state: sent, or failed with the reason.
func (m *Module) sendText(ctx context.Context, conv *Conversation, author, text string, notice bool) (*Message, error) {
	msg := &Message{Direction: DirOut, Kind: KindText, Text: text, Author: author,
		Delivery: &Delivery{State: DeliveryPending, At: time.Now().UTC()}}
	if notice {
		msg.Meta = map[string]string{"notice": "1"}
	}
	return m.sendMessage(ctx, conv.ID, msg)
}

// sendMessage stores msg and delivers it, returning the message as it ends up.
func (m *Module) sendMessage(ctx context.Context, convID string, msg *Message) (*Message, error) {
	stored, _, fresh, err := m.appendMessage(ctx, convID, msg)
	if err != nil {
		return nil, err
	}
	if !fresh || stored.Delivery == nil || stored.Delivery.State != DeliveryPending {
		return stored, nil
	}
	return m.deliver(ctx, stored.ID)
}

// deliver claims a pending outbound message and sends it through its channel's connector.
// A transient failure leaves it pending for the outbound sweeper; a refusal or a closed
// window marks it failed with the reason.
func (m *Module) deliver(ctx context.Context, msgID string) (*Message, error) {
	claimed, ok, err := m.updateDelivery(ctx, msgID, DeliveryPending,
		bson.M{"$set": bson.M{"delivery.state": deliverySending, "delivery.at": time.Now().UTC()}, "$inc": bson.M{"delivery.attempts": 1}})
	if err != nil || !ok {
		if cur, gerr := m.message(ctx, msgID); gerr == nil {
			return cur, nil // someone else sends it, or it is done
		}
		return nil, fmt.Errorf("claim message %s: %w", msgID, err)
	}
	msg := *claimed
	conv, err := m.Conversation(ctx, msg.ConversationID)
	if err != nil {
		return nil, err
	}
	chID, sendErr := m.sendVia(ctx, conv, &msg)
	d := Delivery{State: DeliverySent, Attempts: msg.Delivery.Attempts, At: time.Now().UTC()}
	var se *SendError
	switch {
	case sendErr == nil:
	case errors.Is(sendErr, ErrWindowClosed), errors.Is(sendErr, ErrNoConnector), errors.Is(sendErr, ErrChannelOff):
		d.State, d.Reason = DeliveryFailed, sendErr.Error()
	case errors.As(sendErr, &se) && se.Permanent, d.Attempts >= maxSendAttempts:
		d.State, d.Reason = DeliveryFailed, sendErr.Error()
	default:
		d.State, d.Reason = DeliveryPending, sendErr.Error()
	}
	set := bson.M{"delivery": d}
	if chID != "" {
		set["channel_msg_id"] = chID
	}
	if err := m.st.C(messagesColl).FindOneAndUpdate(context.WithoutCancel(ctx), bson.M{"_id": msg.ID}, bson.M{"$set": set},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&msg); err != nil {
		return nil, fmt.Errorf("record delivery of %s: %w", msg.ID, err)
	}
	if chID != "" && conv.Channel == ChannelEmail {
		if _, err := m.claimKey(context.WithoutCancel(ctx), mailKey(chID), conv.ID); err != nil {
			return nil, err
		}
	}
	if sendErr != nil {
		m.log.Warn("send failed", "channel", conv.Channel, "conversation", conv.ID, "state", d.State, "err", sendErr)
	}
	m.publishDelivery(conv, &msg)
	if d.State == DeliveryPending {
		m.outbound.push(msg.ID, msg.ID)
	}
	return &msg, nil
}

func (m *Module) publishDelivery(conv *Conversation, msg *Message) {
	b := mustJSON(liveEvent{Type: "delivery", ConversationID: conv.ID, Message: msg})
	m.publishAgents(conv, b)
}

// sendVia hands a message to its conversation's connector.
func (m *Module) sendVia(ctx context.Context, conv *Conversation, msg *Message) (string, error) {
	cn := m.connectors[conv.Channel]
	if cn == nil {
		return "", fmt.Errorf("%s: %w", conv.Channel, ErrNoConnector)
	}
	to := Recipient{ConversationID: conv.ID, Thread: conv.Thread, Email: conv.Address, Subject: conv.Subject,
		ReplyToken: conv.ReplyToken, LastInboundAt: conv.LastInboundAt, LastInboundID: conv.LastInboundID,
		RepliesSinceInbound: conv.RepliesSinceInbound - 1} // this message is counted already
	if conv.Channel == ChannelEmail {
		refs, err := m.threadRefs(ctx, conv.ID)
		if err != nil {
			return "", err
		}
		to.References = refs
	}
	return cn.Send(ctx, to, Outgoing{MessageID: msg.ID, Kind: msg.Kind, Text: msg.Text, Attachments: msg.Attachments,
		Notice: msg.Meta["notice"] == "1"})
}

// threadRefs lists the e-mail Message-IDs of a conversation, oldest first.
func (m *Module) threadRefs(ctx context.Context, convID string) ([]string, error) {
	if m.st.FerretDB {
		conv, err := m.Conversation(ctx, convID)
		if err != nil {
			return nil, err
		}
		var refs []string
		err = m.walkSeqs(ctx, convID, 0, conv.Seq, func(_ int64, msg *Message) bool {
			if msg.ChannelMsgID != "" {
				refs = append(refs, msg.ChannelMsgID)
			}
			return len(refs) < 50
		})
		if err != nil {
			return nil, fmt.Errorf("thread of %s: %w", convID, err)
		}
		return refs, nil
	}
	cur, err := m.st.C(messagesColl).Find(ctx, bson.M{"conversation_id": convID, "channel_msg_id": bson.M{"$gt": ""}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetProjection(bson.M{"channel_msg_id": 1}).SetLimit(50))
	if err != nil {
		return nil, fmt.Errorf("thread of %s: %w", convID, err)
	}
	var ms []Message
	if err := cur.All(ctx, &ms); err != nil {
		return nil, fmt.Errorf("thread of %s: %w", convID, err)
	}
	refs := make([]string, 0, len(ms))
	for _, x := range ms {
		refs = append(refs, x.ChannelMsgID)
	}
	return refs, nil
}

// updateDelivery applies update to message id if its delivery state is state, and returns
// the message as updated. On MongoDB that is one findOneAndUpdate; on the embedded store,
// where that filter reads the whole collection, the message is read by _id, checked and
// updated by _id under a lock of this process (its only writer). Every write conditioned on
// a delivery state goes through here.
func (m *Module) updateDelivery(ctx context.Context, id string, state DeliveryState, update bson.M) (*Message, bool, error) {
	var msg Message
	if !m.st.FerretDB {
		err := m.st.C(messagesColl).FindOneAndUpdate(ctx, bson.M{"_id": id, "delivery.state": state}, update,
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&msg)
		if store.IsNotFound(err) {
			return nil, false, nil
		}
		return &msg, err == nil, err
	}
	mu := &m.msgLocks[fnvOf(id)%uint32(len(m.msgLocks))]
	mu.Lock()
	defer mu.Unlock()
	cur, err := m.message(ctx, id)
	if store.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if cur.Delivery == nil || cur.Delivery.State != state {
		return nil, false, nil
	}
	err = m.st.C(messagesColl).FindOneAndUpdate(ctx, bson.M{"_id": id}, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&msg)
	if err != nil {
		return nil, false, err
	}
	return &msg, true, nil
}

// outboundPoll is how often pending outbound messages are retried.
const outboundPoll = 2 * time.Second

// runOutbound retries pending outbound messages until ctx ends. At start it takes back
// messages whose sender died while sending and queues every pending one; afterwards the
// senders queue what they leave pending, and on MongoDB an indexed poll also finds what
// other nodes left.
func (m *Module) runOutbound(ctx context.Context) error {
	if _, err := m.st.C(messagesColl).UpdateMany(ctx, bson.M{"delivery.state": deliverySending},
		bson.M{"$set": bson.M{"delivery.state": DeliveryPending}}); err != nil && ctx.Err() == nil {
		m.log.Error("recover outbound", "err", err)
	}
	t := time.NewTicker(outboundPoll)
	defer t.Stop()
	poll := true
	for {
		if poll {
			err := m.loadPendingOutbound(ctx)
			if err != nil && ctx.Err() == nil {
				m.log.Error("read pending outbound", "err", err)
			}
			poll = err != nil || !m.st.FerretDB
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		// Retries wait for the tick, so a platform asking to slow down is not hammered.
		for _, id := range m.outbound.take(m.outbound.len()) {
			m.outbound.done(id) // a send failing again queues it again
			if ctx.Err() != nil {
				continue // stored pending: queued again at the next start
			}
			if _, err := m.deliver(ctx, id); err != nil && ctx.Err() == nil {
				m.log.Error("deliver", "message", id, "err", err)
			}
		}
	}
}

func (m *Module) loadPendingOutbound(ctx context.Context) error {
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetProjection(bson.M{"_id": 1})
	if !m.st.FerretDB {
		opts.SetLimit(1000) // polled again in a moment
	}
	cur, err := m.st.C(messagesColl).Find(ctx, bson.M{"delivery.state": DeliveryPending}, opts)
	if err != nil {
		return fmt.Errorf("read pending outbound: %w", err)
	}
	var ids []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &ids); err != nil {
		return fmt.Errorf("read pending outbound: %w", err)
	}
	for _, x := range ids {
		m.outbound.push(x.ID, x.ID)
	}
	return nil
}
