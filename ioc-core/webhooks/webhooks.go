// Package webhooks delivers domain events to outside systems: any event type, signed with
// HMAC-SHA256 over the timestamp and the body, retried with exponential backoff, every
// attempt logged, and the webhook disabled after repeated failed deliveries.
//
// Signature: header X-IOC1022-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>.<body>")>. Receivers recompute it and refuse old timestamps.
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collections of this package.
const (
	HooksCollection      = "webhooks"
	DeliveriesCollection = "webhook_deliveries"
)

// Headers of a delivery.
const (
	HeaderSignature = "X-IOC1022-Signature"
	HeaderEvent     = "X-IOC1022-Event"
	HeaderDelivery  = "X-IOC1022-Delivery"
)

// Hook is a subscriber outside: where to POST which events.
type Hook struct {
	ID             string     `bson:"_id" json:"id"`
	URL            string     `bson:"url" json:"url"`
	Events         []string   `bson:"events" json:"events"` // exact types, prefixes ending in "." or "*"
	Secret         string     `bson:"secret" json:"secret,omitempty"`
	Active         bool       `bson:"active" json:"active"`
	Failures       int        `bson:"failures" json:"failures"` // consecutive failed deliveries
	DisabledAt     *time.Time `bson:"disabled_at,omitempty" json:"disabled_at,omitempty"`
	DisabledReason string     `bson:"disabled_reason,omitempty" json:"disabled_reason,omitempty"`
	CreatedAt      time.Time  `bson:"created_at" json:"created_at"`
	CreatedBy      string     `bson:"created_by,omitempty" json:"created_by,omitempty"`
	Version        int64      `bson:"version" json:"version"`
}

// Wants reports whether the hook subscribes to events of type typ.
func (h *Hook) Wants(typ string) bool {
	for _, e := range h.Events {
		if e == "*" || e == typ || (strings.HasSuffix(e, ".") && strings.HasPrefix(typ, e)) {
			return true
		}
	}
	return false
}

// Attempt is one try of a delivery.
type Attempt struct {
	At       time.Time `bson:"at" json:"at"`
	Status   int       `bson:"status,omitempty" json:"status,omitempty"`
	Error    string    `bson:"error,omitempty" json:"error,omitempty"`
	Duration float64   `bson:"duration_ms" json:"duration_ms"`
}

