package pbx

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emiago/diago"
	"github.com/emiago/diago/audio"
	"github.com/emiago/diago/media"
	"github.com/ioc1022/ioc1022/pbx/dtmf"
)

// leg is one party's media. Its reader goroutine owns the RTP stream: it decodes DTMF with
// the tolerant decoder and hands audio payloads to the current sink (nothing, a recorder, or
// the other party of a bridge). One writer at a time (a prompt or the bridge) holds wmu.
type leg struct {
	med     *diago.DialogMedia
	pr      *media.RTPPacketReader
	r       io.Reader
	w       io.Writer
	codec   media.Codec
	tePT    uint8
	digits  chan rune
	keys    atomic.Int64 // digits received, to stop prompts on a key
	sink    atomic.Pointer[func([]byte)]
	done    chan struct{}
	wmu     sync.Mutex
	dec     dtmf.Decoder
	sinceTE int
}

// newLeg takes over an answered dialog's media and starts reading it.
func newLeg(med *diago.DialogMedia) (*leg, error) {
	var rp, wp diago.MediaProps
	r, err := med.AudioReader(diago.WithAudioReaderMediaProps(&rp))
	if err != nil {
		return nil, fmt.Errorf("audio reader: %w", err)
	}
	w, err := med.AudioWriter(diago.WithAudioWriterMediaProps(&wp))
	if err != nil {
		return nil, fmt.Errorf("audio writer: %w", err)
	}
	l := &leg{med: med, pr: med.RTPPacketReader, r: r, w: w, codec: wp.Codec, tePT: 101,
		digits: make(chan rune, 32), done: make(chan struct{})}
	if s := med.MediaSession(); s != nil {
		for _, c := range s.CommonCodecs() {
			if strings.HasPrefix(c.Name, "telephone-event") {
				l.tePT = c.PayloadType
			}
		}
	}
	go l.run()
	return l, nil
}

func (l *leg) run() {
	defer close(l.done)
	buf := make([]byte, media.RTPBufSize)
	for {
		n, err := l.r.Read(buf)
		if err != nil {
			return
		}
		h := l.pr.PacketHeader
		if h.PayloadType == l.tePT {
			l.sinceTE = 0
			for _, d := range l.dec.Packet(h.Timestamp, h.Marker, buf[:n]) {
				l.key(d)
			}
			continue
		}
		if l.sinceTE++; l.sinceTE == 15 { // 300 ms of audio after an event whose end was lost
			for _, d := range l.dec.Flush() {
				l.key(d)
			}
		}
		if s := l.sink.Load(); s != nil {
			(*s)(buf[:n])
		}
	}
}

// key delivers a digit (from RTP or SIP INFO); digits beyond the buffer are dropped.
func (l *leg) key(d rune) {
	l.keys.Add(1)
	select {
	case l.digits <- d:
	default:
	}
}

// setSink routes the leg's incoming audio payloads to f (nil: discard).
func (l *leg) setSink(f func([]byte)) {
	if f == nil {
		l.sink.Store(nil)
		return
	}
	l.sink.Store(&f)
}

// drainDigits forgets digits keyed before now.
func (l *leg) drainDigits() {
	for {
		select {
		case <-l.digits:
		default:
			return
		}
	}
}

// play plays prompts in order; with interruptible set, a key stops it. It returns when done,
// stopped, or ctx ends.
func (l *leg) play(ctx context.Context, p *prompts, interruptible bool, names ...string) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	pb, err := l.med.PlaybackCreate()
	if err != nil {
		return err
	}
	start := l.keys.Load()
	for _, n := range names {
		pcm := p.get(n)
		if pcm == nil {
			continue
		}
		rd := &stopReader{ctx: ctx, r: bytes.NewReader(pcm)}
		if interruptible {
			rd.stop = func() bool { return l.keys.Load() != start }
		}
		if _, err := pb.Play(rd, "audio/pcm"); err != nil {
			return err
		}
		if ctx.Err() != nil || rd.stopped {
			return ctx.Err()
		}
	}
	return nil
}

// stopReader ends a prompt early when ctx ends or stop says so.
type stopReader struct {
	ctx     context.Context
	r       io.Reader
	stop    func() bool
	stopped bool
}

func (s *stopReader) Read(b []byte) (int, error) {
	if s.ctx.Err() != nil || (s.stop != nil && s.stop()) {
		s.stopped = true
		return 0, io.EOF
	}
	return s.r.Read(b)
}

