package pbx

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/omnichannel"
	"github.com/ioc1022/ioc1022/tickets"
)

// startFullNode is startNode with omnichannel's inbox wired for the screen pop, as
// cmd/ioc1022/modules.go does.
func startFullNode(t *testing.T) (*node, *tickets.Module) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/sipp"); err != nil {
		t.Skip("sipp not installed (Debian package sip-tester; make test installs it)")
	}
	cfg := apptest.Config(t)
	cfg.PBX.WrapUp = 200 * time.Millisecond
	tk := tickets.New()
	oc := omnichannel.New(tk)
	p := New()
	p.Calendar, p.Tickets, p.NormalizePhone = tk.Calendar(), TicketDeskFor(tk), tickets.NormalizePhone
	p.Clock = func() time.Time { return workingTime }
	p.Inbox = oc
	p.Contacts = func(ctx context.Context, phone string) (any, any, error) { return oc.ContactByPhone(ctx, phone, 5) }
	p.Recent = func(ctx context.Context, phone string, n int) (any, error) { return tk.RecentByPhone(ctx, phone, n) }
	srv := apptest.Start(t, cfg, tk, oc, p)
	return &node{srv: srv, pbx: p, sip: p.SIPAddr().String()}, tk
}

var hotlineAgent = &httpapi.Principal{Username: "agent1", Role: httpapi.RoleAgent}

// TestSIPpScreenPopAndCallTicket: agent1's inbox socket is open and a ticket was reported
// from the caller's number; a SIPp call is queued and rings agent1's phone: the socket gets
// the screen pop with that ticket. After the call agent1 creates a ticket from the call, then
// adds the call to the older ticket, in one request each.
func TestSIPpScreenPopAndCallTicket(t *testing.T) {
	t.Parallel()
	n, tk := startFullNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	old, err := tk.Create(ctx, tickets.NewTicket{Description: "Đèn đường hỏng trước nhà số 12", Channel: "phone",
		Contact: tickets.Contact{Phone: "+84 912 345 678"}}, hotlineAgent)
	if err != nil {
		t.Fatal(err)
	}
	tok := n.srv.Login(t, "agent1", "demo-agent1")
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(n.srv.URL, "http")+"/api/v1/inbox/ws?token="+tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	pops := make(chan ScreenPop, 4)
	go func() {
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var p ScreenPop
			if json.Unmarshal(data, &p) == nil && p.Type == "screen_pop" {
				pops <- p
			}
		}
	}()
	phone := n.agentPhone(t, "1001", DemoSIPSecret("1001"))
	n.available(t, "agent1", "demo-agent1")
	if err := n.sipp(ctx, t, "caller_queue.xml", "-s", "1022"); err != nil {
		t.Fatal(err)
	}
	if err := <-phone; err != nil {
		t.Fatal(err)
	}
	r := n.lastCall(t)
	var pop ScreenPop
	select {
	case pop = <-pops:
	case <-time.After(10 * time.Second):
		t.Fatal("no screen pop on agent1's inbox socket")
	}
	raw, _ := json.Marshal(pop.Tickets)
	var popped []tickets.Ticket
	if err := json.Unmarshal(raw, &popped); err != nil {
		t.Fatal(err)
	}
	if pop.Call != r.ID || pop.Caller != "0912345678" || pop.DID != "1022" || pop.Queue != "hotline" || len(pop.Errors) != 0 ||
		len(popped) != 1 || popped[0].Code != old.Code {
		t.Fatalf("screen pop %+v (tickets %s), call %s, ticket %s", pop, raw, r.ID, old.Code)
	}

	// A ticket from the call, in one request: linked to the call and its recording.
	var made CallTicket
	res := n.srv.Do(t, "POST", "/api/v1/calls/"+string(r.ID)+"/ticket", tok, CallTicketRequest{Description: "Ngập nước đường Lê Duẩn"})
	res.Decode(t, &made)
	if res.Status != 201 || !made.Created || made.Ticket.CallID != string(r.ID) || made.Ticket.Channel != "phone" ||
		made.Ticket.Reporter.Phone != "0912345678" || !strings.Contains(made.Ticket.Description, "/api/v1/calls/"+string(r.ID)+"/recording") {
		t.Fatalf("create from call: %d %s", res.Status, res.Body)
	}
	if got, _ := n.pbx.Call(ctx, r.ID); got.Ticket != string(made.Ticket.Code) {
		t.Fatalf("call record's ticket %q, want %s", got.Ticket, made.Ticket.Code)
	}
	// Adding the call to the older ticket: an internal comment naming the call.
	var upd CallTicket
	res = n.srv.Do(t, "POST", "/api/v1/calls/"+string(r.ID)+"/ticket", tok,
		CallTicketRequest{Code: string(old.Code), Version: old.Version, Description: "Người dân gọi lại hỏi tiến độ"})
	res.Decode(t, &upd)
	if res.Status != 200 || upd.Created || upd.Ticket.Code != old.Code || len(upd.Ticket.Comments) != 1 ||
		!strings.Contains(upd.Ticket.Comments[0].Text, string(r.ID)) {
		t.Fatalf("update from call: %d %s", res.Status, res.Body)
	}
	if got, _ := n.pbx.Call(ctx, r.ID); got.Ticket != string(old.Code) {
		t.Fatalf("call record's ticket %q, want %s", got.Ticket, old.Code)
	}
	// Bad input: an empty description, a stale version, another agent's call.
	if res := n.srv.Do(t, "POST", "/api/v1/calls/"+string(r.ID)+"/ticket", tok, CallTicketRequest{}); res.Status != 422 {
		t.Fatalf("empty description: %d %s", res.Status, res.Body)
	}
	if res := n.srv.Do(t, "POST", "/api/v1/calls/"+string(r.ID)+"/ticket", tok,
		CallTicketRequest{Code: string(old.Code), Version: old.Version, Description: "x"}); res.Status != 409 {
		t.Fatalf("stale version: %d %s", res.Status, res.Body)
	}
	other := n.srv.Login(t, "agent2", "demo-agent2")
	if res := n.srv.Do(t, "POST", "/api/v1/calls/"+string(r.ID)+"/ticket", other, CallTicketRequest{Description: "x"}); res.Status != 404 {
		t.Fatalf("another agent's call: %d %s", res.Status, res.Body)
	}
	// Both call.ticket events (create, then update) reach the log; the relay may lag the second.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got := types(n.callEvents(t, r.ID, "call.ticket"))
		if len(got) >= 2 && got[len(got)-2] == "call.ticket" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events %v", got)
		}
	}
}

