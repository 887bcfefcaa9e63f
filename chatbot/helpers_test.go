package chatbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/ioc1022/ioc1022/chatbot/nlu"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/omnichannel"
	"github.com/ioc1022/ioc1022/tickets"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// node boots a node with the ticket engine, omnichannel and the chatbot wired as in the
// binary.
func node(t testing.TB, cfg config.Config) *apptest.Server {
	t.Helper()
	srv, _ := boot(t, cfg)
	return srv
}

// boot is node that also returns the chatbot module.
func boot(t testing.TB, cfg config.Config) (*apptest.Server, *Module) {
	t.Helper()
	return bootWith(t, cfg, nil)
}

// bootWith is boot with a chatbot module whose model is nlu.Default passed through
// model, when model is not nil.
func bootWith(t testing.TB, cfg config.Config, model func(*nlu.Model) *nlu.Model) (*apptest.Server, *Module) {
	t.Helper()
	tk := tickets.New()
	bot := New(tk)
	if model != nil {
		bot.model = func() (*nlu.Model, error) {
			m, err := nlu.Default()
			if err != nil {
				return nil, err
			}
			return model(m), nil
		}
	}
	oc := omnichannel.New(tk)
	oc.SetBot(bot)
	return apptest.Start(t, cfg, tk, oc, bot), bot
}

// frame is a frame from the chat socket.
type frame struct {
	Type           string               `json:"type"`
	ConversationID string               `json:"conversation_id"`
	ClientMsgID    string               `json:"client_msg_id"`
	Seq            int64                `json:"seq"`
	Message        *omnichannel.Message `json:"message"`
}

// citizen is a web-chat visitor on the real WebSocket of omnichannel.
type citizen struct {
	t      *testing.T
	srv    *apptest.Server
	token  string
	c      *websocket.Conn
	frames chan frame
	conv   string
	n      atomic.Int64
}

func newCitizen(t *testing.T, srv *apptest.Server) *citizen {
	t.Helper()
	r := srv.Do(t, "POST", "/api/v1/webchat/session", "", map[string]string{"name": "Nguyễn Văn Dân"})
	if r.Status != http.StatusCreated {
		t.Fatalf("session: %d %s", r.Status, r.Body)
	}
	var s omnichannel.SessionResponse
	r.Decode(t, &s)
	c := &citizen{t: t, srv: srv, token: s.Token}
	c.connect()
	return c
}

// connect opens the chat socket (again, after a restart).
func (c *citizen) connect() {
	c.t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(c.srv.URL, "http")+"/webchat/ws?token="+c.token, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.t.Fatalf("dial chat: %v (%d)", err, status)
	}
	c.c, c.frames = ws, make(chan frame, 256)
	go func(ws *websocket.Conn, out chan frame) {
		defer close(out)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var f frame
			if json.Unmarshal(data, &f) == nil {
				out <- f
			}
		}
	}(ws, c.frames)
	c.t.Cleanup(func() { _ = ws.Close() })
	c.wait("hello", func(f frame) bool { return f.Type == "hello" })
}

func (c *citizen) wait(what string, match func(frame) bool) frame {
	c.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("socket closed while waiting for %s", what)
			}
			if match(f) {
				return f
			}
		case <-deadline:
			c.t.Fatalf("no %s within 15s", what)
		}
	}
}

// send sends text and returns its acknowledgement's sequence number.
func (c *citizen) send(text string) int64 {
	c.t.Helper()
	id := fmt.Sprintf("m%d", c.n.Add(1))
	if err := c.c.WriteJSON(map[string]string{"type": "send", "client_msg_id": id, "text": text}); err != nil {
		c.t.Fatalf("send: %v", err)
	}
	ack := c.wait("ack of "+id, func(f frame) bool { return f.Type == "ack" && f.ClientMsgID == id })
	c.conv = ack.ConversationID
	return ack.Seq
}

// say sends text and returns the bot's answer to it.
func (c *citizen) say(text string) string {
	c.t.Helper()
	seq := c.send(text)
	f := c.wait("bot answer to "+text, func(f frame) bool {
		return f.Type == "message" && f.Message != nil && f.Message.Author == "bot" && f.Message.Seq > seq
	})
	c.t.Logf("citizen: %s\n  bot: %s", text, f.Message.Text)
	return f.Message.Text
}

// quiet checks that no bot message arrives for a while.
func (c *citizen) quiet(d time.Duration) {
	c.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f, ok := <-c.frames:
			if ok && f.Type == "message" && f.Message != nil && f.Message.Author == "bot" {
				c.t.Fatalf("bot spoke while an agent has the conversation: %q", f.Message.Text)
			}
		case <-deadline:
			return
		}
	}
}

// conversation returns the conversation as an agent sees it.
func conversation(t *testing.T, srv *apptest.Server, token, id string) omnichannel.Conversation {
	t.Helper()
	var conv omnichannel.Conversation
	r := srv.Do(t, "GET", "/api/v1/conversations/"+id, token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("conversation %s: %d %s", id, r.Status, r.Body)
	}
	r.Decode(t, &conv)
	return conv
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("%s: %q does not contain %q", what, got, w)
		}
	}
}

// queued waits until the conversation is in the agents' queue and returns it.
func queued(t *testing.T, srv *apptest.Server, token, id string) omnichannel.Conversation {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conv := conversation(t, srv, token, id)
		if conv.State == omnichannel.StateQueued {
			return conv
		}
		if time.Now().After(deadline) {
			t.Fatalf("conversation %s is %s, not queued", id, conv.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// drained waits until omnichannel has finished following up every inbound message, so that
// a stop does not leave one to be replayed by the next node.
func drained(t *testing.T, srv *apptest.Server) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := srv.App.Core.Store.C("oc_messages").CountDocuments(context.Background(), bson.M{"todo": true})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still to process", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMain loads the NLU model once before the nodes start, so that the first answer does
// not wait for it (loading takes seconds under the race detector).
func TestMain(m *testing.M) {
	if _, err := nlu.Default(); err != nil {
		fmt.Fprintln(os.Stderr, "nlu model:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
