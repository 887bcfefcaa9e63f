package omnichannel

import (
	"net/http"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// ChannelSettings is the answer of GET /api/v1/channels: how each channel is configured on
// this node, for the administration console. It is read-only (channels are configured in
// the config file or IOC1022_* variables) and never holds a secret in clear.
type ChannelSettings struct {
	Items []ChannelView `json:"items"`
	// General are the settings shared by every channel.
	General map[string]any `json:"general"`
}

// ChannelView is one channel's configuration. Enabled says whether this node runs the
// channel's connector (a channel whose secrets are unset is off).
type ChannelView struct {
	Channel   Channel `json:"channel"`
	Enabled   bool    `json:"enabled"`
	Status    string  `json:"status"` // on or off
	OffReason string  `json:"off_reason,omitempty"`
	// Needs are the config keys that turn the channel on: all of them, or one with NeedsAny.
	Needs       []string          `json:"needs,omitempty"`
	NeedsAny    bool              `json:"needs_any,omitempty"`
	Mode        string            `json:"mode,omitempty"`         // how messages arrive: webhook, long_polling, imap, websocket
	WebhookPath string            `json:"webhook_path,omitempty"` // the path platforms post to on this node
	WebhookURL  string            `json:"webhook_url,omitempty"`  // with http.public_url, when set
	BaseURLs    map[string]string `json:"base_urls,omitempty"`    // the platform's endpoints (config keys)
	ReplyWindow *ReplyWindow      `json:"reply_window,omitempty"` // nil: the channel has none
	Settings    map[string]any    `json:"settings,omitempty"`     // other non-secret settings, by config key
	Endpoints   map[string]string `json:"endpoints,omitempty"`    // this node's paths the channel's clients use
	Secrets     []MaskedSecret    `json:"secrets"`
}

// ReplyWindow is how long after the citizen's last message the platform lets us answer.
type ReplyWindow struct {
	Hours int `json:"hours"`
	// FreeReplies caps the answers within the window (Zalo), 0 for no cap.
	FreeReplies int `json:"free_replies,omitempty"`
	// HumanAgentHours is the longer window of a human agent's messages (Messenger's HUMAN_AGENT tag).
	HumanAgentHours int    `json:"human_agent_hours,omitempty"`
	Note            string `json:"note,omitempty"`
}

// MaskedSecret says whether a secret is configured, never what it is: Value is "not set",
// "set", "generated" (made and kept by the node) or, for secrets of at least
// maskHintMin characters, "••••" and its last 4 characters.
type MaskedSecret struct {
	Key   string `json:"key"` // config key, e.g. channels.zalo.oa_secret_key
	Env   string `json:"env"` // the environment variable that sets it
	Set   bool   `json:"set"`
	Value string `json:"value"`
}

// maskHintMin is the shortest secret whose last 4 characters may be shown: 4 of 16 leave
// too little to guess, 4 of a short password would not.
const maskHintMin = 16

// mask describes the secret at key without showing it.
func mask(key, secret string) MaskedSecret {
	s := MaskedSecret{Key: key, Env: "IOC1022_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(key)), Value: "not set"}
	switch r := []rune(secret); {
	case len(r) == 0:
	case len(r) >= maskHintMin:
		s.Set, s.Value = true, "••••"+string(r[len(r)-4:])
	default:
		s.Set, s.Value = true, "set"
	}
	return s
}

// hours is d in whole hours.
func hours(d time.Duration) int { return int(d / time.Hour) }

func (m *Module) registerSettings(api *httpapi.API) {
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/channels", Tag: "channels",
		Summary: "The channels' settings on this node (read-only, secrets masked)",
		Access:  httpapi.Users(httpapi.RoleAdmin), Response: ChannelSettings{},
		Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) (ChannelSettings, error) {
			return m.channelSettings(), nil
		})})
}

// channelSettings describes the configuration the module was started with.
func (m *Module) channelSettings() ChannelSettings {
	ch := m.cfg.Channels
	return ChannelSettings{
		Items: []ChannelView{m.zaloView(ch.Zalo), m.facebookView(ch.Facebook), m.telegramView(ch.Telegram),
			m.emailView(ch.Email), m.webchatView(ch)},
		General: map[string]any{"channels.max_open_per_agent": ch.MaxOpenPerAgent, "channels.fallback": ch.Fallback,
			"http.public_url": m.cfg.HTTP.PublicURL},
	}
}

