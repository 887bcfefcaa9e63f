package dialogue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// statesColl holds one dialogue state per conversation.
const statesColl = "chatbot_dialogues"

// Flow is what the bot is doing with the citizen.
type Flow string

// The flows of a dialogue.
const (
	FlowIdle   Flow = ""       // waiting for a request
	FlowReport Flow = "report" // filling the slots of a new report
	FlowStatus Flow = "status" // asking for a ticket code and phone digits
)

// Slot names what the bot asked for last.
type Slot string

// The slots of a report and of a status check.
const (
	SlotNone     Slot = ""
	SlotCategory Slot = "category"
	SlotWhat     Slot = "what"
	SlotWard     Slot = "ward"
	SlotAddress  Slot = "address"
	SlotWhen     Slot = "when"
	SlotPhone    Slot = "phone"
	SlotConfirm  Slot = "confirm"
	SlotCode     Slot = "code"
	SlotLast4    Slot = "last4"
)

// Report is what a new report has so far.
type Report struct {
	Category string     `bson:"category,omitempty" json:"category,omitempty"`
	What     string     `bson:"what,omitempty" json:"what,omitempty"`
	Ward     string     `bson:"ward,omitempty" json:"ward,omitempty"` // unit code
	WardName string     `bson:"ward_name,omitempty" json:"ward_name,omitempty"`
	Address  string     `bson:"address,omitempty" json:"address,omitempty"`
	When     *time.Time `bson:"when,omitempty" json:"when,omitempty"`
	WhenText string     `bson:"when_text,omitempty" json:"when_text,omitempty"` // as the citizen said it
	Phone    string     `bson:"phone,omitempty" json:"phone,omitempty"`
	Photo    string     `bson:"photo,omitempty" json:"photo,omitempty"` // URL of an image the citizen sent
}

// State is the dialogue of one conversation, stored as one document written with a
// version check, so it survives a restart and two nodes cannot both advance it.
type State struct {
	ConversationID string `bson:"_id" json:"conversation_id"`
	Flow           Flow   `bson:"flow" json:"flow"`
	Awaiting       Slot   `bson:"awaiting,omitempty" json:"awaiting,omitempty"`
	Report         Report `bson:"report" json:"report"`
	// Code is the ticket code of a status check; Tries counts wrong code/digit pairs.
	Code  string `bson:"code,omitempty" json:"code,omitempty"`
	Tries int    `bson:"tries,omitempty" json:"tries,omitempty"`
	// Misses counts messages in a row the bot did not understand; the second hands off.
	Misses int `bson:"misses,omitempty" json:"misses,omitempty"`
	// LastIntent and LastCategory are what the bot last understood, for the hand-off summary.
	LastIntent   string `bson:"last_intent,omitempty" json:"last_intent,omitempty"`
	LastCategory string `bson:"last_category,omitempty" json:"last_category,omitempty"`
	// LastMessageID and LastReply make a repeated message (a retry after a crash) answer
	// the same without doing anything twice.
	LastMessageID string    `bson:"last_message_id,omitempty" json:"-"`
	LastReply     Reply     `bson:"last_reply" json:"-"`
	Tickets       []string  `bson:"tickets,omitempty" json:"tickets,omitempty"` // made by the bot
	Turns         int       `bson:"turns" json:"turns"`
	UpdatedAt     time.Time `bson:"updated_at" json:"updated_at"`
	Version       int64     `bson:"version" json:"version"`
}

// reset leaves the current flow, keeping the history (tickets, turns).
func (s *State) reset() {
	s.Flow, s.Awaiting, s.Report, s.Code, s.Tries, s.Misses = FlowIdle, SlotNone, Report{}, "", 0, 0
}

// ErrConflict is returned by Save when another writer advanced the state first.
var ErrConflict = errors.New("dialogue: state changed concurrently")

// Store keeps dialogue states.
type Store struct{ st *store.Store }

// NewStore returns the dialogue states kept in st.
func NewStore(st *store.Store) *Store { return &Store{st: st} }

// Load returns the state of a conversation, a fresh one (version 0) when it has none.
func (s *Store) Load(ctx context.Context, convID string) (*State, error) {
	var st State
	err := s.st.C(statesColl).FindOne(ctx, bson.M{"_id": convID}).Decode(&st)
	if store.IsNotFound(err) {
		return &State{ConversationID: convID}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load dialogue %s: %w", convID, err)
	}
	return &st, nil
}

// Save writes st in one document write if nobody else wrote it since it was loaded, and
// advances its version; otherwise it returns ErrConflict.
func (s *Store) Save(ctx context.Context, st *State) error {
	next := *st
	next.Version, next.UpdatedAt = st.Version+1, time.Now().UTC()
	c := s.st.C(statesColl)
	if st.Version == 0 {
		if _, err := c.InsertOne(ctx, next); err != nil {
			if store.IsDuplicate(err) {
				return ErrConflict
			}
			return fmt.Errorf("save dialogue %s: %w", st.ConversationID, err)
		}
		*st = next
		return nil
	}
	res, err := c.ReplaceOne(ctx, bson.M{"_id": st.ConversationID, "version": st.Version}, next, options.Replace())
	if err != nil {
		return fmt.Errorf("save dialogue %s: %w", st.ConversationID, err)
	}
	if res.MatchedCount == 0 {
		return ErrConflict
	}
	*st = next
	return nil
}
