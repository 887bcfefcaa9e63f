package omnichannel

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// telegramConnector is the Telegram connector, on github.com/go-telegram/bot for sending.
// Inbound updates never go through the library's handler, which acknowledges before
// processing and answers 200 to a wrong secret: the webhook checks the secret first,
// stores the update, then answers; long polling stores a batch before asking for the
// next one, whose offset is what confirms the batch to Telegram.
// Contract: /work/shared/CONTRACTS.md §2c.
type telegramConnector struct {
	m      *Module
	cfg    config.Telegram
	bot    *bot.Bot
	client *http.Client
}

func newTelegram(m *Module, cfg config.Telegram) (*telegramConnector, error) {
	client := &http.Client{Timeout: 70 * time.Second}
	b, err := bot.New(cfg.Token, bot.WithServerURL(strings.TrimRight(cfg.APIURL, "/")), bot.WithSkipGetMe(),
		bot.WithHTTPClient(time.Minute, client))
	if err != nil {
		return nil, fmt.Errorf("telegram bot: %w", err)
	}
	return &telegramConnector{m: m, cfg: cfg, bot: b, client: client}, nil
}

func (t *telegramConnector) Channel() Channel { return ChannelTelegram }

// parseTelegram reads one update into at most one inbound item.
func parseTelegram(body []byte) ([]Inbound, error) {
	var u models.Update
	if err := json.Unmarshal(body, &u); err != nil {
		return nil, fmt.Errorf("telegram update: %w", err)
	}
	if u.ID == 0 {
		return nil, errors.New("telegram update without update_id")
	}
	in, ok := telegramInbound(&u)
	if !ok {
		return nil, nil
	}
	return []Inbound{in}, nil
}

func telegramInbound(u *models.Update) (Inbound, bool) {
	msg := u.Message
	if msg == nil || msg.Chat.ID == 0 || (msg.From != nil && msg.From.IsBot) {
		return Inbound{}, false
	}
	chat := strconv.FormatInt(msg.Chat.ID, 10)
	in := Inbound{ID: "telegram:" + strconv.FormatInt(u.ID, 10), Channel: ChannelTelegram, MsgID: strconv.Itoa(msg.ID),
		Thread: chat, Keys: []ContactKey{ContactKey("telegram:" + chat)}, Kind: KindText, Text: msg.Text,
		SentAt: time.Unix(int64(msg.Date), 0).UTC()}
	if msg.From != nil {
		in.Name = strings.TrimSpace(msg.From.FirstName + " " + msg.From.LastName)
	}
	switch {
	case len(msg.Photo) > 0:
		p := msg.Photo[len(msg.Photo)-1]
		in.Kind, in.Text = KindImage, msg.Caption
		in.Attachments = []Attachment{{Type: "image", StoredID: "", URL: "telegram-file:" + p.FileID, Size: int64(p.FileSize)}}
	case msg.Document != nil:
		in.Kind, in.Text = KindFile, msg.Caption
		in.Attachments = []Attachment{{Type: "file", Name: msg.Document.FileName, MIME: msg.Document.MimeType,
			Size: msg.Document.FileSize, URL: "telegram-file:" + msg.Document.FileID}}
	case msg.Location != nil:
		in.Kind = KindLocation
		in.Attachments = []Attachment{{Type: "location", Lat: msg.Location.Latitude, Lng: msg.Location.Longitude}}
	case msg.Sticker != nil:
		in.Kind = KindSticker
	case msg.Contact != nil && msg.Contact.PhoneNumber != "":
		in.Phone, in.Text = msg.Contact.PhoneNumber, msg.Contact.PhoneNumber
		in.Keys = append(in.Keys, ContactKey("phone:"+msg.Contact.PhoneNumber))
	case in.Text == "":
		return in, false
	}
	return in, true
}

// ServeHTTP is the webhook: the secret token is checked before anything else.
func (t *telegramConnector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(t.cfg.SecretToken)) != 1 {
		t.m.log.Warn("telegram webhook with a wrong secret token", "channel", ChannelTelegram)
		t.m.api.Fail(w, r, httpapi.Unauthorized("wrong X-Telegram-Bot-Api-Secret-Token"))
		return
	}
	if r.Method != http.MethodPost {
		t.m.api.Fail(w, r, httpapi.Errorf(http.StatusMethodNotAllowed, "method_not_allowed", "POST only"))
		return
	}
	body, err := readWebhookBody(w, r)
	if err != nil {
		t.m.api.Fail(w, r, err)
		return
	}
	items, err := parseTelegram(body)
	if err != nil {
		t.m.api.Fail(w, r, httpapi.BadRequest("%v", err))
		return
	}
	if err := t.m.accept(r.Context(), items...); err != nil {
		t.m.api.Fail(w, r, err)
		return
	}
	ackWebhook(w)
}

