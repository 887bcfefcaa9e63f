package pbx

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"
)

func TestReplacesHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, id, to, from string
		ok                     bool
	}{
		{name: "plain", in: "abc@h;to-tag=1;from-tag=2", id: "abc@h", to: "1", from: "2", ok: true},
		{name: "escaped, spaces, order", in: "abc%40h%3Bfrom-tag%3D2%3B%20to-tag%3D1", id: "abc@h", to: "1", from: "2", ok: true},
		{name: "early-only flag", in: "x;to-tag=1;from-tag=2;early-only", id: "x", to: "1", from: "2", ok: true},
		{name: "no tags", in: "x", id: "x"},
		{name: "empty", in: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, to, from, ok := replaces(tc.in)
			if id != tc.id || to != tc.to || from != tc.from || ok != tc.ok {
				t.Fatalf("replaces(%q) = %q %q %q %v", tc.in, id, to, from, ok)
			}
		})
	}
}

// TestSIPpInviteReplacesAgentLeg: agent1's phone (SIPp) answers a queued caller; agent2's phone
// (a sipgo/diago UA, digest auth) sends an INVITE whose Replaces header names agent1's leg. The
// PBX answers it, hangs up agent1's leg and bridges the caller with agent2 until the caller
// hangs up; the record ends answered by agent2 with an attended transfer from agent1. A Replaces
// naming no call gets 481.
func TestSIPpInviteReplacesAgentLeg(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	phone1 := n.agentPhone(t, "1001", DemoSIPSecret("1001"))
	n.available(t, "agent1", "demo-agent1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	caller := n.transferCaller(ctx, t)

	callID, ourTag, phoneTag := n.agentLeg(t, caller)
	value := callID + ";to-tag=" + phoneTag + ";from-tag=" + ourTag

	dg := diagoPhone(t, "127.0.0.2", freePort(t))
	var uri sip.Uri
	if err := sip.ParseUri("sip:1001@"+n.sip, &uri); err != nil {
		t.Fatal(err)
	}
	invite := func(replaces string) (*diago.DialogClientSession, error) {
		from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: "127.0.0.2"}, Params: sip.NewParams()}
		from.Params.Add("tag", sip.GenerateTagN(16))
		return dg.Invite(ctx, uri, diago.InviteOptions{Username: "1002", Password: DemoSIPSecret("1002"),
			Headers: []sip.Header{from, sip.NewHeader("Replaces", replaces)}})
	}
	if _, err := invite(url.QueryEscape("nope@x;to-tag=a;from-tag=b")); err == nil {
		t.Fatal("a Replaces naming no call was answered")
	} else if !strings.Contains(err.Error(), "SIP/2.0 481 ") {
		t.Fatalf("a Replaces naming no call: %v, want 481", err)
	}
	d2, err := invite(value)
	if err != nil {
		t.Fatalf("INVITE with Replaces: %v", err)
	}
	if err := <-phone1; err != nil { // agent1's leg was hung up by the PBX (agent.xml waits for BYE)
		t.Fatalf("agent1's phone: %v", err)
	}
	if err := <-caller; err != nil {
		t.Fatal(err)
	}
	select { // the caller's BYE ends agent2's dialog too
	case <-d2.Context().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("agent2's dialog not hung up after the caller left")
	}
	r := n.lastCall(t)
	if r.Outcome != OutcomeAnswered || r.Agent != "agent2" || r.HangupBy != "caller" {
		t.Fatalf("record %+v", r)
	}
	if len(r.Transfers) != 1 || r.Transfers[0].By != "agent1" || r.Transfers[0].Kind != TransferAgent ||
		r.Transfers[0].Target != "agent2" || !r.Transfers[0].Attended {
		t.Fatalf("transfers %+v", r.Transfers)
	}
	wantTypes(t, n.callEvents(t, r.ID, "call.ended"), "call.arrived", "call.ivr_exited", "call.queued", "call.answered",
		"call.transferred", "call.ended")
	waitAgent(t, n, "agent1", Available)
	waitAgent(t, n, "agent2", Available)
}
