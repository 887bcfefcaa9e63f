package omnichannel

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

func TestWebchatToAgentAndBack(t *testing.T) {
	m := New(nil)
	srv := node(t, m, nil)
	agentTok, inbox := agentInbox(t, srv)

	vt := visitorToken(t, srv)
	h := http.Header{"Origin": {"https://citizen.example"}}
	v := dial(t, srv, "/webchat/ws?token="+vt, h)
	v.wait("hello", func(f frame) bool { return f.Type == "hello" })
	v.send(chatFrame{Type: "send", ClientMsgID: "c1", Text: "Đèn đường hỏng"})
	ack := v.wait("ack", func(f frame) bool { return f.Type == "ack" })
	if ack.Seq != 1 || ack.ClientMsgID != "c1" {
		t.Fatalf("ack = %+v", ack)
	}
	// The same client id again is stored once and acked with the same sequence number.
	v.send(chatFrame{Type: "send", ClientMsgID: "c1", Text: "Đèn đường hỏng"})
	if again := v.wait("second ack", func(f frame) bool { return f.Type == "ack" }); again.Seq != 1 {
		t.Fatalf("retry acked with seq %d", again.Seq)
	}
	convID := ack.ConversationID
	inbox.wait("assignment", func(f frame) bool { return f.Type == "assigned" && f.ConversationID == convID })

	var list httpapi.List[Conversation]
	srv.Do(t, "GET", "/api/v1/conversations?channel=web&state=assigned", agentTok, nil).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Agent != "agent1" {
		t.Fatalf("list = %+v", list.Items)
	}
	r := srv.Do(t, "POST", "/api/v1/conversations/"+convID+"/messages", agentTok, MessageRequest{Text: "Chúng tôi đã ghi nhận", ClientMsgID: "a1"})
	if r.Status != http.StatusCreated {
		t.Fatalf("agent send: %d %s", r.Status, r.Body)
	}
	got := v.wait("agent message", func(f frame) bool { return f.Type == "message" && f.Message.Direction == DirOut })
	if got.Message.Text != "Chúng tôi đã ghi nhận" {
		t.Fatalf("visitor got %q", got.Message.Text)
	}
	var msgs httpapi.List[Message]
	srv.Do(t, "GET", "/api/v1/conversations/"+convID+"/messages", agentTok, nil).Decode(t, &msgs)
	if len(msgs.Items) != 2 {
		t.Fatalf("messages = %d, want 2", len(msgs.Items))
	}
	if r := srv.Do(t, "GET", "/api/v1/conversations?state=nope", agentTok, nil); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad state filter: %d", r.Status)
	}
	if r := srv.Do(t, "GET", "/api/v1/conversations?channel=fax", agentTok, nil); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.Body), "channel") {
		t.Fatalf("bad channel filter: %d %s", r.Status, r.Body)
	}
	var web httpapi.List[Conversation]
	if r := srv.Do(t, "GET", "/api/v1/conversations?channel=web", agentTok, nil); r.Status != http.StatusOK {
		t.Fatalf("channel filter: %d %s", r.Status, r.Body)
	} else if r.Decode(t, &web); len(web.Items) == 0 {
		t.Fatalf("no web conversation listed")
	}
}

func TestWebchatResumeWithEdits(t *testing.T) {
	m := New(nil)
	srv := node(t, m, nil)
	agentTok, inbox := agentInbox(t, srv)
	vt := visitorToken(t, srv)
	v := dial(t, srv, "/webchat/ws?token="+vt, nil)
	v.send(chatFrame{Type: "send", ClientMsgID: "x1", Text: "xin chào"})
	ack := v.wait("ack", func(f frame) bool { return f.Type == "ack" })
	inbox.wait("assignment", func(f frame) bool { return f.Type == "assigned" })
	_ = v.c.Close()

	var sent Message
	srv.Do(t, "POST", "/api/v1/conversations/"+ack.ConversationID+"/messages", agentTok, MessageRequest{Text: "chao ban"}).Decode(t, &sent)
	r := srv.Do(t, "PATCH", "/api/v1/conversations/"+ack.ConversationID+"/messages/"+sent.ID, agentTok, MessageRequest{Text: "Chào bạn"})
	if r.Status != http.StatusOK {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	v2 := dial(t, srv, "/webchat/ws?token="+vt, nil)
	hello := v2.wait("hello", func(f frame) bool { return f.Type == "hello" })
	if hello.ConversationID != ack.ConversationID || hello.LastSeq != 3 {
		t.Fatalf("hello = %+v", hello)
	}
	v2.send(chatFrame{Type: "resume", LastSeq: ack.Seq, Epoch: hello.Epoch})
	got := v2.wait("replayed edit", func(f frame) bool { return f.Type == "message" && f.Message.ID == sent.ID })
	if got.Message.Text != "Chào bạn" || got.Message.EditedAt == nil || got.Message.UpdatedSeq != 3 {
		t.Fatalf("replay = %+v", got.Message)
	}
	v2.wait("resumed", func(f frame) bool { return f.Type == "resumed" })
	v2.send(chatFrame{Type: "resume", LastSeq: 0, Epoch: "other"})
	v2.wait("reset", func(f frame) bool { return f.Type == "reset" })
}

func TestWebchatRefusals(t *testing.T) {
	m := New(nil)
	srv := node(t, m, nil)
	vt := visitorToken(t, srv)
	for _, tc := range []struct {
		name, path string
		header     http.Header
	}{
		{"foreign origin", "/webchat/ws?token=" + vt, http.Header{"Origin": {"https://evil.example"}}},
		{"forged token", "/webchat/ws?token=" + vt[:len(vt)-2] + "xx", nil},
		{"no token", "/webchat/ws", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
			for k, v := range tc.header {
				req.Header[k] = v
			}
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusSwitchingProtocols {
				t.Fatalf("upgraded")
			}
		})
	}
	t.Run("rate and size limits", func(t *testing.T) {
		v := dial(t, srv, "/webchat/ws?token="+vt, nil)
		for i := range chatBurst + 10 {
			v.send(chatFrame{Type: "send", ClientMsgID: fmt.Sprint("r", i)}) // refused without a store write
		}
		v.wait("rate limit error", func(f frame) bool { return f.Type == "error" && f.Code == "rate_limited" })
		big := make([]byte, chatFrameLimit+10)
		for i := range big {
			big[i] = 'a'
		}
		_ = v.c.WriteMessage(1, big)
		for range v.frames {
		} // the server closes a socket that sends an oversized frame
	})
	if r := srv.Do(t, "GET", "/webchat/widget.js", "", nil); r.Status != 200 || len(r.Body) < 1000 {
		t.Fatalf("widget: %d, %d bytes", r.Status, len(r.Body))
	}
}
