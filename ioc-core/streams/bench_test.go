package streams

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkFanout1000 publishes 1 KiB deltas to 1,000 subscribers, one of which never
// reads; it reports the publish cost and the latency until every live subscriber has the
// message (p50, p99).
func BenchmarkFanout1000(b *testing.B) {
	br := NewMemory()
	const subs = 1000
	payload := make([]byte, 1024)
	var wg sync.WaitGroup
	received := make(chan time.Time, subs)
	stop := make(chan struct{})
	for range subs - 1 {
		s := NewSubscriber(64)
		br.Subscribe("kpi.hotline", s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-s.C:
					received <- time.Now()
				case <-stop:
					return
				}
			}
		}()
	}
	slow := NewSubscriber(64)
	br.Subscribe("kpi.hotline", slow)
	var lat []time.Duration
	var publish time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		br.Publish(Message{Channel: "kpi.hotline", Type: "delta", Seq: int64(i), Data: payload})
		publish += time.Since(t0)
		var last time.Time
		for range subs - 1 {
			last = <-received
		}
		lat = append(lat, last.Sub(t0))
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	select {
	case <-slow.Done():
	default:
		if b.N > 64 {
			b.Fatal("the slow subscriber was not dropped")
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(publish.Microseconds())/float64(b.N), "publish-µs")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "all-delivered-p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "all-delivered-p99-µs")

}
