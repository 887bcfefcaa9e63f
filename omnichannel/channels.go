package omnichannel

import (
	"context"
	"net/http"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// initChannels builds the connectors whose secrets are set and registers the webhooks; the
// webhook of a channel that is off answers 404.
func (m *Module) initChannels(ctx context.Context, c *app.Core) error {
	ch := c.Config.Channels
	var zaloHook, fbHook, tgHook http.Handler = webhookOff(c.API, ChannelZalo), webhookOff(c.API, ChannelFacebook), webhookOff(c.API, ChannelTelegram)
	if ch.Zalo.AppID != "" && ch.Zalo.OASecretKey != "" {
		z := newZalo(m, ch.Zalo)
		m.connectors[ChannelZalo], zaloHook = z, z
	}
	if ch.Facebook.AppSecret != "" && ch.Facebook.VerifyToken != "" {
		f := newFacebook(m, ch.Facebook)
		m.connectors[ChannelFacebook], fbHook = f, f
	}
	if ch.Telegram.Token != "" {
		t, err := newTelegram(m, ch.Telegram)
		if err != nil {
			return err
		}
		m.connectors[ChannelTelegram] = t
		if ch.Telegram.SecretToken != "" {
			tgHook = t
		}
		c.Go("omnichannel.telegram", t)
	}
	if ch.Email.IMAPAddr != "" || ch.Email.SMTPAddr != "" {
		e, err := newEmail(m, ch.Email)
		if err != nil {
			return err
		}
		m.connectors[ChannelEmail] = e
		if ch.Email.IMAPAddr != "" {
			c.Go("omnichannel.imap", e)
		}
	}
	c.API.Raw("/webhooks/zalo", zaloHook, nil)
	c.API.Raw("/webhooks/facebook", fbHook, nil)
	c.API.Raw("/webhooks/telegram", tgHook, nil)
	for _, name := range []string{"zalo", "facebook", "telegram"} {
		c.Listening("webhook      /webhooks/" + name + " (" + onOff(m.connectors[Channel(name)] != nil) + ")")
	}
	return nil
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

func upsert() *options.UpdateOneOptionsBuilder { return options.UpdateOne().SetUpsert(true) }
