package sectors_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/sectors"
)

// BenchmarkSensorIngest measures sensor readings stored per second end to end: pushed over
// HTTP with an API key (one reading, or 100, per request) and published to mosquitto at
// QoS 1 (one reading per message, 8 publishers) until the subscriber has stored them all.
func BenchmarkSensorIngest(b *testing.B) {
	br := startBroker(b)
	n := start(b, mqttConfig(br, "ioc-bench"))
	var key struct{ Key string }
	n.do(b, "POST", "/api/v1/apikeys", map[string]any{"name": "bench", "scopes": []string{"ingest"}}, http.StatusCreated, &key)
	n.do(b, "PUT", "/api/v1/sectors/sensors/stations/b-01", sectors.Station{Name: "Bench", Ward: "20194", Lat: 16.06, Lon: 108.22}, http.StatusOK, nil)
	n.do(b, "PUT", "/api/v1/sectors/sensors/thresholds/pm2_5", sectors.Threshold{Warning: 50, Critical: 150}, http.StatusOK, nil)
	var seq atomic.Int64
	base := time.Now().UTC().Add(-7 * 24 * time.Hour)
	reading := func() string {
		at := base.Add(time.Duration(seq.Add(1)) * time.Millisecond)
		return fmt.Sprintf(`{"station":"b-01","pollutant":"pm2_5","value":%d,"at":%q}`, seq.Load()%200, at.Format(time.RFC3339Nano))
	}
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("http/batch=%d", batch), func(b *testing.B) {
			start := time.Now()
			for i := 0; i < b.N; i++ {
				rs := make([]string, batch)
				for j := range rs {
					rs[j] = reading()
				}
				req, _ := http.NewRequest("POST", n.srv.URL+"/api/v1/sectors/sensors/readings", strings.NewReader(`{"readings":[`+strings.Join(rs, ",")+`]}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-API-Key", key.Key)
				var out sectors.ReadingsResponse
				n.send(b, req, http.StatusOK, &out)
				if out.Stored != batch {
					b.Fatalf("push stored %+v", out)
				}
			}
			b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "readings/s")
		})
	}
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("mqtt/qos1/batch=%d", batch), func(b *testing.B) { benchMQTT(b, n, br, batch, reading) })
	}
}

// benchMQTT publishes b.N messages of batch readings from 8 publishers and waits until the
// subscriber has stored them all.
func benchMQTT(b *testing.B, n *node, br *broker, batch int, reading func() string) {
	pubs := make([]*publisher, 8)
	for i := range pubs {
		pubs[i] = newPublisher(b, br.addr, fmt.Sprintf("bench-pub-%d-%d", batch, i))
	}
	var before sectors.MQTTStatus
	n.do(b, "GET", "/api/v1/sectors/sensors/mqtt", nil, http.StatusOK, &before)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	for _, p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				rs := make([]string, batch)
				for j := range rs {
					rs[j] = reading()
				}
				p.publish(b, "ioc/sensors/x", `{"readings":[`+strings.Join(rs, ",")+`]}`)
			}
		}()
	}
	wg.Wait()
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
		var st sectors.MQTTStatus
		n.do(b, "GET", "/api/v1/sectors/sensors/mqtt", nil, http.StatusOK, &st)
		if st.Stored-before.Stored >= b.N*batch {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("stored %d of %d: %+v", st.Stored-before.Stored, b.N*batch, st)
		}
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "readings/s")
}
