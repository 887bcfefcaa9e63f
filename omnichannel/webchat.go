package omnichannel

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/time/rate"
)

// Limits of the chat socket.
const (
	chatFrameLimit   = 16 << 10 // bytes of one frame from a visitor
	chatTextLimit    = 4000     // characters of one message
	chatRatePerSec   = 10       // messages a second per connection, sustained
	chatBurst        = 20
	visitorTokenTTL  = 30 * 24 * time.Hour
	sessionsPerIPMin = 30
	resumeLimit      = 500
)

//go:embed widget/widget.js
var widgetJS []byte

// webchat serves the website widget and the mobile app: tokens, the chat socket, history
// and uploads. Messages to the citizen reach open sockets through the hub; one sent while
// the citizen is away waits in the history, which the client fetches on reconnect.
type webchat struct {
	m         *Module
	secret    []byte // signs visitor tokens
	appSecret []byte // verifies app tokens
	sessions  *auth.Limiter
}

func newWebchat(ctx context.Context, m *Module) (*webchat, error) {
	secret, err := widgetSecret(ctx, m.st, m.cfg.Channels.WidgetSecret)
	if err != nil {
		return nil, err
	}
	return &webchat{m: m, secret: secret, appSecret: []byte(m.cfg.Channels.AppTokenSecret), sessions: auth.NewLimiter(time.Minute)}, nil
}

// chatConnector is the Connector of the web and app channels: the message is already on
// the citizen's open sockets (the hub) and in the history, so sending is recording it sent.
type chatConnector struct{ ch Channel }

func (wc *webchat) connector(ch Channel) Connector { return chatConnector{ch} }

func (c chatConnector) Channel() Channel { return c.ch }

func (c chatConnector) Send(context.Context, Recipient, Outgoing) (string, error) { return "", nil }

// SessionRequest optionally names the visitor.
type SessionRequest struct {
	Name string `json:"name,omitempty"`
}

