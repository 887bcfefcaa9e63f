package pbx

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// referPhone is an agent's phone made with sipgo and diago: it registers ext with digest
// auth, answers one call, and after a second sends REFER to referTo (blind transfer). It
// reports the REFER's outcome (nil: 202) and then whether the PBX hung its leg up.
func (n *node) referPhone(t *testing.T, ext, referTo string) (answered, referred, hungUp <-chan error) {
	t.Helper()
	ans, ref, bye := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	port := freePort(t)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("ioc1022-test-phone"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ua.Close() })
	dg := diago.NewDiago(ua, diago.WithTransport(diago.Transport{Transport: "udp", BindHost: "127.0.0.1", BindPort: port}))
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
		ref <- d.Refer(d.Context(), to)
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
	phone2 := n.agentPhone(t, "1002", DemoSIPSecret("1002"))
	n.available(t, "agent1", "demo-agent1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	caller := make(chan error, 1)
	go func() { caller <- n.sipp(ctx, t, "caller_transfer.xml", "-s", "1022") }()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatal(err)
		}
	case err := <-caller:
		t.Fatalf("caller ended before agent1 answered: %v", err)
	}
	n.available(t, "agent2", "demo-agent2") // only now, so that the queue rang agent1
	if err := <-referred; err != nil {
		t.Fatalf("REFER: %v", err)
	}
	if err := <-hungUp; err != nil {
		t.Fatalf("agent1's leg not hung up after the transfer: %v", err)
	}
	if err := <-caller; err != nil {
		t.Fatal(err)
	}
	if err := <-phone2; err != nil {
		t.Fatal(err)
	}
	r := n.lastCall(t)
	if r.Outcome != OutcomeAnswered || r.Agent != "agent2" || r.Queue != "hotline" || r.HangupBy != "caller" {
		t.Fatalf("record %+v", r)
	}
	if len(r.Transfers) != 1 || r.Transfers[0].By != "agent1" || r.Transfers[0].Kind != TransferAgent ||
		r.Transfers[0].Target != "agent2" || r.Transfers[0].At.IsZero() {
		t.Fatalf("transfers %+v", r.Transfers)
	}
	evs := n.callEvents(t, r.ID, "call.ended")
	wantTypes(t, evs, "call.arrived", "call.ivr_exited", "call.queued", "call.answered", "call.transferred",
		"call.answered", "call.ended")
}
