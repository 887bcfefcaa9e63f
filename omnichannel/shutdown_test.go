package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/config"
)

// closeCode waits for the socket's end and returns its close code (0 for a connection
// dropped without a close frame).
func (w *wsClient) closeCode(within time.Duration) int {
	w.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-w.frames:
			if !ok {
				_, _, err := w.c.ReadMessage()
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					return ce.Code
				}
				return 0
			}
		case <-deadline:
			w.t.Fatalf("socket still open after %s", within)
		}
	}
}

// TestShutdownClosesSocketsAndKeepsQueuedWork stops a node while a chat socket and an
// agent's socket are open and an acknowledged webhook waits for processing: the sockets
// get 1001 going away, the node stops, and the next start processes the stored item.
func TestShutdownClosesSocketsAndKeepsQueuedWork(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.Channels.Zalo.AppID, cfg.Channels.Zalo.OASecretKey = zaloApp, zaloOASecret
	held := New(nil)
	held.beforeProcess = func(ctx context.Context) { <-ctx.Done() } // acknowledges, never processes
	srv := apptest.Start(t, cfg, held)

	_, inbox := agentInbox(t, srv)
	visitor := dial(t, srv, "/webchat/ws?token="+visitorToken(t, srv), nil)
	visitor.wait("hello", func(f frame) bool { return f.Type == "hello" })
	body, sig := signedZalo("shutdown-user", "shutdown-msg-1", "Cây đổ chắn đường")
	if s := post(t, srv, "/webhooks/zalo", body, "X-ZEvent-Signature", sig); s != http.StatusOK {
		t.Fatalf("webhook: %d", s)
	}

	stopped := make(chan struct{})
	go func() {
		srv.Stop(t)
		close(stopped)
	}()
	for name, c := range map[string]*wsClient{"inbox": inbox, "chat": visitor} {
		if code := c.closeCode(10 * time.Second); code != websocket.CloseGoingAway {
			t.Errorf("%s socket closed with %d, want %d", name, code, websocket.CloseGoingAway)
		}
	}
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("the node did not stop with sockets open")
	}

	again := node(t, New(nil), func(c *config.Config) { *c = cfg })
	tok := again.Login(t, "agent1", "demo-agent1")
	eventually(t, "the stored message is processed at the next start", func() bool {
		convs := conversations(t, again, tok, "channel=zalo")
		return len(convs) == 1 && convs[0].Seq == 1
	})
}

// slowBot answers every message after delay, ignoring its context like a long model call.
type slowBot struct{ delay time.Duration }

func (b slowBot) Handle(_ context.Context, _ *Conversation, msg *Message) (BotReply, error) {
	time.Sleep(b.delay)
	return BotReply{Texts: []string{"đã nhận: " + msg.Text}}, nil
}

// TestShutdownLeavesUnstartedWork stops a node whose processor has a long queue of
// messages for a slow bot: the node stops without working through the queue, and the next
// start answers every message once.
func TestShutdownLeavesUnstartedWork(t *testing.T) {
	const events = 10
	cfg := apptest.Config(t)
	cfg.Channels.Zalo.AppID, cfg.Channels.Zalo.OASecretKey = zaloApp, zaloOASecret
	cfg.Channels.Zalo.APIBaseURL = "http://127.0.0.1:9" // replies fail at once, off the network
	slow := New(nil)
	slow.SetBot(slowBot{delay: time.Second})
	srv := apptest.Start(t, cfg, slow)
	for i := range events {
		body, sig := signedZalo("queue-user", fmt.Sprint("queue-msg-", i), fmt.Sprint("tin ", i))
		if s := post(t, srv, "/webhooks/zalo", body, "X-ZEvent-Signature", sig); s != http.StatusOK {
			t.Fatalf("webhook %d: %d", i, s)
		}
	}
	tok := srv.Login(t, "agent1", "demo-agent1")
	eventuallyWithin(t, time.Minute, "the bot answers the first message", func() bool {
		convs := conversations(t, srv, tok, "channel=zalo")
		return len(convs) == 1 && convs[0].Seq > events
	})
	start := time.Now()
	srv.Stop(t)
	// One bot call may be under way; the rest of the queue (about 10 s of bot time) is not.
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("stopping took %s with a queue of bot work", took)
	}

	fast := New(nil)
	fast.SetBot(slowBot{})
	again := node(t, fast, func(c *config.Config) { *c = cfg })
	tok = again.Login(t, "agent1", "demo-agent1")
	var last int64
	eventuallyWithin(t, time.Minute, "every message answered once after the restart", func() bool {
		convs := conversations(t, again, tok, "channel=zalo")
		if len(convs) == 1 {
			last = convs[0].Seq
		}
		return last == 2*events
	})
	time.Sleep(time.Second) // a second answer to any message would show now
	if convs := conversations(t, again, tok, "channel=zalo"); convs[0].Seq != 2*events {
		t.Fatalf("seq %d after the restart, want %d", convs[0].Seq, 2*events)
	}
}
