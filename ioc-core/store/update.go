package store

import "go.mongodb.org/mongo-driver/v2/bson"

// Update collects the operator sections of one single-document update, so that packages can
// add their part (a history entry, an outbox event) to another package's change.
type Update struct {
	Set   bson.M
	Inc   bson.M
	Push  bson.M
	Unset bson.M
}

// SetField adds a $set of key.
func (u *Update) SetField(key string, v any) {
	if u.Set == nil {
		u.Set = bson.M{}
	}
	u.Set[key] = v
}

// PushEach appends vs to the array at key.
func (u *Update) PushEach(key string, vs ...any) {
	if u.Push == nil {
		u.Push = bson.M{}
	}
	if cur, ok := u.Push[key].(bson.M); ok {
		cur["$each"] = append(cur["$each"].([]any), vs...)
		return
	}
	u.Push[key] = bson.M{"$each": append([]any(nil), vs...)}
}

// Doc returns the update document for the driver.
func (u Update) Doc() bson.M {
	d := bson.M{}
	for op, m := range map[string]bson.M{"$set": u.Set, "$inc": u.Inc, "$push": u.Push, "$unset": u.Unset} {
		if len(m) > 0 {
			d[op] = m
		}
	}
	return d
}