// keyScenario writes a SIPp caller that keys keys (RFC 2833 RTP from Debian's captures, one
// capture a key) and stays on the line for hold.
func keyScenario(t *testing.T, keys string, hold time.Duration) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "sipp", "caller_queue.xml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	start := strings.Index(s, "  <pause milliseconds=\"1500\"/>")
	end := strings.Index(s, "  <send retrans=\"500\">\n    <![CDATA[\n      BYE")
	if start < 0 || end < 0 {
		t.Fatal("caller_queue.xml changed: cannot build the keying scenario")
	}
	var b strings.Builder
	b.WriteString("  <pause milliseconds=\"1500\"/>\n")
	for _, k := range keys {
		name := string(k)
		switch k {
		case '*':
			name = "star"
		case '#':
			name = "pound"
		}
		fmt.Fprintf(&b, "  <nop><action><exec play_pcap_audio=\"/usr/share/sip-tester/dtmf_2833_%s.pcap\"/></action></nop>\n", name)
		b.WriteString("  <pause milliseconds=\"500\"/>\n")
	}
	fmt.Fprintf(&b, "  <pause milliseconds=\"%d\"/>\n", hold.Milliseconds())
	f := filepath.Join(t.TempDir(), "keys.xml")
	if err := os.WriteFile(f, []byte(s[:start]+b.String()+s[end:]), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSIPpTicketLookupByKeypad: a caller keys 2 (lookup), then the code of a real ticket
// (letters as * key place), then #; the IVR plays the status from the recorded fragments. A
// code with one wrong key is not found.
func TestSIPpTicketLookupByKeypad(t *testing.T) {
	t.Parallel()
	n, tk := startFullNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tkt, err := tk.Create(ctx, tickets.NewTicket{Description: "Rác thải chưa thu gom ở tổ 5", Channel: "phone",
		Contact: tickets.Contact{Phone: "0987654321"}}, hotlineAgent)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	played := map[CallID][][]string{}
	n.pbx.playHook = func(id CallID, names []string) {
		mu.Lock()
		defer mu.Unlock()
		played[id] = append(played[id], names)
	}
	tail := strings.TrimPrefix(string(tkt.Code), "PA")
	keys := KeypadKeys(tail)
	if back, err := keypadCode(keys); err != nil || back != tail {
		t.Fatalf("keys %s of %s read back as %q %v", keys, tail, back, err)
	}
	if err := n.sipp(ctx, t, keyScenario(t, "2"+keys+"#", 9*time.Second), "-s", "1022"); err != nil {
		t.Fatal(err)
	}
	r := n.lastCall(t)
	mu.Lock()
	got := played[r.ID]
	mu.Unlock()
	if len(got) != 2 || !slices.Equal(got[0], []string{"enter_code"}) || len(got[1]) < 2 ||
		!slices.Equal(got[1][:2], []string{"ticket", "status_" + string(tkt.Status)}) {
		t.Fatalf("prompts played %v for ticket %s (%s) keyed %s", got, tkt.Code, tkt.Status, keys)
	}
	if tkt.DueAt != nil && !slices.Contains(got[1], "due") {
		t.Fatalf("no due date read: %v", got[1])
	}
	if len(r.Path) < 2 || r.Path[1].Menu != "ticket_lookup" || r.Path[1].Digits != keys+"#" {
		t.Fatalf("path %+v", r.Path)
	}
	// One key wrong: the check character refuses it.
	wrong := []byte(keys)
	if wrong[0] == '9' {
		wrong[0] = '8'
	} else {
		wrong[0] = '9'
	}
	if err := n.sipp(ctx, t, keyScenario(t, "2"+string(wrong)+"#", 4*time.Second), "-s", "1022"); err != nil {
		t.Fatal(err)
	}
	r2 := n.lastCall(t)
	for r2.ID == r.ID {
		time.Sleep(100 * time.Millisecond)
		r2 = n.lastCall(t)
	}
	mu.Lock()
	got = played[r2.ID]
	mu.Unlock()
	if len(got) != 2 || !slices.Equal(got[1], []string{"not_found"}) {
		t.Fatalf("wrong code %s: prompts %v", wrong, got)
	}
}

func TestKeypadCode(t *testing.T) {
	for keys, want := range map[string]string{"7*523*619*72*92": "7K3M9QX", "0123456": "0123456", "*21*22*23": "ABC", "*74*94": "SZ"} {
		if got, err := keypadCode(keys); err != nil || got != want {
			t.Errorf("keypadCode(%s) = %q %v, want %s", keys, got, err, want)
		}
		if k := KeypadKeys(want); k != keys {
			t.Errorf("KeypadKeys(%s) = %s, want %s", want, k, keys)
		}
	}
	for _, bad := range []string{"", "*", "*2", "*24", "*14", "*0", "12#", "*95"} {
		if got, err := keypadCode(bad); err == nil {
			t.Errorf("keypadCode(%q) = %q, want an error", bad, got)
		}
	}
}
