package streams

import (
	"sync"
	"testing"
	"time"
)

func TestSlowSubscriberIsDroppedOthersGetAll(t *testing.T) {
	t.Parallel()
	b := NewMemory()
	const n, msgs = 200, 100
	var wg sync.WaitGroup
	got := make([]int, n)
	for i := range n {
		s := NewSubscriber(msgs) // fast consumers: room for everything
		b.Subscribe("kpi.hotline", s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range msgs {
				select {
				case <-s.C:
					got[i]++
				case <-time.After(10 * time.Second):
					return
				}
			}
		}()
	}
	slow := NewSubscriber(8)
	b.Subscribe("kpi.hotline", slow) // never reads
	for i := range msgs {
		b.Publish(Message{Channel: "kpi.hotline", Type: "delta", Seq: int64(i)})
	}
	wg.Wait()
	select {
	case <-slow.Done():
	default:
		t.Fatal("the slow subscriber was not dropped")
	}
	for i, g := range got {
		if g != msgs {
			t.Fatalf("subscriber %d got %d of %d", i, g, msgs)
		}
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if _, still := b.subs["kpi.hotline"][slow]; still {
		t.Fatal("the dropped subscriber is still registered")
	}
}

func TestFrameShape(t *testing.T) {
	t.Parallel()
	got := string(frame(Message{Channel: "alerts", Type: "delta", Seq: 3, Data: []byte(`{"a":1}`)}))
	if got != `{"channel":"alerts","type":"delta","seq":3,"data":{"a":1}}` {
		t.Fatal(got)
	}
}
