package platformtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Zalo is a local Zalo OA API: POST /v3.0/oa/message/cs (header access_token; errors are
// HTTP 200 with a non-zero "error") and POST /v4/oa/access_token (form; header secret_key;
// refresh tokens are single-use, a reused one gives -14020).
type Zalo struct {
	URL string
	outbox

	AppSecret string
	mu        sync.Mutex
	access    string
	refresh   string
	used      map[string]bool
	n         int
}

// NewZalo starts the server with a valid token pair.
func NewZalo(t testing.TB, appSecret, access, refresh string) *Zalo {
	z := &Zalo{AppSecret: appSecret, access: access, refresh: refresh, used: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3.0/oa/message/cs", z.send)
	mux.HandleFunc("POST /v4/oa/access_token", z.token)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	z.URL = srv.URL
	return z
}

// ExpireAccessToken makes the current access token invalid, as after its 25 hours.
func (z *Zalo) ExpireAccessToken() {
	z.mu.Lock()
	z.access = "expired-" + z.access
	z.mu.Unlock()
}

func zaloJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (z *Zalo) send(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	ok := r.Header.Get("access_token") == z.access
	z.n++
	n := z.n
	z.mu.Unlock()
	if !ok {
		zaloJSON(w, map[string]any{"error": -216, "message": "Access token is invalid"})
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var body struct {
		Recipient struct {
			UserID string `json:"user_id"`
		} `json:"recipient"`
		Message struct {
			Text string `json:"text"`
		} `json:"message"`
	}
	if json.Unmarshal(raw, &body) != nil || body.Recipient.UserID == "" || body.Message.Text == "" {
		zaloJSON(w, map[string]any{"error": -201, "message": "Parameters are invalid"})
		return
	}
	z.add(Sent{To: body.Recipient.UserID, Text: body.Message.Text, Raw: raw})
	zaloJSON(w, map[string]any{"error": 0, "message": "Success",
		"data": map[string]string{"message_id": fmt.Sprintf("zmsg%d", n), "user_id": body.Recipient.UserID}})
}

func (z *Zalo) token(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("secret_key") != z.AppSecret || r.ParseForm() != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		zaloJSON(w, map[string]any{"error": -14002, "error_name": "Invalid app", "error_description": "invalid secret key or grant"})
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	rt := r.PostForm.Get("refresh_token")
	if z.used[rt] || rt != z.refresh {
		zaloJSON(w, map[string]any{"error": -14020, "error_name": "Invalid refresh token", "error_description": "refresh token is used or invalid"})
		return
	}
	z.used[rt] = true
	z.n++
	z.access, z.refresh = fmt.Sprintf("access-%d", z.n), fmt.Sprintf("refresh-%d", z.n)
	zaloJSON(w, map[string]any{"access_token": z.access, "refresh_token": z.refresh, "expires_in": "90000"})
}
