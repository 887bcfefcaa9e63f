// Package console serves ioc1022's web console from assets embedded in the binary: the staff
// console (login, agent desktop, department portal, supervisor wallboard, leader dashboard,
// administration) at /, the citizen's ticket lookup at /tra-cuu and a page embedding the chat
// widget at /chat. The pages are plain HTML, CSS and ES modules; the third-party files under
// web/vendor are fetched at pinned versions by vendor.sh and never edited by hand.
package console

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/app"
)

//go:embed web
var webFS embed.FS

// Prefix is the URL path under which the console's static files are served.
const Prefix = "/console/"

// Module serves the console. It has no state of its own: every view calls the API.
type Module struct {
	assets map[string]*asset
}

// New returns the console module.
func New() *Module { return &Module{} }

// Name implements app.Module.
func (m *Module) Name() string { return "console" }

// Init loads the embedded assets (compressing the text ones once) and registers the pages.
func (m *Module) Init(_ context.Context, c *app.Core) error {
	assets, err := load(webFS, "web")
	if err != nil {
		return fmt.Errorf("console assets: %w", err)
	}
	m.assets = assets
	page := func(name string) http.Handler { return m.file(name) }
	c.API.Raw("GET /{$}", page("index.html"), nil)
	c.API.Raw("GET /tra-cuu", page("lookup.html"), nil)
	c.API.Raw("GET /chat", page("chat.html"), nil)
	// The service worker and the manifest live at the root so that the worker's scope is the
	// whole console.
	c.API.Raw("GET /sw.js", page("sw.js"), nil)
	c.API.Raw("GET /manifest.webmanifest", page("manifest.webmanifest"), nil)
	c.API.Raw("GET "+Prefix, http.HandlerFunc(m.serveStatic), nil)
	c.Listening("citizens     ticket lookup at /tra-cuu, chat widget demo at /chat")
	return nil
}

// asset is one embedded file, with its gzip form when that is smaller.
type asset struct {
	name  string
	ctype string
	etag  string
	plain []byte
	gz    []byte
}

func load(fsys fs.FS, root string) (map[string]*asset, error) {
	out := map[string]*asset{}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, root+"/")
		a := &asset{name: name, ctype: contentType(name), plain: b}
		sum := sha256.Sum256(b)
		a.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
		if compressible(a.ctype) {
			a.gz = gzipped(b)
		}
		out[name] = a
		return nil
	})
	return out, err
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".webmanifest":
		return "application/manifest+json"
	case ".LICENSE", "":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	if buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}

func (m *Module) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, Prefix)
	if name == "" || strings.Contains(name, "..") {
		http.NotFound(w, r)
		return
	}
	m.file(name).ServeHTTP(w, r)
}

// file serves one asset: revalidated by ETag on every use (the service worker keeps the copy
// for offline use), gzip-encoded for clients that accept it.
func (m *Module) file(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := m.assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", a.etag)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Add("Vary", "Accept-Encoding")
		if strings.HasSuffix(name, ".html") {
			h.Set("X-Frame-Options", "SAMEORIGIN")
			h.Set("Referrer-Policy", "same-origin")
		}
		if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := a.plain
		if a.gz != nil && acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body = a.gz
		}
		h.Set("Content-Length", fmt.Sprint(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
