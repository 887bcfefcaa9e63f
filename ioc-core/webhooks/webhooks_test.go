package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/webhooks"
	"go.mongodb.org/mongo-driver/v2/bson"
)

type receiver struct {
	mu        sync.Mutex
	failFirst int
	calls     int
	secret    string
	bodies    [][]byte
	badSig    int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	if !webhooks.Verify(rc.secret, r.Header.Get(webhooks.HeaderSignature), body, time.Now(), 5*time.Minute) {
		rc.badSig++
	}
	if rc.calls <= rc.failFirst {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rc.bodies = append(rc.bodies, body)
	w.WriteHeader(http.StatusNoContent)
}

func TestSignedRetriedLoggedDisabled(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.IOC.Webhooks.BaseBackoff = 50 * time.Millisecond
	cfg.IOC.Webhooks.PollInterval = 20 * time.Millisecond
	cfg.IOC.Webhooks.MaxAttempts = 3
	cfg.IOC.Webhooks.DisableAfter = 2
	srv := apptest.Start(t, cfg, webhooks.New())
	admin := srv.Admin(t)

	good := &receiver{failFirst: 2}
	gs := httptest.NewServer(good)
	defer gs.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	defer bad.Close()

	var gh, bh webhooks.Hook
	r := srv.Do(t, "POST", "/api/v1/webhooks", admin, map[string]any{"url": gs.URL + "/hook", "events": []string{"ticket."}})
	if r.Status != http.StatusCreated {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	r.Decode(t, &gh)
	good.secret = gh.Secret
	srv.Do(t, "POST", "/api/v1/webhooks", admin, map[string]any{"url": bad.URL, "events": []string{"*"}, "secret": "0123456789abcdef0123"}).Decode(t, &bh)
	if r := srv.Do(t, "POST", "/api/v1/webhooks", admin, map[string]any{"url": "ftp://x", "events": []string{}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad webhook: %d %s", r.Status, r.Body)
	}

	ctx := context.Background()
	created := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	for _, ev := range []events.Event{
		events.MustNew("ticket.created", "PA7", bson.M{"code": "PA7", "status": "new", "created_at": created}),
		events.MustNew("call.arrived", "c1", bson.M{"id": "c1"}),
	} {
		if err := srv.App.Core.Events.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool {
		good.mu.Lock()
		defer good.mu.Unlock()
		return len(good.bodies) == 1
	})
	good.mu.Lock()
	if good.calls != 3 || good.badSig != 0 {
		t.Errorf("calls %d, bad signatures %d", good.calls, good.badSig)
	}
	var p struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(good.bodies[0], &p)
	good.mu.Unlock()
	if p.Type != "ticket.created" || p.Data["code"] != "PA7" || p.Data["created_at"] != "2026-03-02T01:00:00Z" {
		t.Errorf("payload %+v", p)
	}
	var log httpapi.List[webhooks.Delivery]
	srv.Do(t, "GET", "/api/v1/webhooks/"+gh.ID+"/deliveries", admin, nil).Decode(t, &log)
	if len(log.Items) != 1 || log.Items[0].Status != webhooks.StatusDelivered || len(log.Items[0].Attempts) != 3 ||
		log.Items[0].Attempts[0].Status != 503 || log.Items[0].Attempts[2].Status != 204 {
		t.Fatalf("delivery log %+v", log.Items)
	}
	// The failing hook: both events fail three times each, then it is disabled.
	waitFor(t, func() bool {
		var h webhooks.Hook
		srv.Do(t, "GET", "/api/v1/webhooks/"+bh.ID, admin, nil).Decode(t, &h)
		return !h.Active && h.DisabledReason != ""
	})
	srv.Do(t, "GET", "/api/v1/webhooks/"+bh.ID+"/deliveries", admin, nil).Decode(t, &log)
	for _, d := range log.Items {
		if d.Status != webhooks.StatusFailed || len(d.Attempts) != 3 {
			t.Errorf("failed delivery %+v", d)
		}
	}
	var list []webhooks.Hook
	srv.Do(t, "GET", "/api/v1/webhooks", admin, nil).Decode(t, &list)
	for _, h := range list {
		if h.Secret != "" {
			t.Errorf("the list shows a secret")
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestVerifyRefusesTamperingAndOldTimestamps(t *testing.T) {
	t.Parallel()
	now := time.Now()
	body := []byte(`{"a":1}`)
	sig := webhooks.Sign("s3cret-s3cret-s3cret", now, body)
	cases := []struct {
		name   string
		secret string
		body   []byte
		at     time.Time
		ok     bool
	}{
		{"valid", "s3cret-s3cret-s3cret", body, now, true},
		{"other body", "s3cret-s3cret-s3cret", []byte(`{"a":2}`), now, false},
		{"other secret", "another-secret-xyz", body, now, false},
		{"replayed late", "s3cret-s3cret-s3cret", body, now.Add(10 * time.Minute), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := webhooks.Verify(c.secret, sig, c.body, c.at, 5*time.Minute); got != c.ok {
				t.Errorf("Verify = %v", got)
			}
		})
	}
}
