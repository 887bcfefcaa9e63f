package streams_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/ioc1022/ioc1022/ioc-core/streams"
	"go.mongodb.org/mongo-driver/v2/bson"
)

type frame struct {
	Channel string          `json:"channel"`
	Type    string          `json:"type"`
	Seq     int64           `json:"seq"`
	Data    json.RawMessage `json:"data"`
}

func dial(t *testing.T, srv *apptest.Server, token, channels string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/stream/ws?channels=" + channels + "&access_token=" + token
	c, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial: %v %v", err, resp)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func next(t *testing.T, c *websocket.Conn, match func(frame) bool) frame {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		var f frame
		if err := c.ReadJSON(&f); err != nil {
			t.Fatalf("read: %v", err)
		}
		if match(f) {
			return f
		}
	}
}

func publish(t *testing.T, srv *apptest.Server, typ, subject string, data bson.M) {
	t.Helper()
	if err := srv.App.Core.Events.Publish(context.Background(), events.MustNew(typ, subject, data)); err != nil {
		t.Fatal(err)
	}
}

func TestDashboardStreams(t *testing.T) {
	cfg := apptest.Config(t)
	srv := apptest.Start(t, cfg, streams.New(), alerts.New(), kpi.New())
	sup := srv.Login(t, "supervisor", "demo-supervisor")

	c := dial(t, srv, sup, "kpi.hotline,alerts")
	h := next(t, c, func(f frame) bool { return f.Channel == "kpi.hotline" })
	if h.Type != "snapshot" || !strings.Contains(string(h.Data), `"arrived":0`) {
		t.Fatalf("hotline snapshot %s %s", h.Type, h.Data)
	}
	a := next(t, c, func(f frame) bool { return f.Channel == "alerts" })
	if a.Type != "snapshot" || string(a.Data) != "[]" {
		t.Fatalf("alerts snapshot %s %s", a.Type, a.Data)
	}
	now := time.Now().UTC()
	publish(t, srv, "call.arrived", "c1", bson.M{"id": "c1", "arrived_at": now})
	d := next(t, c, func(f frame) bool {
		return f.Channel == "kpi.hotline" && f.Type == "delta" && strings.Contains(string(f.Data), `"arrived":1`)
	})
	if strings.Contains(string(d.Data), `"threshold_s"`) {
		t.Errorf("a delta carries only what changed: %s", d.Data)
	}

	// An officer follows their department, not another.
	off := srv.Login(t, "officer", "demo-officer")
	oc := dial(t, srv, off, "tickets.dept.SXD")
	if f := next(t, oc, func(frame) bool { return true }); f.Type != "snapshot" {
		t.Fatalf("department snapshot: %+v", f)
	}
	if err := oc.WriteJSON(map[string]any{"subscribe": []string{"tickets.dept.PCDN", "kpi.tickets"}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if f := next(t, oc, func(frame) bool { return true }); f.Type != "error" {
			t.Fatalf("officer on a channel not theirs: %+v", f)
		}
	}
	publish(t, srv, "ticket.created", "PA1", bson.M{"code": "PA1", "status": "assigned", "department": "SXD", "category": "roads_traffic", "created_at": now})
	td := next(t, oc, func(f frame) bool { return f.Channel == "tickets.dept.SXD" && f.Type == "delta" })
	var delta kpi.TicketDelta
	if err := json.Unmarshal(td.Data, &delta); err != nil || delta.Code != "PA1" || delta.Event != "ticket.created" {
		t.Fatalf("ticket delta %s: %v", td.Data, err)
	}

	// SSE for simple clients.
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/stream/sse?channels=kpi.tickets", nil)
	req.Header.Set("Authorization", "Bearer "+sup)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var lines []string
	for sc.Scan() && len(lines) < 2 {
		if sc.Text() != "" {
			lines = append(lines, sc.Text())
		}
	}
	if len(lines) < 2 || lines[0] != "event: snapshot" || !strings.Contains(lines[1], `"received":1`) {
		t.Fatalf("sse: %q", lines)
	}
	// No token, no stream.
	if r := srv.Do(t, "GET", "/api/v1/stream/sse?channels=alerts", "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous sse: %d", r.Status)
	}
}
