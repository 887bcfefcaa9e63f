package webhooks

import (
	"encoding/json"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Payload is the JSON body POSTed for one event.
type Payload struct {
	ID      string    `json:"id"`
	Seq     int64     `json:"seq"`
	Type    string    `json:"type"`
	Subject string    `json:"subject"`
	At      time.Time `json:"at"`
	Data    any       `json:"data,omitempty"`
}

// Body encodes ev as the JSON body of a delivery: BSON dates become RFC 3339 strings and
// object ids hex strings.
func Body(ev events.Event) ([]byte, error) {
	p := Payload{ID: ev.ID, Seq: ev.Seq, Type: ev.Type, Subject: ev.Subject, At: ev.At}
	if len(ev.Data) > 0 {
		var d bson.D
		if err := bson.Unmarshal(ev.Data, &d); err != nil {
			return nil, err
		}
		p.Data = plain(d)
	}
	return json.Marshal(p)
}

func plain(v any) any {
	switch x := v.(type) {
	case bson.D:
		m := make(map[string]any, len(x))
		for _, e := range x {
			m[e.Key] = plain(e.Value)
		}
		return m
	case bson.M:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = plain(e)
		}
		return m
	case bson.A:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case bson.DateTime:
		return x.Time().UTC().Format(time.RFC3339Nano)
	case bson.ObjectID:
		return x.Hex()
	case bson.Decimal128:
		return x.String()
	case bson.Binary:
		return x.Data
	}
	return v
}
