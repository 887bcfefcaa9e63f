package pbx

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSIPpStandardRequests: what any SIP peer may send, on UDP and on TCP. OPTIONS outside a
// dialog is answered 200; an INVITE without SDP, or offering no G.711, is answered 488 (and its
// ACK, on the INVITE's branch or on a new one, stops the retransmissions); one requiring an
// extension (100rel) is answered 420 with Unsupported; none leaves a
// call record.
func TestSIPpStandardRequests(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	for _, tr := range []string{"u1", "t1"} {
		for _, sc := range []string{"options.xml", "invite_nosdp.xml", "invite_g729.xml", "invite_require.xml"} {
			t.Run(tr+"/"+sc, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := n.sipp(ctx, t, sc, "-s", "1022", "-t", tr); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
	evs, err := n.srv.App.Core.Events.Read(context.Background(), 0, 100, "call.")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Fatalf("refused INVITEs made call events: %v", types(evs))
	}
}

// TestSIPpHold: the caller, bridged with an agent, holds the call with a re-INVITE
// (a=sendonly) for 2 s and resumes it (a=sendrecv); the record's hold_s is those 2 s and
// talk_s leaves them out. Once over UDP, once over TCP.
func TestSIPpHold(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	n.available(t, "agent1", "demo-agent1")
	for _, tr := range []string{"u1", "t1"} {
		phone := n.agentPhone(t, "1001", DemoSIPSecret("1001"))
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		err := n.sipp(ctx, t, "caller_hold.xml", "-s", "1022", "-t", tr)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		if err := <-phone; err != nil {
			t.Fatalf("%s: agent phone: %v", tr, err)
		}
		r := n.lastCall(t)
		if r.Outcome != OutcomeAnswered || r.HangupBy != "caller" || r.Agent != "agent1" {
			t.Fatalf("%s: record %+v", tr, r)
		}
		// 2 s of hold as SIPp paced it; the machine's load may stretch a pause, not shrink it.
		if r.HoldS < 1.9 || r.HoldS > 3.5 {
			t.Fatalf("%s: hold_s %v, want about 2", tr, r.HoldS)
		}
		total := r.EndedAt.Sub(*r.AnsweredAt).Seconds()
		if d := total - r.HoldS - r.TalkS; d < -0.01 || d > 0.01 {
			t.Fatalf("%s: talk_s %v + hold_s %v != answered→ended %v", tr, r.TalkS, r.HoldS, total)
		}
		waitAgent(t, n, "agent1", Available)
	}
}

// TestSIPpRingCancelled: the caller hangs up while the agent's phone rings: the PBX CANCELs the
// agent's INVITE (the phone answers 200 and 487), the call is a short abandon hung up by the
// caller, and the agent is available again with no missed ring counted.
func TestSIPpRingCancelled(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	phone := n.agentPhoneWith(t, "agent_cancelled.xml", "1001", DemoSIPSecret("1001"))
	n.available(t, "agent1", "demo-agent1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.sipp(ctx, t, "caller_abandon.xml", "-s", "1022"); err != nil {
		t.Fatal(err)
	}
	if err := <-phone; err != nil {
		t.Fatalf("agent phone: %v", err)
	}
	r := n.lastCall(t)
	if r.Outcome != OutcomeShortAbandoned || r.HangupBy != "caller" || r.AnsweredAt != nil || r.Agent != "" {
		t.Fatalf("record %+v", r)
	}
	wantTypes(t, n.callEvents(t, r.ID, "call.ended"), "call.arrived", "call.ivr_exited", "call.queued", "call.abandoned", "call.ended")
	s := waitAgent(t, n, "agent1", Available)
	if s.Missed != 0 {
		t.Fatalf("agent %+v: a ring the caller cut short counted as missed", s)
	}
}

// waitAgent waits until agent is in state and returns its status.
func waitAgent(t *testing.T, n *node, agent string, state AgentState) AgentStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, ok := n.pbx.Live.Agent(agent)
		if ok && s.State == state {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent %s: %+v, want %s", agent, s, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSIPpCancelBeforeAnswer: a caller CANCELs while the PBX rings (pbx.answer_after): 200 for
// the CANCEL, 487 for the INVITE, and a record that ends short-abandoned by the caller with no
// answer. Once with the CANCEL and ACK on the INVITE's branch (RFC 3261 §9.1), once on new
// branches, as scenarios written with [branch] send them.
func TestSIPpCancelBeforeAnswer(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "sipp", "caller_cancel.xml"))
	if err != nil {
		t.Fatal(err)
	}
	newBranches := filepath.Join(t.TempDir(), "caller_cancel_branches.xml")
	s := strings.NewReplacer("[branch-3]", "[branch]", "[branch-6]", "[branch]").Replace(string(raw))
	if err := os.WriteFile(newBranches, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"caller_cancel.xml", newBranches} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := n.sipp(ctx, t, sc, "-s", "1022")
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		r := n.lastCall(t)
		if r.Outcome != OutcomeShortAbandoned || r.HangupBy != "caller" || r.AnsweredAt != nil || r.TalkS != 0 {
			t.Fatalf("%s: record %+v", filepath.Base(sc), r)
		}
		wantTypes(t, n.callEvents(t, r.ID, "call.ended"), "call.arrived", "call.abandoned", "call.ended")
	}
}
