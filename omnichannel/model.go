package omnichannel

import (
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
)

// Channel names a citizen channel, as in docs/events.md.
type Channel string

// The channels served by omnichannel.
const (
	ChannelWeb      Channel = "web"
	ChannelApp      Channel = "app"
	ChannelZalo     Channel = "zalo"
	ChannelFacebook Channel = "facebook"
	ChannelEmail    Channel = "email"
	ChannelTelegram Channel = "telegram"
)

// channels lists every channel.
var channels = []Channel{ChannelWeb, ChannelApp, ChannelZalo, ChannelFacebook, ChannelEmail, ChannelTelegram}

// State is where a conversation is in its life.
type State string

// The states of a conversation.
const (
	StateBot      State = "bot"      // a bot answers
	StateQueued   State = "queued"   // waiting for an agent
	StateAssigned State = "assigned" // an agent has it
	StatePending  State = "pending"  // waiting for the citizen
	StateResolved State = "resolved" // done; a new message reopens it
)

// Direction says who wrote a message.
type Direction string

// Message directions. Notes are internal: never sent to the citizen.
const (
	DirIn   Direction = "in"
	DirOut  Direction = "out"
	DirNote Direction = "note"
)

// Kind is what a message holds.
type Kind string

// Message kinds.
const (
	KindText     Kind = "text"
	KindImage    Kind = "image"
	KindFile     Kind = "file"
	KindLocation Kind = "location"
	KindSticker  Kind = "sticker"
	KindEvent    Kind = "event" // follow, unfollow and other channel events, kept for history
)

// DeliveryState is how far an outbound message got.
type DeliveryState string

// Delivery states.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliverySent      DeliveryState = "sent"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryRead      DeliveryState = "read"
	DeliveryFailed    DeliveryState = "failed"
)

// ContactKey is one identifier of a citizen on one channel: "zalo:<user id>",
// "facebook:<psid>", "telegram:<chat id>", "email:<address>", "phone:<0xxxxxxxxx>",
// "web:<visitor id>", "app:<account id>".
type ContactKey string

// Contact is one citizen across channels.
type Contact struct {
	ID    string       `bson:"_id" json:"id"`
	Name  string       `bson:"name,omitempty" json:"name,omitempty"`
	Phone string       `bson:"phone,omitempty" json:"phone,omitempty"`
	Email string       `bson:"email,omitempty" json:"email,omitempty"`
	Keys  []ContactKey `bson:"keys" json:"keys"`
	// Conversations are the ids of the contact's conversations on every channel.
	Conversations []string       `bson:"conversations,omitempty" json:"conversations,omitempty"`
	MergedInto    string         `bson:"merged_into,omitempty" json:"merged_into,omitempty"`
	History       []ContactEvent `bson:"history,omitempty" json:"history,omitempty"`
	CreatedAt     time.Time      `bson:"created_at" json:"created_at"`
	UpdatedAt     time.Time      `bson:"updated_at" json:"updated_at"`
	Version       int64          `bson:"version" json:"version"`
}

// ContactEvent is one entry of a contact's history (a key linked, a merge).
type ContactEvent struct {
	At   time.Time `bson:"at" json:"at"`
	By   string    `bson:"by,omitempty" json:"by,omitempty"`
	What string    `bson:"what" json:"what"`
}

