package omnichannel

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// ChatClaims are what a chat token says: an anonymous web visitor ("web", signed by this
// node) or a logged-in app user ("app", signed by the app's backend with
// channels.app_token_secret).
type ChatClaims struct {
	Kind    Channel `json:"k"`
	Subject string  `json:"sub"`
	Name    string  `json:"name,omitempty"`
	Phone   string  `json:"phone,omitempty"`
	Email   string  `json:"email,omitempty"`
	Expires int64   `json:"exp"` // Unix seconds
}

var errBadToken = errors.New("invalid or expired chat token")

// SignChatToken returns a token for claims signed with secret: base64url(JSON) "."
// base64url(HMAC-SHA256(secret, base64url(JSON))). The app's backend signs its users'
// tokens this way with channels.app_token_secret.
func SignChatToken(secret []byte, c ChatClaims) string {
	body := base64.RawURLEncoding.EncodeToString(mustJSON(c))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(body))
	return body + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verifyChatToken checks a token's signature and expiry with secret.
func verifyChatToken(secret []byte, token string, now time.Time) (ChatClaims, error) {
	var c ChatClaims
	body, sig, ok := strings.Cut(token, ".")
	if !ok || len(secret) == 0 {
		return c, errBadToken
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(body))
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return c, errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Subject == "" || len(c.Subject) > 128 {
		return c, errBadToken
	}
	if now.Unix() > c.Expires {
		return c, errBadToken
	}
	return c, nil
}

// widgetSecret returns channels.widget_secret, or a random secret made once and kept in the
// store, so that visitor tokens outlive restarts and work on every node.
func widgetSecret(ctx context.Context, st *store.Store, configured string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	_, err := st.C(settingsColl).InsertOne(ctx, bson.M{"_id": "widget_secret", "value": randomToken(32)})
	if err != nil && !store.IsDuplicate(err) {
		return nil, fmt.Errorf("make widget secret: %w", err)
	}
	var d struct {
		Value string `bson:"value"`
	}
	if err := st.C(settingsColl).FindOne(ctx, bson.M{"_id": "widget_secret"}).Decode(&d); err != nil {
		return nil, fmt.Errorf("load widget secret: %w", err)
	}
	return []byte(d.Value), nil
}
