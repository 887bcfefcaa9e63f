package tickets_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/tickets"
)

// TestDuplicatesAndMerge reports one pothole three times: the second report lists the first
// as a duplicate by distance, the third by ward and text. Both are merged into the first;
// approving the first tells every reporter through their own channel.
func TestDuplicatesAndMerge(t *testing.T) {
	forEachIndex(t, func(t *testing.T, start func(t *testing.T, tune ...func(*config.Config)) *node) {
		n := start(t)
		master := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà lớn trước số 12 Lê Duẩn",
			"channel": "phone", "contact": map[string]any{"phone": "0912000001"}, "location": map[string]any{"lat": 16.0700, "lng": 108.2200}})
		near := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Đường hư hỏng nặng",
			"channel": "zalo", "contact_id": "c-zalo-1", "conversation_id": "conv-1", "location": map[string]any{"lat": 16.0710, "lng": 108.2205}})
		if len(near.Duplicates) != 1 || near.Duplicates[0].Code != master.Code || near.Duplicates[0].DistanceM == nil || *near.Duplicates[0].DistanceM > 250 {
			t.Fatalf("duplicates by distance: %+v", near.Duplicates)
		}
		far := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà",
			"location": map[string]any{"lat": 16.0800, "lng": 108.2200}})
		for _, d := range far.Duplicates {
			if d.Code == master.Code || d.Code == near.Code {
				t.Fatalf("1 km away counted as a duplicate: %+v", far.Duplicates)
			}
		}
		text := n.create(t, map[string]any{"category": "roads_traffic", "ward": "Hải Châu", "description": "o ga lon truoc so 12 le duan",
			"channel": "email", "contact": map[string]any{"email": "dan@example.vn"}})
		if len(text.Duplicates) == 0 || text.Duplicates[0].Code != master.Code {
			t.Fatalf("duplicates by text: %+v", text.Duplicates)
		}
		other := n.create(t, map[string]any{"category": "environment", "ward": "20194", "description": "Ổ gà lớn trước số 12 Lê Duẩn"})
		if len(other.Duplicates) != 0 {
			t.Fatalf("another category counted: %+v", other.Duplicates)
		}

		n.mustAct(t, n.agent, near.Code, "merge", map[string]any{"master": string(master.Code), "reason": "Cùng vị trí"})
		n.mustAct(t, n.agent, text.Code, "merge", map[string]any{"master": " " + string(master.Code[:4]) + "-" + string(master.Code[4:])})
		if got := n.get(t, near.Code); got.Status != tickets.StatusMerged || got.MergedInto != master.Code || got.NextDeadline != nil {
			t.Fatalf("merged ticket: %s %s", got.Status, got.MergedInto)
		}
		if r := n.act(t, n.agent, master.Code, "merge", map[string]any{"version": n.get(t, master.Code).Version, "master": string(near.Code)}); r.Status != http.StatusConflict {
			t.Fatalf("merge into a merged ticket: %d %s", r.Status, r.Body)
		}
		m := n.get(t, master.Code)
		if len(m.Merged) != 2 {
			t.Fatalf("master lists %d merged", len(m.Merged))
		}
		n.mustAct(t, n.officer, master.Code, "accept", nil)
		n.mustAct(t, n.officer, master.Code, "answer", map[string]any{"text": "Đã vá ổ gà ngày 10/3"})
		n.mustAct(t, n.agent, master.Code, "approve", nil)

		notices := n.waitEvents(t, func(ev eventT) bool {
			var d tickets.NoticeData
			return ev.Type == "ticket.citizen_notice" && ev.Decode(&d) == nil && d.Kind == "resolved"
		}, 3)
		if len(notices) != 3 {
			t.Fatalf("%d resolved notices", len(notices))
		}
		byChannel := map[string]tickets.NoticeData{}
		for _, ev := range notices {
			var d tickets.NoticeData
			_ = ev.Decode(&d)
			if d.MasterCode != master.Code || d.Answer != "Đã vá ổ gà ngày 10/3" {
				t.Fatalf("notice %+v", d)
			}
			byChannel[d.Reporter.Channel] = d
		}
		if byChannel["phone"].Reporter.Phone != "0912000001" || byChannel["phone"].Code != master.Code {
			t.Fatalf("phone reporter: %+v", byChannel["phone"])
		}
		if z := byChannel["zalo"]; z.Code != near.Code || z.Reporter.ConversationID != "conv-1" || z.Reporter.ContactID != "c-zalo-1" {
			t.Fatalf("zalo reporter: %+v", z)
		}
		if e := byChannel["email"]; e.Code != text.Code || e.Reporter.Email != "dan@example.vn" {
			t.Fatalf("email reporter: %+v", e)
		}
		n.waitEvents(t, ofType("ticket.merged", near.Code, text.Code), 2)
		created := n.waitEvents(t, func(ev eventT) bool {
			var d tickets.NoticeData
			return ev.Type == "ticket.citizen_notice" && ev.Decode(&d) == nil && d.Kind == "created"
		}, 5)
		if len(created) != 5 {
			t.Fatalf("%d created notices for 5 tickets", len(created))
		}
	})
}

// TestMergeCompletesAfterACrash merges as if the process stopped between writing the
// duplicate and the master: the durable ticket.merged consumer records the duplicate on the
// master, once, and the master's approval tells both reporters.
func TestMergeCompletesAfterACrash(t *testing.T) {
	n := start(t)
	tickets.SkipMergeCompletion(true)
	t.Cleanup(func() { tickets.SkipMergeCompletion(false) })
	master := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà lớn",
		"contact": map[string]any{"phone": "0912000011"}})
	dup := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà lớn giữa đường",
		"channel": "zalo", "contact_id": "c-9", "conversation_id": "conv-9"})
	n.mustAct(t, n.agent, dup.Code, "merge", map[string]any{"master": string(master.Code)})
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := n.get(t, master.Code)
		if len(m.Merged) == 1 && m.Merged[0].Code == dup.Code && m.Merged[0].Reporters[0].ConversationID == "conv-9" {
			break
		}
		if len(m.Merged) > 1 || time.Now().After(deadline) {
			t.Fatalf("master lists %+v", m.Merged)
		}
		time.Sleep(30 * time.Millisecond)
	}
	n.mustAct(t, n.officer, master.Code, "accept", nil)
	n.mustAct(t, n.officer, master.Code, "answer", map[string]any{"text": "Đã vá"})
	n.mustAct(t, n.agent, master.Code, "approve", nil)
	notices := n.waitEvents(t, func(ev eventT) bool {
		var d tickets.NoticeData
		return ev.Type == "ticket.citizen_notice" && ev.Decode(&d) == nil && d.Kind == "resolved"
	}, 2)
	if len(notices) != 2 {
		t.Fatalf("%d resolved notices", len(notices))
	}
	if m := n.get(t, master.Code); len(m.Merged) != 1 {
		t.Fatalf("master lists the duplicate %d times", len(m.Merged))
	}
}
