package omnichannel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Zalo's reply rules: free replies within 48 h of the citizen's last message, 8 of them.
const (
	zaloWindow      = 48 * time.Hour
	zaloFreeReplies = 8
)

// zaloConnector is the Zalo Official Account connector: the webhook at /webhooks/zalo and
// the customer-service send API. Contract: /work/shared/CONTRACTS.md §2a.
type zaloConnector struct {
	m      *Module
	cfg    config.Zalo
	client *http.Client
	mu     sync.Mutex // one token refresh at a time
}

func newZalo(m *Module, cfg config.Zalo) *zaloConnector {
	return &zaloConnector{m: m, cfg: cfg, client: &http.Client{Timeout: 15 * time.Second}}
}

func (z *zaloConnector) Channel() Channel { return ChannelZalo }

// zaloEvent is the part of a Zalo webhook body omnichannel reads. Big numbers are strings.
type zaloEvent struct {
	AppID     string `json:"app_id"`
	EventName string `json:"event_name"`
	Timestamp string `json:"timestamp"`
	Sender    struct {
		ID string `json:"id"`
	} `json:"sender"`
	Follower struct {
		ID string `json:"id"`
	} `json:"follower"`
	Message struct {
		MsgID       string `json:"msg_id"`
		Text        string `json:"text"`
		Attachments []struct {
			Type    string `json:"type"`
			Payload struct {
				URL         string          `json:"url"`
				Thumbnail   string          `json:"thumbnail"`
				Name        string          `json:"name"`
				Size        json.Number     `json:"size"`
				Coordinates *zaloCoordinate `json:"coordinates"`
			} `json:"payload"`
		} `json:"attachments"`
	} `json:"message"`
}

type zaloCoordinate struct {
	Latitude  json.Number `json:"latitude"`
	Longitude json.Number `json:"longitude"`
}

// zaloSignature is hex(SHA-256(app_id + raw body + timestamp + OA secret key)).
func zaloSignature(appID string, body []byte, timestamp, oaSecret string) string {
	h := sha256.New()
	h.Write([]byte(appID))
	h.Write(body)
	h.Write([]byte(timestamp))
	h.Write([]byte(oaSecret))
	return hex.EncodeToString(h.Sum(nil))
}

// parseZalo verifies a webhook delivery and reads it into at most one inbound item.
// It returns ErrBadSignature for a missing or wrong signature or another app's event.
func parseZalo(body []byte, sigHeader, appID, oaSecret string) ([]Inbound, error) {
	var ev zaloEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("zalo event: %w", err)
	}
	sig := strings.TrimPrefix(strings.TrimSpace(sigHeader), "mac=")
	want := zaloSignature(ev.AppID, body, ev.Timestamp, oaSecret)
	if ev.AppID != appID || subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		return nil, ErrBadSignature
	}
	at := time.Now().UTC()
	if ms, err := strconv.ParseInt(ev.Timestamp, 10, 64); err == nil {
		at = time.UnixMilli(ms).UTC()
	}
	in := Inbound{Channel: ChannelZalo, Thread: ev.Sender.ID, MsgID: ev.Message.MsgID, SentAt: at, Text: ev.Message.Text}
	switch ev.EventName {
	case "follow", "unfollow":
		if ev.Follower.ID == "" {
			return nil, fmt.Errorf("zalo %s without follower id", ev.EventName)
		}
		in.Thread, in.Kind, in.Event = ev.Follower.ID, KindEvent, ev.EventName
		in.MsgID = ev.EventName + ":" + ev.Follower.ID + ":" + ev.Timestamp
	case "user_send_text":
		in.Kind = KindText
	case "user_send_image", "user_send_gif":
		in.Kind = KindImage
	case "user_send_file", "user_send_audio", "user_send_video":
		in.Kind = KindFile
	case "user_send_location":
		in.Kind = KindLocation
	case "user_send_sticker":
		in.Kind = KindSticker
	default:
		return nil, nil // OA echoes and events omnichannel does not use
	}
	if in.Thread == "" || in.MsgID == "" {
		return nil, fmt.Errorf("zalo %s without sender or msg_id", ev.EventName)
	}
	for _, a := range ev.Message.Attachments {
		att := Attachment{Type: a.Type, URL: a.Payload.URL, Name: a.Payload.Name}
		att.Size, _ = a.Payload.Size.Int64()
		if c := a.Payload.Coordinates; c != nil {
			att.Lat, _ = c.Latitude.Float64()
			att.Lng, _ = c.Longitude.Float64()
		}
		in.Attachments = append(in.Attachments, att)
	}
	in.ID = "zalo:" + in.MsgID
	in.Keys = []ContactKey{ContactKey("zalo:" + in.Thread)}
	return []Inbound{in}, nil
}

func (z *zaloConnector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		z.m.api.Fail(w, r, httpapi.Errorf(http.StatusMethodNotAllowed, "method_not_allowed", "POST only"))
		return
	}
	body, err := readWebhookBody(w, r)
	if err != nil {
		z.m.api.Fail(w, r, err)
		return
	}
	items, err := parseZalo(body, r.Header.Get("X-ZEvent-Signature"), z.cfg.AppID, z.cfg.OASecretKey)
	if !z.m.storeParsed(w, r, ChannelZalo, "X-ZEvent-Signature", items, err) {
		return
	}
	ackWebhook(w)
}

