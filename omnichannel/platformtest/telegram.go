package platformtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Telegram is a local Bot API at /bot<token>/<method>. sendMessage takes the library's
// multipart form; getUpdates long-polls a queue the test fills; TooManyRequests makes the
// next sends answer 429 with retry_after.
type Telegram struct {
	URL string
	outbox

	Token   string
	mu      sync.Mutex
	updates []json.RawMessage
	ids     []int64
	wake    chan struct{}
	limited int
	n       int
}

// NewTelegram starts the server for the bot token.
func NewTelegram(t testing.TB, token string) *Telegram {
	tg := &Telegram{Token: token, wake: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{bot}/{method}", tg.serve)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tg.URL = srv.URL
	return tg
}

// TooManyRequests makes the next n sendMessage calls answer 429.
func (tg *Telegram) TooManyRequests(n int) {
	tg.mu.Lock()
	tg.limited = n
	tg.mu.Unlock()
}

// QueueUpdate adds an update for getUpdates.
func (tg *Telegram) QueueUpdate(id int64, update []byte) {
	tg.mu.Lock()
	tg.updates = append(tg.updates, update)
	tg.ids = append(tg.ids, id)
	tg.mu.Unlock()
	select {
	case tg.wake <- struct{}{}:
	default:
	}
}

func tgAnswer(w http.ResponseWriter, status int, v map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (tg *Telegram) serve(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("bot") != "bot"+tg.Token {
		tgAnswer(w, http.StatusUnauthorized, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	switch r.PathValue("method") {
	case "sendMessage":
		tg.sendMessage(w, r)
	case "getUpdates":
		tg.getUpdates(w, r)
	case "setWebhook", "deleteWebhook":
		tgAnswer(w, http.StatusOK, map[string]any{"ok": true, "result": true})
	case "getMe":
		tgAnswer(w, http.StatusOK, map[string]any{"ok": true, "result": map[string]any{"id": 1, "is_bot": true, "first_name": "ioc1022"}})
	default:
		tgAnswer(w, http.StatusNotFound, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
	}
}

func (tg *Telegram) sendMessage(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		tgAnswer(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: multipart form expected"})
		return
	}
	tg.mu.Lock()
	limited := tg.limited > 0
	if limited {
		tg.limited--
	}
	tg.n++
	n := tg.n
	tg.mu.Unlock()
	if limited {
		tgAnswer(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error_code": 429,
			"description": "Too Many Requests: retry after 1", "parameters": map[string]any{"retry_after": 1}})
		return
	}
	chat, text := r.FormValue("chat_id"), r.FormValue("text")
	if chat == "" || text == "" {
		tgAnswer(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: message text is empty"})
		return
	}
	tg.add(Sent{To: chat, Text: text})
	id, _ := strconv.ParseInt(chat, 10, 64)
	tgAnswer(w, http.StatusOK, map[string]any{"ok": true, "result": map[string]any{"message_id": n, "date": time.Now().Unix(),
		"chat": map[string]any{"id": id, "type": "private"}, "text": text}})
}

func (tg *Telegram) getUpdates(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Offset  int64 `json:"offset"`
		Timeout int   `json:"timeout"`
	}
	_ = json.NewDecoder(r.Body).Decode(&p)
	deadline := time.After(time.Duration(min(p.Timeout, 2)) * time.Second)
	for {
		tg.mu.Lock()
		var out []json.RawMessage
		keep, keepIDs := tg.updates[:0:0], tg.ids[:0:0]
		for i, id := range tg.ids {
			if id >= p.Offset {
				out = append(out, tg.updates[i])
				keep, keepIDs = append(keep, tg.updates[i]), append(keepIDs, id)
			}
		}
		tg.updates, tg.ids = keep, keepIDs // confirmed updates are forgotten, as Telegram does
		tg.mu.Unlock()
		if len(out) > 0 {
			tgAnswer(w, http.StatusOK, map[string]any{"ok": true, "result": out})
			return
		}
		select {
		case <-tg.wake:
		case <-deadline:
			tgAnswer(w, http.StatusOK, map[string]any{"ok": true, "result": []any{}})
			return
		case <-r.Context().Done():
			return
		}
	}
}
