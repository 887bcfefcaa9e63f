package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Connector sends messages to citizens on one channel. Each channel's file (zalo.go,
// facebook.go, telegram.go, email.go, webchat.go) implements it; inbound traffic reaches
// the module through a sink (webhooks, the IMAP watcher, the chat socket).
type Connector interface {
	// Channel is the channel this connector serves.
	Channel() Channel
	// Send delivers m to the thread of to and returns the channel's id of the message. It
	// returns ErrWindowClosed, without calling the platform, when the channel's rules forbid
	// the message now, and a *SendError for a refusal or failure of the platform.
	Send(ctx context.Context, to Recipient, m Outgoing) (string, error)
}

// Recipient is where a message goes: the conversation's thread and what the channel's
// reply window depends on.
type Recipient struct {
	ConversationID      string
	Thread              string
	Email               string // the contact's address, for e-mail
	Subject             string
	ReplyToken          string
	LastInboundAt       *time.Time
	LastInboundID       string // the citizen's newest message id (Zalo answers quote it)
	RepliesSinceInbound int
	// References are the e-mail Message-IDs of the thread, oldest first.
	References []string
}

// Outgoing is a message to send.
type Outgoing struct {
	MessageID   string // ours, used to make an e-mail Message-ID
	Kind        Kind
	Text        string
	Attachments []Attachment
	// Notice marks a notification that is not a reply (a ticket code, a result), which
	// channels with windows send under their update rules.
	Notice bool
}

// ErrWindowClosed means the channel's rules forbid sending to this thread now (Zalo's 48 h,
// Messenger's 24 h plus the 7-day human agent tag): another route must be used.
var ErrWindowClosed = errors.New("the channel's reply window is closed")

// SendError is a platform's refusal or a transport failure.
type SendError struct {
	Channel    Channel
	Status     int    // HTTP status, when there was one
	Code       string // the platform's error code
	Message    string
	Permanent  bool          // retrying the same message will not help
	RetryAfter time.Duration // the platform asked to wait (Telegram's 429)
}

func (e *SendError) Error() string {
	return fmt.Sprintf("%s send: status %d code %s: %s", e.Channel, e.Status, e.Code, e.Message)
}