// Run registers the webhook when the node has a public URL, or long-polls otherwise.
func (t *telegramConnector) Run(ctx context.Context) error {
	if base := t.m.cfg.HTTP.PublicURL; base != "" {
		_, err := t.bot.SetWebhook(ctx, &bot.SetWebhookParams{URL: strings.TrimRight(base, "/") + "/webhooks/telegram",
			SecretToken: t.cfg.SecretToken, AllowedUpdates: []string{"message"}})
		if err != nil && ctx.Err() == nil {
			t.m.log.Error("telegram set webhook", "err", err)
		}
		<-ctx.Done()
		return nil
	}
	return t.poll(ctx)
}

const telegramOffsetID = "telegram_offset"

// poll long-polls getUpdates. A batch is stored before the next call, whose offset
// confirms it, so a crash at any point only makes Telegram send the batch again.
func (t *telegramConnector) poll(ctx context.Context) error {
	var off struct {
		Next int64 `bson:"next"`
	}
	_ = t.m.st.C(settingsColl).FindOne(ctx, bson.M{"_id": telegramOffsetID}).Decode(&off)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		ups, err := t.getUpdates(ctx, off.Next)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			t.m.log.Warn("telegram getUpdates", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		var items []Inbound
		for i := range ups {
			if in, ok := telegramInbound(&ups[i]); ok {
				items = append(items, in)
			}
			off.Next = max(off.Next, ups[i].ID+1)
		}
		if err := t.m.accept(ctx, items...); err != nil {
			t.m.log.Error("telegram store updates", "err", err)
			continue // not confirmed: the same batch comes again
		}
		if len(ups) > 0 {
			_, _ = t.m.st.C(settingsColl).UpdateOne(ctx, bson.M{"_id": telegramOffsetID}, bson.M{"$set": bson.M{"next": off.Next}}, upsert())
		}
	}
	return nil
}

func (t *telegramConnector) getUpdates(ctx context.Context, offset int64) ([]models.Update, error) {
	body := mustJSON(map[string]any{"offset": offset, "timeout": 50, "allowed_updates": []string{"message"}})
	u := strings.TrimRight(t.cfg.APIURL, "/") + "/bot" + t.cfg.Token + "/getUpdates"
	req, err := http.NewRequestWithContext(ctx, "POST", u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, errors.New("getUpdates request failed") // the error text would hold the token
	}
	defer resp.Body.Close()
	var out struct {
		OK          bool            `json:"ok"`
		Result      []models.Update `json:"result"`
		Description string          `json:"description"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 8<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("getUpdates: %w", err)
	}
	if !out.OK {
		return nil, fmt.Errorf("getUpdates: %d %s", resp.StatusCode, out.Description)
	}
	return out.Result, nil
}

// Send sends a text; Telegram has no reply window once the citizen has started the bot.
func (t *telegramConnector) Send(ctx context.Context, to Recipient, msg Outgoing) (string, error) {
	chat, err := strconv.ParseInt(to.Thread, 10, 64)
	if err != nil {
		return "", &SendError{Channel: ChannelTelegram, Message: "bad chat id " + to.Thread, Permanent: true}
	}
	text := msg.Text
	for _, a := range msg.Attachments {
		text += "\n" + a.URL
	}
	sent, err := t.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat, Text: text})
	if err != nil {
		se := &SendError{Channel: ChannelTelegram, Message: err.Error()}
		var tooMany *bot.TooManyRequestsError
		switch {
		case errors.As(err, &tooMany):
			se.Status, se.RetryAfter = http.StatusTooManyRequests, time.Duration(tooMany.RetryAfter)*time.Second
		case errors.Is(err, bot.ErrorForbidden), errors.Is(err, bot.ErrorBadRequest), errors.Is(err, bot.ErrorUnauthorized), errors.Is(err, bot.ErrorNotFound):
			se.Permanent = true
		}
		return "", se
	}
	return strconv.Itoa(sent.ID), nil
}
