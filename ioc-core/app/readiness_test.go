package app_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
)

// loader is a module with two start-up loads: "test.held" waits for release, and
// "test.flaky" fails on its first run and succeeds on the next.
type loader struct {
	release chan struct{}
	runs    atomic.Int32
	core    *app.Core
}

func (l *loader) Name() string { return "loader" }

func (l *loader) Init(_ context.Context, c *app.Core) error {
	l.core = c
	c.Load("test.held", func(ctx context.Context) error {
		select {
		case <-l.release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	c.Load("test.flaky", func(context.Context) error {
		if l.runs.Add(1) == 1 {
			return errors.New("the store blinked")
		}
		return nil
	})
	return nil
}

type readyzBody struct {
	Status  string   `json:"status"`
	Loading []string `json:"loading"`
}

func readyz(t *testing.T, srv *apptest.Server) (int, readyzBody) {
	t.Helper()
	r := srv.Do(t, "GET", "/readyz", "", nil)
	var b readyzBody
	r.Decode(t, &b)
	return r.Status, b
}

// TestStartUpLoads checks that a node listens and prints its banner while its start-up loads
// run, that /readyz names the loads under way with a 503 until they are done (a failed load
// runs again), and then answers 200.
func TestStartUpLoads(t *testing.T) {
	t.Parallel()
	l := &loader{release: make(chan struct{})}
	srv := apptest.StartLoading(t, apptest.Config(t), l)
	t.Cleanup(func() {
		select {
		case <-l.release:
		default:
			close(l.release)
		}
	})
	var banner bytes.Buffer
	srv.App.PrintBanner(&banner)
	if !strings.Contains(banner.String(), srv.URL+"/readyz") {
		t.Errorf("banner does not show the address:\n%s", banner.String())
	}
	if r := srv.Do(t, "GET", "/healthz", "", nil); r.Status != http.StatusOK {
		t.Errorf("healthz while loading: %d", r.Status)
	}
	status, body := readyz(t, srv)
	if status != http.StatusServiceUnavailable || body.Status != "loading" || !slices.Contains(body.Loading, "test.held") {
		t.Fatalf("readyz while loading: %d %+v", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.core.Readiness.Wait(ctx, "test.flaky"); err != nil {
		t.Fatalf("the failed load did not run again: %v", err)
	}
	if l.runs.Load() != 2 {
		t.Errorf("flaky load ran %d times, want 2", l.runs.Load())
	}
	status, body = readyz(t, srv)
	if status != http.StatusServiceUnavailable || !slices.Equal(body.Loading, []string{"test.held"}) {
		t.Fatalf("readyz with one load left: %d %+v", status, body)
	}
	close(l.release)
	if err := l.core.Readiness.Wait(ctx); err != nil {
		t.Fatalf("loads not done: %v", err)
	}
	if status, body = readyz(t, srv); status != http.StatusOK || body.Status != "ready" {
		t.Fatalf("readyz when loaded: %d %+v", status, body)
	}
}

// TestReadinessDoneTwice checks that a load's done counts once.
func TestReadinessDoneTwice(t *testing.T) {
	t.Parallel()
	srv := apptest.StartLoading(t, apptest.Config(t))
	rd := srv.App.Core.Readiness
	a, b := rd.Loading("x"), rd.Loading("x")
	a()
	a()
	if got := rd.Pending(); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("after one of two loads named x ended twice: %v", got)
	}
	b()
	if got := rd.Pending(); len(got) != 0 {
		t.Fatalf("after both ended: %v", got)
	}
}
