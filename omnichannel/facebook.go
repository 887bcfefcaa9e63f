package omnichannel

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Messenger's windows: standard messages within 24 h of the citizen's last message; a
// human agent's messages with the HUMAN_AGENT tag within 7 days.
const (
	messengerWindow      = 24 * time.Hour
	messengerHumanWindow = 7 * 24 * time.Hour
)

// facebookConnector is the Messenger connector: the webhook at /webhooks/facebook and the
// Send API. Contract: /work/shared/CONTRACTS.md §2b.
type facebookConnector struct {
	m      *Module
	cfg    config.Facebook
	client *http.Client
}

func newFacebook(m *Module, cfg config.Facebook) *facebookConnector {
	return &facebookConnector{m: m, cfg: cfg, client: &http.Client{Timeout: 15 * time.Second}}
}

func (f *facebookConnector) Channel() Channel { return ChannelFacebook }

// messengerSignature is "sha256=" + hex(HMAC-SHA256(app secret, raw body)).
func messengerSignature(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

type messengerPayload struct {
	Object string `json:"object"`
	Entry  []struct {
		ID        string           `json:"id"`
		Messaging []messengerEvent `json:"messaging"`
	} `json:"entry"`
}

type messengerEvent struct {
	Sender struct {
		ID string `json:"id"`
	} `json:"sender"`
	Timestamp int64 `json:"timestamp"`
	Message   *struct {
		MID         string `json:"mid"`
		Text        string `json:"text"`
		IsEcho      bool   `json:"is_echo"`
		Attachments []struct {
			Type    string `json:"type"`
			Payload struct {
				URL         string `json:"url"`
				Coordinates *struct {
					Lat  float64 `json:"lat"`
					Long float64 `json:"long"`
				} `json:"coordinates"`
			} `json:"payload"`
		} `json:"attachments"`
		QuickReply *struct {
			Payload string `json:"payload"`
		} `json:"quick_reply"`
	} `json:"message"`
	Postback *struct {
		MID     string `json:"mid"`
		Title   string `json:"title"`
		Payload string `json:"payload"`
	} `json:"postback"`
	Delivery *struct {
		Watermark int64 `json:"watermark"`
	} `json:"delivery"`
	Read *struct {
		Watermark int64 `json:"watermark"`
	} `json:"read"`
}

// receipt is a delivery or read watermark of a thread.
type receipt struct {
	thread    string
	state     DeliveryState
	watermark time.Time
}

// parseMessenger verifies a webhook delivery and reads its messages and receipts.
func parseMessenger(body []byte, sigHeader, appSecret string) ([]Inbound, []receipt, error) {
	want := messengerSignature(appSecret, body)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(strings.TrimSpace(sigHeader))), []byte(want)) != 1 {
		return nil, nil, ErrBadSignature
	}
	var p messengerPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, nil, fmt.Errorf("messenger event: %w", err)
	}
	if p.Object != "page" {
		return nil, nil, fmt.Errorf("messenger event: object %q is not page", p.Object)
	}
	var ins []Inbound
	var rs []receipt
	for _, e := range p.Entry {
		for _, ev := range e.Messaging {
			if ev.Sender.ID == "" {
				continue
			}
			if in, ok := messengerInbound(ev); ok {
				ins = append(ins, in)
			}
			if ev.Delivery != nil {
				rs = append(rs, receipt{ev.Sender.ID, DeliveryDelivered, time.UnixMilli(ev.Delivery.Watermark).UTC()})
			}
			if ev.Read != nil {
				rs = append(rs, receipt{ev.Sender.ID, DeliveryRead, time.UnixMilli(ev.Read.Watermark).UTC()})
			}
		}
	}
	return ins, rs, nil
}

func messengerInbound(ev messengerEvent) (Inbound, bool) {
	in := Inbound{Channel: ChannelFacebook, Thread: ev.Sender.ID, Keys: []ContactKey{ContactKey("facebook:" + ev.Sender.ID)},
		SentAt: time.UnixMilli(ev.Timestamp).UTC(), Kind: KindText}
	switch {
	case ev.Message != nil && !ev.Message.IsEcho && ev.Message.MID != "":
		in.MsgID, in.Text = ev.Message.MID, ev.Message.Text
		for _, a := range ev.Message.Attachments {
			att := Attachment{Type: a.Type, URL: a.Payload.URL}
			if c := a.Payload.Coordinates; c != nil {
				att.Type, att.Lat, att.Lng = "location", c.Lat, c.Long
			}
			in.Attachments = append(in.Attachments, att)
		}
		if len(in.Attachments) > 0 && in.Text == "" {
			switch in.Attachments[0].Type {
			case "image":
				in.Kind = KindImage
			case "location":
				in.Kind = KindLocation
			default:
				in.Kind = KindFile
			}
		}
		if ev.Message.QuickReply != nil {
			in.Meta = map[string]string{"payload": ev.Message.QuickReply.Payload}
		}
	case ev.Postback != nil:
		in.MsgID, in.Text = ev.Postback.MID, ev.Postback.Title
		if in.MsgID == "" {
			in.MsgID = "postback:" + ev.Sender.ID + ":" + strconv.FormatInt(ev.Timestamp, 10)
		}
		in.Meta = map[string]string{"payload": ev.Postback.Payload}
	default:
		return in, false
	}
	in.ID = "facebook:" + in.MsgID
	return in, true
}

