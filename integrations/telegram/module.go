// Package telegram is the officers' and leaders' Telegram bot (ioc.telegram.*), a bot of
// its own beside the citizens' one of omnichannel. An officer links their Telegram account
// with a one-time code from POST /api/v1/telegram/link-code (sending /start CODE or
// /link CODE to the bot); linked officers then receive the tickets newly assigned to their
// departments, with buttons that accept or show the ticket acting with their own rights,
// and the due-soon and overdue reminders. Leaders' groups (ioc.telegram.leader_chats, and a
// department's contacts.telegram_chat for alerts about that department) receive the alerts
// and acknowledge them with a button. /ticket CODE shows a ticket to those allowed.
//
// Updates arrive by webhook (ioc.telegram.webhook_url: the secret token is checked first,
// the update is stored before it is acknowledged, then processed) or by long polling. The
// bot is off when ioc.telegram.token is unset. Docs: docs/telegram.md.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/refdata"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"github.com/ioc1022/ioc1022/tickets"
	"golang.org/x/time/rate"
)

// WebhookPath is where Telegram posts the officers' bot's updates.
const WebhookPath = "/webhooks/ioc-telegram"

// TicketDesk is what the bot needs of the ticket engine: read a ticket, and act on it on
// behalf of a user (the engine enforces that user's rights).
type TicketDesk interface {
	Get(ctx context.Context, code tickets.Code) (*tickets.Ticket, error)
	Act(ctx context.Context, code tickets.Code, action string, req tickets.ActionRequest, by *httpapi.Principal) (*tickets.Ticket, error)
}

// AlertAcker acknowledges alerts (the alert engine, ioc-core/alerts).
type AlertAcker interface {
	Ack(ctx context.Context, id, by, note string) (*alerts.Alert, error)
}

// Module is the officers' Telegram bot.
type Module struct {
	// Now is the clock of link codes; tests replace it.
	Now func() time.Time

	desk  TicketDesk
	acker AlertAcker
	cfg   config.IOCTelegram
	log   *slog.Logger
	st    *store.Store
	users *auth.Service
	ref   *refdata.Service
	bot   *bot.Bot
	limit *rate.Limiter // Bot API calls: under Telegram's 30 messages a second
	tries *auth.Limiter // link attempts per Telegram account
	bell  chan struct{}
}

// New returns the bot acting on tickets through desk.
func New(desk TicketDesk) *Module {
	return &Module{Now: time.Now, desk: desk, limit: rate.NewLimiter(25, 5), tries: auth.NewLimiter(time.Hour), bell: make(chan struct{}, 1)}
}

// Name implements app.Module.
func (m *Module) Name() string { return "telegram" }

// Init registers the link API always, and when a token is configured the bot, its webhook
// or poller, and the consumers of ticket and alert events.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	m.cfg, m.log, m.st, m.users, m.ref = c.Config.IOC.Telegram, c.Log.With("module", "telegram"), c.Store, c.Auth, c.Ref
	if err := m.ensureIndexes(ctx); err != nil {
		return err
	}
	m.registerLinks(c.API)
	if m.cfg.Token == "" {
		return nil
	}
	if e, ok := c.Services.Load(alerts.ServiceName); ok {
		m.acker = e.(AlertAcker)
	}
	opts := []bot.Option{bot.WithSkipGetMe(), bot.WithDefaultHandler(m.onUpdate), bot.WithNotAsyncHandlers(),
		bot.WithErrorsHandler(func(err error) { m.log.Warn("telegram bot", "err", err) }),
		bot.WithHTTPClient(time.Minute, &http.Client{Timeout: 90 * time.Second})}
	if m.cfg.APIURL != "" {
		opts = append(opts, bot.WithServerURL(m.cfg.APIURL))
	}
	b, err := bot.New(m.cfg.Token, opts...)
	if err != nil {
		return fmt.Errorf("telegram bot: %w", err)
	}
	m.bot = b
	c.Events.Subscribe("telegram.tickets", m.onTicketEvent, "ticket.created", "ticket.assigned", "ticket.triaged",
		"ticket.transferred", "ticket.due_soon", "ticket.overdue")
	c.Events.Subscribe("telegram.alerts", m.onAlertEvent, "alert.fired")
	if m.cfg.WebhookURL != "" {
		c.API.Raw("POST "+WebhookPath, http.HandlerFunc(m.handleWebhook), nil)
		c.Listening("officers' Telegram bot: webhook " + m.cfg.WebhookURL)
	} else {
		c.Listening("officers' Telegram bot: long polling")
	}
	c.Go("telegram", m)
	return nil
}

// Run registers the webhook and processes stored updates, or polls for updates, until ctx
// ends.
func (m *Module) Run(ctx context.Context) error {
	if m.cfg.WebhookURL != "" {
		err := m.call(ctx, func(ctx context.Context) error {
			_, err := m.bot.SetWebhook(ctx, &bot.SetWebhookParams{URL: m.cfg.WebhookURL, SecretToken: m.cfg.SecretToken,
				AllowedUpdates: []string{"message", "callback_query"}})
			return err
		})
		if err != nil && ctx.Err() == nil {
			m.log.Error("telegram: setWebhook", "err", err)
		}
		return m.processStored(ctx)
	}
	err := m.call(ctx, func(ctx context.Context) error {
		_, err := m.bot.DeleteWebhook(ctx, &bot.DeleteWebhookParams{})
		return err
	})
	if err != nil && ctx.Err() == nil {
		m.log.Warn("telegram: deleteWebhook before polling", "err", err)
	}
	m.bot.Start(ctx)
	return nil
}

// call runs a Bot API call, waiting for the rate limiter, and when Telegram answers 429
// waits its retry_after and tries again (at most 5 tries).
func (m *Module) call(ctx context.Context, f func(ctx context.Context) error) error {
	for attempt := 1; ; attempt++ {
		if err := m.limit.Wait(ctx); err != nil {
			return err
		}
		err := f(ctx)
		var tooMany *bot.TooManyRequestsError
		if !errors.As(err, &tooMany) || attempt == 5 {
			return err
		}
		wait := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
		m.log.Info("telegram: rate limited", "retry_after_s", tooMany.RetryAfter)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// send sends a message to a chat.
func (m *Module) send(ctx context.Context, chat any, text string, markup models.ReplyMarkup) error {
	return m.call(ctx, func(ctx context.Context) error {
		_, err := m.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat, Text: text, ReplyMarkup: markup})
		return err
	})
}
