// Package events carries ioc1022's domain events (ticket.created, message.received,
// call.ended, ...) from the write that caused them to every consumer, at least once.
//
// A change and its events are one single-document write: the events are staged in the
// changed document's outbox fields. A relay moves them into the `events` collection, where
// each gets a sequence number, and consumers read that collection with durable cursors of
// their own, so a consumer that was down catches up and nothing is delivered zero times.
// Consumers must therefore be idempotent. No change streams are needed: an in-process
// notifier wakes the relay and the consumers, and a short poll covers other nodes.
package events

import (
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Event is one domain event. Seq is set by the relay when the event enters the log.
type Event struct {
	ID      string    `bson:"_id" json:"id"`
	Seq     int64     `bson:"seq,omitempty" json:"seq"`
	Type    string    `bson:"type" json:"type"`
	Subject string    `bson:"subject" json:"subject"`
	At      time.Time `bson:"at" json:"at"`
	Data    bson.Raw  `bson:"data,omitempty" json:"-"`
}

// New makes an event of type typ about subject (a ticket code, a conversation id, a call id)
// carrying data, which must marshal to a BSON document.
func New(typ, subject string, data any) (Event, error) {
	ev := Event{ID: bson.NewObjectID().Hex(), Type: typ, Subject: subject, At: time.Now().UTC()}
	if data != nil {
		raw, err := bson.Marshal(data)
		if err != nil {
			return ev, fmt.Errorf("event %s data: %w", typ, err)
		}
		ev.Data = raw
	}
	return ev, nil
}

// MustNew is New for data whose type is known to marshal (a struct or a map); it panics
// otherwise, which is a programming error.
func MustNew(typ, subject string, data any) Event {
	ev, err := New(typ, subject, data)
	if err != nil {
		panic(err)
	}
	return ev
}

// Decode unmarshals the event's data into v.
func (e Event) Decode(v any) error {
	if len(e.Data) == 0 {
		return fmt.Errorf("event %s %s has no data", e.Type, e.ID)
	}
	return bson.Unmarshal(e.Data, v)
}

// Outbox holds the events staged in a document. Embed it inline in a stored document type
// (`events.Outbox `bson:",inline"“) and fill it with NewOutbox before inserting.
type Outbox struct {
	Staged  []Event `bson:"_outbox,omitempty" json:"-"`
	Rev     int64   `bson:"_outbox_rev,omitempty" json:"-"`
	Pending bool    `bson:"_outbox_pending,omitempty" json:"-"`
}

// NewOutbox returns an outbox holding evs, for a document about to be inserted.
func NewOutbox(evs ...Event) Outbox {
	if len(evs) == 0 {
		return Outbox{}
	}
	return Outbox{Staged: evs, Rev: 1, Pending: true}
}