// zaloToken is the OA's token pair, kept in the store: refresh tokens are single-use, so
// the new pair is written in one conditional update before it is used.
type zaloToken struct {
	ID           string    `bson:"_id"`
	AccessToken  string    `bson:"access_token"`
	RefreshToken string    `bson:"refresh_token"`
	ExpiresAt    time.Time `bson:"expires_at"`
	Version      int64     `bson:"version"`
}

const zaloTokenID = "zalo_token"

func (z *zaloConnector) token(ctx context.Context) (zaloToken, error) {
	t := zaloToken{ID: zaloTokenID, AccessToken: z.cfg.AccessToken, RefreshToken: z.cfg.RefreshToken, Version: 1}
	if _, err := z.m.st.C(settingsColl).InsertOne(ctx, t); err != nil && !store.IsDuplicate(err) {
		return t, fmt.Errorf("zalo token: %w", err)
	}
	err := z.m.st.C(settingsColl).FindOne(ctx, bson.M{"_id": zaloTokenID}).Decode(&t)
	return t, err
}

// refresh replaces the token pair used, unless another sender already did.
func (z *zaloConnector) refresh(ctx context.Context, used zaloToken) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	cur, err := z.token(ctx)
	if err != nil {
		return err
	}
	if cur.Version != used.Version {
		return nil // refreshed meanwhile
	}
	form := url.Values{"refresh_token": {cur.RefreshToken}, "app_id": {z.cfg.AppID}, "grant_type": {"refresh_token"}}
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(z.cfg.OAuthBaseURL, "/")+"/v4/oa/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("secret_key", z.cfg.AppSecretKey)
	var out struct {
		AccessToken  string      `json:"access_token"`
		RefreshToken string      `json:"refresh_token"`
		ExpiresIn    json.Number `json:"expires_in"`
		Error        int         `json:"error"`
		Message      string      `json:"error_description"`
	}
	if err := z.do(req, &out); err != nil {
		return err
	}
	if out.AccessToken == "" || out.RefreshToken == "" {
		return &SendError{Channel: ChannelZalo, Code: strconv.Itoa(out.Error), Message: "token refresh refused: " + out.Message, Permanent: true}
	}
	secs, _ := out.ExpiresIn.Int64()
	_, err = z.m.st.C(settingsColl).UpdateOne(ctx, bson.M{"_id": zaloTokenID, "version": cur.Version}, bson.M{"$set": bson.M{
		"access_token": out.AccessToken, "refresh_token": out.RefreshToken,
		"expires_at": time.Now().Add(time.Duration(secs) * time.Second).UTC()}, "$inc": bson.M{"version": 1}})
	if err != nil {
		return fmt.Errorf("save zalo token: %w", err)
	}
	return nil
}

func (z *zaloConnector) do(req *http.Request, out any) error {
	resp, err := z.client.Do(req)
	if err != nil {
		return &SendError{Channel: ChannelZalo, Message: err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &SendError{Channel: ChannelZalo, Status: resp.StatusCode, Message: resp.Status,
			Permanent: resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 429 && resp.StatusCode != 401}
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(out); err != nil {
		return &SendError{Channel: ChannelZalo, Status: resp.StatusCode, Message: "unreadable answer: " + err.Error()}
	}
	return nil
}

// zaloInvalidToken is Zalo's error for an invalid or expired access token.
const zaloInvalidToken = -216

// Send sends a text through the customer-service API, within Zalo's free reply window.
func (z *zaloConnector) Send(ctx context.Context, to Recipient, msg Outgoing) (string, error) {
	if to.LastInboundAt == nil || time.Since(*to.LastInboundAt) > zaloWindow || to.RepliesSinceInbound >= zaloFreeReplies {
		return "", fmt.Errorf("zalo: %w (48 h and %d replies after the citizen's last message)", ErrWindowClosed, zaloFreeReplies)
	}
	text := msg.Text
	for _, a := range msg.Attachments {
		text += "\n" + a.URL
	}
	body := mustJSON(map[string]any{"recipient": map[string]string{"user_id": to.Thread}, "message": map[string]string{"text": text}})
	for attempt := 0; ; attempt++ {
		tok, err := z.token(ctx)
		if err != nil {
			return "", err
		}
		id, code, err := z.post(ctx, tok.AccessToken, body)
		if (code == zaloInvalidToken || isStatus(err, http.StatusUnauthorized)) && attempt == 0 {
			if rerr := z.refresh(ctx, tok); rerr != nil {
				return "", rerr
			}
			continue
		}
		return id, err
	}
}

func isStatus(err error, status int) bool {
	se, ok := err.(*SendError)
	return ok && se.Status == status
}

func (z *zaloConnector) post(ctx context.Context, token string, body []byte) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(z.cfg.APIBaseURL, "/")+"/v3.0/oa/message/cs", bytes.NewReader(body))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("access_token", token)
	var out struct {
		Error   int    `json:"error"`
		Message string `json:"message"`
		Data    struct {
			MessageID string `json:"message_id"`
		} `json:"data"`
	}
	if err := z.do(req, &out); err != nil {
		return "", 0, err
	}
	if out.Error != 0 {
		return "", out.Error, &SendError{Channel: ChannelZalo, Status: 200, Code: strconv.Itoa(out.Error), Message: out.Message,
			Permanent: out.Error != zaloInvalidToken}
	}
	return out.Data.MessageID, 0, nil
}
