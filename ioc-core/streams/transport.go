package streams

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// Authenticator finds the principal of a stream request: a bearer token in the header,
// or (browsers cannot set headers on a WebSocket) the access_token query parameter.
type Authenticator interface {
	Authenticate(r *http.Request) (*httpapi.Principal, error)
	TokenPrincipal(ctx context.Context, token string) (*httpapi.Principal, error)
}

const (
	pongWait   = 60 * time.Second
	pingPeriod = pongWait * 9 / 10
	writeWait  = 10 * time.Second
	maxInbound = 4096
)

func principal(auth Authenticator, r *http.Request) (*httpapi.Principal, error) {
	p, err := auth.Authenticate(r)
	if err == nil && p == nil {
		if tok := r.URL.Query().Get("access_token"); tok != "" {
			p, err = auth.TokenPrincipal(r.Context(), tok)
		}
	}
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, httpapi.Unauthorized("log in first: send Authorization: Bearer <token> or access_token")
	}
	return p, nil
}

func channelsOf(r *http.Request) []string {
	var out []string
	for _, c := range strings.Split(r.URL.Query().Get("channels"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func errorFrame(channel, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"channel": channel, "type": "error", "data": map[string]string{"message": msg}})
	return b
}

// control is a client's request on a WebSocket.
type control struct {
	Subscribe   []string `json:"subscribe,omitempty"`
	Unsubscribe []string `json:"unsubscribe,omitempty"`
}

// WebSocket serves GET /api/v1/stream/ws?channels=a,b. The client may send
// {"subscribe":[...]} and {"unsubscribe":[...]}; it receives frames
// {"channel","type":"snapshot"|"delta"|"error","seq","data"}. One goroutine writes.
func (h *Hub) WebSocket(auth Authenticator, origins []string, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	up := websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 4096, CheckOrigin: func(r *http.Request) bool {
		return checkOrigin(r, origins)
	}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := principal(auth, r)
		if err != nil {
			fail(w, r, err)
			return
		}
		conn, err := up.Upgrade(hijacker(w), r, nil)
		if err != nil {
			return // the upgrader answered
		}
		defer conn.Close()
		ctrl := make(chan control, 8)
		ctrl <- control{Subscribe: channelsOf(r)}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go readControl(ctx, conn, ctrl, cancel)
		h.writeLoop(ctx, conn, h.newSession(p), ctrl)
	})
}

// hijacker unwraps middleware writers down to the one that can hijack the connection:
// gorilla/websocket v1.5 asserts http.Hijacker instead of using a ResponseController.
func hijacker(w http.ResponseWriter) http.ResponseWriter {
	for {
		if _, ok := w.(http.Hijacker); ok {
			return w
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

func checkOrigin(r *http.Request, allowed []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, a := range allowed {
		if a == "*" || strings.EqualFold(a, origin) {
			return true
		}
	}
	return false
}

func readControl(ctx context.Context, conn *websocket.Conn, ctrl chan<- control, cancel func()) {
	defer cancel()
	conn.SetReadLimit(maxInbound)
	_ = conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		var c control
		if err := conn.ReadJSON(&c); err != nil {
			return
		}
		select {
		case ctrl <- c:
		case <-ctx.Done():
			return
		}
	}
}

func (h *Hub) writeLoop(ctx context.Context, conn *websocket.Conn, s *session, ctrl <-chan control) {
	defer s.close()
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	write := func(b []byte) bool {
		_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
		return conn.WriteMessage(websocket.TextMessage, b) == nil
	}
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-ctrl:
			for _, ch := range c.Unsubscribe {
				s.unsubscribe(ch)
			}
			for _, ch := range c.Subscribe {
				m, err := s.subscribe(ctx, ch)
				out := frame(m)
				if err != nil {
					out = errorFrame(ch, err.Error())
				}
				if !write(out) {
					return
				}
			}
		case m := <-s.sub.C:
			if !write(frame(m)) {
				return
			}
		case <-s.sub.Done():
			_ = conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "too slow: dropped"), time.Now().Add(time.Second))
			return
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return
			}
		}
	}
}

// SSE serves GET /api/v1/stream/sse?channels=a,b as text/event-stream: each frame is an
// event named by its type ("snapshot", "delta", "error") whose data is the frame's JSON.
func (h *Hub) SSE(auth Authenticator, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := principal(auth, r)
		if err != nil {
			fail(w, r, err)
			return
		}
		chans := channelsOf(r)
		if len(chans) == 0 {
			fail(w, r, httpapi.BadRequest("name the channels: ?channels=kpi.hotline,alerts"))
			return
		}
		rc := http.NewResponseController(w)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		s := h.newSession(p)
		defer s.close()
		send := func(typ string, b []byte) bool {
			_ = rc.SetWriteDeadline(time.Now().Add(writeWait))
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, b); err != nil {
				return false
			}
			return rc.Flush() == nil
		}
		for _, ch := range chans {
			m, err := s.subscribe(r.Context(), ch)
			ok := true
			if err != nil {
				ok = send("error", errorFrame(ch, err.Error()))
			} else {
				ok = send(m.Type, frame(m))
			}
			if !ok {
				return
			}
		}
		keep := time.NewTicker(pingPeriod / 2)
		defer keep.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case m := <-s.sub.C:
				if !send(m.Type, frame(m)) {
					return
				}
			case <-s.sub.Done():
				send("dropped", errorFrame("", "too slow: dropped"))
				return
			case <-keep.C:
				_ = rc.SetWriteDeadline(time.Now().Add(writeWait))
				if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
					return
				}
			}
		}
	})
}
