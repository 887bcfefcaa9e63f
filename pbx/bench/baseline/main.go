// Command baseline is the PBX benchmark's baseline: a bare diago IVR that answers, plays one
// prompt, reads one RFC 2833 digit and hangs up, with no store, events or call records. It
// reads digits with pbx/dtmf (diago v0.31's reader drops the zero-duration first event packet
// of the captures SIPp plays). pbx/bench/run.sh runs it beside the real binary.
//
//	go run ./pbx/bench/baseline --sip 127.0.0.1:5070 --prompt pbx/prompts/vi/invalid.wav
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/ioc1022/ioc1022/pbx/dtmf"
)

func main() {
	addr := flag.String("sip", "127.0.0.1:5070", "SIP address (UDP)")
	promptFile := flag.String("prompt", "pbx/prompts/vi/invalid.wav", "prompt: 8 kHz 16-bit mono WAV")
	digitWait := flag.Duration("digit-wait", 30*time.Second, "how long to wait for the digit")
	flag.Parse()
	if err := run(*addr, *promptFile, *digitWait); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(addr, promptFile string, digitWait time.Duration) error {
	raw, err := os.ReadFile(promptFile)
	if err != nil {
		return err
	}
	pcm, err := wavData(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", promptFile, err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("ioc1022-baseline"))
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dg := diago.NewDiago(ua, diago.WithLogger(log), diago.WithTransport(diago.Transport{Transport: "udp",
		BindHost: host, BindPort: p, ExternalHost: host, ExternalPort: p, MediaExternalIP: net.ParseIP(host)}))
	var answered, digits, noDigit atomic.Int64
	go func() {
		for t := time.NewTicker(10 * time.Second); ; {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				log.Warn("calls", "answered", answered.Load(), "digits", digits.Load(), "no_digit", noDigit.Load())
			}
		}
	}()
	fmt.Printf("baseline IVR on %s (prompt %s, %d ms)\n", addr, promptFile, len(pcm)/16)
	err = dg.Serve(ctx, func(d *diago.DialogServerSession) {
		if err := d.AnswerOptions(diago.AnswerOptions{Codecs: []media.Codec{media.CodecAudioUlaw,
			media.CodecAudioAlaw, media.CodecTelephoneEvent8000}}); err != nil {
			return
		}
		answered.Add(1)
		if ivr(d, pcm, digitWait) {
			digits.Add(1)
		} else {
			noDigit.Add(1)
		}
		hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = d.Hangup(hctx)
		cancel()
	})
	fmt.Printf("answered %d, digit read %d, no digit %d\n", answered.Load(), digits.Load(), noDigit.Load())
	return err
}

// ivr plays the prompt, then waits for one digit; it reports whether one came.
func ivr(d *diago.DialogServerSession, pcm []byte, digitWait time.Duration) bool {
	r, err := d.AudioReader()
	if err != nil {
		return false
	}
	te := uint8(101)
	if s := d.MediaSession(); s != nil {
		for _, c := range s.CommonCodecs() {
			if strings.HasPrefix(c.Name, "telephone-event") {
				te = c.PayloadType
			}
		}
	}
	got := make(chan rune, 1)
	pr := d.RTPPacketReader
	go func() {
		var dec dtmf.Decoder
		buf := make([]byte, media.RTPBufSize)
		for {
			n, err := r.Read(buf)
			if err != nil {
				return
			}
			if h := pr.PacketHeader; h.PayloadType == te {
				for _, k := range dec.Packet(h.Timestamp, h.Marker, buf[:n]) {
					select {
					case got <- k:
					default:
					}
				}
			}
		}
	}()
	pb, err := d.PlaybackCreate()
	if err != nil {
		return false
	}
	if _, err := pb.Play(bytes.NewReader(pcm), "audio/pcm"); err != nil {
		return false
	}
	t := time.NewTimer(digitWait)
	defer t.Stop()
	select {
	case <-got:
		return true
	case <-t.C:
	case <-d.Context().Done():
	}
	return false
}

// wavData returns the data chunk of a PCM WAV file.
func wavData(raw []byte) ([]byte, error) {
	if len(raw) < 12 || string(raw[:4]) != "RIFF" || string(raw[8:12]) != "WAVE" {
		return nil, errors.New("not a WAV file")
	}
	for b := raw[12:]; len(b) >= 8; {
		size := int(binary.LittleEndian.Uint32(b[4:8]))
		if string(b[:4]) == "data" {
			return b[8:min(8+size, len(b))], nil
		}
		if 8+size > len(b) {
			break
		}
		b = b[8+size+size%2:]
	}
	return nil, errors.New("no data chunk")
}
