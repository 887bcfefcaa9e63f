package omnichannel

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/config"
)

// TestConcurrentWebhooks posts signed Messenger events from many senders at once, each
// event twice (a redelivery racing the first delivery): every request is acknowledged, each event is stored once, and every event
// becomes one message.
func TestConcurrentWebhooks(t *testing.T) {
	m := New(nil)
	srv := node(t, m, func(c *config.Config) {
		c.Channels.Facebook = config.Facebook{AppSecret: fbSecret, VerifyToken: fbVerify, PageToken: "page-token", PageID: "PAGE1",
			GraphURL: "http://127.0.0.1:9"}
	})
	const events, citizens = 24, 4
	var wg sync.WaitGroup
	statuses := make(chan int, 2*events)
	for i := range events {
		body, sig := signedMessenger(fmt.Sprint("gc-psid-", i%citizens), fmt.Sprint("mid.gc.", i), fmt.Sprint("phản ánh ", i))
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses <- post(t, srv, "/webhooks/facebook", body, "X-Hub-Signature-256", sig)
			}()
		}
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Fatalf("webhook answered %d", s)
		}
	}
	if n := countStored(t, m, ChannelFacebook); n != events {
		t.Fatalf("stored %d inbound items, want %d", n, events)
	}
	tok := srv.Login(t, "agent1", "demo-agent1")
	eventuallyWithin(t, time.Minute, "every event becomes one message", func() bool {
		var total int64
		convs := conversations(t, srv, tok, "channel=facebook")
		for _, c := range convs {
			total += c.Seq
		}
		return len(convs) == citizens && total == events
	})
}
