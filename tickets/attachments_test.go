package tickets_test

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/tickets"
)

type file struct{ name, content string }

func upload(t *testing.T, n *node, token string, code tickets.Code, files ...file) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		w, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, f.content)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", n.URL+"/api/v1/tickets/"+string(code)+"/attachments", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func pngBytes(t *testing.T) string {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestAttachments(t *testing.T) {
	var dataDir string
	n := start(t, func(c *config.Config) { c.Tickets.MaxAttachBytes = 4096; dataDir = c.Data.Dir })
	tk := n.create(t, map[string]any{"category": "roads_traffic", "ward": "20194", "description": "Ổ gà"})
	pdf := "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
	st, body := upload(t, n, n.agent, tk.Code, file{"o-ga.png", pngBytes(t)}, file{"bien-ban.pdf", pdf})
	if st != http.StatusCreated {
		t.Fatalf("upload: %d %s", st, body)
	}
	got := n.get(t, tk.Code)
	if len(got.Attachments) != 2 || got.Attachments[0].Type != "image/png" || got.Attachments[1].Type != "application/pdf" || got.Version != tk.Version {
		t.Fatalf("attachments %+v, version %d", got.Attachments, got.Version)
	}
	a := got.Attachments[1]
	if _, err := os.Stat(filepath.Join(dataDir, "attachments", string(tk.Code), a.ID+".pdf")); err != nil {
		t.Fatalf("not on disk: %v", err)
	}
	r := n.Do(t, "GET", "/api/v1/tickets/"+string(tk.Code)+"/attachments/"+a.ID, n.officer, nil)
	if r.Status != 200 || string(r.Body) != pdf || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("download: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	cases := []struct {
		name   string
		token  string
		files  []file
		status int
	}{
		{"html disguised as an image", n.agent, []file{{"x.jpg", "<html><script>alert(1)</script></html>"}}, http.StatusUnsupportedMediaType},
		{"too large", n.agent, []file{{"big.pdf", "%PDF-1.4\n" + strings.Repeat("x", 5000)}}, http.StatusRequestEntityTooLarge},
		{"no file", n.agent, nil, http.StatusUnprocessableEntity},
		{"officer of another department", n.haichau, []file{{"x.pdf", pdf}}, http.StatusForbidden},
		{"anonymous", "", []file{{"x.pdf", pdf}}, http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if st, body := upload(t, n, c.token, tk.Code, c.files...); st != c.status {
				t.Fatalf("got %d, want %d: %s", st, c.status, body)
			}
			if got := n.get(t, tk.Code); len(got.Attachments) != 2 {
				t.Fatalf("a refused upload was recorded")
			}
		})
	}
	entries, _ := os.ReadDir(filepath.Join(dataDir, "attachments", string(tk.Code)))
	if len(entries) != 2 {
		t.Fatalf("%d files on disk after refused uploads", len(entries))
	}
}
