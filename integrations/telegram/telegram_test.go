package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/integrations/telegram"
	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/ioc1022/ioc1022/tickets"
)

const (
	token       = "123456:TEST-token"
	secret      = "s3cret_Token-1"
	leaderGroup = int64(-100500)
	tgOfficer   = int64(1001) // officer (SXD)
	tgHaiChau   = int64(2002) // officer.haichau (UBND-HAICHAU)
	tgLeader    = int64(3003) // leader
)

type node struct {
	srv *apptest.Server
	api *botAPI
	seq int64
}

func (n *node) post(t *testing.T, secretToken string, update map[string]any) int {
	t.Helper()
	raw, _ := json.Marshal(update)
	req, _ := http.NewRequest("POST", n.srv.URL+telegram.WebhookPath, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if secretToken != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secretToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (n *node) update(t *testing.T, u map[string]any) {
	t.Helper()
	if st := n.post(t, secret, u); st != http.StatusOK {
		t.Fatalf("webhook: %d", st)
	}
}

func (n *node) next() int64 { n.seq++; return n.seq }

// link gets a code for user over the API and sends it from the Telegram account tg.
func (n *node) link(t *testing.T, username, password string, tg int64, cmd string) {
	t.Helper()
	tok := n.srv.Login(t, username, password)
	r := n.srv.Do(t, "POST", "/api/v1/telegram/link-code", tok, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("link-code: %d %s", r.Status, r.Body)
	}
	var lc telegram.LinkCode
	r.Decode(t, &lc)
	if len(lc.Code) != 8 || lc.Command != "/start "+lc.Code {
		t.Fatalf("link code %+v", lc)
	}
	i := n.api.count()
	n.update(t, messageUpdate(n.next(), tg, tg, "private", cmd+" "+lc.Code))
	n.api.wait(t, i, "link confirmation", sendTo(tg, "Đã liên kết với tài khoản "+username))
	var st telegram.LinkStatus
	n.srv.Do(t, "GET", "/api/v1/telegram/link", tok, nil).Decode(t, &st)
	if !st.Linked || st.Link.TelegramID != tg {
		t.Fatalf("link status %+v", st)
	}
}

func startNode(t *testing.T, webhook bool) *node {
	api := newBotAPI(t, token)
	cfg := apptest.Config(t)
	cfg.IOC.Telegram.Token = token
	cfg.IOC.Telegram.APIURL = api.srv.URL
	cfg.IOC.Telegram.LeaderChats = []int64{leaderGroup}
	if webhook {
		cfg.IOC.Telegram.WebhookURL = "https://ioc.example.vn" + telegram.WebhookPath
		cfg.IOC.Telegram.SecretToken = secret
	}
	cfg.IOC.Alerts.SeedDefaults = false
	cfg.IOC.Alerts.EvalInterval = time.Hour // the test evaluates
	tk := tickets.New()
	srv := apptest.Start(t, cfg, tk, alerts.New(), kpi.New(), telegram.New(tk))
	return &node{srv: srv, api: api}
}

func TestOfficersBot(t *testing.T) {
	n := startNode(t, true)
	n.api.wait(t, 0, "setWebhook", func(c apiCall) bool {
		return c.Method == "setWebhook" && c.Form["secret_token"] == secret && c.Form["url"] == "https://ioc.example.vn"+telegram.WebhookPath
	})

	t.Run("secret token checked first", func(t *testing.T) {
		i := n.api.count()
		if st := n.post(t, "", messageUpdate(900, tgOfficer, tgOfficer, "private", "/help")); st != http.StatusUnauthorized {
			t.Errorf("no token: %d", st)
		}
		if st := n.post(t, "wrong", messageUpdate(901, tgOfficer, tgOfficer, "private", "/help")); st != http.StatusUnauthorized {
			t.Errorf("wrong token: %d", st)
		}
		if st := n.post(t, secret, map[string]any{"message": "x"}); st != http.StatusBadRequest {
			t.Errorf("no update_id: %d", st)
		}
		time.Sleep(300 * time.Millisecond)
		for _, c := range n.api.since(i) {
			if c.Method == "sendMessage" {
				t.Errorf("a refused update was processed: %+v", c)
			}
		}
	})

	t.Run("link", func(t *testing.T) {
		n.link(t, "officer", "demo-officer", tgOfficer, "/start")
		n.link(t, "officer.haichau", "demo-officer", tgHaiChau, "/link")
		n.link(t, "leader", "demo-leader", tgLeader, "/start")
		i := n.api.count()
		n.update(t, messageUpdate(n.next(), 4004, 4004, "private", "/start ZZZZ2222"))
		n.api.wait(t, i, "bad code answer", sendTo(4004, "không đúng"))
	})

	t.Run("a repeated update is processed once", func(t *testing.T) {
		i := n.api.count()
		u := messageUpdate(n.next(), tgOfficer, tgOfficer, "private", "/help")
		n.update(t, u)
		n.update(t, u)
		n.api.wait(t, i, "help", sendTo(tgOfficer, "/ticket"))
		time.Sleep(500 * time.Millisecond)
		helps := 0
		for _, c := range n.api.since(i) {
			if sendTo(tgOfficer, "/ticket")(c) {
				helps++
			}
		}
		if helps != 1 {
			t.Errorf("%d answers to one update", helps)
		}
	})

	agent := n.srv.Login(t, "agent1", "demo-agent1")
	sup := n.srv.Login(t, "supervisor", "demo-supervisor")
	i := n.api.count()
	r := n.srv.Do(t, "POST", "/api/v1/tickets", agent, map[string]any{"category": "roads_traffic", "ward": "20194",
		"description": "Ổ gà lớn trên đường Trần Phú", "channel": "phone"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var tk tickets.Ticket
	r.Decode(t, &tk)
	if tk.Department != "SXD" || tk.Status != tickets.StatusAssigned {
		t.Fatalf("ticket routed to %q, %s", tk.Department, tk.Status)
	}
	code := string(tk.Code)

	t.Run("assigned ticket notified with buttons", func(t *testing.T) {
		c := n.api.wait(t, i, "notification", sendTo(tgOfficer, code))
		if !strings.Contains(c.Form["text"], "Phản ánh mới") || !strings.Contains(c.Form["text"], "Ổ gà") {
			t.Errorf("text %q", c.Form["text"])
		}
		var mk struct {
			InlineKeyboard [][]struct {
				Text         string `json:"text"`
				CallbackData string `json:"callback_data"`
			} `json:"inline_keyboard"`
		}
		if err := json.Unmarshal([]byte(c.Form["reply_markup"]), &mk); err != nil || len(mk.InlineKeyboard) != 1 || len(mk.InlineKeyboard[0]) != 2 {
			t.Fatalf("markup %q: %v", c.Form["reply_markup"], err)
		}
		if mk.InlineKeyboard[0][0].CallbackData != "acc:"+code || mk.InlineKeyboard[0][1].CallbackData != "view:"+code {
			t.Errorf("buttons %+v", mk.InlineKeyboard[0])
		}
		time.Sleep(300 * time.Millisecond)
		for _, c := range n.api.since(i) {
			if c.Method == "sendMessage" && c.Form["chat_id"] != "1001" && strings.Contains(c.Form["text"], code) {
				t.Errorf("sent to another chat: %+v", c)
			}
		}
	})

	t.Run("due-soon and overdue reminders", func(t *testing.T) {
		// The events the sweeper emits when the ticket crosses its deadlines.
		for _, c := range []struct{ typ, want string }{{"ticket.due_soon", "Sắp đến hạn"}, {"ticket.overdue", "Quá hạn"}} {
			i := n.api.count()
			ev := events.MustNew(c.typ, code, tickets.EventData{Code: tk.Code, Status: tk.Status, Department: "SXD", Deadline: "answer"})
			if err := n.srv.App.Core.Events.Publish(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			got := n.api.wait(t, i, c.typ, sendTo(tgOfficer, code))
			if !strings.Contains(got.Form["text"], c.want) {
				t.Errorf("%s: text %q lacks %q", c.typ, got.Form["text"], c.want)
			}
			time.Sleep(200 * time.Millisecond)
			for _, other := range n.api.since(i) {
				if other.Method == "sendMessage" && other.Form["chat_id"] == fmt.Sprint(tgHaiChau) {
					t.Errorf("%s reached another department's officer", c.typ)
				}
			}
		}
	})

	t.Run("officer of another department refused", func(t *testing.T) {
		i := n.api.count()
		n.update(t, callbackUpdate(n.next(), tgHaiChau, tgHaiChau, "acc:"+code))
		n.api.wait(t, i, "refusal", answered("không thuộc đơn vị của bạn"))
		i = n.api.count()
		n.update(t, messageUpdate(n.next(), tgHaiChau, tgHaiChau, "private", "/ticket "+code))
		n.api.wait(t, i, "/ticket refusal", sendTo(tgHaiChau, "không thuộc đơn vị của bạn"))
		var got tickets.Ticket
		n.srv.Do(t, "GET", "/api/v1/tickets/"+code, sup, nil).Decode(t, &got)
		if got.Status != tickets.StatusAssigned {
			t.Errorf("status %s after a refused accept", got.Status)
		}
	})

	t.Run("accept acts with the officer's rights", func(t *testing.T) {
		i := n.api.count()
		n.update(t, callbackUpdate(n.next(), tgOfficer, tgOfficer, "acc:"+code))
		n.api.wait(t, i, "accepted answer", answered("Đã tiếp nhận phản ánh "+code))
		n.api.wait(t, i, "message edited", func(c apiCall) bool {
			return c.Method == "editMessageText" && strings.Contains(c.Form["text"], "Đã tiếp nhận bởi officer")
		})
		var got tickets.Ticket
		n.srv.Do(t, "GET", "/api/v1/tickets/"+code, sup, nil).Decode(t, &got)
		if got.Status != tickets.StatusInProgress {
			t.Fatalf("status %s, want in_progress", got.Status)
		}
		last := got.History[len(got.History)-1]
		if last.By != "officer" || last.Action != "accept" {
			t.Errorf("history %+v", last)
		}
		i = n.api.count()
		n.update(t, callbackUpdate(n.next(), tgOfficer, tgOfficer, "acc:"+code))
		n.api.wait(t, i, "second accept refused", answered("Không tiếp nhận được"))
	})

	t.Run("/ticket", func(t *testing.T) {
		i := n.api.count()
		n.update(t, messageUpdate(n.next(), tgOfficer, tgOfficer, "private", "/ticket "+code))
		c := n.api.wait(t, i, "/ticket answer", sendTo(tgOfficer, "📋 Phản ánh "+code))
		if !strings.Contains(c.Form["text"], "đang xử lý") {
			t.Errorf("text %q", c.Form["text"])
		}
		n.update(t, messageUpdate(n.next(), 5005, 5005, "private", "/ticket "+code))
		n.api.wait(t, i, "unlinked refused", sendTo(5005, "chưa được liên kết"))
		n.update(t, callbackUpdate(n.next(), tgLeader, tgLeader, "view:"+code))
		n.api.wait(t, i, "leader sees it", sendTo(tgLeader, "📋 Phản ánh "+code))
	})

	t.Run("leader acknowledges an alert", func(t *testing.T) {
		e := loadEngine(t, n.srv)
		ctx := context.Background()
		if _, err := e.CreateRule(ctx, alerts.Rule{ID: "tg-open", Name: "Có phản ánh đang mở", Kind: alerts.KindThreshold,
			Indicator: "tickets.open", GroupBy: "department", Op: ">", Value: 0, Window: alerts.Duration(15 * time.Minute),
			Cooldown: alerts.Duration(time.Hour), Severity: "critical", Enabled: true}, "test"); err != nil {
			t.Fatal(err)
		}
		i := n.api.count()
		var alertID string
		deadline := time.Now().Add(15 * time.Second)
		for alertID == "" && time.Now().Before(deadline) {
			if err := e.Evaluate(ctx, time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			list, err := e.Alerts(ctx, []string{alerts.StateFiring}, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) > 0 {
				alertID = list[0].ID
			}
			time.Sleep(50 * time.Millisecond)
		}
		if alertID == "" {
			t.Fatal("no alert fired")
		}
		c := n.api.wait(t, i, "alert in the leaders' group", sendTo(leaderGroup, "Có phản ánh đang mở"))
		if !strings.Contains(c.Form["reply_markup"], "ack:"+alertID) {
			t.Errorf("markup %q", c.Form["reply_markup"])
		}
		i = n.api.count()
		n.update(t, callbackUpdate(n.next(), tgOfficer, leaderGroup, "ack:"+alertID))
		n.api.wait(t, i, "officer may not ack", answered("Chỉ lãnh đạo"))
		n.update(t, callbackUpdate(n.next(), tgLeader, leaderGroup, "ack:"+alertID))
		n.api.wait(t, i, "acked", answered("Đã xác nhận cảnh báo"))
		leader := n.srv.Login(t, "leader", "demo-leader")
		var a alerts.Alert
		n.srv.Do(t, "GET", "/api/v1/alerts/"+alertID, leader, nil).Decode(t, &a)
		if a.State != alerts.StateAcknowledged || a.AckedBy != "leader" {
			t.Errorf("alert %s by %q", a.State, a.AckedBy)
		}
	})

	t.Run("429 retry_after honoured", func(t *testing.T) {
		n.api.throttleNext("sendMessage", 1)
		i := n.api.count()
		n.update(t, messageUpdate(n.next(), tgOfficer, tgOfficer, "private", "/ticket "+code))
		// The throttled call is recorded too: wait for the retry after it.
		n.api.wait(t, i, "the throttled send", sendTo(tgOfficer, "📋 Phản ánh "+code))
		var sends []apiCall
		deadline := time.Now().Add(10 * time.Second)
		for len(sends) < 2 && time.Now().Before(deadline) {
			sends = sends[:0]
			for _, c := range n.api.since(i) {
				if sendTo(tgOfficer, "📋 Phản ánh "+code)(c) {
					sends = append(sends, c)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(sends) != 2 {
			t.Fatalf("%d sendMessage calls, want the throttled one and the retry", len(sends))
		}
		first, ok := sends[0], sends[1]
		if gap := ok.At.Sub(first.At); gap < time.Second {
			t.Errorf("retried after %v, before retry_after (1 s)", gap)
		}
	})
}

func loadEngine(t *testing.T, srv *apptest.Server) *alerts.Engine {
	v, ok := srv.App.Core.Services.Load(alerts.ServiceName)
	if !ok {
		t.Fatal("no alert engine")
	}
	return v.(*alerts.Engine)
}

// Without a public URL the bot polls getUpdates.
func TestLongPolling(t *testing.T) {
	n := startNode(t, false)
	tok := n.srv.Login(t, "officer", "demo-officer")
	var lc telegram.LinkCode
	n.srv.Do(t, "POST", "/api/v1/telegram/link-code", tok, nil).Decode(t, &lc)
	n.api.queue(messageUpdate(1, tgOfficer, tgOfficer, "private", "/start "+lc.Code))
	n.api.wait(t, 0, "link by polling", sendTo(tgOfficer, "Đã liên kết với tài khoản officer"))
	n.api.wait(t, 0, "deleteWebhook first", func(c apiCall) bool { return c.Method == "deleteWebhook" })
	if r := n.srv.Do(t, "POST", telegram.WebhookPath, "", nil); r.Status == http.StatusOK {
		t.Errorf("webhook served in polling mode")
	}
}

// With no token the bot is off and link codes are refused plainly.
func TestOffWithoutToken(t *testing.T) {
	cfg := apptest.Config(t)
	tk := tickets.New()
	srv := apptest.Start(t, cfg, tk, telegram.New(tk))
	tok := srv.Login(t, "officer", "demo-officer")
	if r := srv.Do(t, "POST", "/api/v1/telegram/link-code", tok, nil); r.Status != http.StatusConflict {
		t.Errorf("link-code without a bot: %d %s", r.Status, r.Body)
	}
}
