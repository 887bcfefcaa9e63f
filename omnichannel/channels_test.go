package omnichannel

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/omnichannel/platformtest"
)

const (
	zaloApp, zaloOASecret = "1234567890", "oa-secret"
	fbSecret, fbVerify    = "fb-app-secret", "fb-verify"
	tgToken, tgSecret     = "123:ABC", "tg-secret_1"
)

// platforms are the local stand-ins of one test.
type platforms struct {
	zalo  *platformtest.Zalo
	graph *platformtest.Graph
	tg    *platformtest.Telegram
	smtp  *platformtest.SMTP
	imap  *platformtest.IMAP
}

func startPlatforms(t *testing.T) *platforms {
	return &platforms{
		zalo:  platformtest.NewZalo(t, "app-secret", "access-0", "refresh-0"),
		graph: platformtest.NewGraph(t, "page-token"),
		tg:    platformtest.NewTelegram(t, tgToken),
		smtp:  platformtest.NewSMTP(t),
		imap:  platformtest.NewIMAP(t, "hotline@1022.test", "imap-pass"),
	}
}

func (p *platforms) configure(c *config.Config) {
	c.Channels.Zalo = config.Zalo{AppID: zaloApp, OASecretKey: zaloOASecret, AppSecretKey: "app-secret", AccessToken: "access-0",
		RefreshToken: "refresh-0", APIBaseURL: p.zalo.URL, OAuthBaseURL: p.zalo.URL}
	c.Channels.Facebook = config.Facebook{AppSecret: fbSecret, VerifyToken: fbVerify, PageToken: "page-token", PageID: "PAGE1", GraphURL: p.graph.URL}
	c.Channels.Telegram = config.Telegram{Token: tgToken, SecretToken: tgSecret, APIURL: p.tg.URL}
	c.HTTP.PublicURL = "https://hotline.example" // webhook mode: no long polling
	c.Channels.Email = config.Email{IMAPAddr: p.imap.Addr, IMAPUser: p.imap.User, IMAPPassword: p.imap.Password,
		SMTPAddr: p.smtp.Addr, From: "Đường dây nóng 1022 <hotline@1022.test>", PollInterval: 200 * time.Millisecond}
}

func signedZalo(userID, msgID, text string) (body []byte, sig string) {
	ts := fmt.Sprint(time.Now().UnixMilli())
	body = []byte(fmt.Sprintf(`{"app_id":"%s","user_id_by_app":"u%s","event_name":"user_send_text","timestamp":"%s","sender":{"id":"%s"},"recipient":{"id":"oa1"},"message":{"text":%q,"msg_id":"%s"}}`,
		zaloApp, userID, ts, userID, text, msgID))
	return body, "mac=" + platformtest.ZaloSignature(zaloApp, body, ts, zaloOASecret)
}

func signedMessenger(psid, mid, text string) (body []byte, sig string) {
	body = []byte(fmt.Sprintf(`{"object":"page","entry":[{"id":"PAGE1","time":%d,"messaging":[{"sender":{"id":"%s"},"recipient":{"id":"PAGE1"},"timestamp":%d,"message":{"mid":"%s","text":%q}}]}]}`,
		time.Now().UnixMilli(), psid, time.Now().UnixMilli(), mid, text))
	return body, platformtest.MessengerSignature(fbSecret, body)
}

func telegramUpdate(updateID, chatID int64, text string) []byte {
	return []byte(fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Trần","last_name":"Bình"},"chat":{"id":%d,"type":"private"},"date":%d,"text":%q}}`,
		updateID, updateID+1000, chatID, chatID, time.Now().Unix(), text))
}

