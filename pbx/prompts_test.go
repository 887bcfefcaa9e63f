package pbx

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
)

// TestPromptUpload: an administrator replaces a prompt with an 8 kHz 16-bit mono WAV through
// the API; the node plays the new samples at once, keeps the file under <data>/pbx/prompts
// and loads it again on the next start. Other formats, bad names and non-admins are refused
// and leave the prompt as it was.
func TestPromptUpload(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	p := New()
	srv := apptest.Start(t, cfg, p)
	admin := srv.Admin(t)
	pcm := make([]byte, 1600) // 100 ms of a ramp
	for i := 0; i < len(pcm); i += 2 {
		binary.LittleEndian.PutUint16(pcm[i:], uint16(i*20))
	}
	wav := append(wavHeader(1, len(pcm)), pcm...)
	before := p.prompts.get("goodbye")
	if len(before) == 0 {
		t.Fatal("no demo prompt goodbye")
	}

	bad := append([]byte(nil), wav...)
	binary.LittleEndian.PutUint32(bad[24:], 44100) // 44.1 kHz
	for _, c := range []struct {
		name, token string
		body        []byte
		status      int
	}{
		{"goodbye", admin, bad, http.StatusUnprocessableEntity},
		{"goodbye", admin, []byte("not a wav"), http.StatusUnprocessableEntity},
		{"Bad.Name", admin, wav, http.StatusUnprocessableEntity},
		{"goodbye", srv.Login(t, "agent1", "demo-agent1"), wav, http.StatusForbidden},
		{"goodbye", "", wav, http.StatusUnauthorized},
	} {
		r := srv.Do(t, "PUT", "/api/v1/pbx/prompts/"+c.name, c.token, c.body)
		if r.Status != c.status {
			t.Fatalf("PUT %s: %d %s, want %d", c.name, r.Status, r.Body, c.status)
		}
		if c.status == http.StatusUnprocessableEntity && r.ErrorCode() == "" {
			t.Fatalf("PUT %s: no error code in %s", c.name, r.Body)
		}
		if !bytes.Equal(p.prompts.get("goodbye"), before) {
			t.Fatalf("PUT %s refused but the prompt changed", c.name)
		}
	}

	if r := srv.Do(t, "PUT", "/api/v1/pbx/prompts/goodbye", admin, wav); r.Status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	if !bytes.Equal(p.prompts.get("goodbye"), pcm) {
		t.Fatal("the node does not play the uploaded samples")
	}
	dir := filepath.Join(cfg.Data.Dir, "pbx", "prompts")
	if saved, err := os.ReadFile(filepath.Join(dir, "goodbye.wav")); err != nil || !bytes.Equal(saved, wav) {
		t.Fatalf("saved upload: %v", err)
	}
	again, err := loadPrompts(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.get("goodbye"), pcm) || len(again.get("beep")) == 0 {
		t.Fatal("a new start does not load the upload (or lost the other prompts)")
	}
}
