package pbx

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// outsideNumber is the department's line the transfer tests send callers to
// (testdata/sipp/outside_line.xml checks the INVITE is for it).
const outsideNumber = "0987654321"

// transferNode is a node whose dialplan adds queue "dept" (agent2 only, recorded) and sends
// outside numbers through the demo trunk to port line, where outsideLine answers.
func transferNode(t *testing.T) (n *node, line int) {
	t.Helper()
	n = startNode(t)
	line = freePort(t)
	dp := DemoDialplan()
	dp.Trunks[0].Outbound = "127.0.0.1:" + strconv.Itoa(line)
	dp.Queues = append(dp.Queues, Queue{Name: "dept", Members: []string{"agent2"}, Strategy: Linear, RingTimeout: 15,
		Record: true})
	if r := n.srv.Do(t, "PUT", "/api/v1/pbx/dialplan", n.srv.Admin(t), dp); r.Status != 200 {
		t.Fatalf("dialplan: %d %s", r.Status, r.Body)
	}
	return n, line
}

// outsideLine answers one call to outsideNumber on port (SIPp), plays a capture and waits for
// the PBX's BYE.
func (n *node) outsideLine(t *testing.T, port int) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	go func() { done <- n.sipp(ctx, t, "outside_line.xml", "-p", strconv.Itoa(port)) }()
	return done
}

