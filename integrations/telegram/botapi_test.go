package telegram_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// botAPI is a local server following the Bot API contract (CONTRACTS.md §2c): every call
// is POST {url}/bot{token}/{method} as multipart/form-data, answered
// {"ok":true,"result":...}, or {"ok":false,"error_code":429,...,"parameters":{"retry_after":n}}
// when throttled.
type botAPI struct {
	token string
	srv   *httptest.Server

	mu       sync.Mutex
	calls    []apiCall
	updates  []map[string]any
	throttle map[string]int // method → how many next calls answer 429
	msgID    int
}

type apiCall struct {
	Method string
	Form   map[string]string
	At     time.Time
}

func newBotAPI(t *testing.T, token string) *botAPI {
	a := &botAPI{token: token, throttle: map[string]int{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *botAPI) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (a *botAPI) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/bot" + a.token + "/"
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) {
		a.reply(w, http.StatusNotFound, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		a.reply(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: not multipart"})
		return
	}
	method := strings.TrimPrefix(r.URL.Path, prefix)
	form := map[string]string{}
	if err := r.ParseMultipartForm(1 << 20); err == nil {
		for k, v := range r.MultipartForm.Value {
			form[k] = v[0]
		}
	}
	a.mu.Lock()
	a.calls = append(a.calls, apiCall{Method: method, Form: form, At: time.Now()})
	if a.throttle[method] > 0 {
		a.throttle[method]--
		a.mu.Unlock()
		a.reply(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error_code": 429,
			"description": "Too Many Requests: retry after 1", "parameters": map[string]any{"retry_after": 1}})
		return
	}
	a.msgID++
	id := a.msgID
	a.mu.Unlock()
	var result any = true
	switch method {
	case "getMe":
		result = map[string]any{"id": 999, "is_bot": true, "first_name": "IOC 1022", "username": "ioc1022_bot"}
	case "sendMessage", "editMessageText":
		var chat any = form["chat_id"]
		var n int64
		if _, err := fmt.Sscan(form["chat_id"], &n); err == nil {
			chat = n
		}
		result = map[string]any{"message_id": id, "date": time.Now().Unix(), "chat": map[string]any{"id": chat, "type": "private"}, "text": form["text"]}
	case "getUpdates":
		result = a.waitUpdates(r)
	}
	a.reply(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

// waitUpdates holds a getUpdates up to half a second for queued updates, like a long poll.
func (a *botAPI) waitUpdates(r *http.Request) []map[string]any {
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) && r.Context().Err() == nil {
		a.mu.Lock()
		if len(a.updates) > 0 {
			out := a.updates
			a.updates = nil
			a.mu.Unlock()
			return out
		}
		a.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	return []map[string]any{}
}

func (a *botAPI) queue(u map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.updates = append(a.updates, u)
}

func (a *botAPI) throttleNext(method string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.throttle[method] = n
}

// since returns the calls made from index i on.
func (a *botAPI) since(i int) []apiCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i > len(a.calls) {
		return nil
	}
	return append([]apiCall(nil), a.calls[i:]...)
}

func (a *botAPI) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.calls)
}

// wait returns the first call from index i on that matches, failing the test after 15 s.
func (a *botAPI) wait(t *testing.T, i int, what string, match func(apiCall) bool) apiCall {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range a.since(i) {
			if match(c) {
				return c
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s; calls: %+v", what, a.since(i))
	return apiCall{}
}

func sendTo(chat int64, contains string) func(apiCall) bool {
	return func(c apiCall) bool {
		return c.Method == "sendMessage" && c.Form["chat_id"] == fmt.Sprint(chat) && strings.Contains(c.Form["text"], contains)
	}
}

func answered(contains string) func(apiCall) bool {
	return func(c apiCall) bool {
		return c.Method == "answerCallbackQuery" && strings.Contains(c.Form["text"], contains)
	}
}

func user(id int64) map[string]any {
	return map[string]any{"id": id, "is_bot": false, "first_name": fmt.Sprint("U", id), "username": fmt.Sprint("u", id)}
}

func messageUpdate(updateID, from, chat int64, chatType, text string) map[string]any {
	return map[string]any{"update_id": updateID, "message": map[string]any{"message_id": 1, "date": time.Now().Unix(),
		"chat": map[string]any{"id": chat, "type": chatType}, "from": user(from), "text": text}}
}

func callbackUpdate(updateID, from, chat int64, data string) map[string]any {
	return map[string]any{"update_id": updateID, "callback_query": map[string]any{"id": fmt.Sprint("cb", updateID),
		"from": user(from), "chat_instance": "ci", "data": data,
		"message": map[string]any{"message_id": 77, "date": time.Now().Unix(), "chat": map[string]any{"id": chat, "type": "private"}, "text": "📋 ..."}}}
}