// write sends one audio payload of codec from to the leg, transcoding G.711 µ-law ↔ A-law
// when the two legs did not agree.
func (l *leg) write(p []byte, from media.Codec, scratch []byte) {
	if from.PayloadType != l.codec.PayloadType {
		pcm := scratch[:2*len(p)]
		if _, err := decodeG711(pcm, p, from.PayloadType); err != nil {
			return
		}
		out := make([]byte, len(p))
		var err error
		if l.codec.PayloadType == media.CodecAudioAlaw.PayloadType {
			_, err = audio.EncodeAlawTo(out, pcm)
		} else {
			_, err = audio.EncodeUlawTo(out, pcm)
		}
		if err != nil {
			return
		}
		p = out
	}
	_, _ = l.w.Write(p)
}

func decodeG711(pcm, p []byte, pt uint8) (int, error) {
	if pt == media.CodecAudioAlaw.PayloadType {
		return audio.DecodeAlawTo(pcm, p)
	}
	return audio.DecodeUlawTo(pcm, p)
}

// bridge connects two legs both ways (and to rec when not nil) until either leg's media
// ends; it returns which ended first: 0 for a, 1 for b.
func bridge(ctx context.Context, a, b *leg, rec *wavRecorder) int {
	a.wmu.Lock()
	b.wmu.Lock()
	defer a.wmu.Unlock()
	defer b.wmu.Unlock()
	connect := func(from, to *leg, ch int) {
		scratch := make([]byte, 2*media.RTPBufSize)
		from.setSink(func(p []byte) {
			to.write(p, from.codec, scratch)
			if rec != nil {
				rec.add(ch, p, from.codec.PayloadType)
			}
		})
	}
	connect(a, b, 0)
	connect(b, a, 1)
	defer a.setSink(nil)
	defer b.setSink(nil)
	select {
	case <-a.done:
		return 0
	case <-b.done:
		return 1
	case <-ctx.Done():
		return 2
	}
}

// wavRecorder writes a WAV file of one (voicemail) or two (caller left, agent right) parties.
// Each party's audio is appended as it arrives; the two channels are interleaved as both
// have samples, and a channel silent for more than a second is padded with silence.
type wavRecorder struct {
	mu       sync.Mutex
	f        *os.File
	channels int
	buf      [2][]int16
	written  int
	out      []byte
}

func newWAVRecorder(path string, channels int) (*wavRecorder, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create recording: %w", err)
	}
	if _, err := f.Write(wavHeader(channels, 0)); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &wavRecorder{f: f, channels: channels}, nil
}

// add appends a G.711 payload to channel ch.
func (r *wavRecorder) add(ch int, p []byte, pt uint8) {
	pcm := make([]byte, 2*len(p))
	if _, err := decodeG711(pcm, p, pt); err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i+1 < len(pcm); i += 2 {
		r.buf[ch] = append(r.buf[ch], int16(binary.LittleEndian.Uint16(pcm[i:])))
	}
	r.flushLocked(false)
}

func (r *wavRecorder) flushLocked(final bool) {
	if r.f == nil {
		return
	}
	if r.channels == 1 {
		r.emitLocked(len(r.buf[0]))
		return
	}
	n := min(len(r.buf[0]), len(r.buf[1]))
	if most := max(len(r.buf[0]), len(r.buf[1])); final || most-n > 8000 {
		for i := range r.buf {
			for len(r.buf[i]) < most {
				r.buf[i] = append(r.buf[i], 0)
			}
		}
		n = most
	}
	r.emitLocked(n)
}

// emitLocked writes n samples of each channel, interleaved.
func (r *wavRecorder) emitLocked(n int) {
	if n == 0 {
		return
	}
	r.out = r.out[:0]
	for i := 0; i < n; i++ {
		for c := 0; c < r.channels; c++ {
			r.out = binary.LittleEndian.AppendUint16(r.out, uint16(r.buf[c][i]))
		}
	}
	for c := 0; c < r.channels; c++ {
		r.buf[c] = append(r.buf[c][:0], r.buf[c][n:]...)
	}
	if _, err := r.f.Write(r.out); err == nil {
		r.written += len(r.out)
	}
}

// mark pads the channel behind with silence so that both end together, and returns the
// recording's length in seconds: where the next part starts.
func (r *wavRecorder) mark() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked(true)
	return float64(r.written) / float64(2*r.channels*8000)
}

// close finishes the file and returns its length in seconds.
func (r *wavRecorder) close() (float64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, nil
	}
	r.flushLocked(true)
	_, err := r.f.WriteAt(wavHeader(r.channels, r.written), 0)
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f = nil
	return float64(r.written) / float64(2*r.channels*8000), err
}
