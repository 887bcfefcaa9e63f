package pbx

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// callsCollection holds the call records; its documents carry the call.* events' outbox.
const callsCollection = "calls"

// CallID identifies a call record.
type CallID string

// Outcomes of a call.
const (
	OutcomeAnswered       = "answered"
	OutcomeAbandoned      = "abandoned"
	OutcomeShortAbandoned = "short_abandoned" // hung up in the queue within 5 s
	OutcomeCallback       = "callback"
	OutcomeVoicemail      = "voicemail"
	OutcomeOverflow       = "overflow"
	OutcomeSelfService    = "self_service" // ended in the IVR (lookup, information, hung up there)
	OutcomeTransferred    = "transferred"
	OutcomeRefused        = "refused" // capacity or no route
)

// shortAbandon is the wait under which an abandon is short.
const shortAbandon = 5 * time.Second

// Step is one IVR menu a caller went through and the keys pressed there.
type Step struct {
	Menu   string    `bson:"menu" json:"menu"`
	Digits string    `bson:"digits" json:"digits"`
	At     time.Time `bson:"at" json:"at"`
}

// CallRecord is the record of one call, kept in the store and carried by the call.* events.
type CallRecord struct {
	ID          CallID     `bson:"_id" json:"id"`
	SIPCallID   string     `bson:"sip_call_id" json:"sip_call_id"`
	Caller      string     `bson:"caller" json:"caller"`
	DID         string     `bson:"did" json:"did"`
	Trunk       string     `bson:"trunk,omitempty" json:"trunk,omitempty"`
	Path        []Step     `bson:"path" json:"path"`
	Queue       string     `bson:"queue,omitempty" json:"queue,omitempty"`
	Agent       string     `bson:"agent,omitempty" json:"agent,omitempty"`
	Outcome     string     `bson:"outcome,omitempty" json:"outcome,omitempty"`
	ArrivedAt   time.Time  `bson:"arrived_at" json:"arrived_at"`
	IVRExitedAt *time.Time `bson:"ivr_exited_at,omitempty" json:"ivr_exited_at,omitempty"`
	QueuedAt    *time.Time `bson:"queued_at,omitempty" json:"queued_at,omitempty"`
	AnsweredAt  *time.Time `bson:"answered_at,omitempty" json:"answered_at,omitempty"`
	EndedAt     *time.Time `bson:"ended_at,omitempty" json:"ended_at,omitempty"`
	WaitS       float64    `bson:"wait_s" json:"wait_s"`
	TalkS       float64    `bson:"talk_s" json:"talk_s"`
	HoldS       float64    `bson:"hold_s" json:"hold_s"`
	WrapS       float64    `bson:"wrap_s" json:"wrap_s"`
	HangupBy    string     `bson:"hangup_by,omitempty" json:"hangup_by,omitempty"` // caller, agent, system
	Recording   string     `bson:"recording,omitempty" json:"recording,omitempty"` // file under the data dir
	RecordingS  float64    `bson:"recording_s,omitempty" json:"recording_s,omitempty"`
	// RecordingParts says who is on the recording's right channel from when (transfers).
	RecordingParts []RecordingPart `bson:"recording_parts,omitempty" json:"recording_parts,omitempty"`
	Voicemail      bool            `bson:"voicemail,omitempty" json:"voicemail,omitempty"`
	Ticket         string          `bson:"ticket,omitempty" json:"ticket,omitempty"`
	Callback       *Callback       `bson:"callback,omitempty" json:"callback,omitempty"`
	Transfers      []Transfer      `bson:"transfers,omitempty" json:"transfers,omitempty"`
	Node           string          `bson:"node,omitempty" json:"-"`
	events.Outbox  `bson:",inline"`
}

// Callback is a caller's request to be called back, and what came of it.
type Callback struct {
	Status    string     `bson:"status" json:"status"` // pending, dialing, connected, failed
	Queue     string     `bson:"queue" json:"queue"`
	Attempts  int        `bson:"attempts" json:"attempts"`
	Agent     string     `bson:"agent,omitempty" json:"agent,omitempty"`
	DoneAt    *time.Time `bson:"done_at,omitempty" json:"done_at,omitempty"`
	Result    string     `bson:"result,omitempty" json:"result,omitempty"` // connected, no_answer, agent_no_answer
	NextAt    time.Time  `bson:"next_at" json:"next_at"`
	TalkS     float64    `bson:"talk_s,omitempty" json:"talk_s,omitempty"`
	UpdatedAt time.Time  `bson:"updated_at" json:"updated_at"`
}

