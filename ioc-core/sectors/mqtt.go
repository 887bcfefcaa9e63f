package sectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
	"github.com/ioc1022/ioc1022/ioc-core/config"
)

// MQTTMapping says how an MQTT message becomes readings: the topic pattern and the
// payload's fields. A payload is a bare number, one reading object, an array of them, or
// {"readings":[...]}; an object whose value field is itself an object of numbers
// ({"station":"hc-01","value":{"pm2_5":31,"pm10":48}}) is one reading per key. The station
// and pollutant come from the payload, else from the topic; a reading without a time is
// dated when it arrives.
type MQTTMapping struct {
	TopicPattern                    string // "sensors/{station}/{pollutant}"
	Station, Pollutant, Value, Time string // dotted paths in the payload
	patternLevels                   []string
	stationLevel, pollutantLevel    int
}

// NewMQTTMapping returns the mapping of the configuration.
func NewMQTTMapping(c config.SensorsMQTT) *MQTTMapping {
	mp := &MQTTMapping{TopicPattern: c.TopicPattern, Station: c.StationField, Pollutant: c.PollutantField,
		Value: c.ValueField, Time: c.TimeField, stationLevel: -1, pollutantLevel: -1}
	if c.TopicPattern != "" {
		mp.patternLevels = strings.Split(c.TopicPattern, "/")
		for i, l := range mp.patternLevels {
			switch l {
			case "{station}":
				mp.stationLevel = i
			case "{pollutant}":
				mp.pollutantLevel = i
			}
		}
	}
	return mp
}

// fromTopic returns the station and pollutant the topic names ("" when the pattern does not
// match or names neither).
func (mp *MQTTMapping) fromTopic(topic string) (station, pollutant string) {
	if mp.patternLevels == nil {
		return "", ""
	}
	levels := strings.Split(topic, "/")
	if len(levels) != len(mp.patternLevels) {
		return "", ""
	}
	for i, l := range mp.patternLevels {
		if l != "+" && !strings.HasPrefix(l, "{") && l != levels[i] {
			return "", ""
		}
	}
	if mp.stationLevel >= 0 {
		station = levels[mp.stationLevel]
	}
	if mp.pollutantLevel >= 0 {
		pollutant = levels[mp.pollutantLevel]
	}
	return station, pollutant
}

// MaxMQTTPayload is the largest MQTT payload read.
const MaxMQTTPayload = 1 << 20