// The states of a delivery.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// Delivery is one event to one hook, with its attempts: the delivery log.
type Delivery struct {
	ID        string    `bson:"_id" json:"id"`
	Hook      string    `bson:"hook" json:"hook"`
	Event     string    `bson:"event" json:"event"`
	Type      string    `bson:"type" json:"type"`
	Body      []byte    `bson:"body" json:"-"`
	Status    string    `bson:"status" json:"status"`
	Attempts  []Attempt `bson:"attempts" json:"attempts"`
	NextAt    time.Time `bson:"next_at" json:"next_at"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

// Sign returns the signature header value of body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signature header against body and secret, refusing timestamps further
// than tolerance from now. Receivers written in Go can use it.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return false
	}
	t := time.Unix(sec, 0)
	if now.Sub(t) > tolerance || t.Sub(now) > tolerance {
		return false
	}
	want := Sign(secret, t, body)
	return hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig))
}

func newSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

// Dispatcher fans events out to hooks and delivers them.
type Dispatcher struct {
	st     *store.Store
	log    *slog.Logger
	cfg    config.Webhooks
	client *http.Client
	kick   chan struct{}
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// NewDispatcher returns a dispatcher on st.
func NewDispatcher(st *store.Store, cfg config.Webhooks, log *slog.Logger) *Dispatcher {
	return &Dispatcher{st: st, log: log, cfg: cfg, client: &http.Client{Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		kick: make(chan struct{}, 1), Now: func() time.Time { return time.Now().UTC() }}
}

// Enqueue records a pending delivery of ev for every active hook that wants it. It is
// idempotent: the delivery id is the hook's and the event's.
func (d *Dispatcher) Enqueue(ctx context.Context, ev events.Event) error {
	if strings.HasPrefix(ev.Type, "webhook.") {
		return nil
	}
	cur, err := d.st.C(HooksCollection).Find(ctx, bson.M{"active": true})
	if err != nil {
		return fmt.Errorf("load webhooks: %w", err)
	}
	var hooks []Hook
	if err := cur.All(ctx, &hooks); err != nil {
		return fmt.Errorf("load webhooks: %w", err)
	}
	var body []byte
	queued := false
	for _, h := range hooks {
		if !h.Wants(ev.Type) {
			continue
		}
		if body == nil {
			if body, err = Body(ev); err != nil {
				return fmt.Errorf("encode %s: %w", ev.Type, err)
			}
		}
		now := d.Now()
		del := Delivery{ID: h.ID + ":" + ev.ID, Hook: h.ID, Event: ev.ID, Type: ev.Type, Body: body, Status: StatusPending,
			Attempts: []Attempt{}, NextAt: now, CreatedAt: now}
		if _, err := d.st.C(DeliveriesCollection).InsertOne(ctx, del); err != nil && !store.IsDuplicate(err) {
			return fmt.Errorf("queue delivery: %w", err)
		}
		queued = true
	}
	if queued {
		select {
		case d.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// Run delivers due deliveries until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	t := time.NewTicker(d.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.kick:
		case <-t.C:
		}
	}
}

// DeliverDue makes one attempt of every pending delivery whose time has come.
func (d *Dispatcher) DeliverDue(ctx context.Context) error {
	cur, err := d.st.C(DeliveriesCollection).Find(ctx, bson.M{"status": StatusPending, "next_at": bson.M{"$lte": d.Now()}},
		options.Find().SetSort(bson.D{{Key: "next_at", Value: 1}}).SetLimit(100))
	if err != nil {
		return fmt.Errorf("load due deliveries: %w", err)
	}
	var due []Delivery
	if err := cur.All(ctx, &due); err != nil {
		return fmt.Errorf("load due deliveries: %w", err)
	}
	for i := range due {
		if ctx.Err() != nil {
			return nil
		}
		if err := d.attempt(ctx, &due[i]); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dispatcher) attempt(ctx context.Context, del *Delivery) error {
	var h Hook
	if err := d.st.C(HooksCollection).FindOne(ctx, bson.M{"_id": del.Hook}).Decode(&h); err != nil || !h.Active {
		_, err := d.st.C(DeliveriesCollection).UpdateOne(ctx, bson.M{"_id": del.ID},
			bson.M{"$set": bson.M{"status": StatusFailed, "next_at": d.Now()}, "$push": bson.M{"attempts": Attempt{At: d.Now(), Error: "webhook deleted or disabled"}}})
		return err
	}
	a := d.post(ctx, &h, del)
	n := len(del.Attempts) + 1
	set := bson.M{}
	switch {
	case a.Error == "":
		set["status"] = StatusDelivered
	case n >= d.cfg.MaxAttempts:
		set["status"] = StatusFailed
	default:
		set["next_at"] = a.At.Add(backoff(d.cfg.BaseBackoff, n))
	}
	if _, err := d.st.C(DeliveriesCollection).UpdateOne(ctx, bson.M{"_id": del.ID, "status": StatusPending},
		bson.M{"$set": set, "$push": bson.M{"attempts": a}}); err != nil {
		return fmt.Errorf("log delivery %s: %w", del.ID, err)
	}
	switch set["status"] {
	case StatusDelivered:
		if h.Failures > 0 {
			_, err := d.st.C(HooksCollection).UpdateOne(ctx, bson.M{"_id": h.ID}, bson.M{"$set": bson.M{"failures": 0}})
			return err
		}
	case StatusFailed:
		return d.failed(ctx, &h)
	}
	return nil
}

// failed counts a failed delivery against the hook and disables it after DisableAfter in a row.
func (d *Dispatcher) failed(ctx context.Context, h *Hook) error {
	var after Hook
	err := d.st.C(HooksCollection).FindOneAndUpdate(ctx, bson.M{"_id": h.ID}, bson.M{"$inc": bson.M{"failures": 1, "version": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&after)
	if err != nil {
		return fmt.Errorf("count webhook failure: %w", err)
	}
	if after.Failures < d.cfg.DisableAfter || !after.Active {
		return nil
	}
	now := d.Now()
	_, err = d.st.C(HooksCollection).UpdateOne(ctx, bson.M{"_id": h.ID}, bson.M{"$set": bson.M{"active": false, "disabled_at": now,
		"disabled_reason": fmt.Sprintf("%d deliveries failed in a row", after.Failures)}, "$inc": bson.M{"version": 1}})
	d.log.Warn("webhook disabled", "webhook", h.ID, "failures", after.Failures)
	return err
}

func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt-1, 20)
	return min(d, time.Hour)
}

func (d *Dispatcher) post(ctx context.Context, h *Hook, del *Delivery) Attempt {
	start := d.Now()
	a := Attempt{At: start}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(del.Body))
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ioc1022-webhooks")
	req.Header.Set(HeaderSignature, Sign(h.Secret, start, del.Body))
	req.Header.Set(HeaderEvent, del.Type)
	req.Header.Set(HeaderDelivery, del.ID)
	t0 := time.Now()
	resp, err := d.client.Do(req)
	a.Duration = float64(time.Since(t0).Microseconds()) / 1000
	if err != nil {
		a.Error = err.Error()
		return a
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	a.Status = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = "HTTP " + resp.Status
	}
	return a
}
