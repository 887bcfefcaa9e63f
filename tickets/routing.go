package tickets

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/refdata"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Rule is a routing rule: the first active rule, by Order, whose category, ward and keywords
// all match a ticket names its department. Empty Category or Ward match any; Keywords match
// when one of them occurs in the description or address, without regard to case or
// diacritics. Department "@committee" means the people's committee of the ticket's ward.
type Rule struct {
	ID         string    `bson:"_id" json:"id"`
	Order      int       `bson:"order" json:"order"`
	Name       string    `bson:"name" json:"name"`
	Category   string    `bson:"category,omitempty" json:"category,omitempty"`
	Ward       string    `bson:"ward,omitempty" json:"ward,omitempty"`
	Keywords   []string  `bson:"keywords,omitempty" json:"keywords,omitempty"`
	Department string    `bson:"department" json:"department"`
	Active     bool      `bson:"active" json:"active"`
	Demo       bool      `bson:"demo,omitempty" json:"demo,omitempty"`
	UpdatedAt  time.Time `bson:"updated_at" json:"updated_at"`
	Version    int64     `bson:"version" json:"version"`
}

// CommitteeTarget is the department of a rule that sends tickets to their ward's committee.
const CommitteeTarget = "@committee"

// route is the outcome of routing: a department and the rule that chose it.
type route struct {
	department string
	rule       string
}

// routeTicket finds the department of a ticket: the first matching rule, else the
// category's committee (Local) or default department. ok is false when nothing matched.
func (m *Module) routeTicket(ctx context.Context, category, ward, text string) (route, bool, error) {
	rules, err := m.rules.get(ctx)
	if err != nil {
		return route{}, false, err
	}
	folded := refdata.Fold(text)
	for _, r := range rules {
		if !r.matches(category, ward, folded) {
			continue
		}
		dept := r.Department
		if dept == CommitteeTarget {
			c, err := m.core.Ref.CommitteeOf(ctx, ward)
			if errors.Is(err, refdata.ErrNotFound) {
				continue
			}
			if err != nil {
				return route{}, false, err
			}
			dept = c.Code
		}
		return route{dept, "rule:" + r.ID}, true, nil
	}
	cat, err := m.category(ctx, category)
	if err != nil {
		return route{}, false, fmt.Errorf("route: category %s: %w", category, err)
	}
	if cat.Local && ward != "" {
		c, err := m.core.Ref.CommitteeOf(ctx, ward)
		if err == nil {
			return route{c.Code, "category:" + category + ":committee"}, true, nil
		}
		if !errors.Is(err, refdata.ErrNotFound) {
			return route{}, false, err
		}
	}
	if cat.DefaultDepartment != "" {
		return route{cat.DefaultDepartment, "category:" + category + ":default"}, true, nil
	}
	return route{}, false, nil
}

func (r *Rule) matches(category, ward, foldedText string) bool {
	if !r.Active || (r.Category != "" && r.Category != category) || (r.Ward != "" && r.Ward != ward) {
		return false
	}
	return len(r.Keywords) == 0 || r.keywordIn(foldedText) != ""
}

// ruleCache holds the rules in order for a few seconds; this node's edits refresh it at once,
// other nodes' within ruleTTL.
type ruleCache struct {
	m     *Module
	mu    sync.Mutex
	rules []Rule
	at    time.Time
}

const ruleTTL = 5 * time.Second

func (c *ruleCache) get(ctx context.Context) ([]Rule, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rules != nil && time.Since(c.at) < ruleTTL {
		return c.rules, nil
	}
	rules, err := c.m.listRules(ctx)
	if err != nil {
		return nil, err
	}
	c.rules, c.at = rules, time.Now()
	return rules, nil
}

func (c *ruleCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rules = nil
}

