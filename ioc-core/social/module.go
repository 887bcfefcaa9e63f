// Package social is social listening on the IOC core: items from news feeds (RSS/Atom,
// polled with conditional GET), Facebook pages (Graph API) and an external crawler (a
// signed ingest endpoint) are normalised (NFC), deduplicated by URL and by a SimHash
// fingerprint, analysed (keyword rules, sentiment, category, places, terms), clustered
// into topics, and measured for the shared alert engine (spikes per keyword, topic,
// category or ward; the share of negative items). An operator turns an item into a
// ticket in one call. See docs/social.md.
package social

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collections of social listening.
const (
	ItemsCollection   = "social_items"
	TopicsCollection  = "social_topics"
	RulesCollection   = "social_keyword_rules"
	SourcesCollection = "social_sources"
)

// ItemTicket is what an operator's ticket from an item is made of: category and ward are
// pre-filled from the analysis unless the operator gave others.
type ItemTicket struct {
	ItemID      string
	Category    string
	Ward        string
	Description string
	Channel     string // facebook for Facebook items, web otherwise
	URL         string
}

// TicketCreator opens a ticket for an item on behalf of the caller and returns its code;
// the binary wires the ticket engine, which ioc-core may not import. Errors that are
// *httpapi.Error pass to the caller as they are.
type TicketCreator interface {
	CreateFromItem(ctx context.Context, t ItemTicket, by *httpapi.Principal) (code string, err error)
}

// Module is social listening.
type Module struct {
	// Categorizer and Tickets are set by the binary before Init; without them items get
	// no category and the ticket operation answers 501.
	Categorizer Categorizer
	Tickets     TicketCreator
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	cfg      config.Social
	st       *store.Store
	log      *slog.Logger
	core     *app.Core
	analyzer *Analyzer
	topics   *clusterer
	poller   *Poller
	ingested atomic.Int64
	dedup    *dedupIndex // on FerretDB only: the URL and band lookups in memory
}

// New returns the social listening module.
func New() *Module { return &Module{} }

// Name implements app.Module.
func (m *Module) Name() string { return "social" }

func (m *Module) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// Analyzer returns the module's analyzer (after Init).
func (m *Module) Analyzer() *Analyzer { return m.analyzer }

// Init loads the sentiment model, the keyword rules, the gazetteer and the recent topics,
// registers the API, the alert source and the poller.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	m.cfg, m.st, m.log, m.core = c.Config.IOC.Social, c.Store, c.Log.With("module", "social"), c
	sent, err := DefaultSentiment()
	if err != nil {
		return fmt.Errorf("sentiment model: %w", err)
	}
	m.analyzer = NewAnalyzer(sent)
	m.analyzer.Category = m.Categorizer
	m.topics = newClusterer(m.cfg.TopicSimilarity, 48*time.Hour)
	if err := m.ensureIndexes(ctx); err != nil {
		return err
	}
	if err := m.reloadRules(ctx); err != nil {
		return err
	}
	if err := m.ReloadGazetteer(ctx); err != nil {
		return err
	}
	if err := m.restoreTopics(ctx); err != nil {
		return err
	}
	if c.Store.FerretDB {
		m.dedup = newDedupIndex(30 * 24 * time.Hour)
		if err := m.dedup.load(ctx, m); err != nil {
			return err
		}
	}
	m.register(c.API)
	m.poller = newPoller(m)
	c.Go("social-poller", m.poller)
	if v, ok := c.Services.Load(alerts.ServiceName); ok {
		eng := v.(*alerts.Engine)
		eng.Register("social", &Source{m})
		if c.Config.IOC.Alerts.SeedDefaults {
			if err := seedRules(ctx, eng); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Module) ensureIndexes(ctx context.Context) error {
	if err := m.st.EnsureIndexes(ctx, ItemsCollection, store.UniqueIndex("url_key"), store.Index("at"), store.Index("bands"),
		store.Index("topic"), store.Index("ticket")); err != nil {
		return err
	}
	return m.st.EnsureIndexes(ctx, TopicsCollection, store.Index("last_at"))
}

// ReloadGazetteer rebuilds the gazetteer from the reference data (after units change).
func (m *Module) ReloadGazetteer(ctx context.Context) error {
	g, err := NewGazetteer(ctx, m.core.Ref)
	if err != nil {
		return err
	}
	m.analyzer.SetGazetteer(g)
	return nil
}

func (m *Module) restoreTopics(ctx context.Context) error {
	cur, err := m.st.C(TopicsCollection).Find(ctx, bson.M{"last_at": bson.M{"$gte": m.now().Add(-48 * time.Hour)}})
	if err != nil {
		return fmt.Errorf("load recent topics: %w", err)
	}
	var ts []Topic
	if err := cur.All(ctx, &ts); err != nil {
		return fmt.Errorf("load recent topics: %w", err)
	}
	for _, t := range ts {
		m.topics.restore(t.ID, t.TermCount, t.LastAt)
	}
	return nil
}

// seedRules creates the default social alert rules that do not exist yet.
func seedRules(ctx context.Context, eng *alerts.Engine) error {
	ctxDims := []string{"term", "source", "sentiment", "ward"}
	spike := func(id, name, group string) alerts.Rule {
		return alerts.Rule{ID: id, Name: name, Kind: alerts.KindSpike, Indicator: "social.items", GroupBy: group,
			Window: alerts.Duration(time.Hour), For: alerts.Duration(15 * time.Minute), Cooldown: alerts.Duration(2 * time.Hour),
			MinCount: 5, Severity: "warning", Context: ctxDims, Enabled: true}
	}
	rules := []alerts.Rule{
		spike("social-keyword-spike", "Social: spike of a keyword", "keyword"),
		spike("social-topic-spike", "Social: spike of a topic", "topic"),
		spike("social-category-spike", "Social: spike of a category", "category"),
		spike("social-ward-spike", "Social: spike about a ward", "ward"),
		{ID: "social-negative-share", Name: "Social: mostly negative about a keyword", Kind: alerts.KindThreshold,
			Indicator: "social.negative_share", GroupBy: "keyword", Op: ">=", Value: 0.6, Window: alerts.Duration(time.Hour),
			For: alerts.Duration(30 * time.Minute), Cooldown: alerts.Duration(2 * time.Hour), Severity: "warning", Context: ctxDims, Enabled: true},
	}
	for _, r := range rules {
		if _, err := eng.Rule(ctx, r.ID); err == nil {
			continue
		}
		if _, err := eng.CreateRule(ctx, r, "system"); err != nil {
			if he, ok := err.(*httpapi.Error); ok && he.Status == 409 {
				continue
			}
			return fmt.Errorf("seed social alert rule %s: %w", r.ID, err)
		}
	}
	return nil
}

// Item returns one item.
func (m *Module) Item(ctx context.Context, id string) (*Item, error) {
	var it Item
	err := m.st.C(ItemsCollection).FindOne(ctx, bson.M{"_id": id}).Decode(&it)
	if store.IsNotFound(err) {
		return nil, httpapi.NotFound("no social item %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load item %s: %w", id, err)
	}
	return &it, nil
}

// ItemByTicket returns the item a ticket was made from.
func (m *Module) ItemByTicket(ctx context.Context, code string) (*Item, error) {
	var it Item
	err := m.st.C(ItemsCollection).FindOne(ctx, bson.M{"ticket": code}, options.FindOne()).Decode(&it)
	if store.IsNotFound(err) {
		return nil, httpapi.NotFound("no social item became ticket %s", code)
	}
	return &it, err
}
