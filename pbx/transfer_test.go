package pbx

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// diagoPhone is a phone's SIP and media stack (sipgo and diago) on UDP host:port, closed when
// the test ends.
func diagoPhone(t *testing.T, host string, port int) *diago.Diago {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("ioc1022-test-phone"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ua.Close() })
	return diago.NewDiago(ua, diago.WithTransport(diago.Transport{Transport: "udp", BindHost: host, BindPort: port}))
}

// referPhone is an agent's phone made with sipgo and diago: it registers ext with digest
// auth, answers one call, and after a second sends REFER to referTo (blind transfer). It
// reports the REFER's outcome (nil: 202) and then whether the PBX hung its leg up.
func (n *node) referPhone(t *testing.T, ext, referTo string) (answered, referred, hungUp <-chan error) {
	t.Helper()
	ans, ref, bye := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	port := freePort(t)
	dg := diagoPhone(t, "127.0.0.1", port)
	if err := dg.ServeBackground(ctx, func(d *diago.DialogServerSession) {
		if err := d.Answer(); err != nil {
			ans <- err
			return
		}
		ans <- nil
		time.Sleep(time.Second)
		var to sip.Uri
		if err := sip.ParseUri("sip:"+referTo+"@"+n.sip, &to); err != nil {
			ref <- err
			return
		}
		// Not d.Context(): the PBX hangs the leg up right after its 202, and a BYE handled
		// before the 202 would cancel the REFER's wait for it.
		ref <- d.Refer(ctx, to)
		select {
		case <-d.Context().Done():
			bye <- nil
		case <-time.After(10 * time.Second):
			bye <- context.DeadlineExceeded
		}
	}); err != nil {
		t.Fatal(err)
	}
	res, err := register(ctx, n.sip, ext, DemoSIPSecret(ext), "127.0.0.1:"+strconv.Itoa(port))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register %s: %v %v", ext, res, err)
	}
	return ans, ref, bye
}

// TestSIPpBlindTransferToAgent: a caller is queued and answered by agent1's phone (a sipgo
// UA), which sends REFER to extension 1002; the PBX answers 202, hangs up agent1's leg and
// rings agent2's phone (SIPp), which talks with the caller until the caller hangs up. The
// record keeps the transfer and ends answered by agent2; call.transferred is in the events.
func TestSIPpBlindTransferToAgent(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	answered, referred, hungUp := n.referPhone(t, "1001", "1002")
	r := n.transferToAgent2(t, answered, referred, hungUp)
	if r.Outcome != OutcomeAnswered || r.Agent != "agent2" || r.Queue != "hotline" || r.HangupBy != "caller" {
		t.Fatalf("record %+v", r)
	}
	if len(r.Transfers) != 1 || r.Transfers[0].By != "agent1" || r.Transfers[0].Kind != TransferAgent ||
		r.Transfers[0].Target != "agent2" || r.Transfers[0].At.IsZero() {
		t.Fatalf("transfers %+v", r.Transfers)
	}
	checkRecording(t, n, r, "agent2", TransferAgent)
	evs := n.callEvents(t, r.ID, "call.ended")
	wantTypes(t, evs, "call.arrived", "call.ivr_exited", "call.queued", "call.answered", "call.transferred",
		"call.answered", "call.ended")
}

// attendedPhone is agent ext's phone for an attended transfer (sipgo and diago): it answers
// one call from the queue, holds the caller (re-INVITE a=sendonly), calls target through the
// PBX with digest auth, and once the target answered sends REFER on the caller's leg with
// Refer-To <sip:target@pbx?Replaces=...> naming its call to the target (after ready, when not
// nil, returns). It reports each step, then whether the PBX hung up both its legs.
func (n *node) attendedPhone(t *testing.T, ext, target string, ready func(context.Context) error) (answered, referred, hungUp <-chan error) {
	t.Helper()
	ans, ref, bye := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	port := freePort(t)
	// Not 127.0.0.1: that is the demo trunk's address, whose INVITEs are calls in.
	dg := diagoPhone(t, "127.0.0.2", port)
	if err := dg.ServeBackground(ctx, func(d *diago.DialogServerSession) {
		if err := d.Answer(); err != nil {
			ans <- err
			return
		}
		ans <- nil
		time.Sleep(time.Second)
		if err := d.Hold(ctx); err != nil {
			ref <- fmt.Errorf("hold: %w", err)
			return
		}
		var uri sip.Uri
		if err := sip.ParseUri("sip:"+target+"@"+n.sip, &uri); err != nil {
			ref <- err
			return
		}
		from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: ext, Host: "127.0.0.2"}, Params: sip.NewParams()}
		from.Params.Add("tag", sip.GenerateTagN(16))
		cd, err := dg.Invite(ctx, uri, diago.InviteOptions{Username: ext, Password: DemoSIPSecret(ext), Headers: []sip.Header{from}})
		if err != nil {
			ref <- fmt.Errorf("call %s: %w", target, err)
			return
		}
		time.Sleep(time.Second)
		if ready != nil {
			if err := ready(ctx); err != nil {
				ref <- err
				return
			}
		}
		fromTag, _ := cd.InviteRequest.From().Params.Get("tag")
		toTag, _ := cd.InviteResponse.To().Params.Get("tag")
		uri.Headers = sip.NewParams()
		uri.Headers.Add("Replaces", url.QueryEscape(cd.InviteRequest.CallID().Value()+";to-tag="+toTag+";from-tag="+fromTag))
		ref <- d.Refer(ctx, uri) // not d.Context() (see referPhone)
		for i, leg := range []context.Context{d.Context(), cd.Context()} {
			select {
			case <-leg.Done():
			case <-time.After(10 * time.Second):
				bye <- fmt.Errorf("%s leg: %w", []string{"the caller's", "the consult"}[i], context.DeadlineExceeded)
				return
			}
		}
		bye <- nil
	}); err != nil {
		t.Fatal(err)
	}
	res, err := register(ctx, n.sip, ext, DemoSIPSecret(ext), "127.0.0.2:"+strconv.Itoa(port))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register %s: %v %v", ext, res, err)
	}
	return ans, ref, bye
}

