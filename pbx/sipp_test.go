package pbx

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/tickets"
)

// node is a whole ioc1022 node with the real ticket engine and this PBX, on random ports.
type node struct {
	srv *apptest.Server
	pbx *Module
	sip string // host:port
}

// workingTime is a Monday 09:00 in Vietnam: the daytime menu answers.
var workingTime = time.Date(2025, 7, 7, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))

func startNode(t *testing.T) *node {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.PBX.WrapUp = 200 * time.Millisecond
	return startNodeWith(t, cfg)
}

// startNodeWith is startNode with cfg (a node started again on the same store and data).
func startNodeWith(t *testing.T, cfg config.Config) *node {
	t.Helper()
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp not installed (Debian package sip-tester; make test installs it)")
	}
	tk := tickets.New()
	p := New()
	p.Calendar, p.Tickets, p.NormalizePhone = tk.Calendar(), TicketDeskFor(tk), tickets.NormalizePhone
	p.Clock = func() time.Time { return workingTime }
	srv := apptest.Start(t, cfg, tk, p)
	return &node{srv: srv, pbx: p, sip: p.SIPAddr().String()}
}

// handedOut are the ports freePort returned in this test binary: never twice, so a SIPp over
// TCP does not bind a port an earlier run's connection still holds in TIME_WAIT.
var handedOut sync.Map

// freePort returns a UDP port free now on 127.0.0.1, with the next two free for RTP/RTCP use.
func freePort(t *testing.T) int {
	t.Helper()
	for {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		_ = c.Close()
		if _, used := handedOut.LoadOrStore(p, true); p%2 == 0 && p < 65000 && !used {
			return p
		}
	}
}

// sipp runs a scenario of testdata/sipp against the node and returns its error. A port
// freePort chose can be taken before SIPp binds it (the node's media sockets take ephemeral
// ports too): SIPp's bind failure is retried on other ports when the caller named none.
func (n *node) sipp(ctx context.Context, t *testing.T, scenario string, args ...string) error {
	for attempt := 1; ; attempt++ {
		err := n.sippOnce(ctx, t, scenario, args...)
		if err == nil || attempt == 3 || slices.Contains(args, "-p") || !strings.Contains(err.Error(), "Unable to bind") {
			return err
		}
		t.Logf("sipp %s: a port was taken before SIPp bound it; again on others", scenario)
	}
}

func (n *node) sippOnce(ctx context.Context, t *testing.T, scenario string, args ...string) error {
	dir := t.TempDir()
	sf := scenario
	var err error
	if !filepath.IsAbs(sf) {
		sf, err = filepath.Abs(filepath.Join("testdata", "sipp", scenario))
	}
	if err != nil {
		return err
	}
	all := append([]string{n.sip, "-sf", sf, "-m", "1",
		"-p", strconv.Itoa(freePort(t)), "-mp", strconv.Itoa(freePort(t)), "-nostdin", "-trace_err",
		"-error_file", filepath.Join(dir, "err.log"), "-timeout", "40s", "-timeout_error"}, args...)
	if !slices.Contains(args, "-i") {
		all = append(all, "-i", "127.0.0.1")
	}
	cmd := exec.CommandContext(ctx, "sipp", all...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil && os.Getenv("SIPP_VERBOSE") != "" {
		t.Logf("%s", out)
	}
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		return fmt.Errorf("sipp %s: %v\n%s", scenario, err, errs)
	}
	return nil
}

// agentPhone starts an agent's phone: SIPp answering one call (testdata/sipp/agent.xml) on a
// port whose contact a sipgo user agent registers with digest auth.
func (n *node) agentPhone(t *testing.T, ext, secret string) <-chan error {
	t.Helper()
	return n.agentPhoneWith(t, "agent.xml", ext, secret)
}

// agentPhoneWith is agentPhone running another SIPp scenario of testdata/sipp.
func (n *node) agentPhoneWith(t *testing.T, scenario, ext, secret string) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	port := freePort(t)
	go func() { done <- n.sipp(ctx, t, scenario, "-s", ext, "-p", strconv.Itoa(port)) }()
	res, err := register(ctx, n.sip, ext, secret, "127.0.0.1:"+strconv.Itoa(port))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register %s: %v %v", ext, res, err)
	}
	return done
}

