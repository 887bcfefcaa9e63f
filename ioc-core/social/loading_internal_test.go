package social

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// TestIngestWaitsForTheStartUpLoad restarts a node over a stored item with its start-up load
// held: /readyz names social.index, an ingest answers 503 loading and stores nothing, the
// alert measures answer from the store; once loaded, /readyz is 200 and the same item ingested
// again is found a duplicate of the stored one.
func TestIngestWaitsForTheStartUpLoad(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	cfg.IOC.Alerts.EvalInterval = time.Hour
	first := New()
	srv1 := apptest.Start(t, cfg, alerts.New(), first)
	item := Incoming{ID: "p1", Text: "Đường ngập sâu ở phường Thạch Thang sau trận mưa lớn chiều nay", PublishedAt: time.Now().UTC().Add(-time.Hour)}
	res, err := first.Ingest(ctx, "ingest:test", KindIngest, []Incoming{item})
	if err != nil || len(res) != 1 || res[0].Status != StatusStored {
		t.Fatalf("first ingest: %+v %v", res, err)
	}
	stored := res[0].ID
	srv1.Stop(t)

	m := New()
	release := make(chan struct{})
	m.loadHook = func() { <-release }
	srv := apptest.StartLoading(t, cfg, alerts.New(), m)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	r := srv.Do(t, "GET", "/readyz", "", nil)
	var ready struct {
		Loading []string `json:"loading"`
	}
	r.Decode(t, &ready)
	if r.Status != http.StatusServiceUnavailable || !slices.Contains(ready.Loading, IndexLoad) {
		t.Fatalf("readyz while loading: %d %s", r.Status, r.Body)
	}
	_, err = m.Ingest(ctx, "ingest:test", KindIngest, []Incoming{item})
	var he *httpapi.Error
	if !errors.As(err, &he) || he.Code != "loading" || he.Status != http.StatusServiceUnavailable {
		t.Fatalf("ingest while loading: %v", err)
	}
	now := time.Now().UTC()
	got, err := (&Source{m}).Measure(ctx, alerts.Query{Indicator: "social.items", From: now.Add(-2 * time.Hour), To: now, Now: now})
	if err != nil || got[""] != 1 {
		t.Fatalf("measure while loading: %v %v", got, err)
	}
	close(release)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := srv.App.Core.Readiness.Wait(wctx); err != nil {
		t.Fatalf("not loaded: %v", err)
	}
	if r := srv.Do(t, "GET", "/readyz", "", nil); r.Status != http.StatusOK {
		t.Fatalf("readyz when loaded: %d %s", r.Status, r.Body)
	}
	res, err = m.Ingest(ctx, "ingest:test", KindIngest, []Incoming{item})
	if err != nil || len(res) != 1 || res[0].Status != StatusDuplicate || res[0].Of != stored {
		t.Fatalf("ingest of the stored item after the load: %+v %v", res, err)
	}
}
