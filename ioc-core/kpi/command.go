package kpi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/store"
)

// Commands implements app.Commander: `ioc1022 kpi rebuild`.
func (m *Module) Commands() []app.Command {
	return []app.Command{{Name: "kpi", Summary: "kpi rebuild: recompute the KPI projection from the whole event log",
		Run: runCommand}}
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rebuild" {
		return errors.New("usage: ioc1022 kpi rebuild [--config FILE] [--data DIR]")
	}
	cfg, err := app.LoadConfig("kpi rebuild", args[1:])
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	log := app.NewLogger(cfg.Log, stderr)
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoDB.URI, Database: cfg.MongoDB.Database, DataDir: cfg.Data.Dir}, log)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close(context.Background()) }()
	start := time.Now()
	p, n, err := Rebuild(ctx, st, events.NewBus(st, log), ParamsOf(cfg), log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kpi rebuilt from %d events up to seq %d in %s; snapshot saved\n", n, p.Seq(), time.Since(start).Round(time.Millisecond))
	return nil
}

// Rebuild recomputes the projection from the first event of the log and saves it as the
// snapshot a node starts from. It returns the projection and the number of events read.
func Rebuild(ctx context.Context, st *store.Store, bus EventReader, params Params, log *slog.Logger) (*Projection, int, error) {
	p := NewProjection(params)
	n, err := CatchUp(ctx, p, bus, nil)
	if err != nil {
		return nil, n, err
	}
	if _, err := p.SaveSnapshot(ctx, st); err != nil {
		return nil, n, err
	}
	log.Info("kpi rebuilt", "events", n, "seq", p.Seq())
	return p, n, nil
}
