package pbx

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emiago/diago/media"
	"github.com/pion/rtp"
)

// rtpSink keeps the packets written to it.
type rtpSink struct {
	mu   sync.Mutex
	pkts []rtp.Packet
}

func (s *rtpSink) WriteRTP(p *rtp.Packet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *p
	c.Payload = append([]byte(nil), p.Payload...)
	s.pkts = append(s.pkts, c)
	return nil
}

// TestPacerPlays: several streams play at once through one pacer; each gets its payload
// whole, in 160-byte packets with consecutive sequence numbers and timestamps 160 apart; a
// stream whose stop says so ends early and reports it.
func TestPacerPlays(t *testing.T) {
	t.Parallel()
	p := newPacer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = p.Run(ctx) }()

	const streams, frames = 5, 12
	sinks := make([]*rtpSink, streams)
	var wg sync.WaitGroup
	for i := range sinks {
		sinks[i] = &rtpSink{}
		w := media.NewRTPPacketWriter(sinks[i], media.CodecAudioUlaw)
		data := bytes.Repeat([]byte{byte(i)}, frames*frameBytes)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p.play(w, 0, data, nil) {
				t.Errorf("stream %d reported stopped", i)
			}
		}()
	}
	wg.Wait()
	for i, s := range sinks {
		if len(s.pkts) != frames {
			t.Fatalf("stream %d: %d packets, want %d", i, len(s.pkts), frames)
		}
		for k, pk := range s.pkts {
			if len(pk.Payload) != frameBytes || pk.Payload[0] != byte(i) || pk.PayloadType != 0 {
				t.Fatalf("stream %d packet %d: %d bytes pt %d", i, k, len(pk.Payload), pk.PayloadType)
			}
			if k > 0 && (pk.SequenceNumber != s.pkts[k-1].SequenceNumber+1 || pk.Timestamp != s.pkts[k-1].Timestamp+frameBytes) {
				t.Fatalf("stream %d packet %d: seq %d ts %d after seq %d ts %d", i, k, pk.SequenceNumber, pk.Timestamp,
					s.pkts[k-1].SequenceNumber, s.pkts[k-1].Timestamp)
			}
		}
	}

	sink := &rtpSink{}
	var sent atomic.Int32
	stop := func() bool { return sent.Add(1) > 3 }
	if !p.play(media.NewRTPPacketWriter(sink, media.CodecAudioAlaw), 8, make([]byte, 50*frameBytes), stop) {
		t.Fatal("a stopped stream did not report it")
	}
	if len(sink.pkts) != 3 {
		t.Fatalf("%d packets before stop, want 3", len(sink.pkts))
	}

	cancel()
	for p.play(media.NewRTPPacketWriter(&rtpSink{}, media.CodecAudioUlaw), 0, make([]byte, frameBytes), nil) == false {
		// Run may not have seen the cancel yet; once it has, play returns at once, stopped.
	}
}

// TestPromptsEncoded: a prompt is encoded once per payload type, padded with that codec's
// silence to whole packets; an upload replaces the encoding.
func TestPromptsEncoded(t *testing.T) {
	t.Parallel()
	p, err := loadPrompts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	u := p.encoded("beep", 0)
	a := p.encoded("beep", 8)
	pcm := p.get("beep")
	if len(u)%frameBytes != 0 || len(u) < len(pcm)/2 || len(a) != len(u) || bytes.Equal(u, a) {
		t.Fatalf("µ-law %d bytes, A-law %d bytes, from %d PCM bytes", len(u), len(a), len(pcm))
	}
	if &p.encoded("beep", 0)[0] != &u[0] {
		t.Fatal("encoded again")
	}
	if p.encoded("no-such-prompt", 0) != nil {
		t.Fatal("a missing prompt has an encoding")
	}
	if err := p.put("beep", append(wavHeader(1, 3200), make([]byte, 3200)...)); err != nil {
		t.Fatal(err)
	}
	if got := p.encoded("beep", 0); len(got) != 1600 || got[0] != 0xFF {
		t.Fatalf("after upload: %d bytes, first %#x", len(got), got[0])
	}
}

// BenchmarkPacerTick: one tick of the pacer with 500 streams playing (one packet each, to a
// writer that drops it): the pacer's own cost a tick, without the network.
func BenchmarkPacerTick(b *testing.B) {
	p := newPacer()
	data := make([]byte, 1<<20)
	for range 500 {
		p.streams = append(p.streams, &playout{w: media.NewRTPPacketWriter(dropRTP{}, media.CodecAudioUlaw), data: data,
			done: make(chan struct{})})
	}
	var batch []*playout
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, s := range p.streams {
			s.off = 0
		}
		batch = p.tick(batch[:0])
	}
}

type dropRTP struct{}

func (dropRTP) WriteRTP(*rtp.Packet) error { return nil }
