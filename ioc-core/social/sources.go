package social

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// PolledSource is a feed or a Facebook page the module polls: data, edited through the API.
type PolledSource struct {
	ID       string `bson:"_id" json:"id"`
	Name     string `bson:"name" json:"name"`
	Kind     string `bson:"kind" json:"kind"`                           // feed or facebook
	URL      string `bson:"url,omitempty" json:"url,omitempty"`         // feed
	PageID   string `bson:"page_id,omitempty" json:"page_id,omitempty"` // facebook
	Interval int    `bson:"interval_seconds" json:"interval_seconds"`   // 0: ioc.social.poll_interval
	Enabled  bool   `bson:"enabled" json:"enabled"`

	ETag         string     `bson:"etag,omitempty" json:"etag,omitempty"`
	LastModified string     `bson:"last_modified,omitempty" json:"last_modified,omitempty"`
	Since        *time.Time `bson:"since,omitempty" json:"since,omitempty"` // facebook: newest post seen
	NextPollAt   time.Time  `bson:"next_poll_at" json:"next_poll_at"`
	LastPollAt   *time.Time `bson:"last_poll_at,omitempty" json:"last_poll_at,omitempty"`
	LastStatus   string     `bson:"last_status,omitempty" json:"last_status,omitempty"`
	LastError    string     `bson:"last_error,omitempty" json:"last_error,omitempty"`
	UpdatedAt    time.Time  `bson:"updated_at" json:"updated_at"`
	Version      int64      `bson:"version" json:"version"`
}

func (s *PolledSource) validate() map[string]string {
	bad := map[string]string{}
	if !ruleIDPattern.MatchString(s.ID) {
		bad["id"] = "1 to 64 lower-case letters, digits, dots, dashes or underscores"
	}
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" || len(s.Name) > 200 {
		bad["name"] = "1 to 200 characters"
	}
	switch s.Kind {
	case KindFeed:
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad["url"] = "the feed's http(s) URL"
		}
	case KindFacebook:
		if s.PageID == "" || strings.ContainsAny(s.PageID, "/?#& ") {
			bad["page_id"] = "the page's id or username"
		}
	default:
		bad["kind"] = "feed or facebook"
	}
	if s.Interval != 0 && (s.Interval < 60 || s.Interval > 86400) {
		bad["interval_seconds"] = "from 60 to 86400, or 0 for the default"
	}
	return bad
}

// SaveSource creates or replaces a polled source; replacing needs the stored version.
func (m *Module) SaveSource(ctx context.Context, s PolledSource, create bool) (*PolledSource, error) {
	if bad := s.validate(); len(bad) > 0 {
		return nil, httpapi.Invalid(bad)
	}
	now := m.now()
	s.UpdatedAt = now
	if create {
		s.Version, s.NextPollAt = 1, now
		if _, err := m.st.C(SourcesCollection).InsertOne(ctx, s); err != nil {
			if store.IsDuplicate(err) {
				return nil, httpapi.Conflict("a source %s exists", s.ID)
			}
			return nil, fmt.Errorf("create source: %w", err)
		}
		return &s, nil
	}
	prev := s.Version
	var out PolledSource
	err := m.st.C(SourcesCollection).FindOneAndUpdate(ctx, bson.M{"_id": s.ID, "version": prev},
		bson.M{"$set": bson.M{"name": s.Name, "kind": s.Kind, "url": s.URL, "page_id": s.PageID, "interval_seconds": s.Interval,
			"enabled": s.Enabled, "updated_at": now, "next_poll_at": now}, "$inc": bson.M{"version": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&out)
	if store.IsNotFound(err) {
		return nil, httpapi.Conflict("source %s does not exist or changed meanwhile (version %d)", s.ID, prev)
	}
	if err != nil {
		return nil, fmt.Errorf("update source %s: %w", s.ID, err)
	}
	return &out, nil
}

// Sources lists the polled sources by id.
func (m *Module) Sources(ctx context.Context) ([]PolledSource, error) {
	cur, err := m.st.C(SourcesCollection).Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	out := []PolledSource{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return out, nil
}

// --- keyword rules ---

// KeywordRules lists the keyword rules by id.
func (m *Module) KeywordRules(ctx context.Context) ([]KeywordRule, error) {
	cur, err := m.st.C(RulesCollection).Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list keyword rules: %w", err)
	}
	out := []KeywordRule{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list keyword rules: %w", err)
	}
	return out, nil
}

func (m *Module) reloadRules(ctx context.Context) error {
	rules, err := m.KeywordRules(ctx)
	if err != nil {
		return err
	}
	m.analyzer.SetRules(CompileRules(rules))
	return nil
}

// SaveKeywordRule creates (version 0) or replaces (the stored version) a keyword rule and
// recompiles the rule set. Items analysed before keep their matches.
func (m *Module) SaveKeywordRule(ctx context.Context, r KeywordRule, create bool, by string) (*KeywordRule, error) {
	if bad := r.validate(); len(bad) > 0 {
		return nil, httpapi.Invalid(bad)
	}
	r.UpdatedAt, r.UpdatedBy = m.now(), by
	if create {
		r.Version = 1
		if _, err := m.st.C(RulesCollection).InsertOne(ctx, r); err != nil {
			if store.IsDuplicate(err) {
				return nil, httpapi.Conflict("a keyword rule %s exists", r.ID)
			}
			return nil, fmt.Errorf("create keyword rule: %w", err)
		}
	} else {
		prev := r.Version
		r.Version = prev + 1
		res, err := m.st.C(RulesCollection).ReplaceOne(ctx, bson.M{"_id": r.ID, "version": prev}, r)
		if err != nil {
			return nil, fmt.Errorf("update keyword rule %s: %w", r.ID, err)
		}
		if res.MatchedCount == 0 {
			return nil, httpapi.Conflict("keyword rule %s does not exist or changed meanwhile (version %d)", r.ID, prev)
		}
	}
	return &r, m.reloadRules(ctx)
}

// DeleteKeywordRule deletes a keyword rule.
func (m *Module) DeleteKeywordRule(ctx context.Context, id string) error {
	res, err := m.st.C(RulesCollection).DeleteOne(ctx, bson.M{"_id": id})
	if err != nil {
		return fmt.Errorf("delete keyword rule %s: %w", id, err)
	}
	if res.DeletedCount == 0 {
		return httpapi.NotFound("no keyword rule %s", id)
	}
	return m.reloadRules(ctx)
}
