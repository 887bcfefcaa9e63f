package tickets

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func isDuplicate(err error) bool { return store.IsDuplicate(err) }

// errStale is the 409 of a write whose ticket changed since it was read.
func errStale(code Code) error {
	return httpapi.Conflict("ticket %s was changed by someone else meanwhile (version): reload it and try again", code)
}

// storedTicket is a ticket with its event outbox, as inserted.
type storedTicket struct {
	Ticket        `bson:",inline"`
	events.Outbox `bson:",inline"`
}

// load reads one ticket whole.
func (m *Module) load(ctx context.Context, code Code) (*Ticket, error) {
	var t Ticket
	err := m.coll.FindOne(ctx, bson.M{"_id": string(code)}).Decode(&t)
	if store.IsNotFound(err) {
		return nil, httpapi.NotFound("no ticket %s", code)
	}
	if err != nil {
		return nil, fmt.Errorf("load ticket %s: %w", code, err)
	}
	return &t, nil
}

// notState are the fields a state write leaves alone: the identity, the appended lists and
// the bookkeeping of the write itself.
var notState = map[string]bool{"_id": true, "history": true, "attachments": true, "version": true}

// stateKeys are the bson names of the ticket's state fields.
var stateKeys = func() []string {
	var keys []string
	t := reflect.TypeOf(Ticket{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("bson"), ",")
		if name != "" && name != "-" && !notState[name] {
			keys = append(keys, name)
		}
	}
	return keys
}()

// commit writes nt over old as one single-document update: the state, a history entry, the
// version and the events, on condition that the ticket is still at old's version
// (store.UpdateByID: atomic on MongoDB, and by _id under a per-document lock on FerretDB,
// where a filter on _id and version would scan the collection). A ticket changed meanwhile
// is a 409 (errStale); nothing is written then.
func (m *Module) commit(ctx context.Context, old, nt *Ticket, hist []HistoryEntry, evs []events.Event) error {
	raw, err := bson.Marshal(nt)
	if err != nil {
		return fmt.Errorf("encode ticket %s: %w", nt.Code, err)
	}
	var doc bson.M
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("encode ticket %s: %w", nt.Code, err)
	}
	var u store.Update
	for _, k := range stateKeys {
		if v, ok := doc[k]; ok {
			u.SetField(k, v)
		} else {
			if u.Unset == nil {
				u.Unset = bson.M{}
			}
			u.Unset[k] = ""
		}
	}
	for _, h := range hist {
		u.PushEach("history", h)
	}
	u.Inc = bson.M{"version": 1}
	events.Stage(&u, evs...)
	ok, err := m.core.Store.UpdateByID(ctx, Collection, string(old.Code), bson.M{"version": old.Version}, u.Doc(), nil)
	if err != nil {
		return fmt.Errorf("write ticket %s: %w", old.Code, err)
	}
	if !ok {
		return errStale(old.Code)
	}
	nt.Version = old.Version + 1
	nt.History = append(old.History, hist...)
	m.index.put(nt)
	if len(evs) > 0 {
		m.core.Events.Kick(events.Ref{Coll: Collection, ID: string(old.Code)})
	}
	return nil
}
