package omnichannel

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/config"
)

// node boots a test node with the module; cfgFn adjusts the configuration first.
func node(t *testing.T, m *Module, cfgFn func(*config.Config)) *apptest.Server {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.Channels.AllowedOrigins = []string{"https://citizen.example"}
	if cfgFn != nil {
		cfgFn(&cfg)
	}
	return apptest.Start(t, cfg, m)
}

// frame is any frame from a socket.
type frame struct {
	Type           string          `json:"type"`
	ConversationID string          `json:"conversation_id"`
	ClientMsgID    string          `json:"client_msg_id"`
	Seq            int64           `json:"seq"`
	Epoch          string          `json:"epoch"`
	LastSeq        int64           `json:"last_seq"`
	Code           string          `json:"code"`
	Agent          string          `json:"agent"`
	Message        *Message        `json:"message"`
	Conversation   *Conversation   `json:"conversation"`
	Raw            json.RawMessage `json:"-"`
}

type wsClient struct {
	t      *testing.T
	c      *websocket.Conn
	frames chan frame
}

// agentInbox logs agent1 in and opens its inbox socket, past the hello frame.
func agentInbox(t *testing.T, srv *apptest.Server) (token string, inbox *wsClient) {
	t.Helper()
	token = srv.Login(t, "agent1", "demo-agent1")
	inbox = dial(t, srv, "/api/v1/inbox/ws?token="+token, nil)
	inbox.wait("hello", func(f frame) bool { return f.Type == "hello" })
	return token, inbox
}

func dial(t *testing.T, srv *apptest.Server, path string, header http.Header) *wsClient {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+path, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	w := &wsClient{t: t, c: c, frames: make(chan frame, 1024)}
	go func() {
		defer close(w.frames)
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			var f frame
			_ = json.Unmarshal(data, &f)
			f.Raw = data
			w.frames <- f
		}
	}()
	t.Cleanup(func() { _ = c.Close() })
	return w
}

func (w *wsClient) send(v any) {
	w.t.Helper()
	if err := w.c.WriteJSON(v); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// wait returns the first frame that matches, failing after 10 s.
func (w *wsClient) wait(what string, match func(frame) bool) frame {
	w.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-w.frames:
			if !ok {
				w.t.Fatalf("socket closed while waiting for %s", what)
			}
			if match(f) {
				return f
			}
		case <-deadline:
			w.t.Fatalf("no %s within 10s", what)
		}
	}
}

func visitorToken(t *testing.T, srv *apptest.Server) string {
	t.Helper()
	r := srv.Do(t, "POST", "/api/v1/webchat/session", "", map[string]string{"name": "Nguyễn Văn A"})
	if r.Status != http.StatusCreated {
		t.Fatalf("session: %d %s", r.Status, r.Body)
	}
	var s SessionResponse
	r.Decode(t, &s)
	return s.Token
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	eventuallyWithin(t, 15*time.Second, what, cond)
}

// eventuallyWithin is eventually with its own bound, for work that runs many store writes
// (slow under -race on a busy machine).
func eventuallyWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s", what, d)
}
