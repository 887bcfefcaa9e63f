package dtmf

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rtpPacket is what the tests need of an RTP packet read from a capture.
type rtpPacket struct {
	pt      uint8
	marker  bool
	ts      uint32
	payload []byte
}

// readPcap returns the RTP packets of a classic pcap file of Ethernet/IPv4/UDP frames.
func readPcap(t *testing.T, path string) []rtpPacket {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("capture not installed (Debian package sip-tester): %v", err)
	}
	if len(raw) < 24 {
		t.Fatalf("%s: short pcap", path)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if binary.BigEndian.Uint32(raw) == 0xa1b2c3d4 {
		order = binary.BigEndian
	}
	var out []rtpPacket
	for off := 24; off+16 <= len(raw); {
		n := int(order.Uint32(raw[off+8:]))
		frame := raw[off+16 : min(off+16+n, len(raw))]
		off += 16 + n
		if len(frame) < 14+20+8+12 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
			continue
		}
		ihl := int(frame[14]&0x0f) * 4
		if frame[14+9] != 17 {
			continue
		}
		rtp := frame[14+ihl+8:]
		if len(rtp) < 12 || rtp[0]>>6 != 2 {
			continue
		}
		hdr := 12 + int(rtp[0]&0x0f)*4
		out = append(out, rtpPacket{pt: rtp[1] & 0x7f, marker: rtp[1]&0x80 != 0,
			ts: binary.BigEndian.Uint32(rtp[4:]), payload: rtp[hdr:]})
	}
	return out
}

const captures = "/usr/share/sip-tester"

func TestDecoderOnSIPpCaptures(t *testing.T) {
	t.Parallel()
	names := map[string]rune{"pound": '#', "star": '*'}
	for i := '0'; i <= '9'; i++ {
		names[string(i)] = i
	}
	for name, want := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pkts := readPcap(t, filepath.Join(captures, "dtmf_2833_"+name+".pcap"))
			if pkts[0].payload[2] != 0 || pkts[0].payload[3] != 0 {
				t.Fatalf("capture changed: first packet duration is not 0")
			}
			var d Decoder
			var got []rune
			for _, p := range pkts {
				got = append(got, d.Packet(p.ts, p.marker, p.payload)...)
			}
			got = append(got, d.Flush()...)
			if string(got) != string(want) {
				t.Fatalf("decoded %q, want %q", string(got), string(want))
			}
		})
	}
}

// TestDecoderSequenceOfCaptures plays captures back to back, as SIPp does for a caller keying
// several digits: every capture reuses the same RTP timestamp, so only the marker tells the
// digits apart; repeated digits must not be merged.
func TestDecoderSequenceOfCaptures(t *testing.T) {
	t.Parallel()
	var d Decoder
	var got []rune
	for _, name := range []string{"1", "1", "2", "star", "pound", "0"} {
		for _, p := range readPcap(t, filepath.Join(captures, "dtmf_2833_"+name+".pcap")) {
			got = append(got, d.Packet(p.ts, p.marker, p.payload)...)
		}
	}
	if string(got) != "112*#0" {
		t.Fatalf("decoded %q, want 112*#0", string(got))
	}
}

func ev(code uint8, end bool, dur uint16) []byte {
	b := []byte{code, 10, byte(dur >> 8), byte(dur)}
	if end {
		b[1] |= 0x80
	}
	return b
}

