package pbx

import (
	"fmt"

	"github.com/emiago/sipgo/sip"
	"net"
	"strings"
	"testing"
	"time"
)

// rawInvite is an INVITE from agent 1001's phone at from (not a trunk's address) without
// credentials: the node answers 407.
func rawInvite(pbx, from, callID, branch string, cseq int) string {
	sdp := "v=0\r\no=a 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8\r\n"
	return "INVITE sip:0912345678@" + pbx + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + from + ";branch=" + branch + "\r\n" +
		"From: <sip:1001@" + pbx + ">;tag=ft-" + callID + "\r\n" +
		"To: <sip:0912345678@" + pbx + ">\r\n" +
		"Call-ID: " + callID + "\r\nCSeq: " + fmt.Sprint(cseq) + " INVITE\r\n" +
		"Contact: <sip:1001@" + from + ">\r\nMax-Forwards: 70\r\n" +
		"Content-Type: application/sdp\r\nContent-Length: " + fmt.Sprint(len(sdp)) + "\r\n\r\n" + sdp
}

// rawAck is the ACK of rawInvite's non-2xx answer, on a new branch as SIPp's [branch] makes it.
func rawAck(pbx, from, callID, toTag string) string {
	return "ACK sip:0912345678@" + pbx + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + from + ";branch=z9hG4bK-ack-" + callID + "\r\n" +
		"From: <sip:1001@" + pbx + ">;tag=ft-" + callID + "\r\n" +
		"To: <sip:0912345678@" + pbx + ">;tag=" + toTag + "\r\n" +
		"Call-ID: " + callID + "\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
}

// readUntil hands each datagram conn receives to each until the deadline or until each
// returns false.
func readUntil(conn net.PacketConn, until time.Time, each func(msg string) bool) {
	buf := make([]byte, 65535)
	for {
		_ = conn.SetReadDeadline(until)
		k, _, err := conn.ReadFrom(buf)
		if err != nil || !each(string(buf[:k])) {
			return
		}
	}
}

