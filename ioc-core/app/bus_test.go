package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
)

func TestEventsFlowToConsumers(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t), notesModule{})
	start := time.Now()
	const n = 100
	for i := 0; i < n; i++ {
		if r := srv.Do(t, "POST", fmt.Sprintf("/api/v1/test/notes/n%d", i), "", nil); r.Status != 201 {
			t.Fatalf("note %d: %d %s", i, r.Status, r.Body)
		}
	}
	t.Logf("%d writes in %v", n, time.Since(start))
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < n; i++ {
		for {
			var st map[string]int
			srv.Do(t, "GET", fmt.Sprintf("/api/v1/test/notes/n%d", i), "", nil).Decode(t, &st)
			if st["seen"] == 1 {
				break
			}
			if st["seen"] > 1 {
				t.Fatalf("note n%d seen %d times without a crash", i, st["seen"])
			}
			if time.Now().After(deadline) {
				t.Fatalf("note n%d not consumed after 30s", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Logf("all consumed %v after the first write", time.Since(start))
}
