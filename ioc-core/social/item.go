package social

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Source kinds.
const (
	KindFeed     = "feed"     // RSS or Atom, polled
	KindFacebook = "facebook" // a page's posts and comments through the Graph API, polled
	KindIngest   = "ingest"   // pushed by an external crawler
)

// Reach holds the audience figures a source gives; nil fields were not given.
type Reach struct {
	Likes    *int64 `bson:"likes,omitempty" json:"likes,omitempty"`
	Shares   *int64 `bson:"shares,omitempty" json:"shares,omitempty"`
	Comments *int64 `bson:"comments,omitempty" json:"comments,omitempty"`
	Views    *int64 `bson:"views,omitempty" json:"views,omitempty"`
}

// Place is an administrative unit an item names.
type Place struct {
	Unit    string `bson:"unit" json:"unit"`
	Name    string `bson:"name" json:"name"`
	Matched string `bson:"matched" json:"matched"` // the name as found, possibly an old one
}

// Item is one post, article or comment as stored, with its analysis.
type Item struct {
	ID          string    `bson:"_id" json:"id"`
	Source      string    `bson:"source" json:"source"` // the source's id
	Kind        string    `bson:"kind" json:"kind"`
	ExternalID  string    `bson:"external_id,omitempty" json:"external_id,omitempty"`
	URL         string    `bson:"url,omitempty" json:"url,omitempty"`
	URLKey      string    `bson:"url_key" json:"-"`                         // canonical URL (or source + external id): the dedupe key
	Parent      string    `bson:"parent,omitempty" json:"parent,omitempty"` // the post a comment answers
	Title       string    `bson:"title,omitempty" json:"title,omitempty"`
	Text        string    `bson:"text" json:"text"`
	Author      string    `bson:"author,omitempty" json:"author,omitempty"` // handle
	PublishedAt time.Time `bson:"at" json:"published_at"`
	SeenAt      time.Time `bson:"seen_at" json:"seen_at"`
	Reach       *Reach    `bson:"reach,omitempty" json:"reach,omitempty"`

	SimHash    int64       `bson:"simhash" json:"-"`
	Bands      []string    `bson:"bands" json:"-"` // the SimHash's four 16-bit bands, for near-duplicate lookup
	Duplicates int         `bson:"duplicates,omitempty" json:"duplicates,omitempty"`
	Keywords   []RuleMatch `bson:"keywords,omitempty" json:"keywords,omitempty"`
	Rules      []string    `bson:"rules,omitempty" json:"-"` // ids of Keywords, for grouping
	Terms      []string    `bson:"terms,omitempty" json:"terms,omitempty"`
	Sentiment  Sentiment   `bson:"sentiment" json:"sentiment"`
	Category   string      `bson:"category,omitempty" json:"category,omitempty"`
	CatScore   float64     `bson:"category_score,omitempty" json:"category_score,omitempty"`
	Places     []Place     `bson:"places,omitempty" json:"places,omitempty"`
	Wards      []string    `bson:"wards,omitempty" json:"wards,omitempty"`
	Topic      string      `bson:"topic,omitempty" json:"topic,omitempty"`
	Ticket     string      `bson:"ticket,omitempty" json:"ticket,omitempty"`
	TicketBy   string      `bson:"ticket_by,omitempty" json:"ticket_by,omitempty"`
	Claim      *time.Time  `bson:"ticket_claim,omitempty" json:"-"`
	Version    int64       `bson:"version" json:"version"`
	Batch      string      `bson:"batch,omitempty" json:"-"` // the ingest batch that stored it (see projection.go)

	analysed bool // Analyze ran on it
	words    int  // its number of words, set by Analyze
}

// Incoming is an item as a source delivers it, before normalisation and analysis; it is
// also the JSON an external crawler posts to the ingest endpoint.
type Incoming struct {
	ID          string    `json:"id,omitempty"`  // the item's id at its origin
	URL         string    `json:"url,omitempty"` // its public address; id or url is required
	Parent      string    `json:"parent,omitempty"`
	Title       string    `json:"title,omitempty"`
	Text        string    `json:"text"`
	Author      string    `json:"author,omitempty"`
	PublishedAt time.Time `json:"published_at"`
	Reach       *Reach    `json:"reach,omitempty"`
}

// Limits of an incoming item.
const (
	maxTextRunes  = 20000
	maxTitleRunes = 1000
	maxShortField = 2000
)

// check normalises in and returns its invalid fields (nil when valid).
func (in *Incoming) check(now time.Time) map[string]string {
	bad := map[string]string{}
	in.Text, in.Title = NormalizeText(in.Text), NormalizeText(in.Title)
	in.Author, in.ID, in.Parent = NormalizeText(in.Author), strings.TrimSpace(in.ID), strings.TrimSpace(in.Parent)
	in.URL = strings.TrimSpace(in.URL)
	if in.Text == "" && in.Title == "" {
		bad["text"] = "required: the item's text (or a title)"
	}
	if utf8.RuneCountInString(in.Text) > maxTextRunes {
		bad["text"] = "at most 20000 characters"
	}
	if utf8.RuneCountInString(in.Title) > maxTitleRunes {
		bad["title"] = "at most 1000 characters"
	}
	if len(in.ID) > maxShortField || len(in.Author) > maxShortField || len(in.Parent) > maxShortField {
		bad["id"] = "id, author and parent are at most 2000 bytes"
	}
	if in.URL != "" {
		if u, err := url.Parse(in.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.URL) > maxShortField {
			bad["url"] = "an http(s) URL of at most 2000 bytes"
		}
	}
	if in.URL == "" && in.ID == "" {
		bad["id"] = "an id or a url is required, to recognise the item again"
	}
	if in.PublishedAt.IsZero() || in.PublishedAt.After(now.Add(24*time.Hour)) || in.PublishedAt.Year() < 2000 {
		bad["published_at"] = "required, RFC 3339, not in the future"
	}
	if in.PublishedAt.After(now) {
		in.PublishedAt = now // clocks of sources drift; an item is never counted ahead of time
	}
	if in.Reach != nil {
		for _, p := range []*int64{in.Reach.Likes, in.Reach.Shares, in.Reach.Comments, in.Reach.Views} {
			if p != nil && *p < 0 {
				bad["reach"] = "figures must not be negative"
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return bad
}

// trackingParams are query parameters that do not change what a URL points to.
var trackingParams = []string{"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "fbclid", "gclid", "zarsrc"}

// CanonicalURL returns the dedupe form of an http(s) URL: lower-case scheme and host, no
// fragment, no tracking parameters, other parameters sorted, no trailing slash.
func CanonicalURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Scheme, u.Host, u.Fragment, u.RawFragment = strings.ToLower(u.Scheme), strings.ToLower(u.Host), "", ""
	u.Host = strings.TrimPrefix(u.Host, "www.")
	q := u.Query()
	for _, p := range trackingParams {
		q.Del(p)
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range q[k] {
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
	}
	u.RawQuery = strings.Join(parts, "&")
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.Scheme = "https" // http and https of one page are one item
	return u.String()
}

// bandsOf returns the four 16-bit bands of a SimHash, each tagged with its position: two
// hashes within 3 bits of each other share at least one band.
func bandsOf(h uint64) []string {
	out := make([]string, 4)
	for i := range 4 {
		out[i] = fmt.Sprintf("%d:%04x", i, h>>(16*i)&0xffff)
	}
	return out
}