func post(t *testing.T, srv *apptest.Server, path string, body []byte, header ...string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func countStored(t *testing.T, m *Module, channel Channel) int64 {
	t.Helper()
	n, err := m.st.C(inboundColl).CountDocuments(t.Context(), map[string]any{"channel": channel})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func conversations(t *testing.T, srv *apptest.Server, token, query string) []Conversation {
	t.Helper()
	var l httpapi.List[Conversation]
	srv.Do(t, "GET", "/api/v1/conversations?"+query, token, nil).Decode(t, &l)
	return l.Items
}

func TestWebhooksOffWithoutSecrets(t *testing.T) {
	srv := node(t, New(nil), nil)
	for _, ch := range []string{"zalo", "facebook", "telegram"} {
		if s := post(t, srv, "/webhooks/"+ch, []byte(`{}`)); s != http.StatusNotFound {
			t.Errorf("%s webhook answered %d with the channel off, want 404", ch, s)
		}
	}
}

func TestSignedWebhooks(t *testing.T) {
	p := startPlatforms(t)
	m := New(nil)
	srv := node(t, m, p.configure)
	agent, inbox := agentInbox(t, srv)

	zb, zsig := signedZalo("zu1", "zm1", "Cho hỏi về điện")
	fb, fsig := signedMessenger("psid1", "mid.1", "Rác chưa thu gom")
	tgb := telegramUpdate(501, 9001, "Ngập nước đường Lê Duẩn")
	cases := []struct {
		name      string
		channel   Channel
		path      string
		body      []byte
		good, bad []string
	}{
		{"zalo", ChannelZalo, "/webhooks/zalo", zb, []string{"X-ZEvent-Signature", zsig}, []string{"X-ZEvent-Signature", "mac=" + strings.Repeat("0", 64)}},
		{"messenger", ChannelFacebook, "/webhooks/facebook", fb, []string{"X-Hub-Signature-256", fsig}, []string{"X-Hub-Signature-256", platformtest.MessengerSignature("wrong", fb)}},
		{"telegram", ChannelTelegram, "/webhooks/telegram", tgb, []string{"X-Telegram-Bot-Api-Secret-Token", tgSecret}, []string{"X-Telegram-Bot-Api-Secret-Token", "nope"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if s := post(t, srv, tc.path, tc.body, tc.bad...); s != http.StatusUnauthorized {
				t.Fatalf("forged: %d, want 401", s)
			}
			if s := post(t, srv, tc.path, tc.body); s != http.StatusUnauthorized {
				t.Fatalf("unsigned: %d, want 401", s)
			}
			if n := countStored(t, m, tc.channel); n != 0 {
				t.Fatalf("forged deliveries stored %d items", n)
			}
			for range 3 { // the platform redelivers
				if s := post(t, srv, tc.path, tc.body, tc.good...); s != http.StatusOK {
					t.Fatalf("signed: %d, want 200", s)
				}
			}
			if n := countStored(t, m, tc.channel); n != 1 {
				t.Fatalf("stored %d items for one event sent 3 times", n)
			}
			f := inbox.wait("assignment", func(f frame) bool { return f.Type == "assigned" && f.Conversation.Channel == tc.channel })
			eventually(t, "one message", func() bool {
				var l httpapi.List[Message]
				srv.Do(t, "GET", "/api/v1/conversations/"+f.ConversationID+"/messages", agent, nil).Decode(t, &l)
				return len(l.Items) == 1 && l.Items[0].Direction == DirIn
			})
			r := srv.Do(t, "POST", "/api/v1/conversations/"+f.ConversationID+"/messages", agent, MessageRequest{Text: "Đã nhận, cảm ơn bạn"})
			var sent Message
			r.Decode(t, &sent)
			if sent.Delivery == nil || sent.Delivery.State != DeliverySent {
				t.Fatalf("reply delivery = %+v (%s)", sent.Delivery, r.Body)
			}
		})
	}
	if s := p.zalo.Sent(); len(s) != 1 || s[0].To != "zu1" || s[0].Text != "Đã nhận, cảm ơn bạn" {
		t.Errorf("zalo got %+v", s)
	}
	if s := p.graph.Sent(); len(s) != 1 || s[0].To != "psid1" || s[0].Info["messaging_type"] != "RESPONSE" {
		t.Errorf("graph got %+v", s)
	}
	if s := p.tg.Sent(); len(s) != 1 || s[0].To != "9001" {
		t.Errorf("telegram got %+v", s)
	}
	// Messenger's subscription check.
	r := srv.Do(t, "GET", "/webhooks/facebook?hub.mode=subscribe&hub.verify_token="+fbVerify+"&hub.challenge=1158201444", "", nil)
	if r.Status != 200 || string(r.Body) != "1158201444" {
		t.Errorf("verification: %d %q", r.Status, r.Body)
	}
	if r := srv.Do(t, "GET", "/webhooks/facebook?hub.mode=subscribe&hub.verify_token=bad&hub.challenge=1", "", nil); r.Status != http.StatusForbidden {
		t.Errorf("bad verify token: %d", r.Status)
	}
	big := bytes.Repeat([]byte("a"), maxWebhookBody+1)
	if s := post(t, srv, "/webhooks/zalo", big); s != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", s)
	}
}

func TestZaloTokenRefreshAndWindow(t *testing.T) {
	p := startPlatforms(t)
	m := New(nil)
	srv := node(t, m, p.configure)
	agent := srv.Login(t, "agent1", "demo-agent1")
	inbox := dial(t, srv, "/api/v1/inbox/ws?token="+agent, nil)
	body, sig := signedZalo("zu2", "zm2", "xin chào")
	if s := post(t, srv, "/webhooks/zalo", body, "X-ZEvent-Signature", sig); s != 200 {
		t.Fatal(s)
	}
	f := inbox.wait("assignment", func(f frame) bool { return f.Type == "assigned" })
	p.zalo.ExpireAccessToken()
	var sent Message
	srv.Do(t, "POST", "/api/v1/conversations/"+f.ConversationID+"/messages", agent, MessageRequest{Text: "một"}).Decode(t, &sent)
	if sent.Delivery.State != DeliverySent {
		t.Fatalf("after refresh: %+v", sent.Delivery)
	}
	// Zalo's free replies: 8 within 48 h of the citizen's message, then the window is closed.
	for i := 2; i <= zaloFreeReplies+1; i++ {
		srv.Do(t, "POST", "/api/v1/conversations/"+f.ConversationID+"/messages", agent, MessageRequest{Text: fmt.Sprint(i)}).Decode(t, &sent)
	}
	if sent.Delivery.State != DeliveryFailed || !strings.Contains(sent.Delivery.Reason, "window") {
		t.Fatalf("9th reply: %+v", sent.Delivery)
	}
	if n := len(p.zalo.Sent()); n != zaloFreeReplies {
		t.Fatalf("zalo received %d, want %d", n, zaloFreeReplies)
	}
}

func (p *platforms) config(t *testing.T) config.Config {
	c := apptest.Config(t)
	p.configure(&c)
	return c
}