// Conversation is one thread of one contact on one channel.
type Conversation struct {
	ID        string  `bson:"_id" json:"id"`
	ContactID string  `bson:"contact_id" json:"contact_id"`
	Channel   Channel `bson:"channel" json:"channel"`
	// Thread is the channel's address of the thread: a Zalo user id, a PSID, a Telegram chat
	// id, an e-mail thread's first Message-ID, a visitor or app account id.
	Thread string `bson:"thread" json:"thread"`
	// Address is where replies go when it is not the thread itself (the citizen's e-mail).
	Address   string `bson:"address,omitempty" json:"address,omitempty"`
	ThreadKey string `bson:"thread_key" json:"-"`
	State     State  `bson:"state" json:"state"`
	Team      string `bson:"team,omitempty" json:"team,omitempty"`
	Agent     string `bson:"agent,omitempty" json:"agent,omitempty"`
	Summary   string `bson:"summary,omitempty" json:"summary,omitempty"`
	// Seq is the sequence number of the newest message or edit; Epoch changes only if the
	// stream had to be rebuilt, telling clients to reload instead of resuming.
	Seq   int64  `bson:"seq" json:"seq"`
	Epoch string `bson:"epoch" json:"epoch"`
	// DeliveredSeq and ReadSeq are the citizen's receipt watermarks as applied on the
	// embedded store (see advanceDelivery).
	DeliveredSeq int64 `bson:"delivered_seq,omitempty" json:"-"`
	ReadSeq      int64 `bson:"read_seq,omitempty" json:"-"`
	// LastInboundAt and LastInboundID are the citizen's newest message, for reply windows.
	LastInboundAt *time.Time `bson:"last_inbound_at,omitempty" json:"last_inbound_at,omitempty"`
	LastInboundID string     `bson:"last_inbound_id,omitempty" json:"-"`
	// RepliesSinceInbound counts replies since the citizen's last message (Zalo's free quota).
	RepliesSinceInbound int `bson:"replies_since_inbound" json:"-"`
	// ReplyToken addresses this conversation by e-mail: reply+<token>@domain.
	ReplyToken string `bson:"reply_token" json:"-"`
	Subject    string `bson:"subject,omitempty" json:"subject,omitempty"`
	// Tickets are the codes of tickets made from this conversation; AwaitingRating is the
	// ticket whose 1–5 rating the next numeric reply records.
	Tickets        []string   `bson:"tickets,omitempty" json:"tickets,omitempty"`
	AwaitingRating string     `bson:"awaiting_rating,omitempty" json:"awaiting_rating,omitempty"`
	QueuedAt       *time.Time `bson:"queued_at,omitempty" json:"queued_at,omitempty"`
	AssignedAt     *time.Time `bson:"assigned_at,omitempty" json:"assigned_at,omitempty"`
	ResolvedAt     *time.Time `bson:"resolved_at,omitempty" json:"resolved_at,omitempty"`
	CreatedAt      time.Time  `bson:"created_at" json:"created_at"`
	UpdatedAt      time.Time  `bson:"updated_at" json:"updated_at"`
	Version        int64      `bson:"version" json:"version"`
	events.Outbox  `bson:",inline"`
}

// Open reports whether an agent still holds the conversation.
func (c *Conversation) Open() bool { return c.State == StateAssigned || c.State == StatePending }

// Attachment is a file, image or place carried by a message. Files received are kept under
// the data directory and served at URL.
type Attachment struct {
	Type     string  `bson:"type" json:"type"` // image, file, audio, video, sticker, location
	Name     string  `bson:"name,omitempty" json:"name,omitempty"`
	MIME     string  `bson:"mime,omitempty" json:"mime,omitempty"`
	Size     int64   `bson:"size,omitempty" json:"size,omitempty"`
	URL      string  `bson:"url,omitempty" json:"url,omitempty"`
	StoredID string  `bson:"stored_id,omitempty" json:"stored_id,omitempty"`
	Lat      float64 `bson:"lat,omitempty" json:"lat,omitempty"`
	Lng      float64 `bson:"lng,omitempty" json:"lng,omitempty"`
}

// Delivery is an outbound message's delivery state.
type Delivery struct {
	State    DeliveryState `bson:"state" json:"state"`
	Reason   string        `bson:"reason,omitempty" json:"reason,omitempty"`
	Attempts int           `bson:"attempts,omitempty" json:"attempts,omitempty"`
	At       time.Time     `bson:"at" json:"at"`
}

// Message is one message of a conversation. Seq orders a conversation's messages; an edit
// gives the message a new UpdatedSeq, so a client resuming after that seq sees the edit.
type Message struct {
	ID             string       `bson:"_id" json:"id"`
	ConversationID string       `bson:"conversation_id" json:"conversation_id"`
	Channel        Channel      `bson:"channel" json:"channel"`
	Seq            int64        `bson:"seq" json:"seq"`
	UpdatedSeq     int64        `bson:"updated_seq" json:"updated_seq"`
	Direction      Direction    `bson:"direction" json:"direction"`
	Kind           Kind         `bson:"kind" json:"kind"`
	Text           string       `bson:"text,omitempty" json:"text,omitempty"`
	Attachments    []Attachment `bson:"attachments,omitempty" json:"attachments,omitempty"`
	// Author is the agent's username, "bot", "system", or empty for the citizen.
	Author       string     `bson:"author,omitempty" json:"author,omitempty"`
	ChannelMsgID string     `bson:"channel_msg_id,omitempty" json:"channel_msg_id,omitempty"`
	ClientMsgID  string     `bson:"client_msg_id,omitempty" json:"client_msg_id,omitempty"`
	Delivery     *Delivery  `bson:"delivery,omitempty" json:"delivery,omitempty"`
	EditedAt     *time.Time `bson:"edited_at,omitempty" json:"edited_at,omitempty"`
	Deleted      bool       `bson:"deleted,omitempty" json:"deleted,omitempty"`
	// Todo marks an inbound message whose processing (rating, bot, routing) is not done yet.
	Todo bool `bson:"todo,omitempty" json:"-"`
	// Meta keeps channel details needed to answer in thread (e-mail references, subject).
	Meta          map[string]string `bson:"meta,omitempty" json:"-"`
	CreatedAt     time.Time         `bson:"created_at" json:"created_at"`
	events.Outbox `bson:",inline"`
}
