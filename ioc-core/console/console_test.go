package console_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/console"
)

func get(t *testing.T, url string, header map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// TestServe checks the pages and files the console serves: types, gzip, revalidation, and
// that unknown files and API paths are not swallowed by the console.
func TestServe(t *testing.T) {
	srv := apptest.Start(t, apptest.Config(t), console.New())
	tests := []struct {
		name, path, ctype, contains string
		status                      int
	}{
		{"console", "/", "text/html", `type="importmap"`, 200},
		{"citizen lookup", "/tra-cuu", "text/html", "lookup.js", 200},
		{"chat demo", "/chat", "text/html", "/webchat/widget.js", 200},
		{"service worker", "/sw.js", "text/javascript", "caches.open", 200},
		{"manifest", "/manifest.webmanifest", "application/manifest+json", `"start_url": "/"`, 200},
		{"module", "/console/js/main.js", "text/javascript", "import", 200},
		{"vendored preact", "/console/vendor/preact.module.js", "text/javascript", "export", 200},
		{"icon", "/console/icon-192.png", "image/png", "PNG", 200},
		{"unknown file", "/console/nope.js", "", "", 404},
		{"dot segments are cleaned away first", "/console/../go.mod", "", "", 307},
		{"unknown page", "/nope", "", "", 404},
		{"API stays JSON", "/api/v1/nope", "application/json", `"error"`, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := get(t, srv.URL+tc.path, nil)
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype) {
				t.Errorf("content type %q, want %q", res.Header.Get("Content-Type"), tc.ctype)
			}
			if !bytes.Contains(body, []byte(tc.contains)) {
				t.Errorf("body lacks %q", tc.contains)
			}
		})
	}
	t.Run("gzip and etag", func(t *testing.T) {
		plain := get(t, srv.URL+"/console/vendor/uPlot.esm.js", nil)
		want, _ := io.ReadAll(plain.Body)
		res := get(t, srv.URL+"/console/vendor/uPlot.esm.js", map[string]string{"Accept-Encoding": "gzip, br"})
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("not gzip-encoded: %v", res.Header)
		}
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(zr)
		if !bytes.Equal(got, want) {
			t.Fatalf("gzip body differs from the plain one (%d vs %d bytes)", len(got), len(want))
		}
		etag := res.Header.Get("ETag")
		again := get(t, srv.URL+"/console/vendor/uPlot.esm.js", map[string]string{"If-None-Match": etag})
		if etag == "" || again.StatusCode != http.StatusNotModified {
			t.Fatalf("revalidation with %q: %d", etag, again.StatusCode)
		}
	})
}
