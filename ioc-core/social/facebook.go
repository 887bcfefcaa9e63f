package social

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// The Graph API contract used (docs/social.md): GET {graph}/{page-id}/posts and GET
// {graph}/{post-id}/comments with fields, limit, since and access_token; answers
// {"data":[...],"paging":{"next":URL}} or {"error":{"message","type","code"}}.
const (
	fbPostFields    = "id,message,created_time,permalink_url,from{id,name},shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
	fbCommentFields = "id,message,created_time,permalink_url,from{id,name},like_count"
	fbMaxPages      = 5
	fbPageSize      = 25
)

// graphPage is one page of a Graph API edge.
type graphPage struct {
	Data   []graphObject `json:"data"`
	Paging struct {
		Next string `json:"next"`
	} `json:"paging"`
	Error *graphError `json:"error"`
}

type graphError struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    int    `json:"code"`
}

type graphObject struct {
	ID           string `json:"id"`
	Message      string `json:"message"`
	CreatedTime  string `json:"created_time"`
	PermalinkURL string `json:"permalink_url"`
	From         *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"from"`
	Shares *struct {
		Count int64 `json:"count"`
	} `json:"shares"`
	Reactions *graphSummary `json:"reactions"`
	Comments  *graphSummary `json:"comments"`
	LikeCount *int64        `json:"like_count"`
}

type graphSummary struct {
	Summary struct {
		TotalCount int64 `json:"total_count"`
	} `json:"summary"`
}

// ParseGraphPage reads one page of a Graph API edge; an error object is returned as an error.
func ParseGraphPage(body []byte) (*graphPage, error) {
	var pg graphPage
	if err := json.Unmarshal(body, &pg); err != nil {
		return nil, fmt.Errorf("graph API answer: %w", err)
	}
	if pg.Error != nil {
		return nil, fmt.Errorf("graph API error %d (%s): %s", pg.Error.Code, pg.Error.Type, pg.Error.Message)
	}
	return &pg, nil
}

// graphTime reads the Graph API's time format (2026-03-09T10:00:00+0000).
func graphTime(s string) (time.Time, bool) {
	for _, l := range []string{"2006-01-02T15:04:05-0700", time.RFC3339} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// incoming turns a post or comment into an incoming item; parent is the post of a comment.
func (o graphObject) incoming(parent string) (Incoming, bool) {
	at, ok := graphTime(o.CreatedTime)
	if !ok || o.ID == "" || strings.TrimSpace(o.Message) == "" {
		return Incoming{}, false
	}
	in := Incoming{ID: o.ID, URL: o.PermalinkURL, Parent: parent, Text: o.Message, PublishedAt: at, Reach: &Reach{}}
	if o.From != nil {
		in.Author = firstOf(o.From.Name, o.From.ID)
	}
	if o.Shares != nil {
		in.Reach.Shares = &o.Shares.Count
	}
	if o.Reactions != nil {
		in.Reach.Likes = &o.Reactions.Summary.TotalCount
	}
	if o.Comments != nil {
		in.Reach.Comments = &o.Comments.Summary.TotalCount
	}
	if o.LikeCount != nil {
		in.Reach.Likes = o.LikeCount
	}
	return in, true
}

// graphURL returns {graph}/{id}/{edge}?fields&limit&since&access_token.
func (p *Poller) graphURL(id, edge, fields string, since *time.Time) string {
	q := url.Values{"fields": {fields}, "limit": {fmt.Sprint(fbPageSize)}, "access_token": {p.m.cfg.FacebookToken}}
	if since != nil {
		q.Set("since", fmt.Sprint(since.Unix()))
	}
	return strings.TrimSuffix(p.m.cfg.FacebookGraphURL, "/") + "/" + url.PathEscape(id) + "/" + edge + "?" + q.Encode()
}

// edge reads up to fbMaxPages pages of an edge.
func (p *Poller) edge(ctx context.Context, first string) ([]graphObject, error) {
	var out []graphObject
	next := first
	for page := 0; page < fbMaxPages && next != ""; page++ {
		resp, body, err := p.get(ctx, next, nil)
		if err != nil {
			return out, fmt.Errorf("graph API: %w", err)
		}
		pg, err := ParseGraphPage(body)
		if err != nil {
			return out, err
		}
		if resp.StatusCode != http.StatusOK {
			return out, fmt.Errorf("graph API answered HTTP %d", resp.StatusCode)
		}
		out = append(out, pg.Data...)
		next = pg.Paging.Next
	}
	return out, nil
}

// pollFacebook reads the page's posts since the newest seen (less an hour, to catch late
// edits of figures) and the comments of each.
func (p *Poller) pollFacebook(ctx context.Context, s PolledSource) (PollReport, bson.M, error) {
	var rep PollReport
	if p.m.cfg.FacebookToken == "" {
		return rep, nil, fmt.Errorf("ioc.social.facebook_token is not set")
	}
	var since *time.Time
	if s.Since != nil {
		t := s.Since.Add(-time.Hour)
		since = &t
	}
	posts, err := p.edge(ctx, p.graphURL(s.PageID, "posts", fbPostFields, since))
	if err != nil {
		return rep, nil, err
	}
	source := "facebook:" + s.ID
	newest := s.Since
	var items []Incoming
	for _, post := range posts {
		in, ok := post.incoming("")
		if ok {
			items = append(items, in)
			if newest == nil || in.PublishedAt.After(*newest) {
				t := in.PublishedAt
				newest = &t
			}
		}
		comments, err := p.edge(ctx, p.graphURL(post.ID, "comments", fbCommentFields, since))
		if err != nil {
			return rep, nil, err
		}
		for _, c := range comments {
			if in, ok := c.incoming(post.ID); ok {
				items = append(items, in)
			}
		}
	}
	if err := p.store(ctx, &rep, source, KindFacebook, items); err != nil {
		return rep, nil, err
	}
	rep.Status = "ok"
	set := bson.M{}
	if newest != nil {
		set["since"] = *newest
	}
	return rep, set, nil
}