func (f *facebookConnector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		f.verify(w, r)
	case http.MethodPost:
		f.receive(w, r)
	default:
		f.m.api.Fail(w, r, httpapi.Errorf(http.StatusMethodNotAllowed, "method_not_allowed", "GET or POST only"))
	}
}

// verify answers Meta's subscription check by echoing hub.challenge.
func (f *facebookConnector) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tok := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" || subtle.ConstantTimeCompare([]byte(tok), []byte(f.cfg.VerifyToken)) != 1 {
		f.m.api.Fail(w, r, httpapi.Forbidden("verification failed"))
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(q.Get("hub.challenge")))
}

func (f *facebookConnector) receive(w http.ResponseWriter, r *http.Request) {
	body, err := readWebhookBody(w, r)
	if err != nil {
		f.m.api.Fail(w, r, err)
		return
	}
	ins, receipts, err := parseMessenger(body, r.Header.Get("X-Hub-Signature-256"), f.cfg.AppSecret)
	if !f.m.storeParsed(w, r, ChannelFacebook, "X-Hub-Signature-256", ins, err) {
		return
	}
	for _, rc := range receipts {
		f.m.applyReceipt(r.Context(), ChannelFacebook, rc)
	}
	ackWebhook(w)
}

// applyReceipt moves the thread's outbound messages sent up to the watermark forward.
// Receipts are idempotent and best effort: a lost one only leaves a state behind.
func (m *Module) applyReceipt(ctx context.Context, ch Channel, rc receipt) {
	conv, err := m.conversationByKey(ctx, threadKey(ch, rc.thread))
	if err != nil {
		return
	}
	err = m.advanceDelivery(ctx, conv, rc.state, conv.Seq, func(msg *Message) bool { return !msg.CreatedAt.After(rc.watermark) },
		bson.M{"created_at": bson.M{"$lte": rc.watermark}})
	if err != nil {
		m.log.Warn("apply receipt", "channel", ch, "err", err)
	}
}

// Send calls the Send API: RESPONSE within 24 h of the citizen's last message (UPDATE for
// a notice), MESSAGE_TAG with HUMAN_AGENT up to 7 days, nothing after.
func (f *facebookConnector) Send(ctx context.Context, to Recipient, msg Outgoing) (string, error) {
	if to.LastInboundAt == nil {
		return "", fmt.Errorf("messenger: %w (the citizen never wrote)", ErrWindowClosed)
	}
	body := map[string]any{"recipient": map[string]string{"id": to.Thread}}
	since := time.Since(*to.LastInboundAt)
	switch {
	case since <= messengerWindow && msg.Notice:
		body["messaging_type"] = "UPDATE"
	case since <= messengerWindow:
		body["messaging_type"] = "RESPONSE"
	case since <= messengerHumanWindow:
		body["messaging_type"], body["tag"] = "MESSAGE_TAG", "HUMAN_AGENT"
	default:
		return "", fmt.Errorf("messenger: %w (7 days after the citizen's last message)", ErrWindowClosed)
	}
	text := msg.Text
	for _, a := range msg.Attachments {
		text += "\n" + a.URL
	}
	body["message"] = map[string]string{"text": text}
	page := "me"
	if f.cfg.PageID != "" {
		page = f.cfg.PageID
	}
	u := strings.TrimRight(f.cfg.GraphURL, "/") + "/" + url.PathEscape(page) + "/messages?access_token=" + url.QueryEscape(f.cfg.PageToken)
	req, err := http.NewRequestWithContext(ctx, "POST", u, bytes.NewReader(mustJSON(body)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return "", &SendError{Channel: ChannelFacebook, Message: err.Error()}
	}
	defer resp.Body.Close()
	var out struct {
		MessageID string `json:"message_id"`
		Error     *struct {
			Message string `json:"message"`
			Code    int    `json:"code"`
			Subcode int    `json:"error_subcode"`
		} `json:"error"`
	}
	_ = json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&out)
	if resp.StatusCode == http.StatusOK && out.MessageID != "" {
		return out.MessageID, nil
	}
	se := &SendError{Channel: ChannelFacebook, Status: resp.StatusCode, Message: resp.Status}
	if out.Error != nil {
		se.Code, se.Message = strconv.Itoa(out.Error.Code), out.Error.Message
		// 4, 32, 613: rate limits; 1, 2: temporary; the rest will not pass by retrying.
		switch out.Error.Code {
		case 1, 2, 4, 32, 613:
		default:
			se.Permanent = true
		}
	}
	return "", se
}
