package reports_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/ioc1022/ioc1022/ioc-core/reports"
	"github.com/xuri/excelize/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
)

var ict = kpi.Zone

// at is a time on day d of March 2026 (2 March is a Monday), local.
func at(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, ict) }

func feed() []events.Event {
	var evs []events.Event
	add := func(typ, subject string, when time.Time, data bson.M) {
		ev := events.MustNew(typ, subject, data)
		ev.At = when.UTC()
		evs = append(evs, ev)
	}
	call := func(id string, d int, answered bool, wait float64) {
		arr := at(d, 8, 0)
		rec := bson.M{"id": id, "arrived_at": arr, "queued_at": arr, "queue": "hotline", "wait_s": wait}
		add("call.arrived", id, arr, bson.M{"id": id, "arrived_at": arr})
		add("call.queued", id, arr, rec)
		if answered {
			add("call.answered", id, arr.Add(time.Duration(wait)*time.Second), rec)
			add("call.ended", id, arr.Add(5*time.Minute), bson.M{"id": id, "arrived_at": arr, "queued_at": arr, "answered_at": arr.Add(time.Duration(wait) * time.Second),
				"ended_at": arr.Add(5 * time.Minute), "queue": "hotline", "wait_s": wait, "talk_s": 200.0, "wrap_s": 30.0})
		} else {
			add("call.abandoned", id, arr.Add(time.Duration(wait)*time.Second), rec)
		}
	}
	call("c1", 2, true, 10)
	call("c2", 2, true, 40)
	call("c3", 2, false, 30)
	call("c4", 3, true, 5)
	add("call.ended", "o1", at(2, 9, 0), bson.M{"id": "o1", "direction": "out", "arrived_at": at(2, 9, 0), "answered_at": at(2, 9, 0), "ended_at": at(2, 9, 2), "talk_s": 100.0})
	conv := func(id, ch string, d int) {
		add("conversation.created", id, at(d, 9, 0), bson.M{"id": id, "channel": ch})
	}
	conv("z1", "zalo", 2)
	conv("z2", "zalo", 2)
	conv("f1", "facebook", 2)
	conv("t1", "telegram", 3)
	tk := func(typ, code string, when time.Time, d bson.M) {
		d["code"], d["action"] = code, strings.TrimPrefix(typ, "ticket.")
		add(typ, code, when, d)
	}
	base := func(dept, cat string, created, due time.Time) bson.M {
		return bson.M{"department": dept, "category": cat, "ward": "20194", "channel": "phone", "created_at": created, "due_at": due}
	}
	with := func(m bson.M, kv ...any) bson.M {
		out := bson.M{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	b1 := base("SXD", "roads_traffic", at(2, 8, 0), at(4, 17, 0))
	tk("ticket.created", "T1", at(2, 8, 0), with(b1, "status", "assigned"))
	tk("ticket.resolved", "T1", at(2, 10, 0), with(b1, "status", "resolved", "resolved_at", at(2, 10, 0)))
	tk("ticket.closed", "T1", at(2, 11, 0), with(b1, "status", "closed", "closed_at", at(2, 11, 0)))
	tk("ticket.rated", "T1", at(2, 12, 0), with(b1, "status", "closed", "rating", 5))
	b2 := base("SXD", "roads_traffic", at(2, 9, 0), at(2, 12, 0))
	tk("ticket.created", "T2", at(2, 9, 0), with(b2, "status", "assigned"))
	tk("ticket.resolved", "T2", at(2, 14, 0), with(b2, "status", "resolved", "resolved_at", at(2, 14, 0)))
	tk("ticket.closed", "T2", at(2, 15, 0), with(b2, "status", "closed", "closed_at", at(2, 15, 0)))
	tk("ticket.rated", "T2", at(2, 16, 0), with(b2, "status", "closed", "rating", 2))
	b3 := base("PCDN", "electricity", at(2, 10, 0), at(2, 17, 0)) // open and overdue
	tk("ticket.created", "T3", at(2, 10, 0), with(b3, "status", "assigned"))
	b4 := base("CAPNUOC", "water_supply", at(3, 10, 0), at(10, 17, 0)) // the next day: in the week, not the day
	tk("ticket.created", "T4", at(3, 10, 0), with(b4, "status", "assigned"))
	return evs
}

// publish publishes the events and waits until the KPI module has applied them all.
func publish(t *testing.T, srv *apptest.Server, m *kpi.Module, evs []events.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := srv.App.Core.Events.Publish(ctx, evs...); err != nil {
		t.Fatal(err)
	}
	if err := m.WaitSeq(ctx, srv.WaitRelayed(ctx, t, evs[len(evs)-1].ID)); err != nil {
		t.Fatal(err)
	}
}

func get[T any](t *testing.T, srv *apptest.Server, token, path string) T {
	t.Helper()
	return apptest.Get[T](t, srv, token, path)
}

func eq[T comparable](t *testing.T, name string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func sameRatio(t *testing.T, name string, got, want kpi.Ratio) {
	t.Helper()
	if got.Num != want.Num || got.Den != want.Den || (got.Value == nil) != (want.Value == nil) {
		t.Errorf("%s = %d/%d, want %d/%d", name, got.Num, got.Den, want.Num, want.Den)
	}
}

// mailbox is a loopback SMTP server keeping what it receives.
type mailbox struct {
	mu   sync.Mutex
	msgs []received
}

type received struct {
	from string
	to   []string
	data []byte
}

func (b *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{box: b}, nil }

func (b *mailbox) all() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

type session struct {
	box *mailbox
	cur received
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.cur)
	s.box.mu.Unlock()
	s.cur = received{}
	return nil
}
func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

func startSMTP(t *testing.T) (*mailbox, string) {
	box := &mailbox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return box, ln.Addr().String()
}

func TestReports(t *testing.T) {
	box, smtpAddr := startSMTP(t)
	cfg := apptest.Config(t)
	cfg.IOC.Reports.Daily = true
	cfg.IOC.Reports.Recipients = []string{"Lãnh đạo <lanhdao@danang.gov.vn>", "ioc@danang.gov.vn"}
	cfg.IOC.Reports.SMTPAddr = smtpAddr
	cfg.IOC.Reports.From = "ioc1022@danang.gov.vn"
	cfg.IOC.Reports.Hour = 8
	k, rep := kpi.New(), reports.New()
	// At start (07:30 on 3 March) the 8 o'clock report of 2 March is not due yet: the
	// scheduler sends that of 1 March; the test then moves the clock past 08:00.
	var clock atomic.Pointer[time.Time]
	start := at(3, 7, 30)
	clock.Store(&start)
	k.Now = func() time.Time { return *clock.Load() }
	rep.Now = k.Now
	srv := apptest.Start(t, cfg, k, rep)
	publish(t, srv, k, feed())
	sup := srv.Login(t, "supervisor", "demo-supervisor")
	leader := srv.Login(t, "leader", "demo-leader")

	t.Run("figures match the KPI API", func(t *testing.T) {
		for _, c := range []struct {
			period   string
			from, to time.Time
		}{{"daily", at(2, 0, 0), at(3, 0, 0)}, {"weekly", at(2, 0, 0), at(9, 0, 0)}, {"monthly", at(1, 0, 0), time.Date(2026, 4, 1, 0, 0, 0, 0, ict)}} {
			t.Run(c.period, func(t *testing.T) {
				r := get[reports.Report](t, srv, leader, "/api/v1/reports/"+c.period+"?date=2026-03-02&format=json")
				eq(t, "from", r.From.Equal(c.from), true)
				eq(t, "to", r.To.Equal(c.to), true)
				q := "?from=" + c.from.Format(time.RFC3339) + "&to=" + c.to.Format(time.RFC3339)
				q = strings.ReplaceAll(q, "+", "%2B")
				h := get[kpi.Hotline](t, srv, sup, "/api/v1/kpi/hotline"+q)
				ch := get[kpi.Channels](t, srv, sup, "/api/v1/kpi/channels"+q)
				tk := get[kpi.Tickets](t, srv, sup, "/api/v1/kpi/tickets"+q)
				eq(t, "contacts", r.Contacts.Total, ch.Contacts)
				for _, row := range r.Contacts.ByChannel {
					eq(t, "contacts "+row.Channel, row.Contacts, ch.ByChannel[row.Channel].Contacts)
				}
				eq(t, "calls in", r.Calls.In, h.Arrived)
				eq(t, "calls out", r.Calls.Out, h.Outbound)
				eq(t, "answered", r.Calls.Answered, h.Answered)
				eq(t, "abandoned", r.Calls.Abandoned, h.Abandoned)
				sameRatio(t, "answer rate", r.Calls.AnswerRate, h.AnswerRate)
				sameRatio(t, "service level", r.Calls.ServiceLevel, h.ServiceLevel)
				eq(t, "received", r.Tickets.Received, tk.Received)
				eq(t, "resolved", r.Tickets.Resolved, tk.Resolved)
				sameRatio(t, "processing", r.Tickets.ProcessingRate, tk.ProcessingRate)
				sameRatio(t, "on time", r.Tickets.OnTimeRate, tk.OnTimeRate)
				sameRatio(t, "satisfaction", r.Tickets.Satisfaction, tk.Satisfaction)
				eq(t, "categories", len(r.Tickets.ByCategory), len(tk.ByCategory))
				for _, row := range r.Tickets.ByCategory {
					eq(t, "category "+row.Code, row.Received, tk.ByCategory[row.Code].Received)
				}
				eq(t, "departments", len(r.Tickets.ByDepartment), len(tk.ByDepartment))
				for _, row := range r.Tickets.ByDepartment {
					b := tk.ByDepartment[row.Code]
					eq(t, "department "+row.Code+" received", row.Received, b.Received)
					eq(t, "department "+row.Code+" on time", row.ClosedOnTime, b.ClosedOnTime)
				}
				eq(t, "overdue now", r.Overdue.Overdue, tk.Now.Overdue)
				for _, row := range r.Overdue.ByDepartment {
					eq(t, "overdue "+row.Code, row.Overdue, tk.Now.ByDepartment[row.Code].Overdue)
				}
			})
		}
		// The hand-computed day: 3 calls in, 1 out, 2 answered; 3 tickets, 2 resolved, 1 of 2 closed on time.
		r := get[reports.Report](t, srv, sup, "/api/v1/reports/daily?date=2026-03-02&format=json")
		eq(t, "calls in", r.Calls.In, 3)
		eq(t, "calls out", r.Calls.Out, 1)
		eq(t, "answered", r.Calls.Answered, 2)
		eq(t, "contacts", r.Contacts.Total, 6) // 3 calls, 2 zalo, 1 facebook
		eq(t, "received", r.Tickets.Received, 3)
		eq(t, "resolved", r.Tickets.Resolved, 2)
		eq(t, "on time", r.Tickets.ClosedOnTime, 1)
		eq(t, "ratings", r.Tickets.Satisfaction.Den, 2)
		eq(t, "overdue", r.Overdue.Overdue, 1)
	})

	t.Run("xlsx", func(t *testing.T) {
		resp := srv.Do(t, "GET", "/api/v1/reports/daily?date=2026-03-02&format=xlsx", sup, nil)
		eq(t, "status", resp.Status, http.StatusOK)
		eq(t, "type", resp.Header.Get("Content-Type"), reports.ContentTypes["xlsx"])
		if !strings.Contains(resp.Header.Get("Content-Disposition"), "bao-cao-1022-ngay-2026-03-02.xlsx") {
			t.Errorf("disposition %q", resp.Header.Get("Content-Disposition"))
		}
		checkXLSX(t, resp.Body, 3)
	})

	t.Run("csv", func(t *testing.T) {
		resp := srv.Do(t, "GET", "/api/v1/reports/weekly?date=2026-03-04&format=csv", sup, nil)
		eq(t, "status", resp.Status, http.StatusOK)
		recs, err := csv.NewReader(bytes.NewReader(resp.Body)).ReadAll()
		if err != nil {
			t.Fatalf("csv: %v", err)
		}
		eq(t, "header", strings.Join(recs[0], ","), strings.Join(reports.CSVHeader, ","))
		got := map[string]string{}
		for _, r := range recs[1:] {
			got[r[0]+"|"+r[1]+"|"+r[3]] = r[4]
		}
		eq(t, "received", got["Tổng hợp|tickets_received|Phản ánh tiếp nhận"], "4")
		eq(t, "calls in", got["Tổng hợp|calls_in|Cuộc gọi đến"], "4")
		eq(t, "processing rate", got["Tổng hợp|processing_rate|Tỷ lệ xử lý (đã giải quyết / tiếp nhận) (%)"], "50.00")
		eq(t, "SXD received", got["Đơn vị xử lý|SXD|Tiếp nhận"], "2")
		eq(t, "telegram", got["Kênh tiếp nhận|telegram|Số lượt tiếp nhận"], "1")
	})

	t.Run("access and bad input", func(t *testing.T) {
		officer := srv.Login(t, "officer", "demo-officer")
		eq(t, "officer", srv.Do(t, "GET", "/api/v1/reports/daily", officer, nil).Status, http.StatusForbidden)
		eq(t, "anonymous", srv.Do(t, "GET", "/api/v1/reports/daily", "", nil).Status, http.StatusUnauthorized)
		eq(t, "period", srv.Do(t, "GET", "/api/v1/reports/yearly", sup, nil).Status, http.StatusUnprocessableEntity)
		eq(t, "date", srv.Do(t, "GET", "/api/v1/reports/daily?date=02/03/2026", sup, nil).Status, http.StatusUnprocessableEntity)
		eq(t, "format", srv.Do(t, "GET", "/api/v1/reports/daily?format=pdf", sup, nil).Status, http.StatusUnprocessableEntity)
		eq(t, "admin", srv.Do(t, "GET", "/api/v1/reports/monthly?format=csv", srv.Admin(t), nil).Status, http.StatusOK)
	})

	t.Run("schedule e-mails once", func(t *testing.T) {
		ctx := context.Background()
		deadline := time.Now().Add(20 * time.Second)
		for len(box.all()) == 0 && time.Now().Before(deadline) { // the start's run
			time.Sleep(20 * time.Millisecond)
		}
		if len(box.all()) != 1 || !bytes.Contains(box.all()[0].data, []byte("bao-cao-1022-ngay-2026-03-01.xlsx")) {
			t.Fatalf("at start: %d messages, want the report of 1 March", len(box.all()))
		}
		later := at(3, 8, 1)
		clock.Store(&later)
		sent, err := rep.SendDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "sent", strings.Join(sent, ","), "daily:2026-03-02")
		again, err := rep.SendDue(ctx)
		if err != nil || len(again) != 0 {
			t.Fatalf("second run sent %v, %v", again, err)
		}
		all := box.all()
		if len(all) != 2 {
			t.Fatalf("%d messages, want 2", len(all))
		}
		msgs := all[1:]
		eq(t, "rcpts", strings.Join(msgs[0].to, ","), "lanhdao@danang.gov.vn,ioc@danang.gov.vn")
		mr, err := mail.CreateReader(bytes.NewReader(msgs[0].data))
		if err != nil {
			t.Fatal(err)
		}
		subj, _ := mr.Header.Subject()
		eq(t, "subject", subj, "[1022] Báo cáo ngày 02/03/2026")
		var att []byte
		var body string
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(p.Body)
			switch h := p.Header.(type) {
			case *mail.AttachmentHeader:
				name, _ := h.Filename()
				eq(t, "filename", name, "bao-cao-1022-ngay-2026-03-02.xlsx")
				att = b
			case *mail.InlineHeader:
				body = string(b)
			}
		}
		if !strings.Contains(body, "Phản ánh tiếp nhận: 3") {
			t.Errorf("body %q", body)
		}
		checkXLSX(t, att, 3)
	})
}