func TestDecoderTolerance(t *testing.T) {
	t.Parallel()
	type pkt struct {
		ts     uint32
		marker bool
		p      []byte
	}
	tests := []struct {
		name string
		pkts []pkt
		want string
	}{
		{"zero-duration first packet", []pkt{{100, true, ev(5, false, 0)}, {100, false, ev(5, false, 160)}, {100, false, ev(5, true, 320)}}, "5"},
		{"missing marker bit", []pkt{{100, false, ev(7, false, 160)}, {100, false, ev(7, true, 320)}}, "7"},
		{"repeated end packets", []pkt{{100, true, ev(1, false, 160)}, {100, false, ev(1, true, 320)}, {100, false, ev(1, true, 320)}, {100, false, ev(1, true, 320)}}, "1"},
		{"end only", []pkt{{100, false, ev(9, true, 800)}, {100, false, ev(9, true, 800)}}, "9"},
		{"lost end packets", []pkt{{100, true, ev(2, false, 160)}, {100, false, ev(2, false, 320)}, {900, true, ev(3, false, 0)}, {900, false, ev(3, true, 400)}}, "23"},
		{"late end after next digit", []pkt{{100, true, ev(4, false, 0)}, {100, false, ev(4, true, 320)}, {900, true, ev(6, false, 0)}, {100, false, ev(4, true, 320)}, {900, false, ev(6, true, 320)}}, "46"},
		{"same timestamp reused without marker", []pkt{{100, false, ev(8, false, 160)}, {100, false, ev(8, true, 320)}, {100, false, ev(8, false, 160)}, {100, false, ev(8, true, 320)}}, "88"},
		{"same digit twice", []pkt{{100, true, ev(0, false, 0)}, {100, false, ev(0, true, 320)}, {500, true, ev(0, false, 0)}, {500, false, ev(0, true, 320)}}, "00"},
		{"short payload ignored", []pkt{{100, true, []byte{1, 2}}}, ""},
		{"non-key event ignored", []pkt{{100, true, ev(16, true, 320)}}, ""},
		{"star pound letters", []pkt{{1, true, ev(10, true, 1)}, {2, true, ev(11, true, 1)}, {3, true, ev(12, true, 1)}}, "*#A"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var d Decoder
			var got []rune
			for _, p := range tc.pkts {
				got = append(got, d.Packet(p.ts, p.marker, p.p)...)
			}
			if string(got) != tc.want {
				t.Fatalf("decoded %q, want %q", string(got), tc.want)
			}
		})
	}
}

func TestFlushReportsUnfinishedEvent(t *testing.T) {
	t.Parallel()
	var d Decoder
	if got := d.Packet(10, true, ev(3, false, 0)); len(got) != 0 {
		t.Fatalf("digit before end: %q", string(got))
	}
	if got := d.Flush(); string(got) != "3" {
		t.Fatalf("flush = %q, want 3", string(got))
	}
	if got := d.Packet(10, false, ev(3, true, 400)); len(got) != 0 {
		t.Fatalf("late end after flush reported again: %q", string(got))
	}
}

func TestParseInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ct, body string
		want           rune
		err            bool
	}{
		{"dtmf-relay", "application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', false},
		{"dtmf-relay spaces", "Application/DTMF-Relay; charset=x", "Signal= #\nDuration= 100", '#', false},
		{"dtmf-relay code", "application/dtmf-relay", "Signal=10\r\nDuration=160", '*', false},
		{"dtmf", "application/dtmf", "7", '7', false},
		{"dtmf code", "application/dtmf", "11", '#', false},
		{"lowercase letter", "application/dtmf", "a", 'A', false},
		{"no signal", "application/dtmf-relay", "Duration=160", 0, true},
		{"garbage", "application/dtmf", "hello", 0, true},
		{"other type", "text/plain", "5", 0, true},
		{"out of range", "application/dtmf", "16", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseInfo(tc.ct, []byte(tc.body))
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("ParseInfo = %q, %v; want %q, err %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add(uint32(1), true, []byte{5, 0x80, 1, 64}, []byte{5, 0, 0, 0})
	f.Fuzz(func(t *testing.T, ts uint32, marker bool, a, b []byte) {
		var d Decoder
		for _, r := range append(d.Packet(ts, marker, a), d.Packet(ts+1, !marker, b)...) {
			if !strings.ContainsRune(digits, r) {
				t.Fatalf("decoded a non-key %q", r)
			}
		}
		d.Flush()
	})
}

func FuzzParseInfo(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=5\r\nDuration=160"))
	f.Add("application/dtmf", []byte("#"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		r, err := ParseInfo(ct, body)
		if err == nil && !strings.ContainsRune(digits, r) {
			t.Fatalf("parsed a non-key %q", r)
		}
	})
}
