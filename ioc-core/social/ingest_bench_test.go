package social_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/social"
)

// BenchmarkIngestHTTP is end to end: signed-in crawler posts batches of 100 distinct items
// over HTTP; each is normalised, deduplicated (URL and SimHash lookups), analysed and
// stored in the embedded store. One op is one item.
func BenchmarkIngestHTTP(b *testing.B) {
	cfg := apptest.Config(b)
	srv := apptest.Start(b, cfg, alerts.New(), social.New())
	admin := srv.Admin(b)
	var k struct{ Key string }
	srv.Do(b, "POST", "/api/v1/apikeys", admin, map[string]any{"name": "bench", "scopes": []string{"ingest"}}).Decode(b, &k)
	words := []string{"ngập", "rác", "điện", "nước", "cống", "đường", "cầu", "chợ", "trường", "bệnh viện", "ồn", "bụi", "cây", "đèn"}
	now := time.Now().Add(-time.Hour)
	b.ResetTimer()
	for done := 0; done < b.N; done += 100 {
		batch := make([]social.Incoming, 0, 100)
		for i := done; i < min(done+100, b.N); i++ {
			text := fmt.Sprintf("Phường Thạch Thang: %s %s %s ở kiệt %d, hộ số %d phản ánh %s và %s", words[i%14], words[(i/14)%14], words[(i/196)%14],
				i, i*7, words[(i*3)%14], words[(i*5+1)%14])
			batch = append(batch, social.Incoming{ID: fmt.Sprint("b", i), Text: text, PublishedAt: now})
		}
		raw, _ := json.Marshal(map[string]any{"items": batch})
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/social/ingest", bytes.NewReader(raw))
		req.Header.Set("X-API-Key", k.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("ingest: %v %v", err, resp)
		}
		resp.Body.Close()
	}
}
