package social_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/social"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// restartable starts a node on cfg (the same store each time).
func restartable(t *testing.T, cfg config.Config) *node {
	t.Helper()
	cfg.IOC.Alerts.EvalInterval = time.Hour
	n := &node{social: social.New(), alerts: alerts.New()}
	n.srv = apptest.Start(t, cfg, n.alerts, n.social)
	n.admin = n.srv.Admin(t)
	var k struct{ Key string }
	n.srv.Do(t, "POST", "/api/v1/apikeys", n.admin, map[string]any{"name": fmt.Sprint("crawler", time.Now().UnixNano()), "scopes": []string{"ingest"}}).Decode(t, &k)
	n.key = k.Key
	return n
}

func floodItems(prefix string, n int, at time.Time) []social.Incoming {
	streets := []string{"Núi Thành", "Lê Duẩn", "Hùng Vương", "Trưng Nữ Vương", "Hoàng Diệu", "Phan Châu Trinh", "Ông Ích Khiêm", "Hải Phòng"}
	what := []string{"xe máy chết máy", "nhà dân bị nước tràn vào", "cống thoát nước bị tắc", "rác trôi khắp nơi", "học sinh không đến trường được", "chợ phải đóng cửa"}
	var out []social.Incoming
	for i := range n {
		out = append(out, social.Incoming{ID: fmt.Sprint(prefix, i), PublishedAt: at,
			Text: fmt.Sprintf("%s: nước ngập sâu trên đường %s, %s", prefix, streets[i%len(streets)], what[(i+len(prefix))%len(what)])})
	}
	return out
}

// topicCounts returns each topic's stored item count, and the count of items per topic.
func topicCounts(t *testing.T, n *node) (stored, actual map[string]int) {
	t.Helper()
	stored, actual = map[string]int{}, map[string]int{}
	var ts []social.Topic
	n.srv.Do(t, "GET", "/api/v1/social/topics?limit=200", n.admin, nil).Decode(t, &ts)
	for _, tp := range ts {
		stored[tp.ID] = tp.Items
	}
	for _, it := range n.items(t, "") {
		actual[it.Topic]++
	}
	return stored, actual
}

// Items stored but not counted in their topics (a stop between the item insert and the
// topic write) are counted at the next start, once.
func TestTopicProjectionRecoveredAtStart(t *testing.T) {
	cfg := apptest.Config(t)
	n := restartable(t, cfg)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	if st, _, raw := n.ingest(t, "", map[string]any{"items": floodItems("a", 6, at)}); st != http.StatusOK {
		t.Fatalf("ingest: %d %s", st, raw)
	}
	topicCounts(t, n) // reading topics counts the batches stored so far
	topics := n.srv.App.Core.Store.C(social.TopicsCollection)
	ctx := context.Background()
	var before []bson.M
	cur, err := topics.Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &before); err != nil || len(before) == 0 {
		t.Fatalf("topics after the first batch: %v %v", before, err)
	}
	if st, _, raw := n.ingest(t, "", map[string]any{"items": floodItems("b", 6, at.Add(time.Minute))}); st != http.StatusOK {
		t.Fatalf("ingest: %d %s", st, raw)
	}
	topicCounts(t, n)
	// The second batch's topic writes are lost: its items stay stored.
	if _, err := topics.DeleteMany(ctx, bson.M{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range before {
		if _, err := topics.InsertOne(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if stored, actual := topicCounts(t, n); fmt.Sprint(stored) == fmt.Sprint(actual) {
		t.Fatalf("the simulated loss did not happen: %v", stored)
	}
	n.srv.Stop(t)
	for round := range 2 { // the second start finds nothing to count
		n = restartable(t, cfg)
		stored, actual := topicCounts(t, n)
		if len(actual) == 0 || fmt.Sprint(stored) != fmt.Sprint(actual) {
			t.Errorf("start %d: topics count %v, items per topic %v", round+1, stored, actual)
		}
		n.srv.Stop(t)
	}
}

// Concurrent requests repeating the same items store each once, and count every repeat.
func TestConcurrentIngestDedupExact(t *testing.T) {
	n := start(t, "", nil)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	items := floodItems("same", 20, at)
	const requests = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	status := map[string]int{}
	for range requests {
		wg.Go(func() {
			st, res, raw := n.ingest(t, "", map[string]any{"items": items})
			if st != http.StatusOK {
				t.Errorf("ingest: %d %s", st, raw)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range res.Results {
				status[r.Status]++
			}
		})
	}
	wg.Wait()
	if status[social.StatusStored] != 20 || status[social.StatusDuplicate] != 20*(requests-1) {
		t.Errorf("statuses %v, want 20 stored and %d duplicates", status, 20*(requests-1))
	}
	got := n.items(t, "")
	dups := 0
	for _, it := range got {
		dups += it.Duplicates
	}
	if len(got) != 20 || dups != 20*(requests-1) {
		t.Errorf("%d items stored with %d repeats counted, want 20 and %d", len(got), dups, 20*(requests-1))
	}
}
