package omnichannel

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/omnichannel/platformtest"
)

// The channel settings show what is on, the endpoints and windows, and every secret only
// masked: no secret value appears anywhere in the answer.
func TestChannelSettingsMaskSecrets(t *testing.T) {
	t.Parallel()
	const tgToken = "123456:TelegramTokenValueABCDEFGH9911"
	tg := platformtest.NewTelegram(t, tgToken)
	secrets := map[string]string{
		"channels.zalo.oa_secret_key":    "ZaloOASecretValue0000000000004321",
		"channels.zalo.app_secret_key":   "zappsec7",
		"channels.zalo.access_token":     "ZaloAccessTokenValue00000000008765",
		"channels.zalo.refresh_token":    "ZaloRefreshTokenValue0000000005555",
		"channels.facebook.page_token":   "FacebookPageTokenValue0000000002468",
		"channels.telegram.token":        tgToken,
		"channels.telegram.secret_token": "tgsec99",
		"channels.email.smtp_password":   "MailPassword77",
		"channels.app_token_secret":      "AppTokenSecretValue000000000001357",
		"channels.widget_secret":         "WidgetSecretValue00000000000002222",
		"channels.facebook.verify_token": "", // facebook stays off without app_secret and verify_token
		"channels.email.imap_password":   "",
		"channels.facebook.app_secret":   "",
	}
	srv := node(t, New(nil), func(c *config.Config) {
		c.HTTP.PublicURL = "https://1022.example.vn"
		c.Channels.WidgetSecret, c.Channels.AppTokenSecret = secrets["channels.widget_secret"], secrets["channels.app_token_secret"]
		c.Channels.Zalo = config.Zalo{AppID: "zalo-app-1", OASecretKey: secrets["channels.zalo.oa_secret_key"],
			AppSecretKey: secrets["channels.zalo.app_secret_key"], AccessToken: secrets["channels.zalo.access_token"],
			RefreshToken: secrets["channels.zalo.refresh_token"], APIBaseURL: "http://127.0.0.1:9/zalo", OAuthBaseURL: "http://127.0.0.1:9/oauth"}
		c.Channels.Facebook.PageToken, c.Channels.Facebook.PageID = secrets["channels.facebook.page_token"], "PAGE77"
		c.Channels.Telegram = config.Telegram{Token: tgToken, SecretToken: secrets["channels.telegram.secret_token"], APIURL: tg.URL}
		c.Channels.Email = config.Email{SMTPAddr: "127.0.0.1:2525", SMTPUser: "hotline", SMTPPassword: secrets["channels.email.smtp_password"],
			From: "Đường dây nóng 1022 <hotline@1022.example.vn>"}
	})
	r := srv.Do(t, "GET", "/api/v1/channels", srv.Admin(t), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("channels: %d %s", r.Status, r.Body)
	}
	body := string(r.Body)
	for key, v := range secrets {
		if v != "" && strings.Contains(body, v) {
			t.Errorf("the value of %s is in the answer", key)
		}
	}
	if strings.Contains(body, "123456:") {
		t.Error("a part of the Telegram token before its last 4 characters is in the answer")
	}
	var got ChannelSettings
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	views := map[Channel]ChannelView{}
	for _, v := range got.Items {
		views[v.Channel] = v
	}
	if len(got.Items) != 5 {
		t.Fatalf("%d channels, want zalo, facebook, telegram, email, webchat: %s", len(got.Items), body)
	}
	cases := []struct {
		channel         Channel
		status, webhook string
		window          int
	}{
		{ChannelZalo, "on", "/webhooks/zalo", 48},
		{ChannelFacebook, "off", "/webhooks/facebook", 24},
		{ChannelTelegram, "on", "/webhooks/telegram", 0},
		{ChannelEmail, "on", "", 0},
		{"webchat", "on", "", 0},
	}
	for _, c := range cases {
		t.Run(string(c.channel), func(t *testing.T) {
			v, ok := views[c.channel]
			if !ok || v.Status != c.status || v.Enabled != (c.status == "on") || v.WebhookPath != c.webhook {
				t.Fatalf("%+v", v)
			}
			if c.webhook != "" && v.WebhookURL != "https://1022.example.vn"+c.webhook {
				t.Fatalf("webhook url %q", v.WebhookURL)
			}
			if (c.window == 0) != (v.ReplyWindow == nil) || v.ReplyWindow != nil && v.ReplyWindow.Hours != c.window {
				t.Fatalf("reply window %+v, want %d h", v.ReplyWindow, c.window)
			}
			if c.status == "off" && (v.OffReason == "" || len(v.Needs) == 0) {
				t.Fatal("an off channel says not why")
			}
			for _, s := range v.Secrets {
				want, known := secrets[s.Key]
				switch {
				case !known:
					t.Errorf("secret %s is not covered by this test", s.Key)
				case want == "" && (s.Set || s.Value != "not set"):
					t.Errorf("%s = %+v, want not set", s.Key, s)
				case len(want) >= maskHintMin && s.Value != "••••"+want[len(want)-4:]:
					t.Errorf("%s = %q, want its last 4 characters masked", s.Key, s.Value)
				case want != "" && len(want) < maskHintMin && s.Value != "set":
					t.Errorf("%s = %q, want set (too short to show any of it)", s.Key, s.Value)
				}
				if s.Env != "IOC1022_"+strings.ToUpper(strings.ReplaceAll(s.Key, ".", "_")) {
					t.Errorf("%s env %q", s.Key, s.Env)
				}
			}
		})
	}
	if z := views[ChannelZalo]; z.BaseURLs["channels.zalo.api_base_url"] != "http://127.0.0.1:9/zalo" || z.Settings["channels.zalo.app_id"] != "zalo-app-1" ||
		z.ReplyWindow.FreeReplies != zaloFreeReplies {
		t.Fatalf("zalo %+v", z)
	}
	if tv := views[ChannelTelegram]; tv.Mode != "webhook" || tv.BaseURLs["channels.telegram.api_url"] != tg.URL {
		t.Fatalf("telegram %+v", tv)
	}
	if fb := views[ChannelFacebook]; fb.ReplyWindow.HumanAgentHours != 168 || fb.Settings["channels.facebook.page_id"] != "PAGE77" ||
		strings.Join(fb.Needs, " ") != "channels.facebook.app_secret channels.facebook.verify_token" || fb.NeedsAny {
		t.Fatalf("facebook %+v", fb)
	}

	for _, who := range [][2]string{{"supervisor", "demo-supervisor"}, {"agent1", "demo-agent1"}} {
		if r := srv.Do(t, "GET", "/api/v1/channels", srv.Login(t, who[0], who[1]), nil); r.Status != http.StatusForbidden {
			t.Fatalf("%s reads the channel settings: %d", who[0], r.Status)
		}
	}
	if doc := srv.Do(t, "GET", "/api/v1/openapi.json", srv.Admin(t), nil); !strings.Contains(string(doc.Body), `"/api/v1/channels"`) {
		t.Fatal("the OpenAPI document lacks /api/v1/channels")
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, secret, want string }{
		{"unset", "", "not set"},
		{"short: nothing of it", "abcd", "set"},
		{"15 runes: nothing of it", "abcdefghijklmnő", "set"},
		{"16 runes: the last 4", "abcdefghijklmnop", "••••mnop"},
		{"non-ASCII last runes kept whole", "mật-khẩu-rất-dài-đấy", "••••-đấy"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := mask("channels.x.y", c.secret); got.Value != c.want || got.Set != (c.secret != "") || got.Env != "IOC1022_CHANNELS_X_Y" {
				t.Fatalf("mask(%q) = %+v, want %q", c.secret, got, c.want)
			}
		})
	}
}
