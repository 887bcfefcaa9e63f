package omnichannel

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestWebchatReadReceiptsAndHistory checks the paths that read a conversation's messages
// by sequence number: read receipts move only what they cover, and the history after a
// sequence number has edits and notes (agents) or not (visitor).
func TestWebchatReadReceiptsAndHistory(t *testing.T) {
	m := New(nil)
	srv := node(t, m, nil)
	agentTok, inbox := agentInbox(t, srv)
	vt := visitorToken(t, srv)
	v := dial(t, srv, "/webchat/ws?token="+vt, nil)
	v.send(chatFrame{Type: "send", ClientMsgID: "r1", Text: "xin chào"})
	convID := v.wait("ack", func(f frame) bool { return f.Type == "ack" }).ConversationID
	inbox.wait("assignment", func(f frame) bool { return f.Type == "assigned" })

	var replies []Message
	for _, text := range []string{"một", "hai"} {
		var out Message
		r := srv.Do(t, "POST", "/api/v1/conversations/"+convID+"/messages", agentTok, MessageRequest{Text: text})
		if r.Status != http.StatusCreated {
			t.Fatalf("agent send: %d %s", r.Status, r.Body)
		}
		r.Decode(t, &out)
		replies = append(replies, out)
	}
	if r := srv.Do(t, "POST", "/api/v1/conversations/"+convID+"/notes", agentTok, MessageRequest{Text: "ghi chú"}); r.Status != http.StatusCreated {
		t.Fatalf("note: %d %s", r.Status, r.Body)
	}
	states := func() map[string]DeliveryState {
		var list httpapi.List[Message]
		srv.Do(t, "GET", "/api/v1/conversations/"+convID+"/messages", agentTok, nil).Decode(t, &list)
		out := map[string]DeliveryState{}
		for _, msg := range list.Items {
			if msg.Delivery != nil {
				out[msg.ID] = msg.Delivery.State
			}
		}
		return out
	}
	v.send(chatFrame{Type: "read", Seq: replies[0].Seq})
	inbox.wait("read receipt", func(f frame) bool { return f.Type == "read" && f.Message != nil && f.Message.Seq == replies[0].Seq })
	if s := states(); s[replies[0].ID] != DeliveryRead || s[replies[1].ID] != DeliverySent {
		t.Fatalf("after reading the first reply: %v", s)
	}
	v.send(chatFrame{Type: "read", Seq: replies[1].Seq + 10}) // beyond the newest: covers what exists
	inbox.wait("second read receipt", func(f frame) bool { return f.Type == "read" && f.Message != nil && f.Message.Seq > replies[1].Seq })
	if s := states(); s[replies[0].ID] != DeliveryRead || s[replies[1].ID] != DeliveryRead {
		t.Fatalf("after reading both: %v", s)
	}

	r := srv.Do(t, "PATCH", "/api/v1/conversations/"+convID+"/messages/"+replies[0].ID, agentTok, MessageRequest{Text: "Một"})
	if r.Status != http.StatusOK {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	cases := []struct {
		name, path, token string
		want              []string // texts, oldest first
	}{
		{"agent, everything", "/api/v1/conversations/" + convID + "/messages", agentTok, []string{"xin chào", "Một", "hai", "ghi chú"}},
		{"agent, after the second reply", "/api/v1/conversations/" + convID + "/messages?after_seq=" + itoa(replies[1].Seq), agentTok, []string{"Một", "ghi chú"}},
		{"agent, limited", "/api/v1/conversations/" + convID + "/messages?limit=2", agentTok, []string{"xin chào", "Một"}},
		{"visitor, no notes", "/api/v1/webchat/messages?token=" + vt, "", []string{"xin chào", "Một", "hai"}},
		{"visitor, after the second reply", "/api/v1/webchat/messages?after_seq=" + itoa(replies[1].Seq) + "&token=" + vt, "", []string{"Một"}},
	}
	checkHistory := func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var list httpapi.List[Message]
				srv.Do(t, "GET", tc.path, tc.token, nil).Decode(t, &list)
				var got []string
				for _, msg := range list.Items {
					got = append(got, msg.Text)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Fatalf("got %q, want %q", got, tc.want)
					}
				}
			})
		}
	}
	checkHistory(t)
	if !m.st.FerretDB {
		return
	}
	// Messages stored before the sequence entries existed get theirs at the next start.
	if _, err := m.st.C(messageSeqsColl).DeleteMany(t.Context(), bson.M{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.st.C(settingsColl).DeleteOne(t.Context(), bson.M{"_id": seqsBackfilled}); err != nil {
		t.Fatal(err)
	}
	if err := m.backfillSeqs(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Run("after a backfill", checkHistory)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
