package kpi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

var ict = time.FixedZone("ICT", 7*3600)

// at is a time on Monday 2 March 2026, local.
func at(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, ict) }

type feed struct{ evs []events.Event }

func (f *feed) add(typ, subject string, when time.Time, data bson.M) {
	ev := events.MustNew(typ, subject, data)
	ev.At = when.UTC()
	f.evs = append(f.evs, ev)
}

func (f *feed) call(typ, id string, when time.Time, rec bson.M) {
	rec["id"] = id
	f.add(typ, id, when, rec)
}

// scenario is the known sequence whose KPIs are computed by hand in TestKPIByHand.
func scenario() *feed {
	f := &feed{}
	// Calls, T = 20 s, short abandons under 5 s.
	f.call("call.arrived", "c1", at(8, 0, 0), bson.M{"arrived_at": at(8, 0, 0)})
	f.call("call.queued", "c1", at(8, 0, 30), bson.M{"arrived_at": at(8, 0, 0), "queued_at": at(8, 0, 30), "queue": "hotline"})
	f.call("call.answered", "c1", at(8, 0, 40), bson.M{"arrived_at": at(8, 0, 0), "queued_at": at(8, 0, 30), "answered_at": at(8, 0, 40), "queue": "hotline", "agent": "1001", "wait_s": 10.0})
	f.call("call.arrived", "c2", at(8, 1, 0), bson.M{"arrived_at": at(8, 1, 0)})
	f.call("call.queued", "c2", at(8, 1, 20), bson.M{"arrived_at": at(8, 1, 0), "queued_at": at(8, 1, 20), "queue": "hotline"})
	f.call("call.answered", "c2", at(8, 2, 0), bson.M{"arrived_at": at(8, 1, 0), "queued_at": at(8, 1, 20), "answered_at": at(8, 2, 0), "queue": "hotline", "wait_s": 40})
	f.call("call.arrived", "c3", at(8, 2, 0), bson.M{"arrived_at": at(8, 2, 0)})
	f.call("call.queued", "c3", at(8, 2, 10), bson.M{"arrived_at": at(8, 2, 0), "queued_at": at(8, 2, 10), "queue": "hotline"})
	f.call("call.abandoned", "c3", at(8, 2, 13), bson.M{"arrived_at": at(8, 2, 0), "queued_at": at(8, 2, 10), "queue": "hotline", "wait_s": 3.0})
	f.call("call.ended", "c3", at(8, 2, 13), bson.M{"arrived_at": at(8, 2, 0), "queued_at": at(8, 2, 10), "ended_at": at(8, 2, 13), "queue": "hotline", "outcome": "abandoned", "wait_s": 3.0})
	f.call("call.ended", "c1", at(8, 5, 0), bson.M{"arrived_at": at(8, 0, 0), "queued_at": at(8, 0, 30), "answered_at": at(8, 0, 40), "ended_at": at(8, 5, 0), "queue": "hotline", "outcome": "answered", "wait_s": 10.0, "talk_s": 120.0, "hold_s": 30.0, "wrap_s": 30.0})
	f.call("call.arrived", "c4", at(8, 3, 0), bson.M{"arrived_at": at(8, 3, 0)})
	f.call("call.queued", "c4", at(8, 3, 10), bson.M{"arrived_at": at(8, 3, 0), "queued_at": at(8, 3, 10), "queue": "hotline"})
	f.call("call.abandoned", "c4", at(8, 3, 40), bson.M{"arrived_at": at(8, 3, 0), "queued_at": at(8, 3, 10), "queue": "hotline", "wait_s": 30.0})
	f.call("call.arrived", "c5", at(8, 4, 0), bson.M{"arrived_at": at(8, 4, 0)})
	f.call("call.queued", "c5", at(8, 4, 5), bson.M{"arrived_at": at(8, 4, 0), "queued_at": at(8, 4, 5), "queue": "hotline"})
	// c5 hangs up in the queue and the PBX sends only call.ended: an abandon after 15 s.
	f.call("call.ended", "c5", at(8, 4, 20), bson.M{"arrived_at": at(8, 4, 0), "queued_at": at(8, 4, 5), "ended_at": at(8, 4, 20), "queue": "hotline", "outcome": "abandoned"})
	f.call("call.arrived", "c6", at(8, 5, 0), bson.M{"arrived_at": at(8, 5, 0)})
	f.call("call.ended", "c6", at(8, 6, 0), bson.M{"arrived_at": at(8, 5, 0), "ended_at": at(8, 6, 0), "outcome": "ivr"})
	f.call("call.arrived", "c7", at(8, 6, 0), bson.M{"arrived_at": at(8, 6, 0)})
	f.call("call.queued", "c7", at(8, 6, 10), bson.M{"arrived_at": at(8, 6, 0), "queued_at": at(8, 6, 10), "queue": "hotline"})
	f.call("call.arrived", "c8", at(8, 7, 0), bson.M{"arrived_at": at(8, 7, 0)})
	f.call("call.queued", "c8", at(8, 7, 5), bson.M{"arrived_at": at(8, 7, 0), "queued_at": at(8, 7, 5), "queue": "hotline"})
	f.call("call.answered", "c8", at(8, 7, 20), bson.M{"arrived_at": at(8, 7, 0), "queued_at": at(8, 7, 5), "answered_at": at(8, 7, 20), "queue": "hotline"})
	f.call("call.ended", "c8", at(8, 9, 0), bson.M{"arrived_at": at(8, 7, 0), "queued_at": at(8, 7, 5), "answered_at": at(8, 7, 20), "ended_at": at(8, 9, 0), "queue": "hotline", "outcome": "answered", "talk_s": 60})
	f.call("call.ended", "c2", at(8, 10, 0), bson.M{"arrived_at": at(8, 1, 0), "queued_at": at(8, 1, 20), "answered_at": at(8, 2, 0), "ended_at": at(8, 10, 0), "queue": "hotline", "outcome": "answered", "wait_s": 40, "talk_s": 200, "wrap_s": 40})
	f.call("call.ended", "c9", at(8, 12, 0), bson.M{"direction": "out", "arrived_at": at(8, 11, 0), "answered_at": at(8, 11, 10), "ended_at": at(8, 12, 0), "talk_s": 50})
	// Agents.
	agent := func(name, state string, t time.Time) {
		f.add("agent.state", name, t, bson.M{"agent": name, "state": state, "at": t})
	}
	agent("1001", "ready", at(8, 0, 0))
	agent("1002", "ready", at(8, 0, 0))
	agent("1001", "on_call", at(8, 1, 0))
	agent("1001", "wrap_up", at(8, 5, 0))
	agent("1002", "break", at(8, 5, 0))
	agent("1001", "ready", at(8, 6, 0))
	agent("1001", "logged_out", at(8, 10, 0))
	agent("1003", "on_call", at(8, 14, 0))
	// Conversations.
	conv := func(typ, id, channel string, t time.Time, extra bson.M) {
		d := bson.M{"id": id, "channel": channel}
		for k, v := range extra {
			d[k] = v
		}
		f.add(typ, id, t, d)
	}
	conv("conversation.created", "z1", "zalo", at(9, 0, 0), nil)
	conv("message.received", "m1", "zalo", at(9, 0, 0), bson.M{"conversation_id": "z1", "direction": "in"})
	conv("message.received", "m2", "zalo", at(9, 1, 0), bson.M{"conversation_id": "z1", "direction": "in"})
	conv("conversation.resolved", "z1", "zalo", at(9, 5, 0), bson.M{"by_bot": true, "handed_off": false})
	conv("conversation.created", "z2", "zalo", at(9, 10, 0), nil)
	conv("message.received", "m3", "zalo", at(9, 10, 0), bson.M{"conversation_id": "z2"})
	conv("conversation.queued", "z2", "zalo", at(9, 11, 0), bson.M{"team": "hotline"})
	conv("conversation.resolved", "z2", "zalo", at(9, 20, 0), bson.M{"by_bot": false, "handed_off": true})
	conv("conversation.created", "f1", "facebook", at(9, 30, 0), nil)
	conv("conversation.resolved", "f1", "facebook", at(9, 35, 0), bson.M{"by_bot": true})
	conv("conversation.created", "w1", "web", at(9, 40, 0), nil)
	// Tickets.
	tk := func(typ, code string, t time.Time, d bson.M) {
		d["code"] = code
		d["action"] = typ[len("ticket."):]
		f.add(typ, code, t, d)
	}
	t1 := bson.M{"category": "roads_traffic", "ward": "20194", "channel": "phone", "created_at": at(8, 0, 0), "due_at": time.Date(2026, 3, 5, 17, 0, 0, 0, ict)}
	tk("ticket.created", "T1", at(8, 0, 0), with(t1, bson.M{"status": "assigned", "department": "SXD"}))
	tk("ticket.accepted", "T1", at(8, 30, 0), with(t1, bson.M{"status": "in_progress", "department": "SXD"}))
	tk("ticket.resolved", "T1", at(10, 0, 0), with(t1, bson.M{"status": "resolved", "department": "SXD", "resolved_at": at(10, 0, 0)}))
	tk("ticket.closed", "T1", at(10, 30, 0), with(t1, bson.M{"status": "closed", "department": "SXD", "resolved_at": at(10, 0, 0), "closed_at": at(10, 30, 0)}))
	tk("ticket.rated", "T1", at(10, 40, 0), with(t1, bson.M{"status": "closed", "department": "SXD", "rating": 5}))
	t2 := bson.M{"category": "flooding_drainage", "ward": "20194", "channel": "zalo", "created_at": at(8, 10, 0), "due_at": at(12, 0, 0)}
	tk("ticket.created", "T2", at(8, 10, 0), with(t2, bson.M{"status": "assigned", "department": "SXD"}))
	t2["category"] = "water_supply"
	tk("ticket.transferred", "T2", at(8, 30, 0), with(t2, bson.M{"status": "assigned", "department": "CAPNUOC", "reason": "cấp nước"}))
	tk("ticket.resolved", "T2", at(14, 10, 0), with(t2, bson.M{"status": "resolved", "department": "CAPNUOC", "resolved_at": at(14, 10, 0)}))
	tk("ticket.closed", "T2", at(15, 0, 0), with(t2, bson.M{"status": "closed", "department": "CAPNUOC", "closed_at": at(15, 0, 0)}))
	tk("ticket.rated", "T2", at(15, 5, 0), with(t2, bson.M{"status": "closed", "department": "CAPNUOC", "rating": 2}))
	tk("ticket.created", "T3", at(9, 0, 0), bson.M{"status": "assigned", "department": "PCDN", "category": "electricity", "ward": "20227", "channel": "web", "created_at": at(9, 0, 0), "due_at": at(11, 0, 0)})
	tk("ticket.accepted", "T3", at(9, 10, 0), bson.M{"status": "in_progress", "department": "PCDN", "category": "electricity", "ward": "20227", "channel": "web", "created_at": at(9, 0, 0), "due_at": at(11, 0, 0)})
	tk("ticket.created", "T4", at(9, 30, 0), bson.M{"status": "assigned", "department": "SXD", "category": "roads_traffic", "ward": "20227", "reporter": bson.M{"channel": "phone"}, "created_at": at(9, 30, 0), "due_at": time.Date(2026, 3, 3, 1, 0, 0, 0, ict)})
	tk("ticket.created", "T5", at(10, 0, 0), bson.M{"status": "new", "channel": "web", "created_at": at(10, 0, 0)})
	tk("ticket.rejected", "T5", at(10, 5, 0), bson.M{"status": "rejected", "channel": "web", "created_at": at(10, 0, 0), "reason": "spam"})
	t6 := bson.M{"category": "roads_traffic", "ward": "20194", "channel": "phone", "department": "SXD", "created_at": at(11, 0, 0), "due_at": at(18, 0, 0)}
	tk("ticket.created", "T6", at(11, 0, 0), with(t6, bson.M{"status": "assigned"}))
	tk("ticket.resolved", "T6", at(11, 30, 0), with(t6, bson.M{"status": "resolved", "resolved_at": at(11, 30, 0)}))
	tk("ticket.rated", "T6", at(11, 40, 0), with(t6, bson.M{"status": "resolved", "rating": 4}))
	return f
}