// Parse reads the readings of one message received at now. An error says why the message
// as a whole is unreadable; the readings it returns are then still checked one by one.
func (mp *MQTTMapping) Parse(topic string, payload []byte, now time.Time) ([]Reading, error) {
	if len(payload) > MaxMQTTPayload {
		return nil, fmt.Errorf("payload of %d bytes, over %d", len(payload), MaxMQTTPayload)
	}
	station, pollutant := mp.fromTopic(topic)
	body := bytes.TrimSpace(payload)
	if v, err := strconv.ParseFloat(string(body), 64); err == nil {
		if station == "" || pollutant == "" {
			return nil, fmt.Errorf("a bare number on topic %q, which names no station and pollutant", topic)
		}
		return []Reading{{Station: station, Pollutant: pollutant, Value: v, At: now}}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("the payload is neither a number nor JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON payload")
	}
	items := []any{doc}
	switch d := doc.(type) {
	case []any:
		items = d
	case map[string]any:
		if rs, ok := d["readings"].([]any); ok {
			items = rs
		}
	}
	if len(items) == 0 || len(items) > MaxReadings {
		return nil, fmt.Errorf("1 to %d readings per message", MaxReadings)
	}
	var out []Reading
	for i, it := range items {
		rs, err := mp.object(it, station, pollutant, now)
		if err != nil {
			return nil, fmt.Errorf("reading %d: %w", i, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// object reads the readings of one payload object.
func (mp *MQTTMapping) object(it any, station, pollutant string, now time.Time) ([]Reading, error) {
	if _, ok := it.(map[string]any); !ok {
		return nil, errors.New("not a JSON object")
	}
	r := Reading{Station: firstOf(text(it, mp.Station), station), Pollutant: firstOf(text(it, mp.Pollutant), pollutant), At: now}
	if r.Station == "" {
		return nil, fmt.Errorf("no station (field %q or the topic)", mp.Station)
	}
	if ts := text(it, mp.Time); ts != "" {
		at, err := ParseTime(ts)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", mp.Time, err)
		}
		r.At = at
	}
	v, _ := path(it, mp.Value)
	if multi, ok := v.(map[string]any); ok && r.Pollutant == "" {
		out := make([]Reading, 0, len(multi))
		for p, x := range multi {
			n, err := number(x)
			if err != nil {
				return nil, fmt.Errorf("field %s.%s: %w", mp.Value, p, err)
			}
			out = append(out, Reading{Station: r.Station, Pollutant: p, Value: n, At: r.At})
		}
		return out, nil
	}
	if r.Pollutant == "" {
		return nil, fmt.Errorf("no pollutant (field %q or the topic)", mp.Pollutant)
	}
	n, err := number(v)
	if err != nil {
		return nil, fmt.Errorf("field %q: %w", mp.Value, err)
	}
	r.Value = n
	return []Reading{r}, nil
}

func number(x any) (float64, error) {
	switch t := x.(type) {
	case json.Number:
		return t.Float64()
	case string:
		return strconv.ParseFloat(strings.TrimSpace(t), 64)
	}
	return 0, errors.New("not a number")
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// MQTTStatus is what the MQTT subscriber has done since the node started.
type MQTTStatus struct {
	Enabled    bool       `json:"enabled"`
	Broker     string     `json:"broker,omitempty"`
	Connected  bool       `json:"connected"`
	Connects   int        `json:"connects"`
	Messages   int        `json:"messages"`
	Unreadable int        `json:"unreadable"` // messages that were not readings at all
	Stored     int        `json:"stored"`
	Duplicate  int        `json:"duplicate"`
	Invalid    int        `json:"invalid"` // readings refused (unknown station, bad time...)
	LastError  string     `json:"last_error,omitempty"`
	LastAt     *time.Time `json:"last_at,omitempty"`
}

// mqttSubscriber subscribes to the configured topics and stores what arrives like an HTTP
// push (same checks, duplicates, thresholds and alerts). It reconnects with a backoff and
// subscribes again on every connection. Messages are acknowledged (QoS 1 and 2) only once
// their readings are stored: the receiving goroutine parses a message and queues it; the
// storing goroutine takes every message queued so far, stores their readings in one write
// (retrying while the store fails, so the broker holds the rest), then acknowledges them in
// order. A message received on a connection since lost is not acknowledged: the broker
// sends it again and its readings are dropped as duplicates.
type mqttSubscriber struct {
	m       *Module
	cfg     config.SensorsMQTT
	mapping *MQTTMapping
	log     *slog.Logger
	in      chan mqttMessage
	conn    atomic.Int64 // connection generation, advanced when a connection drops

	mu     sync.Mutex
	status MQTTStatus
}

// mqttMessage is a parsed message waiting to be stored and acknowledged.
type mqttMessage struct {
	client *paho.Client
	pkt    *paho.Publish
	conn   int64
	topic  string
	rs     []Reading
}

func newMQTTSubscriber(m *Module, cfg config.SensorsMQTT) *mqttSubscriber {
	u, _ := url.Parse(cfg.URL)
	broker := cfg.URL
	if u != nil {
		broker = u.Scheme + "://" + u.Host
	}
	return &mqttSubscriber{m: m, cfg: cfg, mapping: NewMQTTMapping(cfg), log: m.log.With("mqtt", broker),
		in: make(chan mqttMessage, 1024), status: MQTTStatus{Enabled: true, Broker: broker}}
}

// Status returns a copy of the subscriber's counters.
func (s *mqttSubscriber) Status() MQTTStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *mqttSubscriber) update(f func(st *MQTTStatus)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.status)
}

// Run keeps the connection to the broker until ctx ends.
func (s *mqttSubscriber) Run(ctx context.Context) error {
	u, err := url.Parse(s.cfg.URL)
	if err != nil {
		return fmt.Errorf("ioc.sensors.mqtt.url: %w", err)
	}
	subs := make([]paho.SubscribeOptions, len(s.cfg.Topics))
	for i, t := range s.cfg.Topics {
		subs[i] = paho.SubscribeOptions{Topic: t, QoS: byte(s.cfg.QoS)}
	}
	cfg := autopaho.ClientConfig{
		ServerUrls: []*url.URL{u}, KeepAlive: 30, SessionExpiryInterval: 3600,
		ReconnectBackoff: autopaho.NewExponentialBackoff(200*time.Millisecond, 30*time.Second, time.Second, 2),
		ConnectTimeout:   10 * time.Second, ConnectUsername: s.cfg.Username, ConnectPassword: []byte(s.cfg.Password),
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			s.update(func(st *MQTTStatus) { st.Connected, st.Connects = true, st.Connects+1 })
			go s.subscribe(ctx, cm, subs)
		},
		OnConnectionDown: func() bool {
			s.conn.Add(1)
			s.update(func(st *MQTTStatus) { st.Connected = false })
			s.log.Warn("sensor broker connection lost; reconnecting")
			return true
		},
		OnConnectError: func(err error) {
			s.update(func(st *MQTTStatus) { st.LastError = err.Error() })
			s.log.Warn("sensor broker connection failed", "err", err)
		},
		ClientConfig: paho.ClientConfig{ClientID: s.cfg.ClientID, EnableManualAcknowledgment: true, SendAcksInterval: 10 * time.Millisecond,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
				s.receive(ctx, pr)
				return true, nil
			}}},
	}
	cm, err := autopaho.NewConnection(ctx, cfg)
	if err != nil {
		return fmt.Errorf("sensor broker %s: %w", u.Host, err)
	}
	s.storeLoop(ctx)
	<-cm.Done()
	return nil
}

