// Command loadtest drives a running ioc1022 binary on loopback and prints measured figures
// for docs/benchmarks.md: concurrent widget connections and memory per connection, the
// visitor-to-agent round trip at a fixed message rate, and signed Messenger webhooks per
// second with the durable write. See run.sh for the exact runs.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/ioc1022/ioc1022/omnichannel"
	"github.com/ioc1022/ioc1022/omnichannel/platformtest"
)

func main() {
	mode := flag.String("mode", "conns", "conns, rtt or webhooks")
	base := flag.String("url", "http://127.0.0.1:8080", "the node's base URL")
	secret := flag.String("widget-secret", "bench-widget-secret", "channels.widget_secret of the node")
	conns := flag.Int("conns", 10000, "conns: sockets to open")
	rate := flag.Int("rate", 2000, "rtt: messages per second in total")
	visitors := flag.Int("visitors", 400, "rtt: visitors sending")
	dur := flag.Duration("duration", 20*time.Second, "rtt and webhooks: how long to send")
	appSecret := flag.String("app-secret", "bench-app-secret", "webhooks: channels.facebook.app_secret")
	workers := flag.Int("workers", 32, "webhooks: concurrent senders")
	handoff := flag.Bool("handoff", false, "rtt: each visitor first asks for an agent and the run waits until agent1 holds every conversation, so the measured messages go to agent-assigned conversations instead of the bot")
	flag.Parse()
	var err error
	switch *mode {
	case "conns":
		err = runConns(*base, []byte(*secret), *conns)
	case "rtt":
		err = runRTT(*base, []byte(*secret), *visitors, *rate, *dur, *handoff)
	case "webhooks":
		err = runWebhooks(*base, *appSecret, *workers, *dur)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func token(secret []byte, id string) string {
	return omnichannel.SignChatToken(secret, omnichannel.ChatClaims{Kind: omnichannel.ChannelWeb, Subject: id,
		Expires: time.Now().Add(time.Hour).Unix()})
}

func wsURL(base, path string) string { return "ws" + strings.TrimPrefix(base, "http") + path }

// metric reads one unlabelled value from the node's /metrics.
func metric(base, name string) (float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("no metric %s", name)
}

func runConns(base string, secret []byte, n int) error {
	rss0, _ := metric(base, "process_resident_memory_bytes")
	heap0, _ := metric(base, "go_memstats_heap_inuse_bytes")
	gor0, _ := metric(base, "go_goroutines")
	dialer := &websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 512, WriteBufferSize: 512}
	open := make([]*websocket.Conn, 0, n)
	start := time.Now()
	var mu sync.Mutex
	var failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 200)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, _, err := dialer.Dial(wsURL(base, "/webchat/ws?token="+token(secret, fmt.Sprintf("bench-c-%d", i))), nil)
			if err != nil {
				failed.Add(1)
				return
			}
			if _, _, err := c.ReadMessage(); err != nil { // hello
				failed.Add(1)
				return
			}
			go func() { // answer pings until closed
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}()
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	setup := time.Since(start)
	time.Sleep(5 * time.Second) // let the server settle
	rss1, _ := metric(base, "process_resident_memory_bytes")
	heap1, _ := metric(base, "go_memstats_heap_inuse_bytes")
	gor1, _ := metric(base, "go_goroutines")
	k := float64(len(open))
	fmt.Printf("connections open: %d of %d (failed %d), opened in %s\n", len(open), n, failed.Load(), setup.Round(time.Millisecond))
	fmt.Printf("server RSS: %.1f MiB -> %.1f MiB: %.1f KiB per connection\n", rss0/(1<<20), rss1/(1<<20), (rss1-rss0)/k/1024)
	fmt.Printf("server Go heap in use: %.1f MiB -> %.1f MiB: %.1f KiB per connection\n", heap0/(1<<20), heap1/(1<<20), (heap1-heap0)/k/1024)
	fmt.Printf("server goroutines: %.0f -> %.0f\n", gor0, gor1)
	for _, c := range open {
		_ = c.Close()
	}
	return nil
}

