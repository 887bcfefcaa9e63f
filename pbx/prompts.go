package pbx

import (
	"bytes"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// builtinPrompts are the Vietnamese demo prompts made by prompts/make-prompts.sh.
//
//go:embed prompts/vi/*.wav
var builtinPrompts embed.FS

// prompts holds every prompt as 8 kHz 16-bit mono PCM in memory: the built-in ones, replaced
// by the administrators' uploads kept in dir.
type prompts struct {
	dir string
	mu  sync.RWMutex
	pcm map[string][]byte
}

func loadPrompts(dir string) (*prompts, error) {
	p := &prompts{dir: dir, pcm: map[string][]byte{}}
	files, err := builtinPrompts.ReadDir("prompts/vi")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		raw, err := builtinPrompts.ReadFile("prompts/vi/" + f.Name())
		if err != nil {
			return nil, err
		}
		pcm, err := wavPCM(raw)
		if err != nil {
			return nil, fmt.Errorf("built-in prompt %s: %w", f.Name(), err)
		}
		p.pcm[strings.TrimSuffix(f.Name(), ".wav")] = pcm
	}
	uploads, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	for _, f := range uploads {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		pcm, err := wavPCM(raw)
		if err != nil {
			return nil, fmt.Errorf("prompt %s: %w", f, err)
		}
		p.pcm[strings.TrimSuffix(filepath.Base(f), ".wav")] = pcm
	}
	return p, nil
}

// get returns a prompt's PCM, or nil when there is none of that name.
func (p *prompts) get(name string) []byte {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.pcm[name]
}

// put replaces a prompt with an uploaded WAV (8 kHz, 16-bit, mono PCM), kept under dir.
func (p *prompts) put(name string, wav []byte) error {
	if !validPromptName(name) {
		return fmt.Errorf("%w: prompt names are lower-case letters, digits, - and _", ErrBadWAV)
	}
	pcm, err := wavPCM(wav)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(p.dir, name+".wav"), wav, 0o640); err != nil {
		return fmt.Errorf("save prompt %s: %w", name, err)
	}
	p.mu.Lock()
	p.pcm[name] = pcm
	p.mu.Unlock()
	return nil
}

// ErrBadWAV is returned for a prompt that is not an 8 kHz 16-bit mono PCM WAV.
var ErrBadWAV = errors.New("prompt must be a WAV file of 8 kHz, 16-bit, mono PCM")

// wavPCM returns the samples of an 8 kHz 16-bit mono PCM WAV file.
func wavPCM(raw []byte) ([]byte, error) {
	if len(raw) < 12 || string(raw[:4]) != "RIFF" || string(raw[8:12]) != "WAVE" {
		return nil, ErrBadWAV
	}
	var fmtOK bool
	r := bytes.NewReader(raw[12:])
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, ErrBadWAV
		}
		size := int64(binary.LittleEndian.Uint32(hdr[4:]))
		if size < 0 || size > int64(r.Len()) {
			if string(hdr[:4]) == "data" && fmtOK { // streamed files carry a bogus size
				size = int64(r.Len())
			} else {
				return nil, ErrBadWAV
			}
		}
		body := make([]byte, size)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, ErrBadWAV
		}
		switch string(hdr[:4]) {
		case "fmt ":
			if len(body) < 16 || binary.LittleEndian.Uint16(body[0:]) != 1 || binary.LittleEndian.Uint16(body[2:]) != 1 ||
				binary.LittleEndian.Uint32(body[4:]) != 8000 || binary.LittleEndian.Uint16(body[14:]) != 16 {
				return nil, ErrBadWAV
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return nil, ErrBadWAV
			}
			return body[:len(body)&^1], nil
		}
		if size%2 == 1 {
			_, _ = r.ReadByte()
		}
	}
}

// wavHeader returns the 44-byte header of a PCM WAV of dataLen bytes.
func wavHeader(channels, dataLen int) []byte {
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+dataLen))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], 8000)
	binary.LittleEndian.PutUint32(h[28:], uint32(8000*2*channels))
	binary.LittleEndian.PutUint16(h[32:], uint16(2*channels))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(dataLen))
	return h
}
