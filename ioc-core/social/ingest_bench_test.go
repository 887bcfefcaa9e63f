package social_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/social"
)

// BenchmarkIngestHTTP is end to end: signed-in crawler posts batches of 100 distinct items
// over HTTP, one request at a time; each is normalised, deduplicated (URL and SimHash),
// analysed, stored in the embedded store and counted in its topic before the answer. One
// op is one item.
func BenchmarkIngestHTTP(b *testing.B) { benchIngest(b, 1) }

// BenchmarkIngestHTTPParallel is BenchmarkIngestHTTP with four crawlers posting at once.
func BenchmarkIngestHTTPParallel(b *testing.B) { benchIngest(b, 4) }

func benchIngest(b *testing.B, clients int) {
	cfg := apptest.Config(b)
	srv := apptest.Start(b, cfg, alerts.New(), social.New())
	admin := srv.Admin(b)
	var k struct{ Key string }
	srv.Do(b, "POST", "/api/v1/apikeys", admin, map[string]any{"name": "bench", "scopes": []string{"ingest"}}).Decode(b, &k)
	now := time.Now().Add(-time.Hour)
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	b.ResetTimer()
	for range clients {
		wg.Go(func() {
			for done := int(next.Add(100) - 100); done < b.N; done = int(next.Add(100) - 100) {
				if err := postBatch(srv.URL, k.Key, benchItems(done, min(done+100, b.N), now)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	// CPU of the whole test process (server, embedded store and client) per item: what the
	// wall clock would show on two idle cores is about 2 / this.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/item")
}

// cpuTime returns the user and system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var benchWords = []string{"ngập", "rác", "điện", "nước", "cống", "đường", "cầu", "chợ", "trường", "bệnh viện", "ồn", "bụi", "cây", "đèn"}

// benchItems returns distinct items from..to-1.
func benchItems(from, to int, at time.Time) []social.Incoming {
	w := benchWords
	batch := make([]social.Incoming, 0, to-from)
	for i := from; i < to; i++ {
		text := fmt.Sprintf("Phường Thạch Thang: %s %s %s ở kiệt %d, hộ số %d phản ánh %s và %s", w[i%14], w[(i/14)%14], w[(i/196)%14],
			i, i*7, w[(i*3)%14], w[(i*5+1)%14])
		batch = append(batch, social.Incoming{ID: fmt.Sprint("b", i), Text: text, PublishedAt: at})
	}
	return batch
}

func postBatch(base, key string, items []social.Incoming) error {
	raw, _ := json.Marshal(map[string]any{"items": items})
	req, _ := http.NewRequest("POST", base+"/api/v1/social/ingest", bytes.NewReader(raw))
	req.Header.Set("X-API-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out social.IngestResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ingest: %d %v", resp.StatusCode, err)
	}
	if out.Stored != len(items) {
		return fmt.Errorf("ingest: %d of %d stored", out.Stored, len(items))
	}
	return nil
}