func login(base, user, pass string) (string, error) {
	b, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login %s: status %d", user, resp.StatusCode)
	}
	return out.Token, nil
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// runRTT measures visitor send to agent socket receipt through a supervisor's inbox socket,
// which receives every conversation's messages. With handoff, agent1 is online and every
// conversation is handed to it before the measured messages.
func runRTT(base string, secret []byte, visitors, rate int, dur time.Duration, handoff bool) error {
	tok, err := login(base, "supervisor", "demo-supervisor")
	if err != nil {
		return err
	}
	agent, _, err := websocket.DefaultDialer.Dial(wsURL(base, "/api/v1/inbox/ws?token="+tok), nil)
	if err != nil {
		return fmt.Errorf("inbox socket: %w", err)
	}
	var mu sync.Mutex
	sentAt := map[string]time.Time{}
	var rtts []time.Duration
	go func() {
		for {
			_, data, err := agent.ReadMessage()
			if err != nil {
				return
			}
			var f struct {
				Type    string `json:"type"`
				Message *struct {
					ClientMsgID string `json:"client_msg_id"`
					Direction   string `json:"direction"`
				} `json:"message"`
			}
			if json.Unmarshal(data, &f) != nil || f.Type != "message" || f.Message == nil || f.Message.Direction != "in" {
				continue
			}
			now := time.Now()
			mu.Lock()
			if t0, ok := sentAt[f.Message.ClientMsgID]; ok {
				rtts = append(rtts, now.Sub(t0))
				delete(sentAt, f.Message.ClientMsgID)
			}
			mu.Unlock()
		}
	}()
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	socks := make([]*websocket.Conn, visitors)
	var acks atomic.Int64
	for i := range socks {
		c, _, err := websocket.DefaultDialer.Dial(wsURL(base, "/webchat/ws?token="+token(secret, fmt.Sprintf("bench-r-%s-%d", runID, i))), nil)
		if err != nil {
			return fmt.Errorf("visitor %d: %w", i, err)
		}
		socks[i] = c
		go func() {
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				if bytes.Contains(data, []byte(`"type":"ack"`)) {
					acks.Add(1)
				}
			}
		}()
	}
	if handoff {
		if err := handOff(base, socks, &acks); err != nil {
			return err
		}
	}
	interval := time.Second / time.Duration(rate)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	end := time.Now().Add(dur)
	sent := 0
	var wmu = make([]sync.Mutex, visitors)
	for time.Now().Before(end) {
		<-tick.C
		i := sent % visitors
		id := fmt.Sprintf("%s-%d", runID, sent)
		mu.Lock()
		sentAt[id] = time.Now()
		mu.Unlock()
		go func(c *websocket.Conn, l *sync.Mutex) {
			l.Lock()
			defer l.Unlock()
			_ = c.WriteJSON(map[string]string{"type": "send", "client_msg_id": id, "text": "đo thời gian khứ hồi " + id})
		}(socks[i], &wmu[i])
		sent++
	}
	elapsed := dur
	time.Sleep(10 * time.Second) // drain
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(rtts, func(a, b int) bool { return rtts[a] < rtts[b] })
	fmt.Printf("offered %d msg/s for %s: sent %d, acked %d, received at the agent socket %d (%.0f msg/s)\n",
		rate, dur, sent, acks.Load(), len(rtts), float64(len(rtts))/elapsed.Seconds())
	fmt.Printf("visitor -> agent socket: p50 %s  p90 %s  p99 %s  max %s\n", percentile(rtts, 0.5).Round(time.Microsecond),
		percentile(rtts, 0.9).Round(time.Microsecond), percentile(rtts, 0.99).Round(time.Microsecond), percentile(rtts, 1).Round(time.Microsecond))
	return nil
}

// runWebhooks posts distinct signed Messenger events as fast as workers allow.
func runWebhooks(base, appSecret string, workers int, dur time.Duration) error {
	var mu sync.Mutex
	var lat []time.Duration
	var fails atomic.Int64
	var seq atomic.Int64
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	end := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(end) {
				n := seq.Add(1)
				now := time.Now().UnixMilli()
				body := []byte(fmt.Sprintf(`{"object":"page","entry":[{"id":"PAGE","time":%d,"messaging":[{"sender":{"id":"psid-%s-%d"},"recipient":{"id":"PAGE"},"timestamp":%d,"message":{"mid":"m.%s.%d","text":"phản ánh số %d"}}]}]}`,
					now, runID, n%500, now, runID, n, n))
				req, _ := http.NewRequest("POST", base+"/webhooks/facebook", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Hub-Signature-256", platformtest.MessengerSignature(appSecret, body))
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 200 {
					fails.Add(1)
					if resp != nil {
						resp.Body.Close()
					}
					continue
				}
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	fmt.Printf("signed Messenger webhooks, %d concurrent senders, %s: %d acknowledged (%.0f/s), %d failed\n",
		workers, dur, len(lat), float64(len(lat))/elapsed.Seconds(), fails.Load())
	fmt.Printf("latency to 200: p50 %s  p99 %s  max %s\n", percentile(lat, 0.5).Round(time.Microsecond),
		percentile(lat, 0.99).Round(time.Microsecond), percentile(lat, 1).Round(time.Microsecond))
	return nil
}

// handOff opens agent1's inbox, has every visitor ask for an agent and waits until every
// conversation is assigned (to agent1, or to the supervisor whose socket measures), at most
// two minutes. The visitors' sockets are read elsewhere (acks counts their acks).
func handOff(base string, socks []*websocket.Conn, acks *atomic.Int64) error {
	tok, err := login(base, "agent1", "demo-agent1")
	if err != nil {
		return err
	}
	sup, err := login(base, "supervisor", "demo-supervisor")
	if err != nil {
		return err
	}
	inbox, _, err := websocket.DefaultDialer.Dial(wsURL(base, "/api/v1/inbox/ws?token="+tok), nil)
	if err != nil {
		return fmt.Errorf("agent1 inbox: %w", err)
	}
	go func() { // keep agent1 online; its frames are not measured
		for {
			if _, _, err := inbox.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for i, c := range socks {
		if err := c.WriteJSON(map[string]string{"type": "send", "client_msg_id": fmt.Sprintf("handoff-%d", i), "text": "cho tôi gặp tổng đài viên"}); err != nil {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	n := 0
	for end := time.Now().Add(2 * time.Minute); time.Now().Before(end); time.Sleep(time.Second) {
		if n = len(conversations(base, sup, "assigned")); n >= len(socks) {
			acks.Store(0)
			fmt.Printf("handoff: all %d conversations assigned\n", n)
			return nil
		}
		for _, id := range conversations(base, sup, "queued") { // left for another team
			req, _ := http.NewRequest("POST", base+"/api/v1/conversations/"+id+"/take", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}
	return fmt.Errorf("handoff: %d of %d conversations assigned after two minutes", n, len(socks))
}

// conversations lists the ids of the web conversations in state.
func conversations(base, tok, state string) []string {
	req, _ := http.NewRequest("GET", base+"/api/v1/conversations?channel=web&limit=500&state="+state, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&list)
	ids := make([]string, len(list.Items))
	for i, c := range list.Items {
		ids[i] = c.ID
	}
	return ids
}