// sipField returns the value of header name in a raw SIP message ("" when absent).
func sipField(msg, name string) string {
	for _, l := range strings.Split(msg, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// rawPhone is a UDP socket on 127.0.0.2 (not the demo trunk's address) to write SIP by hand to
// the node at dst; from is its own address. It is closed when the test ends.
func rawPhone(t *testing.T, n *node) (conn net.PacketConn, dst *net.UDPAddr, from string) {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("127.0.0.2 not bindable: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	dst, err = net.ResolveUDPAddr("udp", n.sip)
	if err != nil {
		t.Fatal(err)
	}
	return conn, dst, conn.LocalAddr().String()
}

func toTag(msg string) string {
	_, tag, _ := strings.Cut(sipField(msg, "To"), "tag=")
	tag, _, _ = strings.Cut(tag, ";")
	return tag
}

// TestRetransmittedInviteSameToTag: RFC 3261 §8.2.6.2 and §17.2.1: every answer to one INVITE
// carries the same To tag, whether the node retransmits its 407 (no ACK yet) or the phone
// retransmits its INVITE (absorbed by the transaction, even when the copy comes before the
// first is answered). Sent for several calls at once, each INVITE twice back to back; then each
// call's ACK on a new branch (as SIPp's [branch] does) must stop the 407's retransmissions.
func TestRetransmittedInviteSameToTag(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	conn, dst, from := rawPhone(t, n)
	const calls = 20
	for i := range calls {
		inv := rawInvite(n.sip, from, fmt.Sprintf("rt-%d", i), fmt.Sprintf("z9hG4bK-rt-%d", i), 1)
		for range 2 {
			if _, err := conn.WriteTo([]byte(inv), dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Read for 1.2 s: both copies' answers and the 407's first retransmission (timer G, 500 ms).
	tags := map[string]map[string]int{} // Call-ID → To tag → answers
	finals := map[string]int{}
	read := func(until time.Time, each func(msg string)) {
		readUntil(conn, until, func(msg string) bool { each(msg); return true })
	}
	read(time.Now().Add(1200*time.Millisecond), func(msg string) {
		if strings.HasPrefix(msg, "SIP/2.0 100") {
			return
		}
		cid := sipField(msg, "Call-ID")
		if !strings.HasPrefix(msg, "SIP/2.0 407") {
			t.Errorf("%s: answer %q, want 407", cid, strings.SplitN(msg, "\r\n", 2)[0])
			return
		}
		if tags[cid] == nil {
			tags[cid] = map[string]int{}
		}
		tags[cid][toTag(msg)]++
		finals[cid]++
	})
	for i := range calls {
		cid := fmt.Sprintf("rt-%d", i)
		if len(tags[cid]) != 1 || tags[cid][""] != 0 {
			t.Errorf("%s: To tags of the answers %v, want one tag", cid, tags[cid])
		}
		if finals[cid] < 2 {
			t.Errorf("%s: %d answers in 1.2 s, want the 407 and its retransmission", cid, finals[cid])
		}
	}
	// ACK each 407 on a new branch: the retransmissions stop.
	for i := range calls {
		cid := fmt.Sprintf("rt-%d", i)
		var tag string
		for tg := range tags[cid] {
			tag = tg
		}
		if _, err := conn.WriteTo([]byte(rawAck(n.sip, from, cid, tag)), dst); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond) // answers already in flight when the ACKs left
	read(time.Now().Add(10*time.Millisecond), func(string) {})
	read(time.Now().Add(2500*time.Millisecond), func(msg string) {
		t.Errorf("after the ACK: %q (%s)", strings.SplitN(msg, "\r\n", 2)[0], sipField(msg, "Call-ID"))
	})
}

// TestSlowInviteRetransmittedThenACK is the benchmark's failure at 500 bridges, made
// deterministic: the node is slow (the INVITE is served 700 ms late), so the phone retransmits
// its INVITE before the 407; the phone ACKs the 407 at once on a new branch. The 407 must not be
// retransmitted after that ACK: a retransmission reaching the phone after the authenticated
// INVITE's 200 makes SIPp take the 407's To tag, and its BYE then gets 481.
func TestSlowInviteRetransmittedThenACK(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	slow := func(req *sip.Request) {
		if strings.HasPrefix(req.CallID().Value(), "slow-") {
			time.Sleep(700 * time.Millisecond)
		}
	}
	n.pbx.inviteHook.Store(&slow)
	conn, dst, from := rawPhone(t, n)
	const cid = "slow-1"
	inv := []byte(rawInvite(n.sip, from, cid, "z9hG4bK-slow-1", 1))
	if _, err := conn.WriteTo(inv, dst); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := conn.WriteTo(inv, dst); err != nil { // the phone's retransmission (T1 = 500 ms, a loaded node)
		t.Fatal(err)
	}
	tag := ""
	readUntil(conn, time.Now().Add(3*time.Second), func(msg string) bool {
		if !strings.HasPrefix(msg, "SIP/2.0 407") {
			return true
		}
		tag = toTag(msg)
		if _, err := conn.WriteTo([]byte(rawAck(n.sip, from, cid, tag)), dst); err != nil {
			t.Error(err)
		}
		return false
	})
	if tag == "" {
		t.Fatal("no 407 within 3 s")
	}
	readUntil(conn, time.Now().Add(2500*time.Millisecond), func(msg string) bool {
		t.Errorf("after the ACK: %q (To tag %s, the 407's %s)", strings.SplitN(msg, "\r\n", 2)[0], toTag(msg), tag)
		return true
	})
}

// TestNextInviteAcknowledgesChallenge: the phone's ACK to the 407 is lost; its next INVITE of the
// call leg (CSeq 2) shows it has the 407, whose retransmissions then stop.
func TestNextInviteAcknowledgesChallenge(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	conn, dst, from := rawPhone(t, n)
	const cid = "lost-ack-1"
	send := func(msg string) {
		if _, err := conn.WriteTo([]byte(msg), dst); err != nil {
			t.Fatal(err)
		}
	}
	send(rawInvite(n.sip, from, cid, "z9hG4bK-la-1", 1))
	got := false
	readUntil(conn, time.Now().Add(3*time.Second), func(msg string) bool {
		got = strings.HasPrefix(msg, "SIP/2.0 407")
		return !got
	})
	if !got {
		t.Fatal("no 407 within 3 s")
	}
	send(rawInvite(n.sip, from, cid, "z9hG4bK-la-2", 2)) // no ACK: lost
	late := 0
	readUntil(conn, time.Now().Add(2500*time.Millisecond), func(msg string) bool {
		if strings.Contains(sipField(msg, "CSeq"), "1 INVITE") && !strings.HasPrefix(msg, "SIP/2.0 100") {
			late++
		}
		return true
	})
	if late > 1 { // one may be in flight as the second INVITE arrives
		t.Fatalf("%d answers to the first INVITE after the second one arrived, want the retransmissions stopped", late)
	}
	send(rawAck(n.sip, from, cid, "x")) // tidy: nothing should answer an ACK
}