// SessionResponse is a visitor's token.
type SessionResponse struct {
	Token     string    `json:"token"`
	VisitorID string    `json:"visitor_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (wc *webchat) register(api *httpapi.API) {
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/webchat/session", Tag: "webchat",
		Summary: "Start an anonymous visitor session; returns a signed visitor token", Access: httpapi.Public,
		Body: SessionRequest{}, Response: SessionResponse{}, Status: http.StatusCreated, Handle: wc.handleSession})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/webchat/messages", Tag: "webchat",
		Summary: "The visitor's history after a sequence number (token in X-Chat-Token or ?token=)", Access: httpapi.Public,
		Params:   []httpapi.Param{{Name: "after_seq", In: "query"}, {Name: "token", In: "query"}},
		Response: httpapi.List[Message]{}, Handle: wc.handleHistory})
	api.Raw("POST /api/v1/webchat/uploads", http.HandlerFunc(wc.handleUpload), &httpapi.Route{Method: "POST", Path: "/api/v1/webchat/uploads",
		Tag: "webchat", Summary: "Send a file or image (multipart: file, client_msg_id; token in X-Chat-Token)", Access: httpapi.Public,
		Response: Message{}, Status: http.StatusCreated})
	api.Raw("GET /webchat/ws", http.HandlerFunc(wc.serveSocket), &httpapi.Route{Method: "GET", Path: "/webchat/ws", Tag: "webchat",
		Summary: "Chat WebSocket for the widget and the app (?token=)", Access: httpapi.Public})
	api.Raw("GET /webchat/files/{id}", http.HandlerFunc(wc.serveFile), nil)
	api.Raw("GET /webchat/widget.js", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(widgetJS)
	}), nil)
}

func (wc *webchat) handleSession(w http.ResponseWriter, r *http.Request) error {
	if ok, wait := wc.sessions.Allow(auth.ClientIP(r), sessionsPerIPMin); !ok {
		return httpapi.TooManyRequests(wait)
	}
	var req SessionRequest
	if r.ContentLength != 0 {
		if err := httpapi.Decode(r, &req); err != nil {
			return err
		}
	}
	if utf8.RuneCountInString(req.Name) > 100 {
		return httpapi.Invalid(map[string]string{"name": "at most 100 characters"})
	}
	exp := time.Now().Add(visitorTokenTTL).UTC()
	c := ChatClaims{Kind: ChannelWeb, Subject: "v" + randomToken(12), Name: nfc(strings.TrimSpace(req.Name)), Expires: exp.Unix()}
	httpapi.WriteJSON(w, http.StatusCreated, SessionResponse{Token: SignChatToken(wc.secret, c), VisitorID: c.Subject, ExpiresAt: exp})
	return nil
}

// claims checks a visitor or app token.
func (wc *webchat) claims(token string) (ChatClaims, error) {
	now := time.Now()
	if c, err := verifyChatToken(wc.secret, token, now); err == nil && c.Kind == ChannelWeb {
		return c, nil
	}
	if c, err := verifyChatToken(wc.appSecret, token, now); err == nil && c.Kind == ChannelApp {
		return c, nil
	}
	return ChatClaims{}, httpapi.Unauthorized("invalid or expired chat token; start a new session")
}

func (wc *webchat) tokenOf(r *http.Request) string {
	if t := r.Header.Get("X-Chat-Token"); t != "" {
		return t
	}
	return r.URL.Query().Get("token")
}

// conversation returns the conversation of a chat user, creating it when create is set.
func (wc *webchat) conversation(ctx context.Context, c ChatClaims, create bool) (*Conversation, error) {
	conv, err := wc.m.conversationByKey(ctx, threadKey(c.Kind, c.Subject))
	if err == nil || !create || !store.IsNotFound(err) {
		return conv, err
	}
	keys := []ContactKey{ContactKey(string(c.Kind) + ":" + c.Subject)}
	if c.Phone != "" {
		keys = append(keys, ContactKey("phone:"+c.Phone))
	}
	if c.Email != "" {
		keys = append(keys, ContactKey("email:"+strings.ToLower(c.Email)))
	}
	contact, err := wc.m.resolveContact(ctx, keys, c.Name, c.Phone, c.Email)
	if err != nil {
		return nil, err
	}
	first := StateQueued
	if wc.m.bot != nil {
		first = StateBot
	}
	// The router is kicked once the first message is stored (receive), so an agent is not
	// handed an empty conversation.
	conv, _, err = wc.m.conversationFor(ctx, c.Kind, c.Subject, contact.ID, first)
	return conv, err
}

// receive stores a chat user's message in the user's conversation convID, found (or
// created) first when convID is empty; a thread's conversation never changes, so an open
// socket passes the one it knows. It is idempotent by the client's message id.
func (wc *webchat) receive(ctx context.Context, c ChatClaims, convID, clientMsgID string, msg *Message) (*Message, error) {
	if convID == "" {
		conv, err := wc.conversation(ctx, c, true)
		if err != nil {
			return nil, err
		}
		convID = conv.ID
	}
	msg.ID, msg.ClientMsgID, msg.Direction = convID+":c:"+clientMsgID, clientMsgID, DirIn
	stored, after, fresh, err := wc.m.appendMessage(ctx, convID, msg)
	if err != nil {
		return nil, err
	}
	if fresh && after.State == StateQueued {
		wc.m.router.Kick()
	}
	return stored, nil
}

func (wc *webchat) handleHistory(w http.ResponseWriter, r *http.Request) error {
	c, err := wc.claims(wc.tokenOf(r))
	if err != nil {
		return err
	}
	after := int64(0)
	if s := r.URL.Query().Get("after_seq"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			return httpapi.Invalid(map[string]string{"after_seq": "a whole number of 0 or more"})
		}
	}
	conv, err := wc.conversation(r.Context(), c, false)
	if store.IsNotFound(err) {
		httpapi.WriteJSON(w, http.StatusOK, httpapi.List[Message]{Items: []Message{}})
		return nil
	}
	if err != nil {
		return err
	}
	msgs, err := wc.m.messagesAfter(r.Context(), conv.ID, after, resumeLimit, false)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.List[Message]{Items: msgs})
	return nil
}

// chatFrame is a frame from a chat client.
type chatFrame struct {
	Type        string `json:"type"` // send, resume, read, typing
	ClientMsgID string `json:"client_msg_id,omitempty"`
	Text        string `json:"text,omitempty"`
	LastSeq     int64  `json:"last_seq,omitempty"`
	Epoch       string `json:"epoch,omitempty"`
	Seq         int64  `json:"seq,omitempty"`
}

// chatServerFrame is a frame to a chat client that is not a live event.
type chatServerFrame struct {
	Type           string `json:"type"` // hello, ack, reset, resumed
	ConversationID string `json:"conversation_id,omitempty"`
	Epoch          string `json:"epoch,omitempty"`
	LastSeq        int64  `json:"last_seq,omitempty"`
	ClientMsgID    string `json:"client_msg_id,omitempty"`
	Seq            int64  `json:"seq,omitempty"`
	MessageID      string `json:"message_id,omitempty"`
	ServerTS       string `json:"server_ts,omitempty"`
}

// chatSession is one open chat socket.
type chatSession struct {
	wc     *webchat
	s      *socket
	claims ChatClaims
	conv   *Conversation
	unsub  func()
	limit  *rate.Limiter
}

func (wc *webchat) serveSocket(w http.ResponseWriter, r *http.Request) {
	c, err := wc.claims(wc.tokenOf(r))
	if err != nil {
		wc.m.api.Fail(w, r, err)
		return
	}
	conn, err := wc.m.upgrade(w, r)
	if err != nil {
		return
	}
	cs := &chatSession{wc: wc, s: newSocket(conn, chatFrameLimit, chatQueue), claims: c, limit: rate.NewLimiter(chatRatePerSec, chatBurst)}
	ctx, release, ok := wc.m.sockets.serve(r, cs.s)
	if !ok {
		return
	}
	defer release()
	defer cs.close()
	hello := chatServerFrame{Type: "hello"}
	if conv, err := wc.conversation(ctx, c, false); err == nil {
		cs.watch(conv)
		hello.ConversationID, hello.Epoch, hello.LastSeq = conv.ID, conv.Epoch, conv.Seq
	}
	cs.s.send(mustJSON(hello))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var f chatFrame
		if json.Unmarshal(data, &f) != nil {
			cs.s.send(errorFrame("bad_frame", "frames are JSON objects with a type", ""))
			continue
		}
		if ctx.Err() != nil {
			return // the node is stopping: the client sends unacknowledged frames again
		}
		cs.handle(ctx, f)
	}
}

func (cs *chatSession) close() {
	if cs.unsub != nil {
		cs.unsub()
	}
	cs.s.close()
}

// watch subscribes the socket to its conversation's live events.
func (cs *chatSession) watch(conv *Conversation) {
	if cs.conv == nil {
		cs.conv = conv
		cs.unsub = cs.wc.m.hub.Subscribe(convTopic(conv.ID), cs.s.send)
	}
}

func (cs *chatSession) handle(ctx context.Context, f chatFrame) {
	switch f.Type {
	case "send":
		cs.send(ctx, f)
	case "resume":
		cs.resume(ctx, f)
	case "read":
		cs.read(ctx, f)
	case "typing":
		if cs.conv != nil {
			cs.wc.m.publishAgents(cs.conv, mustJSON(liveEvent{Type: "typing", ConversationID: cs.conv.ID}))
		}
	default:
		cs.s.send(errorFrame("bad_frame", "unknown frame type", ""))
	}
}

func (cs *chatSession) send(ctx context.Context, f chatFrame) {
	text := strings.TrimSpace(f.Text)
	switch {
	case !cs.limit.Allow():
		cs.s.send(errorFrame("rate_limited", "too many messages; slow down", f.ClientMsgID))
		return
	case f.ClientMsgID == "" || len(f.ClientMsgID) > 64:
		cs.s.send(errorFrame("invalid", "client_msg_id is required (at most 64 characters)", f.ClientMsgID))
		return
	case text == "" || utf8.RuneCountInString(text) > chatTextLimit:
		cs.s.send(errorFrame("invalid", "text must have 1 to 4000 characters", f.ClientMsgID))
		return
	}
	var convID string
	if cs.conv != nil {
		convID = cs.conv.ID
	}
	msg, err := cs.wc.receive(ctx, cs.claims, convID, f.ClientMsgID, &Message{Kind: KindText, Text: text})
	if err != nil {
		cs.wc.m.log.Error("chat receive", "channel", cs.claims.Kind, "err", err)
		cs.s.send(errorFrame("internal", "the message was not stored; send it again", f.ClientMsgID))
		return
	}
	if cs.conv == nil {
		if conv, err := cs.wc.m.Conversation(ctx, msg.ConversationID); err == nil {
			cs.watch(conv)
		}
	}
	cs.s.send(mustJSON(chatServerFrame{Type: "ack", ClientMsgID: f.ClientMsgID, Seq: msg.Seq, MessageID: msg.ID,
		ConversationID: msg.ConversationID, ServerTS: msg.CreatedAt.Format(time.RFC3339Nano)}))
}

// resume replays what the client missed after its last seen sequence number, edits
// included, or tells it to reload when the stream changed (epoch) or the gap is too big.
func (cs *chatSession) resume(ctx context.Context, f chatFrame) {
	if cs.conv == nil {
		cs.s.send(mustJSON(chatServerFrame{Type: "resumed"}))
		return
	}
	conv, err := cs.wc.m.Conversation(ctx, cs.conv.ID)
	if err != nil {
		cs.s.send(errorFrame("internal", "cannot resume now; try again", ""))
		return
	}
	if (f.Epoch != "" && f.Epoch != conv.Epoch) || conv.Seq-f.LastSeq > resumeLimit {
		cs.s.send(mustJSON(chatServerFrame{Type: "reset", ConversationID: conv.ID, Epoch: conv.Epoch, LastSeq: conv.Seq}))
		return
	}
	msgs, err := cs.wc.m.messagesAfter(ctx, conv.ID, f.LastSeq, resumeLimit, false)
	if err != nil {
		cs.s.send(errorFrame("internal", "cannot resume now; try again", ""))
		return
	}
	for i := range msgs {
		cs.s.send(mustJSON(liveEvent{Type: "message", ConversationID: conv.ID, Message: &msgs[i]}))
	}
	cs.s.send(mustJSON(chatServerFrame{Type: "resumed", ConversationID: conv.ID, Epoch: conv.Epoch, LastSeq: conv.Seq}))
}

// read records that the client has shown the agent's messages up to f.Seq.
func (cs *chatSession) read(ctx context.Context, f chatFrame) {
	if cs.conv == nil || f.Seq <= 0 {
		return
	}
	conv, err := cs.wc.m.Conversation(ctx, cs.conv.ID)
	if err == nil {
		err = cs.wc.m.advanceDelivery(ctx, conv, DeliveryRead, f.Seq, func(*Message) bool { return true },
			bson.M{"seq": bson.M{"$lte": f.Seq}})
	}
	if err != nil {
		cs.wc.m.log.Warn("chat read receipt", "err", err)
		return
	}
	cs.wc.m.publishAgents(cs.conv, mustJSON(liveEvent{Type: "read", ConversationID: cs.conv.ID, Message: &Message{Seq: f.Seq}}))
}