func (m *Module) listRules(ctx context.Context) ([]Rule, error) {
	cur, err := m.core.Store.C(rulesCollection).Find(ctx, bson.M{},
		options.Find().SetSort(bson.D{{Key: "order", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list routing rules: %w", err)
	}
	rules := []Rule{}
	if err := cur.All(ctx, &rules); err != nil {
		return nil, fmt.Errorf("list routing rules: %w", err)
	}
	// The embedded store may ignore the sort on a filtered scan; the order is the contract.
	slices.SortStableFunc(rules, func(a, b Rule) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(a.ID, b.ID)
	})
	return rules, nil
}

// validateRule checks a rule against the reference data and normalises its ward.
func (m *Module) validateRule(ctx context.Context, r *Rule) error {
	f := map[string]string{}
	if strings.TrimSpace(r.Name) == "" {
		f["name"] = "required"
	}
	if r.Category != "" {
		if _, err := m.category(ctx, r.Category); err != nil {
			f["category"] = fmt.Sprintf("unknown category %q", r.Category)
		}
	}
	if r.Ward != "" {
		code, err := m.units.resolve(ctx, r.Ward)
		if err != nil {
			f["ward"] = err.Error()
		}
		r.Ward = code
	}
	switch {
	case r.Department == "":
		f["department"] = "required: a department code or @committee"
	case r.Department == CommitteeTarget:
	default:
		if d, err := m.core.Ref.Department(ctx, r.Department); err != nil || !d.Active {
			f["department"] = fmt.Sprintf("unknown or inactive department %q", r.Department)
		}
	}
	if len(f) > 0 {
		return httpapi.Invalid(f)
	}
	return nil
}

// unitCache resolves what people write for a ward: its code, its name, its name without
// "Phường"/"Xã", or an old name (alias), all without regard to case or diacritics.
type unitCache struct {
	m     *Module
	mu    sync.Mutex
	byKey map[string]string
	units []refdata.Unit
	at    time.Time
	ambig map[string][]string
}

const unitTTL = 30 * time.Second

func (c *unitCache) load(ctx context.Context) error {
	if c.byKey != nil && time.Since(c.at) < unitTTL {
		return nil
	}
	all, err := c.m.core.Ref.Units(ctx, "", "")
	if err != nil {
		return err
	}
	byKey, ambig := map[string]string{}, map[string][]string{}
	var units []refdata.Unit
	add := func(key, code string, weak bool) {
		key = strings.Join(strings.Fields(refdata.Fold(key)), " ")
		if key == "" {
			return
		}
		if prev, ok := byKey[key]; ok && prev != code {
			if weak {
				ambig[key] = append(ambig[key], code)
				return
			}
		}
		byKey[key] = code
	}
	for _, u := range all {
		if u.Level == refdata.LevelProvince || u.ValidTo != nil && u.ValidTo.Before(time.Now()) {
			continue
		}
		units = append(units, u)
	}
	// Strong keys (codes, names) first, so an old name never hides a current one.
	for _, u := range units {
		add(u.Code, u.Code, false)
		add(u.Name, u.Code, false)
		add(stripUnitPrefix(u.Name), u.Code, false)
	}
	for _, u := range units {
		for _, a := range u.Aliases {
			if _, taken := byKey[strings.Join(strings.Fields(refdata.Fold(a)), " ")]; !taken {
				add(a, u.Code, true)
			}
		}
	}
	c.byKey, c.units, c.ambig, c.at = byKey, units, ambig, time.Now()
	return nil
}

func stripUnitPrefix(name string) string {
	f := refdata.Fold(name)
	for _, p := range []string{"phuong ", "xa ", "dac khu ", "thi tran "} {
		if strings.HasPrefix(f, p) {
			return f[len(p):]
		}
	}
	return f
}

// resolve returns the unit code of what a person wrote for a ward or commune.
func (c *unitCache) resolve(ctx context.Context, s string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.load(ctx); err != nil {
		return "", err
	}
	key := strings.Join(strings.Fields(refdata.Fold(s)), " ")
	if code, ok := c.byKey[key]; ok {
		return code, nil
	}
	if code, ok := c.byKey[stripUnitPrefix(key)]; ok {
		return code, nil
	}
	return "", fmt.Errorf("unknown ward or commune %q: give its unit code or name (GET /api/v1/units)", s)
}

// nearest returns the ward or commune whose centroid is closest to loc, within maxKm.
func (c *unitCache) nearest(ctx context.Context, loc Location, maxKm float64) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.load(ctx); err != nil {
		return "", false
	}
	best, bestD := "", math.Inf(1)
	for _, u := range c.units {
		if u.Centroid == nil {
			continue
		}
		if d := distanceM(loc, Location{Lat: u.Centroid.Lat, Lng: u.Centroid.Lng}); d < bestD {
			best, bestD = u.Code, d
		}
	}
	return best, best != "" && bestD <= maxKm*1000
}

// distanceM is the great-circle distance between two points in metres.
func distanceM(a, b Location) float64 {
	const r = 6371000.0
	la1, la2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
	dla, dlo := la2-la1, (b.Lng-a.Lng)*math.Pi/180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

// demoRules are a few rules of the demo province showing what rules are for: keywords that
// pick a utility within a broad category, and a ward handled by its own committee.
var demoRules = []Rule{
	{ID: "demo-streetlight", Order: 10, Name: "Đèn chiếu sáng, đèn tín hiệu → Sở Xây dựng", Category: "roads_traffic",
		Keywords: []string{"đèn đường", "chiếu sáng", "đèn tín hiệu", "đèn giao thông"}, Department: "SXD"},
	{ID: "demo-power-outage", Order: 20, Name: "Mất điện, cột điện → Điện lực", Category: "other",
		Keywords: []string{"mất điện", "cúp điện", "cột điện", "dây điện"}, Department: "PCDN"},
	{ID: "demo-water-leak", Order: 30, Name: "Vỡ ống nước → Cấp nước", Category: "flooding_drainage",
		Keywords: []string{"vỡ ống", "bể ống", "ống nước"}, Department: "CAPNUOC"},
	{ID: "demo-hoian-environment", Order: 40, Name: "Môi trường phường Hội An → UBND phường", Category: "environment",
		Ward: "20455", Department: CommitteeTarget},
	{ID: "demo-noise", Order: 50, Name: "Tiếng ồn, karaoke → Công an", Category: "environment",
		Keywords: []string{"karaoke", "tiếng ồn ban đêm"}, Department: "CATP"},
}

func (m *Module) seedDemoRules(ctx context.Context) error {
	for _, r := range demoRules {
		r.Active, r.Demo, r.UpdatedAt, r.Version = true, true, m.now(), 1
		_, err := m.core.Store.C(rulesCollection).InsertOne(ctx, r)
		if err != nil && !isDuplicate(err) {
			return err
		}
	}
	m.rules.reset()
	return nil
}