func checkXLSX(t *testing.T, data []byte, received int) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open xlsx: %v", err)
	}
	defer f.Close()
	want := []string{reports.SheetSummary, reports.SheetChannels, reports.SheetCategories, reports.SheetDepartments, reports.SheetOverdue}
	eq(t, "sheets", strings.Join(f.GetSheetList(), "|"), strings.Join(want, "|"))
	title, _ := f.GetCellValue(reports.SheetSummary, "A1")
	eq(t, "title", title, "Báo cáo ngày 02/03/2026")
	head, _ := f.GetCellValue(reports.SheetDepartments, "C4")
	eq(t, "department header", head, "Tiếp nhận")
	rows, err := f.GetRows(reports.SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if len(r) == 3 && r[0] == "tickets_received" {
			found = true
			eq(t, "received cell", r[2], strconv.Itoa(received))
			eq(t, "received label", r[1], "Phản ánh tiếp nhận")
		}
	}
	eq(t, "received row", found, true)
	depts, _ := f.GetRows(reports.SheetDepartments)
	if len(depts) < 5 {
		t.Fatalf("departments sheet has %d rows", len(depts))
	}
	for _, r := range depts[4:] {
		if r[0] == "SXD" {
			eq(t, "SXD received", r[2], "2")
			if !strings.Contains(r[1], "Xây dựng") {
				t.Errorf("SXD name %q", r[1])
			}
		}
	}
	od, _ := f.GetRows(reports.SheetOverdue)
	if len(od) < 5 {
		t.Fatalf("overdue sheet has %d rows", len(od))
	}
	eq(t, "overdue first", od[4][0], "PCDN")
	eq(t, "overdue PCDN", od[4][3], "1")
}
