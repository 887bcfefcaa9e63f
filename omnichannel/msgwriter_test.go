package omnichannel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// history reads a visitor's messages after seq through the public history endpoint.
func history(t *testing.T, srv *apptest.Server, token string, after int64) []Message {
	t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/webchat/messages?after_seq=%d", srv.URL, after), nil)
	req.Header.Set("X-Chat-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list httpapi.List[Message]
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("history: %d %v", resp.StatusCode, err)
	}
	return list.Items
}

// burst sends the client ids ids on sockets of one visitor at once, each socket its share,
// and returns the acks by client id (the same id may be sent on several sockets).
func burst(t *testing.T, socks []*wsClient, ids [][]string) map[string][]frame {
	t.Helper()
	var mu sync.Mutex
	acks := map[string][]frame{}
	var wg sync.WaitGroup
	for i, s := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, id := range ids[i] {
				if err := s.c.WriteJSON(chatFrame{Type: "send", ClientMsgID: id, Text: "tin " + id}); err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
			deadline := time.After(30 * time.Second)
			for n := 0; n < len(ids[i]); {
				select {
				case f, ok := <-s.frames:
					if !ok {
						t.Errorf("socket %d closed", i)
						return
					}
					if f.Type == "error" {
						t.Errorf("socket %d: %s", i, f.Raw)
					}
					if f.Type == "ack" || f.Type == "error" {
						mu.Lock()
						acks[f.ClientMsgID] = append(acks[f.ClientMsgID], f)
						mu.Unlock()
						n++
					}
				case <-deadline:
					t.Errorf("socket %d: %d of %d acks", i, n, len(ids[i]))
					return
				}
			}
		}()
	}
	wg.Wait()
	return acks
}

// TestConcurrentSendsOneConversation: sends on four sockets of one visitor at once, some
// client ids on two sockets at the same time, are stored once each, under distinct
// numbers 1…n; every ack of an id carries the same number and message; history, hello and
// resume agree.
func TestConcurrentSendsOneConversation(t *testing.T) {
	m := New(nil)
	srv := node(t, m, nil)
	vt := visitorToken(t, srv)
	first := dial(t, srv, "/webchat/ws?token="+vt, nil)
	first.send(chatFrame{Type: "send", ClientMsgID: "open", Text: "xin chào"})
	first.wait("ack", func(f frame) bool { return f.Type == "ack" })
	socks := make([]*wsClient, 4)
	ids := make([][]string, 4)
	for i := range socks {
		socks[i] = dial(t, srv, "/webchat/ws?token="+vt, nil)
		socks[i].wait("hello", func(f frame) bool { return f.Type == "hello" })
		for j := range 15 {
			ids[i] = append(ids[i], fmt.Sprintf("s%d-%d", i, j))
		}
		ids[i] = append(ids[i], fmt.Sprintf("twice-%d", i%2)) // sockets 0/2 and 1/3 race
	}
	acks := burst(t, socks, ids)
	seqs := map[int64]string{1: "open"}
	for id, fs := range acks {
		for _, f := range fs[1:] {
			if f.Seq != fs[0].Seq || f.Type != "ack" {
				t.Errorf("%s acked as %+v and %+v", id, fs[0], f)
			}
		}
		if other, taken := seqs[fs[0].Seq]; taken {
			t.Errorf("seq %d given to %s and %s", fs[0].Seq, other, id)
		}
		seqs[fs[0].Seq] = id
	}
	n := int64(len(seqs))
	if n != 1+4*15+2 {
		t.Fatalf("%d distinct messages acked, want %d", n, 1+4*15+2)
	}
	for s := int64(1); s <= n; s++ {
		if seqs[s] == "" {
			t.Errorf("no message acked with seq %d (of %d)", s, n)
		}
	}
	msgs := history(t, srv, vt, 0)
	if int64(len(msgs)) != n {
		t.Fatalf("history has %d messages, want %d", len(msgs), n)
	}
	for i, msg := range msgs {
		if msg.Seq != int64(i+1) || msg.ClientMsgID != seqs[msg.Seq] {
			t.Fatalf("history[%d] = seq %d %q, acked %q", i, msg.Seq, msg.ClientMsgID, seqs[msg.Seq])
		}
	}
	late := dial(t, srv, "/webchat/ws?token="+vt, nil)
	if hello := late.wait("hello", func(f frame) bool { return f.Type == "hello" }); hello.LastSeq != n {
		t.Fatalf("hello last_seq %d, want %d", hello.LastSeq, n)
	}
	late.send(chatFrame{Type: "resume", LastSeq: n - 3})
	for s := n - 2; s <= n; s++ {
		got := late.wait("replay", func(f frame) bool { return f.Type == "message" })
		if got.Message.Seq != s {
			t.Fatalf("replayed seq %d, want %d", got.Message.Seq, s)
		}
	}
	late.wait("resumed", func(f frame) bool { return f.Type == "resumed" && f.LastSeq == n })
}

