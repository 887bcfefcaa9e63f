package social

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// maxFetchBytes bounds a fetched feed or Graph API page.
const maxFetchBytes = 8 << 20

// Poller polls the due feeds and Facebook pages, one request at a time, never two
// requests to one host closer than ioc.social.host_spacing. A source is claimed by moving
// its next poll time forward in one atomic update, so two nodes never poll it twice.
type Poller struct {
	m      *Module
	client *http.Client

	mu       sync.Mutex
	lastHost map[string]time.Time
}

func newPoller(m *Module) *Poller {
	return &Poller{m: m, client: &http.Client{Timeout: 30 * time.Second}, lastHost: map[string]time.Time{}}
}

// PollReport is what one poll of a source did.
type PollReport struct {
	Source      string `json:"source"`
	Status      string `json:"status"` // ok, not_modified or error
	HTTPStatus  int    `json:"http_status,omitempty"`
	Fetched     int    `json:"fetched"`
	Stored      int    `json:"stored"`
	Duplicates  int    `json:"duplicates"`
	Invalid     int    `json:"invalid"`
	Error       string `json:"error,omitempty"`
	Conditional bool   `json:"conditional"` // the request carried If-None-Match or If-Modified-Since
}

// Run polls due sources every second, from the end of the start-up load until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-p.m.loaded:
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			p.pollDue(ctx)
		}
	}
}

func (p *Poller) pollDue(ctx context.Context) {
	now := p.m.now()
	cur, err := p.m.st.C(SourcesCollection).Find(ctx, bson.M{"enabled": true, "next_poll_at": bson.M{"$lte": now}})
	if err != nil {
		p.m.log.Warn("social sources", "err", err)
		return
	}
	var due []PolledSource
	if err := cur.All(ctx, &due); err != nil {
		p.m.log.Warn("social sources", "err", err)
		return
	}
	for _, s := range due {
		if ctx.Err() != nil || p.hostBusy(s, now) {
			continue
		}
		if !p.claim(ctx, s, now) {
			continue
		}
		rep := p.Poll(ctx, s)
		if rep.Status == "error" {
			p.m.log.Warn("social poll failed", "source", s.ID, "err", rep.Error)
		}
	}
}

func (p *Poller) interval(s PolledSource) time.Duration {
	if s.Interval > 0 {
		return time.Duration(s.Interval) * time.Second
	}
	return p.m.cfg.PollInterval
}

func (p *Poller) claim(ctx context.Context, s PolledSource, now time.Time) bool {
	res, err := p.m.st.C(SourcesCollection).UpdateOne(ctx, bson.M{"_id": s.ID, "next_poll_at": s.NextPollAt},
		bson.M{"$set": bson.M{"next_poll_at": now.Add(p.interval(s))}})
	return err == nil && res.ModifiedCount == 1
}

func hostOf(s PolledSource, graph string) string {
	raw := s.URL
	if s.Kind == KindFacebook {
		raw = graph
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host
}

// hostBusy reports whether the source's host was asked less than host_spacing ago.
func (p *Poller) hostBusy(s PolledSource, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	last, ok := p.lastHost[hostOf(s, p.m.cfg.FacebookGraphURL)]
	return ok && now.Sub(last) < p.m.cfg.HostSpacing
}

// wait blocks until host may be asked again, then records the request.
func (p *Poller) wait(ctx context.Context, host string) error {
	for {
		p.mu.Lock()
		now := time.Now()
		gap := p.m.cfg.HostSpacing - now.Sub(p.lastHost[host])
		if gap <= 0 {
			p.lastHost[host] = now
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(gap):
		}
	}
}

// Poll polls one source now and records the outcome on it.
func (p *Poller) Poll(ctx context.Context, s PolledSource) PollReport {
	var rep PollReport
	var set bson.M
	var err error
	switch s.Kind {
	case KindFeed:
		rep, set, err = p.pollFeed(ctx, s)
	case KindFacebook:
		rep, set, err = p.pollFacebook(ctx, s)
	default:
		err = fmt.Errorf("unknown source kind %q", s.Kind)
	}
	rep.Source = s.ID
	if set == nil {
		set = bson.M{}
	}
	now := p.m.now()
	set["last_poll_at"] = now
	if err != nil {
		rep.Status, rep.Error = "error", err.Error()
		set["last_status"], set["last_error"] = "error", err.Error()
	} else {
		set["last_status"], set["last_error"] = rep.Status, ""
	}
	if _, uerr := p.m.st.C(SourcesCollection).UpdateByID(context.WithoutCancel(ctx), s.ID, bson.M{"$set": set}); uerr != nil {
		p.m.log.Warn("record social poll", "source", s.ID, "err", uerr)
	}
	return rep
}

// PollNow polls the source id at once, outside its schedule.
func (m *Module) PollNow(ctx context.Context, id string) (*PollReport, error) {
	var s PolledSource
	if err := m.st.C(SourcesCollection).FindOne(ctx, bson.M{"_id": id}).Decode(&s); err != nil {
		return nil, notFoundOr(err, "no source %s", id)
	}
	rep := m.poller.Poll(ctx, s)
	return &rep, nil
}

func (p *Poller) get(ctx context.Context, rawURL string, header http.Header) (*http.Response, []byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	if err := p.wait(ctx, u.Host); err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", p.m.cfg.UserAgent)
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFetchBytes+1))
	if err != nil {
		return resp, nil, err
	}
	if len(body) > maxFetchBytes {
		return resp, nil, errors.New("response larger than 8 MiB")
	}
	return resp, body, nil
}

// pollFeed fetches a feed with If-None-Match / If-Modified-Since from the last answer.
func (p *Poller) pollFeed(ctx context.Context, s PolledSource) (PollReport, bson.M, error) {
	h := http.Header{}
	h.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5")
	if s.ETag != "" {
		h.Set("If-None-Match", s.ETag)
	}
	if s.LastModified != "" {
		h.Set("If-Modified-Since", s.LastModified)
	}
	rep := PollReport{Conditional: s.ETag != "" || s.LastModified != ""}
	resp, body, err := p.get(ctx, s.URL, h)
	if err != nil {
		return rep, nil, fmt.Errorf("fetch feed: %w", err)
	}
	rep.HTTPStatus = resp.StatusCode
	if resp.StatusCode == http.StatusNotModified {
		rep.Status = "not_modified"
		return rep, nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return rep, nil, fmt.Errorf("feed answered HTTP %d", resp.StatusCode)
	}
	items, err := ParseFeed(body, p.m.now())
	if err != nil {
		return rep, nil, err
	}
	if err := p.store(ctx, &rep, "feed:"+s.ID, KindFeed, items); err != nil {
		return rep, nil, err
	}
	rep.Status = "ok"
	// The validators are kept only once the items are stored, so a failed store is retried
	// with a full fetch.
	return rep, bson.M{"etag": resp.Header.Get("ETag"), "last_modified": resp.Header.Get("Last-Modified")}, nil
}

func (p *Poller) store(ctx context.Context, rep *PollReport, source, kind string, items []Incoming) error {
	rep.Fetched += len(items)
	res, err := p.m.Ingest(ctx, source, kind, items)
	if err != nil {
		return err
	}
	for _, r := range res {
		switch r.Status {
		case StatusStored:
			rep.Stored++
		case StatusInvalid:
			rep.Invalid++
		default:
			rep.Duplicates++
		}
	}
	return nil
}

func notFoundOr(err error, format string, args ...any) error {
	if store.IsNotFound(err) {
		return httpapi.NotFound(format, args...)
	}
	return err
}
