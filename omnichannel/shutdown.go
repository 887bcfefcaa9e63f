package omnichannel

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Shutdown of the sockets. http.Server.Shutdown neither closes nor waits for hijacked
// connections, so without this the chat and inbox handlers would go on reading frames (and
// storing messages) after the node began to stop, long after an overload. When the server
// begins to shut down (RegisterOnShutdown, taken from the first upgraded request) or at the
// latest when the runners stop, every socket gets a close frame 1001 "going away" and is
// closed; the handlers' contexts end, so a frame waiting for the store gives up (the client
// has no ack for it and sends it again on reconnect), and the runner waits for the handlers
// before the store is closed.

// goingAwayWait bounds the close frame's write and the wait for the handlers.
const goingAwayWait = 2 * time.Second

// socketSet is the open sockets of this node.
type socketSet struct {
	life    context.Context // ends when the node stops
	stop    context.CancelFunc
	hooked  sync.Once
	mu      sync.Mutex
	open    map[*socket]struct{}
	running sync.WaitGroup // socket handlers
}

func newSocketSet() *socketSet {
	life, stop := context.WithCancel(context.Background())
	return &socketSet{life: life, stop: stop, open: map[*socket]struct{}{}}
}

// serve registers a socket handler: it returns the context the handler works under (r's,
// ended also when the node stops) and a func the handler defers. It reports false when the
// node is stopping already; the caller then closes s and returns.
func (ss *socketSet) serve(r *http.Request, s *socket) (context.Context, func(), bool) {
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok {
		ss.hooked.Do(func() { srv.RegisterOnShutdown(ss.goingAway) })
	}
	ss.mu.Lock()
	if ss.life.Err() != nil {
		ss.mu.Unlock()
		s.goAway()
		return nil, func() {}, false
	}
	ss.open[s] = struct{}{}
	ss.running.Add(1)
	ss.mu.Unlock()
	ctx, cancel := context.WithCancel(r.Context())
	unhook := context.AfterFunc(ss.life, cancel)
	return ctx, func() {
		unhook()
		cancel()
		ss.mu.Lock()
		delete(ss.open, s)
		ss.mu.Unlock()
		s.close()
		ss.running.Done()
	}, true
}

// goingAway ends the node's sockets with 1001. It may be called more than once.
func (ss *socketSet) goingAway() {
	ss.mu.Lock()
	ss.stop()
	open := make([]*socket, 0, len(ss.open))
	for s := range ss.open {
		open = append(open, s)
	}
	ss.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range open {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.goAway()
		}()
	}
	wg.Wait()
}

// Run implements app.Runner: at the end of ctx it ends the sockets (unless the server's
// shutdown did already) and waits, for a bounded time, for their handlers to return.
func (ss *socketSet) Run(ctx context.Context) error {
	<-ctx.Done()
	ss.goingAway()
	done := make(chan struct{})
	go func() {
		ss.running.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(goingAwayWait):
	}
	return nil
}

// goAway sends the close frame 1001 and closes the connection. It may run concurrently
// with the writer (gorilla allows WriteControl beside one writer).
func (s *socket) goAway() {
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
	_ = s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(goingAwayWait))
	s.close()
}
