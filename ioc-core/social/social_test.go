package social_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/social"
)

type node struct {
	srv    *apptest.Server
	social *social.Module
	alerts *alerts.Module
	key    string
	admin  string
}

func start(t *testing.T, secret string, mod func(*social.Module), cfgs ...func(*config.Config)) *node {
	t.Helper()
	cfg := apptest.Config(t)
	for _, f := range cfgs {
		f(&cfg)
	}
	cfg.IOC.Alerts.EvalInterval = time.Hour
	cfg.IOC.Social.HostSpacing = 0
	cfg.IOC.Social.IngestSecret = secret
	cfg.IOC.Social.FacebookToken = "page-token"
	am, sm := alerts.New(), social.New()
	if mod != nil {
		mod(sm)
	}
	n := &node{srv: nil, social: sm, alerts: am}
	n.srv = apptest.Start(t, cfg, am, sm)
	n.admin = n.srv.Admin(t)
	res := n.srv.Do(t, "POST", "/api/v1/apikeys", n.admin, map[string]any{"name": "crawler", "scopes": []string{"ingest"}})
	if res.Status != http.StatusCreated && res.Status != http.StatusOK {
		t.Fatalf("api key: %d %s", res.Status, res.Body)
	}
	var k struct{ Key string }
	res.Decode(t, &k)
	n.key = k.Key
	return n
}

// ingest posts items with the API key (signed when secret is set).
func (n *node) ingest(t *testing.T, secret string, body any) (int, social.IngestResponse, []byte) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", n.srv.URL+"/api/v1/social/ingest", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", n.key)
	if secret != "" {
		req.Header.Set(social.SignatureHeader, social.Sign(secret, time.Now(), raw))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var r social.IngestResponse
	_ = json.Unmarshal(out, &r)
	return resp.StatusCode, r, out
}

func (n *node) items(t *testing.T, query string) []social.Item {
	t.Helper()
	res := n.srv.Do(t, "GET", "/api/v1/social/items?limit=200&"+query, n.admin, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("items: %d %s", res.Status, res.Body)
	}
	var l httpapi.List[social.Item]
	res.Decode(t, &l)
	return l.Items
}

func (n *node) rule(t *testing.T, r social.KeywordRule) {
	t.Helper()
	if res := n.srv.Do(t, "POST", "/api/v1/social/keyword-rules", n.admin, r); res.Status != http.StatusCreated {
		t.Fatalf("rule: %d %s", res.Status, res.Body)
	}
}

