package pbx

import (
	"context"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// malformed are SIP messages a broken or hostile peer sends.
var malformed = []string{
	"",
	"\r\n\r\n",
	"INVITE\r\n\r\n",
	"INVITE sip:1022@127.0.0.1 SIP/2.0\r\nContent-Length: 99999\r\n\r\nv=0",
	"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK1\r\nFrom: <sip:1001@x>;tag=1\r\nTo: <sip:1001@x>\r\nCall-ID: g1\r\nCSeq: 1 REGISTER\r\nAuthorization: Digest username=\"1001\", realm=\"ioc1022\", nonce=\"%%%\", uri=\"sip:x\", response=\"zz\", qop=auth, nc=zz\r\nContent-Length: 0\r\n\r\n",
	"INFO sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK2\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: nope\r\nCSeq: 1 INFO\r\nContent-Type: application/dtmf-relay\r\nContent-Length: 9\r\n\r\nSignal=99",
	"INVITE sip:1022@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK3\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:1022@x>\r\nCall-ID: g3\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 12\r\n\r\nv=0\r\nm=audio x",
	"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK4\r\nUser-Agent: friendly-scanner\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: g4\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
	"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK5\r\nCall-ID: g5\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
}

// TestGarbageDoesNotCrash sends malformed SIP and random bytes over UDP and TCP; the node
// must keep serving: a phone registers afterwards.
func TestGarbageDoesNotCrash(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	udp, err := net.Dial("udp", n.sip)
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	msgs := append([]string(nil), malformed...)
	for i := 0; i < 300; i++ {
		b := make([]byte, rng.IntN(1500))
		for j := range b {
			b[j] = byte(rng.IntN(256))
		}
		if i%2 == 0 && len(msgs) > 0 { // mutate a valid-looking message
			m := []byte(malformed[rng.IntN(len(malformed))])
			for k := 0; k < 3 && len(m) > 0; k++ {
				m[rng.IntN(len(m))] = byte(rng.IntN(256))
			}
			b = m
		}
		msgs = append(msgs, string(b))
	}
	for _, m := range msgs {
		_, _ = udp.Write([]byte(m))
		if c, err := net.DialTimeout("tcp", n.sip, time.Second); err == nil {
			_ = c.SetDeadline(time.Now().Add(200 * time.Millisecond))
			_, _ = c.Write([]byte(m))
			_ = c.Close()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := register(ctx, n.sip, "1002", DemoSIPSecret("1002"), "127.0.0.1:5998")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register after garbage: %v %v", res, err)
	}
}

// FuzzDigestCheck feeds arbitrary Authorization headers to the digest check.
func FuzzDigestCheck(f *testing.F) {
	f.Add(`Digest username="1001", realm="ioc1022", nonce="AAAA", uri="sip:x", response="00", qop=auth, nc=00000001, cnonce="x"`)
	d := newDigester("ioc1022")
	f.Fuzz(func(t *testing.T, h string) {
		req := mustRegister(t)
		req.AppendHeader(sipHeader("Authorization", h))
		if c := credentials(req); c != nil {
			if d.check(req, c, HA1("1001", "ioc1022", "s")) == authOK {
				t.Fatalf("fuzzed credentials accepted: %q", h)
			}
		}
	})
}

// FuzzWAV feeds arbitrary files to the prompt reader.
func FuzzWAV(f *testing.F) {
	raw, _ := builtinPrompts.ReadFile("prompts/vi/beep.wav")
	f.Add(raw)
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pcm, err := wavPCM(b)
		if err == nil && len(pcm)%2 != 0 {
			t.Fatal("odd PCM length")
		}
	})
}

func mustRegister(t *testing.T) *sip.Request {
	var to sip.Uri
	if err := sip.ParseUri("sip:1001@127.0.0.1", &to); err != nil {
		t.Fatal(err)
	}
	return sip.NewRequest(sip.REGISTER, to)
}

func sipHeader(name, v string) sip.Header { return sip.NewHeader(name, v) }
