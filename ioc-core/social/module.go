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
	"slices"
	"strings"
	"sync"
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
	// dedup and facts are set by the start-up load, before it closes loaded (isLoaded).
	dedup  *dedupIndex   // on FerretDB only: the URL and band lookups in memory
	facts  *factIndex    // on FerretDB only: the alert measures of recent items in memory
	loaded chan struct{} // closed when the start-up load is done (load)
	// loadHook, when set (by tests), runs at the start of every run of load.
	loadHook func()

	// writeMu orders the ingest batches of this node: deduplication, insert and topic
	// projection of one batch happen before the next batch's.
	writeMu sync.Mutex
	proj    *projector // counts stored items in their topics
	batches batchSeq   // ids of ingest batches
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

// Init loads the sentiment model, the keyword rules and the gazetteer, registers the API,
// the alert source, the poller and the start-up load of the indexes and recent topics (load).
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
	m.proj = newProjector(m)
	m.loaded = make(chan struct{})
	c.Load(IndexLoad, m.load)
	c.Go("social-topics", m.proj)
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

// IndexLoad names the module's start-up load in GET /readyz.
const IndexLoad = "social.index"

// load is the module's start-up load (app.Core.Load): the in-process indexes, the count of
// items stored but not counted in their topics before the last stop, and the recent topics.
// Until it is done, Ingest answers httpapi.Loading and the poller waits; the alert measures
// query the store. It may run again after an error.
func (m *Module) load(ctx context.Context) error {
	if m.loadHook != nil {
		m.loadHook()
	}
	dedup, facts, err := m.loadIndexAndRecover(ctx)
	if err != nil {
		return err
	}
	if err := m.restoreTopics(ctx); err != nil {
		return err
	}
	m.dedup, m.facts = dedup, facts
	close(m.loaded) // publishes dedup and facts to whoever sees it closed
	return nil
}

// isLoaded reports whether the start-up load is done; m.dedup and m.facts may be read
// only after it said yes.
func (m *Module) isLoaded() bool {
	select {
	case <-m.loaded:
		return true
	default:
		return false
	}
}

// errLoading answers an ingest while the start-up load runs.
var errLoading = httpapi.Loading("the social items index")

// loadIndexAndRecover loads the in-process deduplication and fact indexes (embedded store;
// nil on MongoDB) and counts in their topics the items stored but not counted before the
// last stop.
func (m *Module) loadIndexAndRecover(ctx context.Context) (*dedupIndex, *factIndex, error) {
	if !m.st.FerretDB {
		return nil, nil, m.recoverTopicsFromStore(ctx)
	}
	r, err := m.loadTopicMarks(ctx)
	if err != nil {
		return nil, nil, err
	}
	dedup := newDedupIndex(30 * 24 * time.Hour)
	facts := newFactIndex(m.now(), factsKept)
	visit := func(it *Item) {
		r.visit(it)
		facts.add(it)
	}
	if err := dedup.load(ctx, m, visit); err != nil {
		return nil, nil, err
	}
	return dedup, facts, m.recoverTopics(ctx, r)
}

// queryIndexes are the item indexes that serve queries. FerretDB 1.24 reads the whole
// collection for any filter but a bare _id, so on the embedded store they would only
// cost every insert (SQLite evaluates each index expression on the document's JSON); it
// keeps only the unique url_key index, which guards deduplication, and drops the others.
var queryIndexes = []string{"at", "bands", "topic", "ticket", "batch"}

func (m *Module) ensureIndexes(ctx context.Context) error {
	if err := m.st.EnsureIndexes(ctx, ItemsCollection, store.UniqueIndex("url_key")); err != nil {
		return err
	}
	if m.st.FerretDB {
		return m.dropQueryIndexes(ctx)
	}
	for _, f := range queryIndexes {
		if err := m.st.EnsureIndexes(ctx, ItemsCollection, store.Index(f)); err != nil {
			return err
		}
	}
	return m.st.EnsureIndexes(ctx, TopicsCollection, store.Index("last_at"))
}

// dropQueryIndexes drops the query indexes an earlier version made on the embedded store.
func (m *Module) dropQueryIndexes(ctx context.Context) error {
	specs, err := m.st.C(ItemsCollection).Indexes().ListSpecifications(ctx)
	if err != nil {
		return fmt.Errorf("list item indexes: %w", err)
	}
	for _, s := range specs {
		if slices.Contains(queryIndexes, strings.TrimSuffix(s.Name, "_1")) {
			if err := m.st.C(ItemsCollection).Indexes().DropOne(ctx, s.Name); err != nil {
				return fmt.Errorf("drop item index %s: %w", s.Name, err)
			}
		}
	}
	return nil
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