// view starts a channel's view: on when the module runs its connector; off, it names the
// config keys that would turn it on (all of needs, or one of them with anyOf).
func (m *Module) view(c Channel, webhook string, anyOf bool, needs ...string) ChannelView {
	v := ChannelView{Channel: c, Enabled: m.connectors[c] != nil, Status: "off", WebhookPath: webhook}
	if v.Enabled {
		v.Status = "on"
	} else if len(needs) > 0 {
		v.Needs, v.NeedsAny = needs, anyOf
		join := " and "
		if anyOf {
			join = " or "
		}
		v.OffReason = strings.Join(needs, join) + " not set"
	}
	if webhook != "" && m.cfg.HTTP.PublicURL != "" {
		v.WebhookURL = strings.TrimRight(m.cfg.HTTP.PublicURL, "/") + webhook
	}
	return v
}

func (m *Module) zaloView(z config.Zalo) ChannelView {
	v := m.view(ChannelZalo, "/webhooks/zalo", false, "channels.zalo.app_id", "channels.zalo.oa_secret_key")
	v.Mode = "webhook"
	v.BaseURLs = map[string]string{"channels.zalo.api_base_url": z.APIBaseURL, "channels.zalo.oauth_base_url": z.OAuthBaseURL}
	v.ReplyWindow = &ReplyWindow{Hours: hours(zaloWindow), FreeReplies: zaloFreeReplies,
		Note: "free customer-service replies after the citizen's last message"}
	v.Settings = map[string]any{"channels.zalo.app_id": z.AppID}
	v.Secrets = []MaskedSecret{mask("channels.zalo.oa_secret_key", z.OASecretKey), mask("channels.zalo.app_secret_key", z.AppSecretKey),
		mask("channels.zalo.access_token", z.AccessToken), mask("channels.zalo.refresh_token", z.RefreshToken)}
	return v
}

func (m *Module) facebookView(f config.Facebook) ChannelView {
	v := m.view(ChannelFacebook, "/webhooks/facebook", false, "channels.facebook.app_secret", "channels.facebook.verify_token")
	v.Mode = "webhook"
	v.BaseURLs = map[string]string{"channels.facebook.graph_url": f.GraphURL}
	v.ReplyWindow = &ReplyWindow{Hours: hours(messengerWindow), HumanAgentHours: hours(messengerHumanWindow),
		Note: "standard messages within 24 h of the citizen's last message; an agent's, tagged HUMAN_AGENT, within 7 days"}
	v.Settings = map[string]any{"channels.facebook.page_id": f.PageID}
	v.Secrets = []MaskedSecret{mask("channels.facebook.app_secret", f.AppSecret), mask("channels.facebook.verify_token", f.VerifyToken),
		mask("channels.facebook.page_token", f.PageToken)}
	return v
}

func (m *Module) telegramView(t config.Telegram) ChannelView {
	v := m.view(ChannelTelegram, "/webhooks/telegram", false, "channels.telegram.token")
	v.Mode = "long_polling"
	if m.cfg.HTTP.PublicURL != "" {
		v.Mode = "webhook"
	}
	v.BaseURLs = map[string]string{"channels.telegram.api_url": t.APIURL}
	v.Secrets = []MaskedSecret{mask("channels.telegram.token", t.Token), mask("channels.telegram.secret_token", t.SecretToken)}
	return v
}

func (m *Module) emailView(e config.Email) ChannelView {
	v := m.view(ChannelEmail, "", true, "channels.email.imap_addr", "channels.email.smtp_addr")
	if e.IMAPAddr != "" {
		v.Mode = "imap"
	}
	v.Settings = map[string]any{"channels.email.imap_addr": e.IMAPAddr, "channels.email.imap_user": e.IMAPUser,
		"channels.email.smtp_addr": e.SMTPAddr, "channels.email.smtp_user": e.SMTPUser, "channels.email.from": e.From,
		"channels.email.poll_interval": e.PollInterval.String()}
	v.Secrets = []MaskedSecret{mask("channels.email.imap_password", e.IMAPPassword), mask("channels.email.smtp_password", e.SMTPPassword)}
	return v
}

// webchatView covers the web widget and the mobile app, which share the chat API.
func (m *Module) webchatView(ch config.Channels) ChannelView {
	v := m.view(ChannelWeb, "", false)
	v.Channel, v.Mode = "webchat", "websocket"
	v.Settings = map[string]any{"channels.allowed_origins": ch.AllowedOrigins}
	v.Endpoints = map[string]string{"widget": "/webchat/widget.js", "socket": "/webchat/ws", "session": "/api/v1/webchat/session"}
	widget := mask("channels.widget_secret", ch.WidgetSecret)
	if !widget.Set {
		widget.Set, widget.Value = true, "generated" // made once and kept in the store by this node
	}
	v.Secrets = []MaskedSecret{widget, mask("channels.app_token_secret", ch.AppTokenSecret)}
	return v
}