// transferToLine runs a transfer by agent1's phone (answered, referred and hungUp are its
// reports) to the outside line on port line: a caller is queued and answered by agent1, who
// transfers; the caller talks with the line until it hangs up. It returns the call record.
func (n *node) transferToLine(t *testing.T, line int, answered, referred, hungUp <-chan error) CallRecord {
	t.Helper()
	far := n.outsideLine(t, line)
	n.available(t, "agent1", "demo-agent1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	caller := n.transferCaller(ctx, t)
	waitAnswered(t, answered, caller)
	if err := <-referred; err != nil {
		t.Fatalf("REFER: %v (outside line: %v)", err, <-far)
	}
	if err := <-hungUp; err != nil {
		t.Fatalf("agent1's legs not hung up after the transfer: %v", err)
	}
	if err := <-caller; err != nil {
		t.Fatal(err)
	}
	if err := <-far; err != nil {
		t.Fatalf("outside line: %v", err)
	}
	return n.lastCall(t)
}

// agentState returns a wait until agent is in state (for a phone's goroutine: no t).
func (n *node) agentState(agent string, state AgentState) func(context.Context) error {
	return func(ctx context.Context) error {
		for {
			if s, ok := n.pbx.Live.Agent(agent); ok && s.State == state {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s never %s: %w", agent, state, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// checkTransfer checks the record's one transfer.
func checkTransfer(t *testing.T, r CallRecord, want Transfer) {
	t.Helper()
	if len(r.Transfers) != 1 {
		t.Fatalf("transfers %+v, want one", r.Transfers)
	}
	got := r.Transfers[0]
	if got.By != want.By || got.Kind != want.Kind || got.Target != want.Target || got.Attended != want.Attended ||
		got.Agent != want.Agent || got.At.IsZero() || got.At.Before(*r.AnsweredAt) || got.At.After(*r.EndedAt) {
		t.Fatalf("transfer %+v, want %+v", got, want)
	}
}

// checkDurations checks that wait, talk and hold add up for a call answered by agent1 then
// transferred: talk is the time with agents only (to the transfer, for an outside number).
func checkDurations(t *testing.T, r CallRecord, outside bool) {
	t.Helper()
	total := r.EndedAt.Sub(*r.AnsweredAt).Seconds()
	agentPart := r.Transfers[0].At.Sub(*r.AnsweredAt).Seconds()
	if r.WaitS < 0 || r.WaitS > 5 || r.WrapS != 0.2 {
		t.Fatalf("wait %v wrap %v", r.WaitS, r.WrapS)
	}
	if got := r.TalkS + r.HoldS; outside && (got < agentPart-0.5 || got > agentPart+0.5) {
		t.Fatalf("talk %v + hold %v, want agent1's part %.3f", r.TalkS, r.HoldS, agentPart)
	}
	if got := r.TalkS + r.HoldS; !outside && (got < total-0.5 || got > total+0.1) {
		t.Fatalf("talk %v + hold %v, want the whole answered time %.3f", r.TalkS, r.HoldS, total)
	}
}

// checkRecording checks that the call's recording goes on across the transfer: its parts name
// agent1 from 0 s then party, the WAV is stereo, its length is the record's, and both the
// caller (left) and party (right) are heard after the transfer.
func checkRecording(t *testing.T, n *node, r CallRecord, party, kind string) {
	t.Helper()
	if r.Recording == "" || len(r.RecordingParts) != 2 {
		t.Fatalf("recording %q parts %+v", r.Recording, r.RecordingParts)
	}
	p0, p1 := r.RecordingParts[0], r.RecordingParts[1]
	if p0.Party != "agent1" || p0.Kind != TransferAgent || p0.FromS != 0 || p1.Party != party || p1.Kind != kind ||
		p1.FromS <= 0 || p1.FromS >= r.RecordingS {
		t.Fatalf("recording parts %+v (recording_s %v)", r.RecordingParts, r.RecordingS)
	}
	b, err := os.ReadFile(filepath.Join(n.pbx.dataDir, r.Recording))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44 || string(b[:4]) != "RIFF" || binary.LittleEndian.Uint16(b[22:]) != 2 ||
		int(binary.LittleEndian.Uint32(b[40:])) != len(b)-44 {
		t.Fatalf("not a whole stereo WAV (%d bytes)", len(b))
	}
	frames := (len(b) - 44) / 4
	if secs := float64(frames) / 8000; secs < r.RecordingS-0.01 || secs > r.RecordingS+0.01 || secs > r.EndedAt.Sub(*r.AnsweredAt).Seconds()+1 {
		t.Fatalf("WAV of %.3f s, record says %v s", secs, r.RecordingS)
	}
	// Seconds of sound (|sample| > 64) on each channel after the transfer.
	var heard [2]float64
	for i := int(p1.FromS * 8000); i < frames; i++ {
		for ch := range 2 {
			if s := int16(binary.LittleEndian.Uint16(b[44+4*i+2*ch:])); s > 64 || s < -64 {
				heard[ch] += 1.0 / 8000
			}
		}
	}
	if heard[0] < 1 || heard[1] < 1 {
		t.Fatalf("after the transfer (%.3f s in) the caller is heard %.2f s and %s %.2f s", p1.FromS, heard[0], party, heard[1])
	}
	meta, err := n.pbx.Call(context.Background(), r.ID)
	if err != nil || meta.Recording != r.Recording || meta.RecordingS != r.RecordingS || len(meta.RecordingParts) != 2 {
		t.Fatalf("recording metadata in the store: %+v %v", meta, err)
	}
}

// TestSIPpBlindTransferToQueue: agent1's phone (sipgo UA) answers a caller from hotline and
// sends REFER to queue "dept"; the caller waits there and is answered by agent2 (SIPp). The
// record ends in dept with agent2, the transfer by agent1 to the queue, one recording with
// both agents' parts.
func TestSIPpBlindTransferToQueue(t *testing.T) {
	t.Parallel()
	n, _ := transferNode(t)
	answered, referred, hungUp := n.referPhone(t, "1001", "dept")
	r := n.transferToAgent2(t, answered, referred, hungUp)
	if r.Outcome != OutcomeAnswered || r.Agent != "agent2" || r.Queue != "dept" || r.HangupBy != "caller" {
		t.Fatalf("record %+v", r)
	}
	checkTransfer(t, r, Transfer{By: "agent1", Kind: TransferQueue, Target: "dept"})
	if total := r.EndedAt.Sub(*r.AnsweredAt).Seconds(); r.TalkS+r.WaitS < total-1 || r.TalkS > total-r.HoldS {
		t.Fatalf("talk %v wait %v hold %v of %.3f s answered", r.TalkS, r.WaitS, r.HoldS, total)
	}
	checkRecording(t, n, r, "agent2", TransferAgent)
	wantTypes(t, n.callEvents(t, r.ID, "call.ended"), "call.arrived", "call.ivr_exited", "call.queued", "call.answered",
		"call.transferred", "call.queued", "call.answered", "call.ended")
	waitAgent(t, n, "agent1", Available)
	waitAgent(t, n, "agent2", Available)
}

// TestSIPpAttendedTransferToQueue: agent1's phone holds the caller, calls queue "dept" (the
// PBX answers, plays hold music and rings agent2's SIPp phone), then transfers with REFER +
// Replaces naming that call. The caller talks with agent2 until hanging up: the record ends
// in dept with agent2, an attended transfer to the queue taken by agent2, no second
// call.answered, and the recording goes on with agent2.
func TestSIPpAttendedTransferToQueue(t *testing.T) {
	t.Parallel()
	n, _ := transferNode(t)
	answered, referred, hungUp := n.attendedPhone(t, "1001", "dept", n.agentState("agent2", OnCall))
	r := n.transferToAgent2(t, answered, referred, hungUp)
	if r.Outcome != OutcomeAnswered || r.Agent != "agent2" || r.Queue != "dept" || r.HangupBy != "caller" {
		t.Fatalf("record %+v", r)
	}
	checkTransfer(t, r, Transfer{By: "agent1", Kind: TransferQueue, Target: "dept", Attended: true, Agent: "agent2"})
	checkDurations(t, r, false)
	if r.HoldS < 1 {
		t.Fatalf("hold_s %v: agent1 held the caller during the consult", r.HoldS)
	}
	checkRecording(t, n, r, "agent2", TransferAgent)
	wantTypes(t, n.callEvents(t, r.ID, "call.ended"), "call.arrived", "call.ivr_exited", "call.queued", "call.answered",
		"call.transferred", "call.ended")
	waitAgent(t, n, "agent1", Available)
	waitAgent(t, n, "agent2", Available)
}

// TestSIPpBlindTransferToNumber: agent1's phone sends REFER to an outside number; the PBX
// calls it through the outbound trunk (a SIPp line checking the number) and bridges the
// caller with it until the caller hangs up. Outcome transferred; talk is agent1's part only;
// the recording goes on with the line.
func TestSIPpBlindTransferToNumber(t *testing.T) {
	t.Parallel()
	n, line := transferNode(t)
	answered, referred, hungUp := n.referPhone(t, "1001", outsideNumber)
	n.checkTransferToLine(t, line, false, answered, referred, hungUp)
}

// TestSIPpAttendedTransferToNumber: agent1's phone holds the caller, calls an outside number
// through the PBX (digest-authenticated: only agents reach the trunk) and transfers with
// REFER + Replaces; the caller talks with the line until hanging up.
func TestSIPpAttendedTransferToNumber(t *testing.T) {
	t.Parallel()
	n, line := transferNode(t)
	answered, referred, hungUp := n.attendedPhone(t, "1001", outsideNumber, nil)
	n.checkTransferToLine(t, line, true, answered, referred, hungUp)
}

// checkTransferToLine runs transferToLine and checks the record, its transfer, durations,
// recording and events, and that agent1 is available again.
func (n *node) checkTransferToLine(t *testing.T, line int, attended bool, answered, referred, hungUp <-chan error) {
	t.Helper()
	r := n.transferToLine(t, line, answered, referred, hungUp)
	if r.Outcome != OutcomeTransferred || r.Agent != "agent1" || r.Queue != "hotline" || r.HangupBy != "caller" {
		t.Fatalf("record %+v", r)
	}
	checkTransfer(t, r, Transfer{By: "agent1", Kind: TransferNumber, Target: outsideNumber, Attended: attended})
	checkDurations(t, r, true)
	checkRecording(t, n, r, outsideNumber, TransferNumber)
	wantTypes(t, n.callEvents(t, r.ID, "call.ended"), "call.arrived", "call.ivr_exited", "call.queued", "call.answered",
		"call.transferred", "call.ended")
	waitAgent(t, n, "agent1", Available)
}

// TestReferOnlyFromTheAgentsPhone (toll fraud): while agent1's phone (SIPp) talks with a
// caller and an outbound trunk is set, a REFER to an outside number naming agent1's leg
// (Call-ID and both tags) but sent from another address gets 403, and one with a wrong tag
// 481; nothing goes out through the trunk and the call goes on untransferred.
func TestReferOnlyFromTheAgentsPhone(t *testing.T) {
	t.Parallel()
	n, line := transferNode(t)
	trunk, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(line))
	if err != nil {
		t.Fatal(err)
	}
	defer trunk.Close()
	phone := n.agentPhone(t, "1001", DemoSIPSecret("1001"))
	n.available(t, "agent1", "demo-agent1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	caller := n.transferCaller(ctx, t)
	callID, ourTag, phoneTag := n.agentLeg(t, caller)

	conn, dst, from := rawPhone(t, n) // 127.0.0.2: not where agent1's phone answered from
	refer := func(fromTag, toTag string) string {
		msg := "REFER sip:ioc1022@" + n.sip + " SIP/2.0\r\n" +
			"Via: SIP/2.0/UDP " + from + ";branch=z9hG4bK-refer-" + fromTag + toTag + "\r\n" +
			"From: <sip:1001@127.0.0.1>;tag=" + fromTag + "\r\nTo: <sip:ioc1022@" + n.sip + ">;tag=" + toTag + "\r\n" +
			"Call-ID: " + callID + "\r\nCSeq: 7 REFER\r\nMax-Forwards: 70\r\nContact: <sip:1001@" + from + ">\r\n" +
			"Refer-To: <sip:" + outsideNumber + "@" + n.sip + ">\r\nContent-Length: 0\r\n\r\n"
		if _, err := conn.WriteTo([]byte(msg), dst); err != nil {
			t.Fatal(err)
		}
		var status string
		readUntil(conn, time.Now().Add(5*time.Second), func(msg string) bool {
			if strings.HasPrefix(msg, "SIP/2.0 ") && strings.Contains(sipField(msg, "CSeq"), "REFER") {
				status = msg[8:11]
			}
			return status == ""
		})
		return status
	}
	if got := refer(phoneTag, ourTag); got != "403" {
		t.Fatalf("REFER from elsewhere in agent1's dialog: %q, want 403", got)
	}
	if got := refer(phoneTag, "wrong"); got != "481" {
		t.Fatalf("REFER with a wrong tag: %q, want 481", got)
	}
	_ = trunk.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if k, _, err := trunk.ReadFrom(make([]byte, 2048)); err == nil {
		t.Fatalf("%d bytes went out through the trunk", k)
	}
	if err := <-caller; err != nil {
		t.Fatal(err)
	}
	if err := <-phone; err != nil {
		t.Fatal(err)
	}
	r := n.lastCall(t)
	if r.Outcome != OutcomeAnswered || r.Agent != "agent1" || len(r.Transfers) != 0 {
		t.Fatalf("record %+v", r)
	}
}

// agentLeg waits until a call's agent leg is answered and returns its Call-ID, the PBX's tag
// and the phone's; caller reports the caller's end (a failure before the answer).
func (n *node) agentLeg(t *testing.T, caller <-chan error) (callID, ourTag, phoneTag string) {
	t.Helper()
	for callID == "" {
		select {
		case err := <-caller:
			t.Fatalf("caller ended before an agent answered: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		n.pbx.agentLegs.Range(func(_, v any) bool {
			c := v.(*call)
			c.mu.Lock()
			defer c.mu.Unlock()
			if leg := c.agentLeg; leg != nil && leg.InviteResponse != nil {
				callID = leg.InviteRequest.CallID().Value()
				ourTag, _ = leg.InviteRequest.From().Params.Get("tag")
				phoneTag, _ = leg.InviteResponse.To().Params.Get("tag")
			}
			return callID == ""
		})
	}
	return callID, ourTag, phoneTag
}

// TestSIPpAttendedTransferToQueueBeforeAnswer: agent1's phone calls queue "dept" while none of
// its agents is free and sends the REFER with Replaces while still hearing its music on hold:
// the caller takes the consult's place and waits in dept until agent2 becomes available and
// answers (a second call.queued and call.answered follow the transfer).
func TestSIPpAttendedTransferToQueueBeforeAnswer(t *testing.T) {
	t.Parallel()
	n, _ := transferNode(t)
	answered, referred, hungUp := n.attendedPhone(t, "1001", "dept", nil)
	phone2 := n.agentPhone(t, "1002", DemoSIPSecret("1002"))
	n.available(t, "agent1", "demo-agent1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	caller := n.transferCaller(ctx, t)
	for _, step := range []<-chan error{answered, referred, hungUp} {
		if err := <-step; err != nil {
			t.Fatal(err)
		}
	}
	n.available(t, "agent2", "demo-agent2")
	if err := <-caller; err != nil {
		t.Fatal(err)
	}
	if err := <-phone2; err != nil {
		t.Fatalf("agent2's phone: %v", err)
	}
	r := n.lastCall(t)
	if r.Outcome != OutcomeAnswered || r.Agent != "agent2" || r.Queue != "dept" || r.HangupBy != "caller" {
		t.Fatalf("record %+v", r)
	}
	checkTransfer(t, r, Transfer{By: "agent1", Kind: TransferQueue, Target: "dept", Attended: true})
	wantTypes(t, n.callEvents(t, r.ID, "call.ended"), "call.arrived", "call.ivr_exited", "call.queued", "call.answered",
		"call.transferred", "call.queued", "call.answered", "call.ended")
	waitAgent(t, n, "agent2", Available)
}
