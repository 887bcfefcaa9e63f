package omnichannel

import (
	"bytes"
	"io"

	"context"
	"fmt"
	"github.com/emersion/go-message/mail"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/tickets"
	"go.mongodb.org/mongo-driver/v2/bson"
)

var (
	supervisor = &httpapi.Principal{Username: "supervisor", Role: httpapi.RoleSupervisor}
	officer    = &httpapi.Principal{Username: "officer", Role: httpapi.RoleOfficer, Departments: []string{"SXD"}}
)

// resolveTicket drives a ticket through its lifecycle to resolved with answer.
func resolveTicket(t *testing.T, tk *tickets.Module, code tickets.Code, answer string) {
	t.Helper()
	ctx := context.Background()
	step := func(action string, req tickets.ActionRequest, by *httpapi.Principal) {
		t.Helper()
		cur, err := tk.Get(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		req.Version = cur.Version
		if _, err := tk.Act(ctx, code, action, req, by); err != nil {
			t.Fatalf("%s %s: %v", action, code, err)
		}
	}
	if cur, _ := tk.Get(ctx, code); cur.Status == tickets.StatusNew {
		step("assign", tickets.ActionRequest{Department: "SXD"}, supervisor)
	}
	step("accept", tickets.ActionRequest{}, officer)
	step("answer", tickets.ActionRequest{Text: answer}, officer)
	step("approve", tickets.ActionRequest{}, supervisor)
}

// citizen is one channel's way of writing as a citizen and reading what reached them.
type citizen struct {
	name     string
	channel  Channel
	write    func(t *testing.T, n int, text string) // the n-th message of this citizen
	received func() []string                        // texts that reached the citizen
}

func TestEndToEndEveryChannel(t *testing.T) {
	p := startPlatforms(t)
	tk := tickets.New()
	m := New(tk)
	srv := apptest.Start(t, p.config(t), tk, m)
	agent, inbox := agentInbox(t, srv)

	vt := visitorToken(t, srv)
	widget := dial(t, srv, "/webchat/ws?token="+vt, nil)
	var widgetTexts []string
	widgetGot := make(chan string, 64)
	go func() {
		for f := range widget.frames {
			if f.Type == "message" && f.Message.Direction == DirOut {
				widgetGot <- f.Message.Text
			}
		}
	}()
	sentTo := func(list func() []string) func() []string { return list }
	var lastMail string
	citizens := []citizen{
		{"zalo", ChannelZalo, func(t *testing.T, n int, text string) {
			b, sig := signedZalo("zalo-citizen", fmt.Sprint("zmsg-e2e-", n), text)
			if s := post(t, srv, "/webhooks/zalo", b, "X-ZEvent-Signature", sig); s != 200 {
				t.Fatalf("zalo webhook %d", s)
			}
		}, sentTo(func() (out []string) {
			for _, s := range p.zalo.Sent() {
				if s.To == "zalo-citizen" {
					out = append(out, s.Text)
				}
			}
			return
		})},
		{"messenger", ChannelFacebook, func(t *testing.T, n int, text string) {
			b, sig := signedMessenger("psid-e2e", fmt.Sprint("mid.e2e.", n), text)
			if s := post(t, srv, "/webhooks/facebook", b, "X-Hub-Signature-256", sig); s != 200 {
				t.Fatalf("messenger webhook %d", s)
			}
		}, func() (out []string) {
			for _, s := range p.graph.Sent() {
				if s.To == "psid-e2e" {
					out = append(out, s.Text)
				}
			}
			return
		}},
		{"telegram", ChannelTelegram, func(t *testing.T, n int, text string) {
			if s := post(t, srv, "/webhooks/telegram", telegramUpdate(int64(7000+n), 4242, text), "X-Telegram-Bot-Api-Secret-Token", tgSecret); s != 200 {
				t.Fatalf("telegram webhook %d", s)
			}
		}, func() (out []string) {
			for _, s := range p.tg.Sent() {
				if s.To == "4242" {
					out = append(out, s.Text)
				}
			}
			return
		}},
		{"email", ChannelEmail, func(t *testing.T, n int, text string) {
			id := fmt.Sprintf("citizen-%d@mail.example", n)
			hdr := ""
			if lastMail != "" {
				hdr = "In-Reply-To: <" + lastMail + ">\r\nReferences: <" + lastMail + ">\r\n"
			}
			raw := "From: =?windows-1258?Q?L=EA_Thi=F2_C?= <le.c@mail.example>\r\nTo: hotline@1022.test\r\nSubject: =?utf-8?q?Ph=E1=BA=A3n_=C3=A1nh?=\r\n" +
				"Message-ID: <" + id + ">\r\n" + hdr + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n\r\nOn Mon, someone wrote:\r\n> old text\r\n"
			p.imap.Deliver(t, []byte(raw))
		}, func() (out []string) {
			for _, s := range p.smtp.Sent() {
				if s.To == "le.c@mail.example" {
					out = append(out, mailText(t, s.Raw))
				}
			}
			return
		}},
		{"widget", ChannelWeb, func(t *testing.T, n int, text string) {
			widget.send(chatFrame{Type: "send", ClientMsgID: fmt.Sprint("w", n), Text: text})
		}, func() []string {
			for {
				select {
				case s := <-widgetGot:
					widgetTexts = append(widgetTexts, s)
				default:
					return widgetTexts
				}
			}
		}},
	}
	for _, c := range citizens {
		t.Run(c.name, func(t *testing.T) {
			c.write(t, 1, "Cột đèn đổ ở đường Bạch Đằng")
			f := inbox.wait("assignment", func(f frame) bool { return f.Type == "assigned" && f.Conversation.Channel == c.channel })
			var tkt tickets.Ticket
			r := srv.Do(t, "POST", "/api/v1/conversations/"+f.ConversationID+"/ticket", agent, TicketRequest{Address: "đường Bạch Đằng"})
			if r.Status != http.StatusCreated {
				t.Fatalf("ticket: %d %s", r.Status, r.Body)
			}
			r.Decode(t, &tkt)
			if tkt.Reporter.ConversationID != f.ConversationID || tkt.Channel != string(c.channel) {
				t.Fatalf("ticket not linked: %+v", tkt.Reporter)
			}
			conv, _ := m.Conversation(t.Context(), f.ConversationID)
			if len(conv.Tickets) != 1 || conv.Tickets[0] != string(tkt.Code) {
				t.Fatalf("conversation not linked: %v", conv.Tickets)
			}
			defer func() {
				if t.Failed() {
					r := srv.Do(t, "GET", "/api/v1/notices?ticket="+string(tkt.Code), agent, nil)
					t.Logf("notices: %s", r.Body)
					r = srv.Do(t, "GET", "/api/v1/conversations/"+f.ConversationID+"/messages", agent, nil)
					t.Logf("messages: %s", r.Body)
					for _, s := range p.smtp.Sent() {
						t.Logf("smtp to %q: %s", s.To, s.Raw)
					}
				}
			}()
			eventually(t, "the code reaches the citizen", func() bool {
				return strings.Contains(strings.Join(c.received(), "|"), string(tkt.Code))
			})
			if c.channel == ChannelEmail {
				raw := string(p.smtp.Sent()[0].Raw)
				if !strings.Contains(raw, "In-Reply-To: <citizen-1@mail.example>") || !strings.Contains(raw, "reply+") {
					t.Fatalf("e-mail answer not threaded:\n%s", raw)
				}
				var msgs httpapi.List[Message]
				srv.Do(t, "GET", "/api/v1/conversations/"+f.ConversationID+"/messages", agent, nil).Decode(t, &msgs)
				if msgs.Items[0].Text != "Cột đèn đổ ở đường Bạch Đằng" {
					t.Fatalf("e-mail text %q: quoted reply not trimmed", msgs.Items[0].Text)
				}
				var contact Contact
				srv.Do(t, "GET", "/api/v1/contacts/"+conv.ContactID, agent, nil).Decode(t, &contact)
				if contact.Name != "Lê Thị C" {
					t.Fatalf("windows-1258 name decoded as %q", contact.Name)
				}
				msg, _ := m.messageBy(t.Context(), bson.M{"conversation_id": f.ConversationID, "direction": DirOut})
				lastMail = msg.ChannelMsgID
			}
			resolveTicket(t, tk, tkt.Code, "Đã dựng lại cột đèn")
			eventually(t, "the answer reaches the citizen", func() bool {
				return strings.Contains(strings.Join(c.received(), "|"), "1 (r")
			})
			c.write(t, 2, "5")
			eventually(t, "the rating is recorded", func() bool {
				got, err := tk.Get(t.Context(), tkt.Code)
				return err == nil && got.Rating != nil && got.Rating.Stars == 5
			})
		})
	}
}

func TestNoticeFallbackLadder(t *testing.T) {
	p := startPlatforms(t)
	tk := tickets.New()
	m := New(tk)
	srv := apptest.Start(t, p.config(t), tk, m)
	agent, inbox := agentInbox(t, srv)

	b, sig := signedMessenger("psid-old", "mid.old.1", "Đường hỏng")
	post(t, srv, "/webhooks/facebook", b, "X-Hub-Signature-256", sig)
	fbConv := inbox.wait("messenger", func(f frame) bool { return f.Type == "assigned" && f.Conversation.Channel == ChannelFacebook })
	zb, zsig := signedZalo("zalo-same", "zm-same-1", "tôi cũng là người đó")
	post(t, srv, "/webhooks/zalo", zb, "X-ZEvent-Signature", zsig)
	zConv := inbox.wait("zalo", func(f frame) bool { return f.Type == "assigned" && f.Conversation.Channel == ChannelZalo })
	// The agent merges the Zalo contact into the Messenger one: one citizen, two channels.
	r := srv.Do(t, "POST", "/api/v1/contacts/"+zConv.Conversation.ContactID+"/merge", agent, MergeRequest{Into: fbConv.Conversation.ContactID})
	if r.Status != 200 {
		t.Fatalf("merge: %d %s", r.Status, r.Body)
	}
	// Messenger's window closed 8 days ago.
	old := time.Now().Add(-8 * 24 * time.Hour)
	if _, err := m.st.C(conversationsColl).UpdateOne(t.Context(), bson.M{"_id": fbConv.ConversationID}, bson.M{"$set": bson.M{"last_inbound_at": old}}); err != nil {
		t.Fatal(err)
	}
	var tkt tickets.Ticket
	srv.Do(t, "POST", "/api/v1/conversations/"+fbConv.ConversationID+"/ticket", agent, TicketRequest{}).Decode(t, &tkt)
	eventually(t, "the code goes by Zalo", func() bool {
		for _, s := range p.zalo.Sent() {
			if s.To == "zalo-same" && strings.Contains(s.Text, string(tkt.Code)) {
				return true
			}
		}
		return false
	})
	// Each poll decodes into a fresh list: decoding into the previous one would keep a field
	// the new answer omits (an empty outcome), and the wait would end too early.
	var notices httpapi.List[Notice]
	eventually(t, "the notice is done", func() bool {
		notices = httpapi.List[Notice]{}
		srv.Do(t, "GET", "/api/v1/notices?ticket="+string(tkt.Code), agent, nil).Decode(t, &notices)
		return len(notices.Items) == 1 && notices.Items[0].Outcome != ""
	})
	if len(notices.Items) != 1 || len(notices.Items[0].Attempts) != 2 || notices.Items[0].Attempts[0].Result != "failed" ||
		notices.Items[0].Attempts[1].Route != "linked" || notices.Items[0].Outcome != "sent" {
		t.Fatalf("notice = %+v", notices.Items)
	}
	// With every window closed and no e-mail, the ladder ends in a callback task.
	if _, err := m.st.C(conversationsColl).UpdateMany(t.Context(), bson.M{}, bson.M{"$set": bson.M{"last_inbound_at": old}}); err != nil {
		t.Fatal(err)
	}
	resolveTicket(t, tk, tkt.Code, "Đã sửa")
	eventually(t, "a callback task", func() bool {
		var cbs httpapi.List[Callback]
		srv.Do(t, "GET", "/api/v1/callbacks", agent, nil).Decode(t, &cbs)
		return len(cbs.Items) == 1 && cbs.Items[0].Code == string(tkt.Code) && cbs.Items[0].Kind == "resolved"
	})
	eventually(t, "the second notice is done", func() bool {
		notices = httpapi.List[Notice]{}
		srv.Do(t, "GET", "/api/v1/notices?ticket="+string(tkt.Code), agent, nil).Decode(t, &notices)
		return len(notices.Items) == 2 && notices.Items[0].Outcome != ""
	})
	last := notices.Items[0]
	routes := []string{}
	for _, a := range last.Attempts {
		routes = append(routes, a.Route+":"+a.Result)
	}
	if got := strings.Join(routes, ","); got != "origin:failed,linked:failed,email:skipped,callback:created" || last.Outcome != "callback" {
		t.Fatalf("ladder = %s, outcome %s", got, last.Outcome)
	}
}

// mailText is the headers and decoded text of a raw e-mail.
func mailText(t *testing.T, raw []byte) string {
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read mail: %v", err)
	}
	part, err := mr.NextPart()
	if err != nil {
		t.Fatalf("read mail part: %v", err)
	}
	b, _ := io.ReadAll(part.Body)
	return string(b)
}