// register registers contact for ext with digest auth, as a phone does, and returns the
// final answer.
func register(ctx context.Context, pbx, ext, secret, contact string) (*sip.Response, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("ioc1022-test-phone"))
	if err != nil {
		return nil, err
	}
	defer ua.Close()
	cli, err := sipgo.NewClient(ua)
	if err != nil {
		return nil, err
	}
	var to sip.Uri
	if err := sip.ParseUri("sip:"+ext+"@"+pbx, &to); err != nil {
		return nil, err
	}
	req := sip.NewRequest(sip.REGISTER, to)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: ext, Host: strings.Split(contact, ":")[0],
		Port: atoi(strings.Split(contact, ":")[1])}})
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	res, err := cli.Do(ctx, req)
	if err != nil || res.StatusCode != 401 {
		return res, err
	}
	return cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: ext, Password: secret})
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func (n *node) available(t *testing.T, user, pass string) {
	t.Helper()
	tok := n.srv.Login(t, user, pass)
	r := n.srv.Do(t, "POST", "/api/v1/pbx/agents/"+user+"/state", tok, map[string]string{"state": "available"})
	if r.Status != http.StatusOK {
		t.Fatalf("set available: %d %s", r.Status, r.Body)
	}
}

// lastCall waits until the newest call record has ended and returns it.
func (n *node) lastCall(t *testing.T) CallRecord {
	t.Helper()
	tok := n.srv.Admin(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		var list struct{ Items []CallRecord }
		n.srv.Do(t, "GET", "/api/v1/calls", tok, nil).Decode(t, &list)
		if len(list.Items) > 0 && list.Items[0].EndedAt != nil {
			return list.Items[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ended call record: %+v", list.Items)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// callEvents waits for the call's events through call.ended and returns them in order.
func (n *node) callEvents(t *testing.T, id CallID, last string) []events.Event {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		evs, err := n.srv.App.Core.Events.Read(context.Background(), 0, 1000, "call.")
		if err != nil {
			t.Fatal(err)
		}
		var mine []events.Event
		for _, e := range evs {
			if e.Subject == string(id) {
				mine = append(mine, e)
			}
		}
		if len(mine) > 0 && mine[len(mine)-1].Type == last {
			return mine
		}
		if time.Now().After(deadline) {
			t.Fatalf("events of %s: %v", id, types(mine))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func types(evs []events.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func wantTypes(t *testing.T, evs []events.Event, want ...string) {
	t.Helper()
	if got := types(evs); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestSIPpCallAnsweredByAgent(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	phone := n.agentPhone(t, "1001", DemoSIPSecret("1001"))
	n.available(t, "agent1", "demo-agent1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.sipp(ctx, t, "caller_queue.xml", "-s", "1022"); err != nil {
		t.Fatal(err)
	}
	if err := <-phone; err != nil {
		t.Fatal(err)
	}
	r := n.lastCall(t)
	if r.Outcome != OutcomeAnswered || r.Agent != "agent1" || r.Queue != "hotline" || r.HangupBy != "caller" ||
		r.Caller != "0912345678" || r.DID != "1022" || r.Trunk != "demo" {
		t.Fatalf("record %+v", r)
	}
	if len(r.Path) < 1 || r.Path[0].Menu != "main" || r.Path[0].Digits != "1" {
		t.Fatalf("path %+v", r.Path)
	}
	if r.IVRExitedAt == nil || r.QueuedAt == nil || r.AnsweredAt == nil || r.EndedAt == nil ||
		r.AnsweredAt.Before(*r.QueuedAt) || r.EndedAt.Before(*r.AnsweredAt) {
		t.Fatalf("times %+v", r)
	}
	if r.TalkS < 3 || r.WaitS < 0 || r.WaitS > 5 || r.WrapS != 0.2 {
		t.Fatalf("durations wait %v talk %v wrap %v", r.WaitS, r.TalkS, r.WrapS)
	}
	if r.Recording == "" || r.RecordingS < 2 {
		t.Fatalf("recording %q %v s", r.Recording, r.RecordingS)
	}
	rec := n.srv.Do(t, "GET", "/api/v1/calls/"+string(r.ID)+"/recording", n.srv.Admin(t), nil)
	if rec.Status != 200 || rec.Header.Get("Content-Type") != "audio/wav" || string(rec.Body[:4]) != "RIFF" {
		t.Fatalf("recording download: %d %s", rec.Status, rec.Header)
	}
	evs := n.callEvents(t, r.ID, "call.ended")
	wantTypes(t, evs, "call.arrived", "call.ivr_exited", "call.queued", "call.answered", "call.ended")
	var d eventData
	if err := evs[4].Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.ID != r.ID || d.Caller != "0912345678" || d.DID != "1022" || d.Queue != "hotline" || d.Agent != "agent1" ||
		d.Outcome != OutcomeAnswered || d.HangupBy != "caller" || d.AnsweredAt == nil || d.EndedAt == nil ||
		d.TalkS != r.TalkS || d.WaitS != r.WaitS || d.WrapS != r.WrapS {
		t.Fatalf("call.ended data %+v vs record %+v", d, r)
	}
	// The agent went ringing → on_call → wrap_up → available.
	want := []string{"available", "ringing", "on_call", "wrap_up", "available"}
	var states []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		agentEvs, _ := n.srv.App.Core.Events.Read(context.Background(), 0, 100, "agent.")
		states = states[:0]
		for _, e := range agentEvs {
			var a struct{ Agent, State string }
			_ = e.Decode(&a)
			if a.Agent == "agent1" {
				states = append(states, a.State)
			}
		}
		if slices.Equal(states, want) {
			return
		}
	}
	t.Fatalf("agent states %v, want %v", states, want)
}

func TestSIPpAbandonedCall(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.sipp(ctx, t, "caller_abandon.xml", "-s", "1022"); err != nil {
		t.Fatal(err)
	}
	r := n.lastCall(t)
	if r.Outcome != OutcomeShortAbandoned || r.HangupBy != "caller" || r.Queue != "hotline" || r.AnsweredAt != nil ||
		r.WaitS <= 0 || r.WaitS >= 5 || r.Agent != "" {
		t.Fatalf("record %+v", r)
	}
	evs := n.callEvents(t, r.ID, "call.ended")
	wantTypes(t, evs, "call.arrived", "call.ivr_exited", "call.queued", "call.abandoned", "call.ended")
}

func TestSIPpVoicemailBecomesTicket(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.sipp(ctx, t, "caller_voicemail.xml", "-s", "1022"); err != nil {
		t.Fatal(err)
	}
	r := n.lastCall(t)
	if r.Outcome != OutcomeVoicemail || !r.Voicemail || r.Ticket == "" || r.RecordingS < 3 || r.HangupBy != "system" {
		t.Fatalf("record %+v", r)
	}
	if len(r.Path) != 2 || r.Path[0].Digits != "3" || r.Path[1].Menu != "voicemail" || r.Path[1].Digits != "#" {
		t.Fatalf("path %+v", r.Path)
	}
	var tk struct{ Code, Status string }
	resp := n.srv.Do(t, "GET", "/api/v1/tickets/"+r.Ticket, n.srv.Admin(t), nil)
	resp.Decode(t, &tk)
	if resp.Status != 200 || tk.Status != "new" {
		t.Fatalf("ticket %s: %d %s", r.Ticket, resp.Status, resp.Body)
	}
	wantTypes(t, n.callEvents(t, r.ID, "call.ended"), "call.arrived", "call.ivr_exited", "call.voicemail", "call.ended")
}

func TestSIPpCallback(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	citizenPort := freePort(t)
	dp := DemoDialplan()
	dp.Trunks[0].Outbound = "127.0.0.1:" + strconv.Itoa(citizenPort)
	if r := n.srv.Do(t, "PUT", "/api/v1/pbx/dialplan", n.srv.Admin(t), dp); r.Status != 200 {
		t.Fatalf("dialplan: %d %s", r.Status, r.Body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := n.sipp(ctx, t, "caller_callback.xml", "-s", "1022"); err != nil {
		t.Fatal(err)
	}
	r := n.lastCall(t)
	if r.Outcome != OutcomeCallback || r.Callback == nil || r.Callback.Status != "pending" || r.Callback.Queue != "hotline" {
		t.Fatalf("record %+v", r)
	}
	evs, got := n.connectCallback(ctx, t, r, citizenPort)
	wantTypes(t, evs, "call.arrived", "call.ivr_exited", "call.queued", "call.callback_requested", "call.ended", "call.callback_connected")
	if c := got.Callback; c.Status != "connected" || c.Agent != "agent1" || c.Attempts != 1 || c.TalkS < 2 || c.DoneAt == nil {
		t.Fatalf("callback %+v", c)
	}
}

// connectCallback lets agent1 answer r's callback and the citizen (SIPp on citizenPort) pick
// up, then returns the call's events through call.callback_connected and its record.
func (n *node) connectCallback(ctx context.Context, t *testing.T, r CallRecord, citizenPort int) ([]events.Event, *CallRecord) {
	t.Helper()
	citizen := citizenPhone(ctx, t, citizenPort)
	phone := n.agentPhone(t, "1001", DemoSIPSecret("1001"))
	n.available(t, "agent1", "demo-agent1")
	if err := <-citizen; err != nil {
		t.Fatalf("citizen phone: %v", err)
	}
	if err := <-phone; err != nil {
		t.Fatal(err)
	}
	evs := n.callEvents(t, r.ID, "call.callback_connected")
	got, err := n.pbx.Call(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return evs, got
}

// citizenPhone answers the PBX's callback on port (SIPp, testdata/sipp/citizen.xml) and
// reports its end.
func citizenPhone(ctx context.Context, t *testing.T, port int) <-chan error {
	citizen := make(chan error, 1)
	args := []string{"-sf", "testdata/sipp/citizen.xml", "-m", "1", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-mp", strconv.Itoa(freePort(t)), "-nostdin", "-timeout", "60s", "-timeout_error",
		"-trace_err", "-error_file", filepath.Join(t.TempDir(), "citizen.log")}
	go func() {
		cmd := exec.CommandContext(ctx, "sipp", args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("%w: %s", err, out)
		}
		citizen <- err
	}()
	return citizen
}

func TestSIPpRefusals(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.sipp(ctx, t, "register_wrong.xml", "-s", "1001", "-au", "1001", "-ap", "wrong-secret"); err != nil {
		t.Fatalf("wrong credentials: %v", err)
	}
	if res, err := register(ctx, n.sip, "1001", "wrong-secret", "127.0.0.1:5999"); err != nil || res.StatusCode != 403 {
		t.Fatalf("sipgo REGISTER with a wrong secret: %v %v", res, err)
	}
	if _, ok := n.pbx.locs.lookup("1001"); ok {
		t.Fatal("a wrong secret registered")
	}
	// A SIP secret sent back masked keeps the stored one.
	admin := n.srv.Admin(t)
	if r := n.srv.Do(t, "PUT", "/api/v1/pbx/agents/agent1/sip-secret", admin, map[string]string{"secret": SecretMask}); r.Status != http.StatusNoContent {
		t.Fatalf("masked sip secret: %d %s", r.Status, r.Body)
	}
	if res, err := register(ctx, n.sip, "1001", DemoSIPSecret("1001"), "127.0.0.1:5999"); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER after a masked secret was sent back: %v %v", res, err)
	}
	// Toll fraud: an unauthenticated INVITE from outside the trunk's addresses, to an outside
	// number, with an outbound trunk configured, is refused and nothing goes out.
	out, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	dp := DemoDialplan()
	dp.Trunks[0].Outbound = out.LocalAddr().String()
	if r := n.srv.Do(t, "PUT", "/api/v1/pbx/dialplan", admin, dp); r.Status != 200 {
		t.Fatalf("dialplan: %d %s", r.Status, r.Body)
	}
	for _, number := range []string{"1022", "0987654321", "+84987654321"} {
		if err := n.sipp(ctx, t, "invite_refused.xml", "-s", number, "-i", "127.0.0.2"); err != nil {
			t.Fatalf("INVITE %s from an unknown source: %v", number, err)
		}
	}
	_ = out.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if k, _, err := out.ReadFrom(make([]byte, 2048)); err == nil {
		t.Fatalf("%d bytes went out through the trunk", k)
	}
	evs, _ := n.srv.App.Core.Events.Read(ctx, 0, 100, "call.")
	if len(evs) != 0 {
		t.Fatalf("refused calls made records: %v", types(evs))
	}
}