func TestIngestDedupAndAnalysis(t *testing.T) {
	const secret = "crawler-secret"
	n := start(t, secret, nil)
	n.rule(t, social.KeywordRule{ID: "ngap", Name: "Ngập lụt", Keywords: []string{"ngập", "ngập úng", "triều cường"},
		Exclude: []string{"ngập tràn niềm vui"}, Enabled: true})
	n.rule(t, social.KeywordRule{ID: "dien", Name: "Mất điện", Keywords: []string{"mất điện", "cúp điện"}, Include: []string{"EVN", "điện lực"}, Enabled: true})
	now := time.Now().UTC().Truncate(time.Second)
	items := []social.Incoming{
		{URL: "https://news.example.vn/ngap-hai-chau.html?utm_source=fb", Title: "Ngập sâu ở Thạch Thang", PublishedAt: now.Add(-time.Hour),
			Text: "Người dân phường Thạch Thang bức xúc vì đường ngập sâu sau mưa, không ai giải quyết suốt nhiều ngày liền", Author: "@reporter"},
		{URL: "https://news.example.vn/ngap-hai-chau.html", Text: "bản khác của cùng bài", PublishedAt: now.Add(-time.Hour)}, // same URL
		{URL: "https://mirror.example.com/copy", Title: "Ngập sâu ở Thạch Thang", PublishedAt: now.Add(-50 * time.Minute), // near duplicate
			Text: "Người dân phường Thạch Thang bức xúc vì đường ngập sâu sau mưa, không ai giải quyết suốt nhiều ngày liền!!"},
		{ID: "c1", Text: "cup dien ca buoi o Hoa Cuong Bac, dien luc dau roi", PublishedAt: now.Add(-30 * time.Minute)},
		{ID: "c2", Text: "Mất điện cả buổi nhưng không rõ vì sao", PublishedAt: now.Add(-20 * time.Minute)},        // no include term
		{ID: "c3", Text: "Lòng tôi ngập tràn niềm vui khi thấy phố sạch", PublishedAt: now.Add(-10 * time.Minute)}, // excluded
		{ID: "bad", Text: "", PublishedAt: now},
	}
	st, res, raw := n.ingest(t, secret, map[string]any{"source": "crawler1", "items": items})
	if st != http.StatusOK {
		t.Fatalf("ingest: %d %s", st, raw)
	}
	want := []string{"stored", "duplicate", "near_duplicate", "stored", "stored", "stored", "invalid"}
	for i, w := range want {
		if res.Results[i].Status != w {
			t.Errorf("item %d: %s, want %s (%s)", i, res.Results[i].Status, w, raw)
		}
	}
	if res.Results[1].Of != res.Results[0].ID || res.Results[2].Of != res.Results[0].ID || res.Results[6].Fields["text"] == "" {
		t.Errorf("dedupe targets or invalid fields wrong: %s", raw)
	}
	byKey := map[string]social.Item{}
	for _, it := range n.items(t, "") {
		byKey[it.ExternalID+it.URL] = it
	}
	if len(byKey) != 4 {
		t.Fatalf("%d items stored, want 4", len(byKey))
	}
	first := byKey["https://news.example.vn/ngap-hai-chau.html?utm_source=fb"]
	if first.Source != "ingest:crawler/crawler1" || first.Author != "@reporter" || first.Duplicates != 2 {
		t.Errorf("first item: source %q author %q duplicates %d", first.Source, first.Author, first.Duplicates)
	}
	if len(first.Keywords) != 1 || first.Keywords[0].Rule != "ngap" || first.Sentiment.Label != social.Negative {
		t.Errorf("first item analysis: %+v %+v", first.Keywords, first.Sentiment)
	}
	if len(first.Wards) != 1 || first.Wards[0] != "20194" || first.Places[0].Matched != "Thạch Thang" {
		t.Errorf("first item places (old name Thạch Thang is ward 20194): %+v", first.Places)
	}
	c1 := byKey["c1"]
	if len(c1.Keywords) != 1 || c1.Keywords[0].Rule != "dien" || len(c1.Wards) != 1 || c1.Wards[0] != "20227" {
		t.Errorf("unaccented item: keywords %+v wards %v", c1.Keywords, c1.Wards)
	}
	if len(byKey["c2"].Keywords) != 0 || len(byKey["c3"].Keywords) != 0 {
		t.Errorf("include/exclude ignored: %+v %+v", byKey["c2"].Keywords, byKey["c3"].Keywords)
	}
	if got := n.items(t, "keyword=ngap"); len(got) != 1 {
		t.Errorf("filter by keyword: %d items", len(got))
	}
	// Unsigned, badly signed and malformed requests are refused and store nothing.
	raw2, _ := json.Marshal(map[string]any{"items": items[:1]})
	for name, sig := range map[string]string{"none": "", "wrong": social.Sign("other", time.Now(), raw2), "old": social.Sign(secret, time.Now().Add(-time.Hour), raw2)} {
		req, _ := http.NewRequest("POST", n.srv.URL+"/api/v1/social/ingest", bytes.NewReader(raw2))
		req.Header.Set("X-API-Key", n.key)
		if sig != "" {
			req.Header.Set(social.SignatureHeader, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s signature: %d", name, resp.StatusCode)
		}
	}
	if st, _, raw := n.ingest(t, secret, map[string]any{"items": []any{}, "extra": 1}); st != http.StatusBadRequest {
		t.Errorf("unknown field: %d %s", st, raw)
	}
	// A user token is not an ingest key.
	if res := n.srv.Do(t, "POST", "/api/v1/social/ingest", n.admin, map[string]any{"items": items[:1]}); res.Status != http.StatusForbidden {
		t.Errorf("ingest with a user token: %d", res.Status)
	}
	topics := n.srv.Do(t, "GET", "/api/v1/social/topics", n.admin, nil)
	var ts []social.Topic
	topics.Decode(t, &ts)
	if len(ts) == 0 || len(ts[0].TopTerms) == 0 {
		t.Errorf("topics: %s", topics.Body)
	}
}

// A feed is polled with conditional GET: the second poll sends the validators and gets 304.
func TestFeedConditionalGet(t *testing.T) {
	var mu sync.Mutex
	var seen []http.Header
	rss := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo</title>
<item><title>Đường ngập ở Hòa Cường</title><link>https://bao.example.vn/a1</link><guid>a1</guid>
<description>&lt;p&gt;Nước ngập sâu trên đường Núi Thành&lt;/p&gt;</description><pubDate>Mon, 09 Mar 2026 08:00:00 +0700</pubDate></item>
<item><title>Khai trương cầu mới</title><link>https://bao.example.vn/a2</link><guid>a2</guid>
<description>Thành phố thông xe cầu mới</description><pubDate>Mon, 09 Mar 2026 09:00:00 +0700</pubDate></item>
</channel></rss>`
	atom := `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><title>Rác tồn đọng</title><id>urn:x:1</id><link rel="alternate" href="https://atom.example.vn/1"/><updated>2026-03-09T03:00:00Z</updated>
<summary>Rác tồn đọng nhiều ngày ở kiệt</summary><author><name>BTV</name></author></entry></feed>`
	feeds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		etag, lm := `"v1"`, "Mon, 09 Mar 2026 02:00:00 GMT"
		if r.Header.Get("If-None-Match") == etag || r.Header.Get("If-Modified-Since") == lm {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lm)
		if r.URL.Path == "/atom" {
			io.WriteString(w, atom)
			return
		}
		io.WriteString(w, rss)
	}))
	defer feeds.Close()
	n := start(t, "", nil)
	// Disabled sources are left to "poll now" only, so the scheduler does not race the test.
	for _, s := range []social.PolledSource{{ID: "bao", Name: "Báo", Kind: "feed", URL: feeds.URL + "/rss"},
		{ID: "atom", Name: "Atom", Kind: "feed", URL: feeds.URL + "/atom"}} {
		if res := n.srv.Do(t, "POST", "/api/v1/social/sources", n.admin, s); res.Status != http.StatusCreated {
			t.Fatalf("source: %d %s", res.Status, res.Body)
		}
	}
	poll := func(id string) social.PollReport {
		res := n.srv.Do(t, "POST", "/api/v1/social/sources/"+id+"/poll", n.admin, nil)
		var rep social.PollReport
		res.Decode(t, &rep)
		return rep
	}
	if rep := poll("bao"); rep.Status != "ok" || rep.Stored != 2 || rep.Conditional {
		t.Fatalf("first poll: %+v", rep)
	}
	if rep := poll("bao"); rep.Status != "not_modified" || !rep.Conditional || rep.HTTPStatus != 304 {
		t.Fatalf("second poll: %+v", rep)
	}
	if rep := poll("atom"); rep.Status != "ok" || rep.Stored != 1 {
		t.Fatalf("atom poll: %+v", rep)
	}
	// An enabled source is polled by the scheduler on its own.
	if res := n.srv.Do(t, "POST", "/api/v1/social/sources", n.admin, social.PolledSource{ID: "sched", Name: "S", Kind: "feed", URL: feeds.URL + "/sched", Enabled: true}); res.Status != http.StatusCreated {
		t.Fatal(res.Status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !polled(t, n, "sched") {
		if time.Now().After(deadline) {
			t.Fatal("the scheduler did not poll the enabled source")
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	if h := seen[1]; h.Get("If-None-Match") != `"v1"` || h.Get("If-Modified-Since") == "" || h.Get("User-Agent") == "" {
		t.Errorf("second request headers: %v", h)
	}
	mu.Unlock()
	got := n.items(t, "source=feed:bao")
	if len(got) != 2 {
		t.Fatalf("%d feed items", len(got))
	}
	for _, it := range got {
		if it.URL == "https://bao.example.vn/a1" && (it.Text != "Nước ngập sâu trên đường Núi Thành" || len(it.Wards) != 1 || it.Wards[0] != "20227") {
			t.Errorf("feed item: %q wards %v", it.Text, it.Wards)
		}
	}
}

// Facebook page posts and their comments come through the Graph API contract.
func TestFacebookPage(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Query().Get("access_token") != "page-token" || strings.HasPrefix(r.URL.Path, "/v25.0/otherpage") {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v25.0/danangpage/posts":
			if r.URL.Query().Get("after") == "" {
				fmt.Fprintf(w, `{"data":[{"id":"111_1","message":"Thông báo cắt nước phường Hải Châu ngày mai","created_time":"2026-03-09T01:00:00+0000",
"permalink_url":"https://www.facebook.com/danangpage/posts/1","from":{"id":"111","name":"Đà Nẵng"},"shares":{"count":4},
"reactions":{"data":[],"summary":{"total_count":25}},"comments":{"data":[],"summary":{"total_count":1}}}],
"paging":{"next":"http://%s/v25.0/danangpage/posts?after=X&access_token=page-token"}}`, r.Host)
				return
			}
			io.WriteString(w, `{"data":[{"id":"111_2","message":"Đường Lê Duẩn đã được sửa xong, cảm ơn","created_time":"2026-03-08T01:00:00+0000"}],"paging":{}}`)
		case "/v25.0/111_1/comments":
			io.WriteString(w, `{"data":[{"id":"111_1_9","message":"Lại cúp nước nữa à, khổ quá","created_time":"2026-03-09T02:00:00+0000","from":{"id":"9","name":"Lan"},"like_count":3}]}`)
		default:
			io.WriteString(w, `{"data":[]}`)
		}
	}))
	defer graph.Close()
	n := start(t, "", nil, func(c *config.Config) { c.IOC.Social.FacebookGraphURL = graph.URL + "/v25.0" })
	for _, s := range []social.PolledSource{{ID: "dn", Name: "Trang", Kind: "facebook", PageID: "danangpage"},
		{ID: "other", Name: "Khác", Kind: "facebook", PageID: "otherpage"}} {
		if res := n.srv.Do(t, "POST", "/api/v1/social/sources", n.admin, s); res.Status != http.StatusCreated {
			t.Fatalf("source: %d %s", res.Status, res.Body)
		}
	}
	res := n.srv.Do(t, "POST", "/api/v1/social/sources/dn/poll", n.admin, nil)
	var rep social.PollReport
	res.Decode(t, &rep)
	if rep.Status != "ok" || rep.Stored != 3 {
		t.Fatalf("poll: %s", res.Body)
	}
	got := n.items(t, "source=facebook:dn")
	var post, comment *social.Item
	for i := range got {
		switch got[i].ExternalID {
		case "111_1":
			post = &got[i]
		case "111_1_9":
			comment = &got[i]
		}
	}
	if post == nil || comment == nil || post.Reach == nil || *post.Reach.Likes != 25 || *post.Reach.Shares != 4 || comment.Parent != "111_1" || comment.Author != "Lan" {
		t.Fatalf("facebook items: %+v", got)
	}
	if comment.Kind != "facebook" || comment.Sentiment.Label != social.Negative {
		t.Errorf("comment: kind %s sentiment %+v", comment.Kind, comment.Sentiment)
	}
	res = n.srv.Do(t, "POST", "/api/v1/social/sources/other/poll", n.admin, nil)
	res.Decode(t, &rep)
	if rep.Status != "error" || !strings.Contains(rep.Error, "190") {
		t.Errorf("bad token: %+v", rep)
	}
}

type recordingTickets struct {
	mu  sync.Mutex
	got []social.ItemTicket
}

func (r *recordingTickets) CreateFromItem(_ context.Context, t social.ItemTicket, by *httpapi.Principal) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.Category == "bad" {
		return "", httpapi.Invalid(map[string]string{"category": "unknown category"})
	}
	r.got = append(r.got, t)
	return fmt.Sprintf("PA-%d-%s", len(r.got), by.Username), nil
}

func TestItemToTicket(t *testing.T) {
	rec := &recordingTickets{}
	n := start(t, "", func(m *social.Module) { m.Tickets = rec })
	_, res, _ := n.ingest(t, "", map[string]any{"items": []social.Incoming{{ID: "p1", PublishedAt: time.Now().Add(-time.Minute),
		Text: "Cống ở Khuê Trung bị tắc, nước tràn ra đường"}}})
	id := res.Results[0].ID
	agent := n.srv.Login(t, "agent1", "demo-agent1")
	if r := n.srv.Do(t, "POST", "/api/v1/social/items/"+id+"/ticket", agent, map[string]string{"category": "bad"}); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
		t.Fatalf("bad category: %d %s", r.Status, r.Body)
	}
	r := n.srv.Do(t, "POST", "/api/v1/social/items/"+id+"/ticket", agent, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("ticket: %d %s", r.Status, r.Body)
	}
	var tr social.TicketResponse
	r.Decode(t, &tr)
	if tr.Ticket != "PA-1-agent1" || tr.Item.Ticket != tr.Ticket || rec.got[0].Ward != "20263" || !strings.Contains(rec.got[0].Description, id) {
		t.Fatalf("ticket: %+v %+v", tr, rec.got)
	}
	if r := n.srv.Do(t, "POST", "/api/v1/social/items/"+id+"/ticket", agent, nil); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), tr.Ticket) {
		t.Errorf("second ticket: %d %s", r.Status, r.Body)
	}
	if got := n.items(t, "ticket="+tr.Ticket); len(got) != 1 || got[0].ID != id {
		t.Errorf("item by ticket: %+v", got)
	}
	leader := n.srv.Login(t, "leader", "demo-leader")
	if r := n.srv.Do(t, "POST", "/api/v1/social/items/"+id+"/ticket", leader, nil); r.Status != http.StatusForbidden {
		t.Errorf("leader makes a ticket: %d", r.Status)
	}
}

// polled reports whether the source id has been polled successfully.
func polled(t *testing.T, n *node, id string) bool {
	var ss []social.PolledSource
	n.srv.Do(t, "GET", "/api/v1/social/sources", n.admin, nil).Decode(t, &ss)
	for _, s := range ss {
		if s.ID == id {
			return s.LastStatus == "ok" && s.LastPollAt != nil && s.ETag == `"v1"`
		}
	}
	return false
}
