package events

import (
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Stage adds evs to an update of an existing document, so that the change and its events
// are written together.
func Stage(u *store.Update, evs ...Event) {
	if len(evs) == 0 {
		return
	}
	vs := make([]any, len(evs))
	for i, e := range evs {
		vs[i] = e
	}
	u.PushEach(fieldStaged, vs...)
	if u.Inc == nil {
		u.Inc = bson.M{}
	}
	u.Inc[fieldRev] = 1
	u.SetField(fieldPending, true)
}

const (
	fieldStaged  = "_outbox"
	fieldRev     = "_outbox_rev"
	fieldPending = "_outbox_pending"
)

func isNoDocs(err error) bool { return store.IsNotFound(err) }