// TestSeqsAfterAnUnfinishedBatch: a batch cut short by a crash leaves sequence entries (and
// maybe a message) past its conversation's seq. A new process numbers after them, and the
// retry of the stored message is acked with its number and shows in the history.
func TestSeqsAfterAnUnfinishedBatch(t *testing.T) {
	m := New(nil)
	srv := node(t, m, nil)
	if !m.st.FerretDB {
		t.Skip("sequence entries exist on the embedded store only")
	}
	vt := visitorToken(t, srv)
	v := dial(t, srv, "/webchat/ws?token="+vt, nil)
	v.send(chatFrame{Type: "send", ClientMsgID: "one", Text: "một"})
	ack := v.wait("ack", func(f frame) bool { return f.Type == "ack" })
	conv := ack.ConversationID

	// What a crash after the entries and the messages of a batch, before the conversation's
	// update, leaves: entries 2 and 3, the message of 2 ("two"), the conversation at 1.
	ctx := context.Background()
	orphan := Message{ID: conv + ":c:two", ConversationID: conv, Channel: ChannelWeb, Seq: 2, UpdatedSeq: 2,
		Direction: DirIn, Kind: KindText, Text: "hai", ClientMsgID: "two", CreatedAt: time.Now().UTC()}
	for s, id := range map[int64]string{2: orphan.ID, 3: conv + ":c:lost"} {
		if _, err := m.st.C(messageSeqsColl).InsertOne(ctx, seqEntry{ID: seqKey(conv, s), MessageID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.st.C(messagesColl).InsertOne(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	m.writer = newMessageWriters(m) // a new process: nothing known in memory

	v.send(chatFrame{Type: "send", ClientMsgID: "two", Text: "hai"})
	if again := v.wait("ack of the retry", func(f frame) bool { return f.Type == "ack" }); again.Seq != 2 {
		t.Fatalf("retry acked with seq %d, want 2", again.Seq)
	}
	if msgs := history(t, srv, vt, 0); len(msgs) != 2 || msgs[1].ClientMsgID != "two" {
		t.Fatalf("history after the retry = %+v", msgs)
	}
	v.send(chatFrame{Type: "send", ClientMsgID: "four", Text: "bốn"})
	if next := v.wait("ack", func(f frame) bool { return f.Type == "ack" && f.ClientMsgID == "four" }); next.Seq != 4 {
		t.Fatalf("new message got seq %d, want 4 (after the entries left)", next.Seq)
	}
	var c Conversation
	if err := m.st.C(conversationsColl).FindOne(ctx, bson.M{"_id": conv}).Decode(&c); err != nil || c.Seq != 4 {
		t.Fatalf("conversation seq %d (%v), want 4", c.Seq, err)
	}
}

// TestKillDuringChatBurst: visitors send while the node is killed (-9). After a restart,
// every acked message is in its visitor's history under the number its ack carried, no
// number names two messages, and a new message is numbered after all of them.
func TestKillDuringChatBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	child, url := startChild(t, dir, false)
	srv := &apptest.Server{URL: url}
	const visitors, perVisitor = 4, 20
	tokens := make([]string, visitors)
	socks := make([]*wsClient, visitors)
	for i := range socks {
		tokens[i] = visitorToken(t, srv)
		socks[i] = dial(t, srv, "/webchat/ws?token="+tokens[i], nil)
		socks[i].wait("hello", func(f frame) bool { return f.Type == "hello" })
	}
	var mu sync.Mutex
	acked := make([]map[string]int64, visitors)
	var wg sync.WaitGroup
	for i, s := range socks {
		acked[i] = map[string]int64{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perVisitor {
				_ = s.c.WriteJSON(chatFrame{Type: "send", ClientMsgID: fmt.Sprintf("k%d", j), Text: "tin nhắn"})
			}
			for f := range s.frames {
				if f.Type == "ack" {
					mu.Lock()
					acked[i][f.ClientMsgID] = f.Seq
					mu.Unlock()
				}
			}
		}()
	}
	eventually(t, "some acks", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, a := range acked {
			n += len(a)
		}
		return n >= visitors*perVisitor/3
	})
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	wg.Wait() // the sockets close with the process

	_, url = startChild(t, dir, false)
	srv = &apptest.Server{URL: url}
	total := 0
	for i, tok := range tokens {
		msgs := history(t, srv, tok, 0)
		bySeq := map[int64]string{}
		var newest int64
		for _, msg := range msgs {
			if other, dup := bySeq[msg.Seq]; dup {
				t.Errorf("visitor %d: seq %d names %s and %s", i, msg.Seq, other, msg.ClientMsgID)
			}
			bySeq[msg.Seq], newest = msg.ClientMsgID, max(newest, msg.Seq)
		}
		for id, seq := range acked[i] {
			if bySeq[seq] != id {
				t.Errorf("visitor %d: %s acked with seq %d, history has %q there", i, id, seq, bySeq[seq])
			}
		}
		total += len(acked[i])
		v := dial(t, srv, "/webchat/ws?token="+tok, nil)
		v.send(chatFrame{Type: "send", ClientMsgID: "after", Text: "sau khi khởi động lại"})
		if a := v.wait("ack", func(f frame) bool { return f.Type == "ack" }); a.Seq <= newest {
			t.Errorf("visitor %d: new message seq %d, stored up to %d", i, a.Seq, newest)
		}
	}
	t.Logf("%d of %d messages acked before the kill", total, visitors*perVisitor)
}

// TestCommitOfManyConversations: a batch that touches many conversations updates them all
// (FerretDB 1.24 deadlocks on one update command of about a hundred statements).
func TestCommitOfManyConversations(t *testing.T) {
	m := New(nil)
	node(t, m, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 150
	var docs []any
	var chs []convChange
	for i := range n {
		id := fmt.Sprintf("many-%03d", i)
		docs = append(docs, Conversation{ID: id, ThreadKey: id, State: StateQueued, Seq: 1})
		chs = append(chs, convChange{id: id, seq: int64(i + 2), set: bson.M{"updated_at": time.Now().UTC()}})
	}
	if _, err := m.st.C(conversationsColl).InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	seq := &memorySequencer{st: m.st, last: map[string]int64{}}
	if err := seq.commit(ctx, chs); err != nil {
		t.Fatalf("commit of %d conversations: %v", n, err)
	}
	for i := range n {
		var c Conversation
		if err := m.st.C(conversationsColl).FindOne(ctx, bson.M{"_id": chs[i].id}).Decode(&c); err != nil || c.Seq != chs[i].seq {
			t.Fatalf("%s: seq %d (%v), want %d", chs[i].id, c.Seq, err, chs[i].seq)
		}
	}
}
