// Package dtmf reads the digits callers key: RFC 4733 (RFC 2833) telephone-event RTP payloads
// and SIP INFO bodies.
//
// The RTP decoder is tolerant of what real phones and gateways send and diago v0.31's reader
// drops: a first event packet with duration 0, a missing marker bit, repeated end packets
// (RFC 4733 §2.5.1.4 sends the end three times), a lost end packet (the digit is reported when
// the next event starts), and packets of an event already reported arriving late.
package dtmf

import (
	"bufio"
	"bytes"
	"errors"
	"strconv"
	"strings"
)

// ErrShort is returned for a telephone-event payload shorter than its 4-byte header.
var ErrShort = errors.New("dtmf: telephone-event payload shorter than 4 bytes")

// ErrNoDigit is returned for a SIP INFO body that carries no DTMF digit.
var ErrNoDigit = errors.New("dtmf: no digit in INFO body")

// Event is one RFC 4733 telephone-event payload.
type Event struct {
	Code     uint8 // 0-9, 10 '*', 11 '#', 12-15 'A'-'D'
	End      bool
	Volume   uint8
	Duration uint16 // in timestamp units
}

// ParseEvent decodes a telephone-event payload.
func ParseEvent(p []byte) (Event, error) {
	if len(p) < 4 {
		return Event{}, ErrShort
	}
	return Event{Code: p[0], End: p[1]&0x80 != 0, Volume: p[1] & 0x3f, Duration: uint16(p[2])<<8 | uint16(p[3])}, nil
}

const digits = "0123456789*#ABCD"

// Rune returns the key of an event code, or 0 for codes that are not DTMF keys (flash, tones).
func Rune(code uint8) rune {
	if int(code) < len(digits) {
		return rune(digits[code])
	}
	return 0
}

// Decoder turns a stream of telephone-event packets into digits, each digit once. It is not
// safe for concurrent use: one decoder belongs to one RTP stream's reader.
type Decoder struct {
	cur      uint32 // timestamp of the event in progress
	code     uint8
	dur      uint16
	active   bool // an event started
	emitted  bool // the current event was reported
	prev     uint32
	prevCode uint8
	hasPrev  bool // prev and prevCode are those of an event already finished
}

// Packet feeds one telephone-event packet with its RTP timestamp and marker bit and returns
// the digits it completes: none, one, or two (a previous event whose end was lost, then this
// one). A new event is recognised by a new timestamp, a marker bit, another code, or (for
// senders that reuse a timestamp without a marker) a duration that starts again.
func (d *Decoder) Packet(ts uint32, marker bool, payload []byte) []rune {
	ev, err := ParseEvent(payload)
	if err != nil || Rune(ev.Code) == 0 {
		return nil
	}
	if !marker && d.hasPrev && ts == d.prev && ev.Code == d.prevCode && (!d.active || ts != d.cur) {
		return nil // a late packet (often a repeated end) of an event already finished
	}
	fresh := !d.active || ts != d.cur || marker || ev.Code != d.code ||
		(d.emitted && !ev.End && ev.Duration < d.dur)
	var out []rune
	if fresh {
		if d.active {
			if !d.emitted {
				out = append(out, Rune(d.code)) // its end packets were lost
			}
			d.prev, d.prevCode, d.hasPrev = d.cur, d.code, true
		}
		d.cur, d.code, d.active, d.emitted = ts, ev.Code, true, false
	}
	d.dur = ev.Duration
	if ev.End && !d.emitted {
		d.emitted = true
		out = append(out, Rune(d.code))
	}
	return out
}

// Flush reports an event that started but never ended (its end packets were all lost) and
// forgets it; call it when the caller has sent no event for a while.
func (d *Decoder) Flush() []rune {
	var out []rune
	if d.active && !d.emitted {
		out = append(out, Rune(d.code))
	}
	if d.active {
		d.prev, d.prevCode, d.hasPrev = d.cur, d.code, true
	}
	d.active, d.emitted = false, false
	return out
}

// ParseInfo reads the digit of a SIP INFO body: `application/dtmf-relay` ("Signal=5\r\n
// Duration=160") or `application/dtmf` (the digit alone, or an event code). contentType is
// compared without parameters and case.
func ParseInfo(contentType string, body []byte) (rune, error) {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	switch ct {
	case "application/dtmf-relay", "application/vnd.nortelnetworks.digits":
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				return key(strings.TrimSpace(v))
			}
		}
		return 0, ErrNoDigit
	case "application/dtmf":
		return key(strings.TrimSpace(string(body)))
	}
	return 0, ErrNoDigit
}

// key reads one key: a character of 0-9 * # A-D, or an event code 0-15.
func key(v string) (rune, error) {
	if len(v) == 1 {
		if i := strings.IndexByte(digits, strings.ToUpper(v)[0]); i >= 0 {
			return rune(digits[i]), nil
		}
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(digits) {
		return rune(digits[n]), nil
	}
	return 0, ErrNoDigit
}
