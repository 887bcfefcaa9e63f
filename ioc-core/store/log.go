package store

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
)

// quietHandler passes the embedded store's own log to ours at warn level and above, without
// the wire dumps FerretDB prints for every failed command (the driver's endSessions, for one)
// and without the connection-closing chatter of a clean shutdown.
type quietHandler struct{ next slog.Handler }

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
	r.AddAttrs(slog.String("component", "embedded-store"))
	return h.next.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(a []slog.Attr) slog.Handler { return quietHandler{h.next.WithAttrs(a)} }
func (h quietHandler) WithGroup(g string) slog.Handler      { return quietHandler{h.next.WithGroup(g)} }

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
