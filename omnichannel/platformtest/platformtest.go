// Package platformtest runs local stand-ins for the platforms omnichannel talks to (Zalo
// OA, the Messenger Graph API, the Telegram Bot API, an SMTP relay and an IMAP mailbox),
// following their documented contracts (/work/shared/CONTRACTS.md), for tests and load
// tests on loopback. Each records what it received.
package platformtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// Sent is one message a platform accepted from omnichannel.
type Sent struct {
	To   string            // the recipient: Zalo user id, PSID, Telegram chat id, e-mail address
	Text string            //
	Info map[string]string // platform details: messaging_type, tag, headers
	Raw  []byte
}

// outbox is a thread-safe list of sent messages.
type outbox struct {
	mu   sync.Mutex
	sent []Sent
}

func (o *outbox) add(s Sent) {
	o.mu.Lock()
	o.sent = append(o.sent, s)
	o.mu.Unlock()
}

// Sent returns what the platform accepted so far.
func (o *outbox) Sent() []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Sent(nil), o.sent...)
}

// ZaloSignature is the X-ZEvent-Signature Zalo puts on a webhook body:
// hex(SHA-256(app_id + body + timestamp + OA secret key)).
func ZaloSignature(appID string, body []byte, timestamp, oaSecret string) string {
	h := sha256.New()
	h.Write([]byte(appID))
	h.Write(body)
	h.Write([]byte(timestamp))
	h.Write([]byte(oaSecret))
	return hex.EncodeToString(h.Sum(nil))
}

// MessengerSignature is the X-Hub-Signature-256 Meta puts on a webhook body.
func MessengerSignature(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