// eventData is the call.* events' payload (docs/events.md).
type eventData struct {
	ID          CallID     `bson:"id"`
	Caller      string     `bson:"caller"`
	DID         string     `bson:"did"`
	Queue       string     `bson:"queue,omitempty"`
	Agent       string     `bson:"agent,omitempty"`
	Outcome     string     `bson:"outcome,omitempty"`
	ArrivedAt   time.Time  `bson:"arrived_at"`
	IVRExitedAt *time.Time `bson:"ivr_exited_at,omitempty"`
	QueuedAt    *time.Time `bson:"queued_at,omitempty"`
	AnsweredAt  *time.Time `bson:"answered_at,omitempty"`
	EndedAt     *time.Time `bson:"ended_at,omitempty"`
	WaitS       float64    `bson:"wait_s"`
	TalkS       float64    `bson:"talk_s"`
	HoldS       float64    `bson:"hold_s"`
	WrapS       float64    `bson:"wrap_s"`
	HangupBy    string     `bson:"hangup_by,omitempty"`
}

func (r *CallRecord) event(typ string) events.Event {
	return events.MustNew(typ, string(r.ID), eventData{ID: r.ID, Caller: r.Caller, DID: r.DID, Queue: r.Queue,
		Agent: r.Agent, Outcome: r.Outcome, ArrivedAt: r.ArrivedAt, IVRExitedAt: r.IVRExitedAt, QueuedAt: r.QueuedAt,
		AnsweredAt: r.AnsweredAt, EndedAt: r.EndedAt, WaitS: r.WaitS, TalkS: r.TalkS, HoldS: r.HoldS, WrapS: r.WrapS,
		HangupBy: r.HangupBy})
}

// seconds is d in seconds rounded to milliseconds.
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

func ptr(t time.Time) *time.Time { return &t }

// CallFilter selects call records.
type CallFilter struct {
	From, To              time.Time
	Queue, Agent, Outcome string
	Caller                string // normalised number
}

// Calls lists call records matching f, newest first, after the cursor (arrived_at, id).
func (m *Module) Calls(ctx context.Context, f CallFilter, limit int, after *cursorKey) ([]CallRecord, error) {
	q := bson.M{}
	at := bson.M{}
	if !f.From.IsZero() {
		at["$gte"] = f.From
	}
	if !f.To.IsZero() {
		at["$lt"] = f.To
	}
	if len(at) > 0 {
		q["arrived_at"] = at
	}
	for k, v := range map[string]string{"queue": f.Queue, "agent": f.Agent, "outcome": f.Outcome, "caller": f.Caller} {
		if v != "" {
			q[k] = v
		}
	}
	if after != nil {
		q["$or"] = bson.A{bson.M{"arrived_at": bson.M{"$lt": after.At}},
			bson.M{"arrived_at": after.At, "_id": bson.M{"$lt": after.ID}}}
	}
	cur, err := m.st.C(callsCollection).Find(ctx, q, findOpts(limit))
	if err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	out := []CallRecord{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	return out, nil
}

// Call returns one call record.
func (m *Module) Call(ctx context.Context, id CallID) (*CallRecord, error) {
	var r CallRecord
	err := m.st.C(callsCollection).FindOne(ctx, bson.M{"_id": id}).Decode(&r)
	if store.IsNotFound(err) {
		return nil, ErrCallNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get call %s: %w", id, err)
	}
	return &r, nil
}

type cursorKey struct {
	At time.Time `json:"t"`
	ID CallID    `json:"i"`
}

func (m *Module) initStore(ctx context.Context) error {
	return m.st.EnsureIndexes(ctx, callsCollection, store.Index("arrived_at"), store.Index("queue"),
		store.Index("agent"), store.Index("caller"), store.Index("callback.status"))
}

// eventOf is an event about a call.
type eventOf = events.Event

// stageDoc is an update document setting set with evs staged.
func stageDoc(set bson.M, evs ...events.Event) bson.M {
	u := store.Update{Set: set}
	events.Stage(&u, evs...)
	return u.Doc()
}

func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }
func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
