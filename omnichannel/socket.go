package omnichannel

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Socket timing, as in gorilla's chat example: a peer that answers no ping within pongWait
// is dropped.
const (
	writeWait  = 10 * time.Second
	pongWait   = 60 * time.Second
	pingPeriod = pongWait * 9 / 10
	// Frames waiting for a slow peer before it is dropped: a chat socket carries one
	// conversation; an inbox socket carries every conversation of an agent, a queue or (for
	// a supervisor) the centre, in bursts as messages are stored in batches (messageWriter).
	chatQueue  = 64
	inboxQueue = 4096
)

// writeBuffers is shared by every socket: an idle connection holds no write buffer.
var writeBuffers sync.Pool

// newUpgrader accepts browsers from the allowed origins (exact scheme://host[:port]),
// same-origin pages, and clients that send no Origin (mobile apps).
func newUpgrader(allowed []string) *websocket.Upgrader {
	return &websocket.Upgrader{
		ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: &writeBuffers,
		CheckOrigin: func(r *http.Request) bool {
			origin := r.Header.Get("Origin")
			if origin == "" {
				return true
			}
			if slices.Contains(allowed, "*") || slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, origin) }) {
				return true
			}
			u, err := url.Parse(origin)
			return err == nil && strings.EqualFold(u.Host, r.Host)
		},
	}
}

// socket is one WebSocket with a single writer goroutine fed by a bounded queue: every
// frame goes through send, so there is never more than one concurrent writer.
type socket struct {
	conn *websocket.Conn
	out  chan []byte
	done chan struct{}
	once sync.Once
}

func newSocket(c *websocket.Conn, readLimit int64, queue int) *socket {
	c.SetReadLimit(readLimit)
	_ = c.SetReadDeadline(time.Now().Add(pongWait))
	c.SetPongHandler(func(string) error { return c.SetReadDeadline(time.Now().Add(pongWait)) })
	s := &socket{conn: c, out: make(chan []byte, queue), done: make(chan struct{})}
	go s.writeLoop()
	return s
}

// send queues a frame without blocking; a peer too slow to keep up is disconnected.
func (s *socket) send(b []byte) {
	select {
	case s.out <- b:
	case <-s.done:
	default:
		s.close()
	}
}

func (s *socket) close() {
	s.once.Do(func() {
		close(s.done)
		_ = s.conn.Close()
	})
}

func (s *socket) writeLoop() {
	t := time.NewTicker(pingPeriod)
	defer t.Stop()
	defer s.close()
	for {
		select {
		case <-s.done:
			return
		case b := <-s.out:
			_ = s.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := s.conn.WriteMessage(websocket.TextMessage, b); err != nil {
				return
			}
		case <-t.C:
			if err := s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return
			}
		}
	}
}

// wsError is an error frame.
type wsError struct {
	Type        string `json:"type"`
	Code        string `json:"code"`
	Message     string `json:"message"`
	ClientMsgID string `json:"client_msg_id,omitempty"`
}

func errorFrame(code, msg, clientMsgID string) []byte {
	return mustJSON(wsError{Type: "error", Code: code, Message: msg, ClientMsgID: clientMsgID})
}

// hijacker lets the upgrader take over a connection behind the API's instrumented writer,
// which exposes the real one through Unwrap only.
type hijacker struct{ http.ResponseWriter }

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(h.ResponseWriter).Hijack()
}

// upgrade turns the request into a WebSocket; on failure the upgrader has answered.
func (m *Module) upgrade(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	return m.upgrader.Upgrade(hijacker{w}, r, nil)
}
