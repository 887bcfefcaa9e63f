package open311

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// TestLoadingPassesThrough: while the ticket index loads at start, a requests list answers
// the spec's error list with 503 and Retry-After, not a 500 "internal error".
func TestLoadingPassesThrough(t *testing.T) {
	m := &Module{}
	h := m.serve(func(http.ResponseWriter, *http.Request, string, format) (any, error) {
		return nil, httpapi.Loading("the ticket index")
	})
	mux := http.NewServeMux()
	mux.Handle("GET /open311/v2/{file}", h)
	for _, file := range []string{"requests.json", "requests.xml"} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest("GET", "/open311/v2/"+file, nil))
		body := w.Body.String()
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "5" ||
			!strings.Contains(body, "503") || !strings.Contains(body, "still loading the ticket index") {
			t.Fatalf("%s: %d Retry-After %q %s", file, w.Code, w.Header().Get("Retry-After"), body)
		}
	}
}
