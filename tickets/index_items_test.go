package tickets

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// memNode starts a node and returns its module and in-memory index, or skips the test when
// the store is not FerretDB (the engine then keeps no index in memory).
func memNode(t *testing.T) (*Module, *memIndex) {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.Tickets.SweepInterval = time.Hour
	m := New()
	apptest.Start(t, cfg, m)
	x, ok := m.index.(*memIndex)
	if !ok {
		t.Skip("the store is not FerretDB: the engine uses store queries only")
	}
	return m, x
}

// attach adds an attachment to a ticket in the store the way recordAttachments does (no new
// version), without telling the index.
func attach(t *testing.T, m *Module, code Code) {
	t.Helper()
	a := Attachment{ID: bson.NewObjectID().Hex(), Name: "o-ga.png", Type: "image/png", Size: 3, SHA256: "abc", At: time.Now().UTC()}
	if _, err := m.coll.UpdateOne(context.Background(), bson.M{"_id": string(code)}, bson.M{"$push": bson.M{"attachments": a}}); err != nil {
		t.Fatal(err)
	}
}

// listed returns the one ticket x lists with code, or fails t.
func listed(t *testing.T, x *memIndex, code Code) Ticket {
	t.Helper()
	got, err := x.list(context.Background(), listQuery{limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range got {
		if tk.Code == code {
			return tk
		}
	}
	t.Fatalf("%s is not listed", code)
	return Ticket{}
}

var agent = &httpapi.Principal{Username: "agent1", Role: httpapi.RoleAgent}

// TestItemsMissNoAttachment makes an action's write report a ticket without the attachment
// added after the action read it (attaching does not move the version, so the action's
// write succeeds and leaves it in the store): the list must show the attachment.
func TestItemsMissNoAttachment(t *testing.T) {
	m, x := memNode(t)
	ctx := context.Background()
	tk, err := m.Create(ctx, NewTicket{Category: "roads_traffic", Ward: "20194", Description: "Ổ gà trước chợ"}, agent)
	if err != nil {
		t.Fatal(err)
	}
	read, err := m.load(ctx, tk.Code) // the action reads the ticket
	if err != nil {
		t.Fatal(err)
	}
	attach(t, m, tk.Code)
	x.touch(tk.Code)
	if got := listed(t, x, tk.Code); len(got.Attachments) != 1 {
		t.Fatalf("after the attachment the list shows %d attachments", len(got.Attachments))
	}
	// The action writes its state and reports the ticket as it read it, one version on.
	if _, err := m.coll.UpdateOne(ctx, bson.M{"_id": string(tk.Code)}, bson.M{"$inc": bson.M{"version": 1}, "$set": bson.M{"reason": "xem lại"}}); err != nil {
		t.Fatal(err)
	}
	read.Version++
	read.Reason = "xem lại"
	x.put(read)
	got := listed(t, x, tk.Code)
	if len(got.Attachments) != 1 || got.Reason != "xem lại" || got.Version != read.Version {
		t.Fatalf("after the action the list shows %d attachments, reason %q, version %d", len(got.Attachments), got.Reason, got.Version)
	}
}

// TestItemsLoadAfterAttachment attaches a file to a ticket after the load read it and before
// the load recorded it: the list must show the attachment.
func TestItemsLoadAfterAttachment(t *testing.T) {
	m, _ := memNode(t)
	ctx := context.Background()
	tk, err := m.Create(ctx, NewTicket{Category: "roads_traffic", Ward: "20194", Description: "Đèn đường không sáng"}, agent)
	if err != nil {
		t.Fatal(err)
	}
	x := newMemIndex(m.coll)
	x.hook = func() { // the load has read every ticket (fewer than loadBatch) and not recorded them
		attach(t, m, tk.Code)
		x.touch(tk.Code)
	}
	if err := x.load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := listed(t, x, tk.Code); len(got.Attachments) != 1 {
		t.Fatalf("the list shows %d attachments, want 1", len(got.Attachments))
	}
}

// TestItemsAgreeWithStore lists every ticket through the engine's index, a fresh one loaded
// from the store, and store queries, and compares the whole items, not only their codes.
func TestItemsAgreeWithStore(t *testing.T) {
	m, x := memNode(t)
	ctx := context.Background()
	for i := range 12 {
		in := NewTicket{Category: []string{"roads_traffic", "urban_order", ""}[i%3], Ward: "20194", Channel: "phone",
			Description: fmt.Sprintf("Ngập nước số %d", i), Address: "12 Lê Duẩn", Contact: Contact{Phone: "0905000001", Name: "Trần Thị B"},
			Location: &Location{Lat: 16.06, Lng: 108.22}}
		tk, err := m.Create(ctx, in, agent)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i%4 == 1 && tk.Status == StatusAssigned:
			_, err = m.Act(ctx, tk.Code, "accept", ActionRequest{Version: tk.Version}, &httpapi.Principal{Username: "s", Role: httpapi.RoleSupervisor})
		case i%4 == 2:
			_, err = m.Act(ctx, tk.Code, "comment", ActionRequest{Version: tk.Version, Text: "Đã liên hệ người dân"}, agent)
		case i%4 == 3:
			attach(t, m, tk.Code)
			x.touch(tk.Code)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	reloaded := newMemIndex(m.coll)
	if err := reloaded.load(ctx); err != nil {
		t.Fatal(err)
	}
	want := listJSON(t, &storeIndex{coll: m.coll})
	for name, x := range map[string]ticketIndex{"memory": x, "reloaded": reloaded} {
		for range 2 { // items held, then items read again and kept
			if got := listJSON(t, x); got != want {
				t.Fatalf("%s index:\n%s\nstore:\n%s", name, got, want)
			}
		}
	}
}

func listJSON(t *testing.T, x ticketIndex) string {
	t.Helper()
	got, err := x.list(context.Background(), listQuery{limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.MarshalIndent(got, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestItemsBudget fills an index whose items may take 20 items' room: the newest tickets
// keep theirs, the oldest lose them, and a page of the newest is answered without the store
// (the index has none).
func TestItemsBudget(t *testing.T) {
	x := newMemIndex(nil)
	x.finish()
	base := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	ticket := func(i int) *Ticket {
		return &Ticket{Code: Code(fmt.Sprintf("PA%07d", i)), Version: 1, Status: StatusAssigned, Department: "SXD",
			Description: "Ổ gà lớn giữa đường", CreatedAt: base.Add(time.Duration(i) * time.Minute)}
	}
	size := len(encodeItem(ticket(0)))
	x.itemBudget = 20 * size
	for i := range 50 {
		x.put(ticket(i))
	}
	if x.itemBytes > x.itemBudget {
		t.Fatalf("items take %d bytes, budget %d", x.itemBytes, x.itemBudget)
	}
	for i, s := range x.order {
		if held := s.item != nil; held != (i >= 30) {
			t.Fatalf("ticket %d of 50 holds an item: %v", i, held)
		}
	}
	got, err := x.list(context.Background(), listQuery{limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 || got[0].Code != "PA0000049" || got[0].Description != "Ổ gà lớn giữa đường" || got[19].Code != "PA0000030" {
		t.Fatalf("page: %d items, first %+v", len(got), got[0])
	}
	// A write of an old ticket brings its item back, in place of the oldest held.
	old := ticket(3)
	old.Version = 2
	x.put(old)
	if x.byCode["PA0000003"].item == nil || x.byCode["PA0000030"].item != nil || x.itemBytes > x.itemBudget {
		t.Fatalf("after a write of an old ticket: its item %v, the oldest held %v, %d bytes",
			x.byCode["PA0000003"].item != nil, x.byCode["PA0000030"].item != nil, x.itemBytes)
	}
}
