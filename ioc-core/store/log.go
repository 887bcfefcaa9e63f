package store

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
)

// quietHandler passes the embedded store's own log to ours at warn level and above, without
// the wire dumps FerretDB prints for every failed command (the driver's endSessions, for one)
// and without the connection-closing chatter of a clean shutdown. Attributes and groups that
// FerretDB adds to its loggers (whole documents, for every statement) are kept as they are and
// only given to the next handler for the rare record that is printed: formatting them up front
// cost about a tenth of the store's CPU.
type quietHandler struct {
	next    slog.Handler
	pending []func(slog.Handler) slog.Handler
}

var noise = []string{"Response header", "Response message", "Request header", "Request message",
	"connection stopped", "Connection stopped", "use of closed network connection", "context canceled"}

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.next.Enabled(ctx, l)
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, n := range noise {
		if strings.Contains(r.Message, n) {
			return nil
		}
	}
	next := h.next
	for _, with := range h.pending {
		next = with(next)
	}
	r.AddAttrs(slog.String("component", "embedded-store"))
	return next.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return h.then(func(next slog.Handler) slog.Handler { return next.WithAttrs(a) })
}

func (h quietHandler) WithGroup(g string) slog.Handler {
	return h.then(func(next slog.Handler) slog.Handler { return next.WithGroup(g) })
}

// then returns a handler that applies with after the ones already pending.
func (h quietHandler) then(with func(slog.Handler) slog.Handler) quietHandler {
	pending := make([]func(slog.Handler) slog.Handler, len(h.pending), len(h.pending)+1)
	copy(pending, h.pending)
	return quietHandler{next: h.next, pending: append(pending, with)}
}

// redact removes the password from a MongoDB URI for printing.
func redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.User == nil {
		return uri
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
