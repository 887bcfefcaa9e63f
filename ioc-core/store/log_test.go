package store

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestQuietHandlerPassesWarningsWithTheirAttributes(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(quietHandler{next: slog.NewTextHandler(&out, nil)})
	conn := log.With("conn", "c1").WithGroup("sql").With("table", "tickets")

	conn.Info("statement", "doc", "{...}")
	conn.Warn("Connection stopped")
	if out.Len() != 0 {
		t.Fatalf("printed below warn or noise: %q", out.String())
	}
	if conn.Handler().Enabled(context.Background(), slog.LevelDebug) {
		t.Error("debug is enabled: FerretDB would build every statement's attributes")
	}

	conn.Warn("disk full", "free", 0)
	got := out.String()
	for _, want := range []string{"msg=\"disk full\"", "conn=c1", "sql.table=tickets", "sql.free=0", "sql.component=embedded-store"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q missing from %q", want, got)
		}
	}
}