// TestSIPpAttendedTransferToAgent: agent1's phone answers a queued caller, holds them, calls
// agent2's extension (agent2's phone is SIPp) and transfers with REFER + Replaces. The PBX
// hangs up both of agent1's legs and bridges the caller with agent2 until the caller hangs
// up. The record ends answered by agent2 with an attended transfer and agent1's hold time.
func TestSIPpAttendedTransferToAgent(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	answered, referred, hungUp := n.attendedPhone(t, "1001", "1002", nil)
	r := n.transferToAgent2(t, answered, referred, hungUp)
	if r.Outcome != OutcomeAnswered || r.Agent != "agent2" || r.HangupBy != "caller" {
		t.Fatalf("record %+v", r)
	}
	if len(r.Transfers) != 1 || r.Transfers[0].By != "agent1" || r.Transfers[0].Kind != TransferAgent ||
		r.Transfers[0].Target != "agent2" || !r.Transfers[0].Attended {
		t.Fatalf("transfers %+v", r.Transfers)
	}
	if r.HoldS < 1 || r.HoldS > 6 {
		t.Fatalf("hold_s %v: agent1 held the caller from the hold to the transfer (about 2 s)", r.HoldS)
	}
	checkDurations(t, r, false)
	checkRecording(t, n, r, "agent2", TransferAgent)
	wantTypes(t, n.callEvents(t, r.ID, "call.ended"), "call.arrived", "call.ivr_exited", "call.queued", "call.answered",
		"call.transferred", "call.ended")
	waitAgent(t, n, "agent1", Available)
	waitAgent(t, n, "agent2", Available)
}

// transferCaller starts the caller of the transfer tests (SIPp, caller_transfer.xml, dialling
// 1022) and reports its end.
func (n *node) transferCaller(ctx context.Context, t *testing.T) <-chan error {
	caller := make(chan error, 1)
	go func() { caller <- n.sipp(ctx, t, "caller_transfer.xml", "-s", "1022") }()
	return caller
}

// waitAnswered waits for agent1's phone to report its answer, failing if the caller ends first.
func waitAnswered(t *testing.T, answered, caller <-chan error) {
	t.Helper()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatal(err)
		}
	case err := <-caller:
		t.Fatalf("caller ended before agent1 answered: %v", err)
	}
}

// transferToAgent2 runs a transfer by agent1's phone (answered, referred and hungUp are its
// reports) to agent2's phone (SIPp): a caller is queued and answered by agent1, agent2 becomes
// available only then (so the queue rang agent1), agent1 transfers, and the caller talks with
// agent2 until it hangs up. It returns the call record.
func (n *node) transferToAgent2(t *testing.T, answered, referred, hungUp <-chan error) CallRecord {
	t.Helper()
	phone2 := n.agentPhone(t, "1002", DemoSIPSecret("1002"))
	n.available(t, "agent1", "demo-agent1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	caller := n.transferCaller(ctx, t)
	waitAnswered(t, answered, caller)
	n.available(t, "agent2", "demo-agent2")
	if err := <-referred; err != nil {
		t.Fatalf("REFER: %v", err)
	}
	if err := <-hungUp; err != nil {
		t.Fatalf("agent1's legs not hung up after the transfer: %v", err)
	}
	if err := <-caller; err != nil {
		t.Fatal(err)
	}
	if err := <-phone2; err != nil {
		t.Fatalf("agent2's phone: %v", err)
	}
	return n.lastCall(t)
}