// subscribe (re)subscribes after a connection is made; OnConnectionUp must not block.
func (s *mqttSubscriber) subscribe(ctx context.Context, cm *autopaho.ConnectionManager, subs []paho.SubscribeOptions) {
	if _, err := cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: subs}); err != nil && ctx.Err() == nil {
		s.update(func(st *MQTTStatus) { st.LastError = "subscribe: " + err.Error() })
		s.log.Error("subscribe to sensor topics", "topics", s.cfg.Topics, "err", err)
		return
	}
	s.log.Info("subscribed to sensor topics", "topics", s.cfg.Topics)
}

// receive parses a message and queues it for storing; an unreadable one is acknowledged
// at once (sending it again would not help).
func (s *mqttSubscriber) receive(ctx context.Context, pr paho.PublishReceived) {
	now := s.m.now()
	s.update(func(st *MQTTStatus) { st.Messages++; st.LastAt = &now })
	msg := mqttMessage{client: pr.Client, pkt: pr.Packet, conn: s.conn.Load(), topic: pr.Packet.Topic}
	rs, err := s.mapping.Parse(msg.topic, pr.Packet.Payload, now)
	if err != nil {
		s.update(func(st *MQTTStatus) { st.Unreadable++; st.LastError = err.Error() })
		s.log.Warn("unreadable sensor message", "topic", msg.topic, "err", err)
		s.ack(msg)
		return
	}
	msg.rs = rs
	select {
	case s.in <- msg:
	case <-ctx.Done():
	}
}

// ack acknowledges a message received on the current connection.
func (s *mqttSubscriber) ack(msg mqttMessage) {
	if msg.conn == s.conn.Load() {
		_ = msg.client.Ack(msg.pkt)
	}
}

// storeLoop stores the queued messages until ctx ends, every message queued so far in one
// write of at most about MaxReadings readings.
func (s *mqttSubscriber) storeLoop(ctx context.Context) {
	for {
		var batch []mqttMessage
		select {
		case <-ctx.Done():
			return
		case msg := <-s.in:
			batch = append(batch, msg)
		}
		n := len(batch[0].rs)
	drain:
		for n < MaxReadings {
			select {
			case msg := <-s.in:
				batch, n = append(batch, msg), n+len(msg.rs)
			default:
				break drain
			}
		}
		if !s.store(ctx, batch) {
			return
		}
	}
}

// store writes the readings of a batch, retrying while the store fails, and acknowledges
// its messages; false when ctx ended first.
func (s *mqttSubscriber) store(ctx context.Context, batch []mqttMessage) bool {
	var rs []Reading
	for _, msg := range batch {
		rs = append(rs, msg.rs...)
	}
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		res, err := s.m.StoreReadings(ctx, rs)
		if err == nil {
			s.update(func(st *MQTTStatus) {
				st.Stored, st.Duplicate, st.Invalid = st.Stored+res.Stored, st.Duplicate+res.Duplicate, st.Invalid+len(res.Invalid)
			})
			for i, bad := range res.Invalid {
				s.log.Warn("sensor reading refused", "station", rs[i].Station, "pollutant", rs[i].Pollutant, "fields", bad)
			}
			for _, msg := range batch {
				s.ack(msg)
			}
			return true
		}
		s.update(func(st *MQTTStatus) { st.LastError = err.Error() })
		s.log.Error("store sensor readings; retrying", "readings", len(rs), "err", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
}