func with(base, extra bson.M) bson.M {
	out := bson.M{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// publish publishes the events and waits until the KPI module has applied them all.
func publish(t *testing.T, srv *apptest.Server, m *kpi.Module, evs []events.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bus := srv.App.Core.Events
	last := evs[len(evs)-1].ID
	for i := 0; i < len(evs); i += 50 {
		if err := bus.Publish(ctx, evs[i:min(i+50, len(evs))]...); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.WaitSeq(ctx, srv.WaitRelayed(ctx, t, last)); err != nil {
		t.Fatal(err)
	}
}

func get[T any](t *testing.T, srv *apptest.Server, token, path string) T {
	t.Helper()
	return apptest.Get[T](t, srv, token, path)
}

func near(t *testing.T, name string, got *float64, want, tol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: null, want %v", name, want)
		return
	}
	if math.Abs(*got-want) > tol {
		t.Errorf("%s = %v, want %v", name, *got, want)
	}
}

func eq[T comparable](t *testing.T, name string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func q(from, to time.Time) string {
	return "from=" + from.Format(time.RFC3339) + "&to=" + to.Format(time.RFC3339)
}

func TestKPIByHandAndRebuild(t *testing.T) {
	cfg := apptest.Config(t)
	m := kpi.New()
	now := at(20, 0, 0)
	m.Now = func() time.Time { return now }
	srv := apptest.Start(t, cfg, m)
	publish(t, srv, m, scenario().evs)
	sup := srv.Login(t, "supervisor", "demo-supervisor")

	t.Run("hotline", func(t *testing.T) {
		h := get[kpi.Hotline](t, srv, sup, "/api/v1/kpi/hotline?"+q(at(8, 0, 0), at(9, 0, 0)))
		eq(t, "arrived", h.Arrived, 8)
		eq(t, "offered", h.Offered, 5)
		eq(t, "answered", h.Answered, 3)
		eq(t, "abandoned", h.Abandoned, 2)
		eq(t, "short_abandoned", h.ShortAbandoned, 1)
		eq(t, "answered_within_t", h.AnsweredWithinT, 2)
		eq(t, "abandoned_after_t", h.AbandonedAfterT, 1)
		eq(t, "ivr_only", h.IVROnly, 1)
		eq(t, "outbound", h.Outbound, 1)
		eq(t, "handled", h.Handled, 3)
		near(t, "answer rate", h.AnswerRate.Value, 3.0/5, 1e-9)
		near(t, "service level", h.ServiceLevel.Value, 2.0/4, 1e-9)
		near(t, "asa", h.ASA, (10.0+40+15)/3, 1e-6)
		near(t, "aht", h.AHT, (180.0+240+60)/3, 1e-6)
		// ready 1001 60+240 s, 1002 300 s; on call 1001 240 s, 1003 08:14–09:00; wrap 60 s.
		near(t, "occupancy", h.Occupancy.Value, (240.0+60+2760)/(600+240+60+2760), 1e-9)
		eq(t, "logged in", h.Now.LoggedIn, 2)
		eq(t, "ready", h.Now.Ready, 0)
		eq(t, "on call", h.Now.OnCall, 1)
		eq(t, "not ready", h.Now.NotReady, 1)
		eq(t, "waiting", h.Now.CallsWaiting, 1)
		eq(t, "longest wait", h.Now.LongestWaitS, now.Sub(at(8, 6, 10)).Seconds())
		// A range that misses the calls has none.
		h2 := get[kpi.Hotline](t, srv, sup, "/api/v1/kpi/hotline?"+q(at(10, 0, 0), at(11, 0, 0)))
		eq(t, "offered later", h2.Offered, 0)
		if h2.ServiceLevel.Value != nil {
			t.Errorf("service level with no calls should be null")
		}
	})
	t.Run("channels", func(t *testing.T) {
		c := get[kpi.Channels](t, srv, sup, "/api/v1/kpi/channels?"+q(at(0, 0, 0), at(23, 59, 0)))
		eq(t, "contacts", c.Contacts, 12)
		eq(t, "phone", c.ByChannel["phone"].Contacts, 8)
		eq(t, "zalo", c.ByChannel["zalo"].Contacts, 2)
		eq(t, "zalo in", c.ByChannel["zalo"].MessagesIn, 3)
		eq(t, "zalo handed off", c.ByChannel["zalo"].HandedOff, 1)
		eq(t, "facebook", c.ByChannel["facebook"].Contacts, 1)
		eq(t, "web", c.ByChannel["web"].Contacts, 1)
		near(t, "containment", c.BotContainment.Value, 2.0/3, 1e-9)
		near(t, "zalo containment", c.ByChannel["zalo"].BotContainment.Value, 1.0/2, 1e-9)
		z := get[kpi.Channels](t, srv, sup, "/api/v1/kpi/channels?channel=zalo&"+q(at(0, 0, 0), at(23, 59, 0)))
		eq(t, "zalo only", z.Contacts, 2)
	})
	t.Run("tickets", func(t *testing.T) {
		k := get[kpi.Tickets](t, srv, sup, "/api/v1/kpi/tickets?"+q(at(0, 0, 0), at(0, 0, 0).AddDate(0, 0, 1)))
		eq(t, "received", k.Received, 6)
		eq(t, "assigned", k.Assigned, 6)
		eq(t, "forwarded", k.Forwarded, 1)
		eq(t, "resolved", k.Resolved, 3)
		eq(t, "closed", k.Closed, 2)
		eq(t, "on time", k.ClosedOnTime, 1)
		eq(t, "rejected", k.Rejected, 1)
		near(t, "forwarding", k.ForwardingRate.Value, 1.0/6, 1e-9)
		near(t, "processing", k.ProcessingRate.Value, 3.0/6, 1e-9)
		near(t, "on-time", k.OnTimeRate.Value, 1.0/2, 1e-9)
		near(t, "satisfaction", k.Satisfaction.Value, 2.0/3, 1e-9)
		eq(t, "ratings n", k.Satisfaction.Den, 3)
		eq(t, "resolution n", k.Resolution.N, 3)
		near(t, "mean resolution", k.Resolution.MeanS, (7200.0+21600+1800)/3, 1e-6)
		near(t, "p90 resolution", k.Resolution.P90S, 21600, 21600*0.01)
		eq(t, "SXD received", k.ByDepartment["SXD"].Received, 4)
		eq(t, "SXD forwarded", k.ByDepartment["SXD"].Forwarded, 1)
		eq(t, "CAPNUOC resolved", k.ByDepartment["CAPNUOC"].Resolved, 1)
		eq(t, "roads received", k.ByCategory["roads_traffic"].Received, 3)
		eq(t, "ward 20194", k.ByWard["20194"].Received, 3)
		eq(t, "phone channel", k.ByChannel["phone"].Received, 3)
		eq(t, "open", k.Now.Open, 3)
		eq(t, "overdue", k.Now.Overdue, 1)
		eq(t, "due soon", k.Now.DueSoon, 1)
		eq(t, "in progress", k.Now.ByStatus["in_progress"], 1)
		eq(t, "PCDN overdue", k.Now.ByDepartment["PCDN"].Overdue, 1)
		eq(t, "SXD due soon", k.Now.ByDepartment["SXD"].DueSoon, 1)
		// Filters combine.
		f := get[kpi.Tickets](t, srv, sup, "/api/v1/kpi/tickets?department=SXD&ward=20227&"+q(at(0, 0, 0), at(23, 45, 0)))
		eq(t, "SXD in 20227", f.Received, 1)
	})
	t.Run("officer scope", func(t *testing.T) {
		off := srv.Login(t, "officer", "demo-officer")
		k := get[kpi.Tickets](t, srv, off, "/api/v1/kpi/tickets?"+q(at(0, 0, 0), at(23, 45, 0)))
		eq(t, "officer sees SXD only", k.Received, 4)
		if r := srv.Do(t, "GET", "/api/v1/kpi/tickets?department=PCDN", off, nil); r.Status != http.StatusForbidden {
			t.Errorf("officer asking for another department: %d", r.Status)
		}
		if r := srv.Do(t, "GET", "/api/v1/kpi/hotline", off, nil); r.Status != http.StatusForbidden {
			t.Errorf("officer on hotline KPIs: %d", r.Status)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, p := range []string{"from=yesterday", "from=2026-03-02T10:00:00Z&to=2026-03-02T09:00:00Z"} {
			if r := srv.Do(t, "GET", "/api/v1/kpi/tickets?"+p, sup, nil); r.Status != http.StatusBadRequest {
				t.Errorf("%s: %d %s", p, r.Status, r.Body)
			}
		}
	})
	t.Run("rebuild equals incremental", func(t *testing.T) {
		ctx := context.Background()
		core := srv.App.Core
		rebuilt, n, err := kpi.Rebuild(ctx, core.Store, core.Events, kpi.ParamsOf(cfg), core.Log)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("rebuild read no events")
		}
		loaded, ok, err := kpi.LoadSnapshot(ctx, core.Store, kpi.ParamsOf(cfg))
		if err != nil || !ok {
			t.Fatalf("load snapshot: %v %v", ok, err)
		}
		assertSame(t, m.Projection(), rebuilt, now)
		assertSame(t, m.Projection(), loaded, now)
	})
	t.Run("kpi rebuild command", func(t *testing.T) {
		srv.Stop(t)
		t.Setenv("IOC1022_MONGODB_DATABASE", cfg.MongoDB.Database)
		if cfg.MongoDB.URI != "" {
			t.Setenv("IOC1022_MONGODB_URI", cfg.MongoDB.URI)
		}
		var out, errOut bytes.Buffer
		cmd := m.Commands()[0]
		if err := cmd.Run(context.Background(), []string{"rebuild", "--data", cfg.Data.Dir}, &out, &errOut); err != nil {
			t.Fatalf("kpi rebuild: %v\n%s", err, errOut.String())
		}
		if !strings.Contains(out.String(), "kpi rebuilt from") {
			t.Fatalf("output: %s", out.String())
		}
		st, err := store.Open(context.Background(), store.Options{URI: cfg.MongoDB.URI, Database: cfg.MongoDB.Database, DataDir: cfg.Data.Dir}, srv.App.Core.Log)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = st.Close(context.Background()) }()
		loaded, ok, err := kpi.LoadSnapshot(context.Background(), st, kpi.ParamsOf(cfg))
		if err != nil || !ok {
			t.Fatalf("load snapshot: %v %v", ok, err)
		}
		assertSame(t, m.Projection(), loaded, now)
	})
}

// assertSame compares every KPI of two projections over several ranges and filters.
func assertSame(t *testing.T, a, b *kpi.Projection, now time.Time) {
	t.Helper()
	ranges := []kpi.Range{kpi.NewRange(at(8, 0, 0), at(9, 0, 0)), kpi.NewRange(at(0, 0, 0), at(23, 59, 0)),
		kpi.NewRange(time.Date(2026, 1, 1, 0, 0, 0, 0, ict), time.Date(2026, 12, 1, 0, 0, 0, 0, ict))}
	filters := []kpi.Filter{{}, {Departments: []string{"SXD"}}, {Channels: []string{"zalo"}}, {Queues: []string{"hotline"}}}
	for _, r := range ranges {
		for _, f := range filters {
			same(t, "hotline", a.Hotline(r, f, now), b.Hotline(r, f, now))
			same(t, "channels", a.Channels(r, f), b.Channels(r, f))
			same(t, "tickets", a.Tickets(r, f, now, 8*time.Hour), b.Tickets(r, f, now, 8*time.Hour))
		}
	}
}

func same(t *testing.T, what string, x, y any) {
	t.Helper()
	jx, _ := json.Marshal(x)
	jy, _ := json.Marshal(y)
	if string(jx) != string(jy) {
		t.Errorf("%s differs:\nincremental %s\nrebuilt     %s", what, jx, jy)
	}
}
