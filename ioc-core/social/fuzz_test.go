package social

import (
	"testing"
	"time"
)

func FuzzParseFeed(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><rss><channel><item><title>t</title><link>https://a/b</link><pubDate>Mon, 09 Mar 2026 08:00:00 +0700</pubDate></item></channel></rss>`))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title>x</title><summary>&lt;b&gt;y&lt;/b&gt;</summary></entry></feed>`))
	f.Add([]byte(`<?xml version="1.0" encoding="windows-1258"?><rss><channel><item><guid>1</guid><title>Ng\xe2p</title></item></channel></rss>`))
	f.Add([]byte(`not xml`))
	now := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := ParseFeed(body, now)
		if err != nil && items != nil {
			t.Fatal("items with an error")
		}
		for _, it := range items {
			if it.Text == "" || (it.ID == "" && it.URL == "") {
				t.Fatalf("an item without text or identity: %+v", it)
			}
		}
	})
}

func FuzzParseIngest(f *testing.F) {
	f.Add([]byte(`{"source":"c","items":[{"id":"1","text":"ngập","published_at":"2026-03-09T10:00:00+07:00"}]}`))
	f.Add([]byte(`{"items":[]}`))
	f.Add([]byte(`{"items":[{"url":"javascript:x","text":"a","reach":{"likes":-1}}]}`))
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseIngest(body)
		if err != nil {
			return
		}
		for i := range req.Items {
			if bad := req.Items[i].check(now); bad == nil && req.Items[i].Text == "" && req.Items[i].Title == "" {
				t.Fatal("an empty item passed")
			}
		}
	})
}

func FuzzGraphPage(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":"1_2","message":"x","created_time":"2026-03-09T01:00:00+0000"}],"paging":{"next":""}}`))
	f.Add([]byte(`{"error":{"message":"bad","type":"OAuthException","code":190}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		pg, err := ParseGraphPage(body)
		if err != nil {
			return
		}
		for _, o := range pg.Data {
			if in, ok := o.incoming(""); ok && (in.ID == "" || in.PublishedAt.IsZero()) {
				t.Fatalf("incoming without id or time: %+v", in)
			}
		}
	})
}

func FuzzMatcher(f *testing.F) {
	f.Add("ngập lụt", "Đường ngập lụt quá")
	f.Fuzz(func(t *testing.T, term, text string) {
		m := NewMatcher([]string{term})
		folded := FoldText(text)
		for _, h := range m.Find(folded) {
			if h != 0 {
				t.Fatal("unknown term index")
			}
		}
	})
}
