package tickets

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/refdata"
)

// RouteProbe is the body of POST /api/v1/routing/test: what a ticket would say about itself.
// Ward is a unit code or name as on ticket creation; Address, like on creation, is searched
// for keywords together with Description.
type RouteProbe struct {
	Category    string `json:"category,omitempty"`
	Ward        string `json:"ward,omitempty"`
	Description string `json:"description,omitempty"`
	Address     string `json:"address,omitempty"`
}

// Kinds of routing outcome (RouteVerdict.Match).
const (
	MatchRule              = "rule"               // a routing rule matched
	MatchCategoryCommittee = "category_committee" // a local category went to the ward's committee
	MatchCategoryDefault   = "category_default"   // the category's default department
	MatchNone              = "none"               // nothing matched: the ticket stays in triage
)

// RouteVerdict is where a ticket would go, decided by the very function ticket creation uses.
// Rule is the id of the routing rule that matched, nil when none did (a category fallback or
// triage); Route is what the ticket would record as its rule.
type RouteVerdict struct {
	Rule           *string `json:"rule"`
	RuleName       string  `json:"rule_name,omitempty"`
	Keyword        string  `json:"keyword,omitempty"` // the rule's keyword found in the text
	Route          string  `json:"route,omitempty"`
	Match          string  `json:"match"`
	Status         Status  `json:"status"` // assigned, or new (stays in triage)
	Category       string  `json:"category,omitempty"`
	Ward           string  `json:"ward,omitempty"` // the resolved unit code
	WardName       string  `json:"ward_name,omitempty"`
	Department     string  `json:"department"`
	DepartmentName string  `json:"department_name"`
	Reason         string  `json:"reason"`
}

// TestRoute answers where a ticket with this category, ward and text would be routed, without
// writing anything. Unknown categories and wards are refused as on creation (422); without a
// category or a ward the ticket would stay in triage, as on creation.
func (m *Module) TestRoute(ctx context.Context, in RouteProbe) (*RouteVerdict, error) {
	ctx = withCategoryMemo(ctx)
	if strings.TrimSpace(in.Category+in.Ward+in.Description+in.Address) == "" {
		return nil, httpapi.Invalid(map[string]string{"category": "give a category and a ward (and the text) to test"})
	}
	var t Ticket
	f := map[string]string{}
	m.prepareRefs(ctx, in.Category, in.Ward, &t, f)
	if len(f) > 0 {
		return nil, httpapi.Invalid(f)
	}
	v := &RouteVerdict{Match: MatchNone, Status: StatusNew, Category: t.Category, Ward: t.Ward}
	if t.Ward != "" {
		if u, err := m.core.Ref.Unit(ctx, t.Ward); err == nil {
			v.WardName = u.Name
		}
	}
	if t.Category == "" || t.Ward == "" {
		v.Reason = "without both a category and a ward a ticket is not routed automatically: it stays in triage"
		return v, nil
	}
	rt, ok, err := m.routeTicket(ctx, t.Category, t.Ward, clean(in.Description)+" "+clean(in.Address))
	if err != nil {
		return nil, fmt.Errorf("test route: %w", err)
	}
	if !ok {
		v.Reason = fmt.Sprintf("no routing rule matches and category %s has no default department: the ticket stays in triage", t.Category)
		return v, nil
	}
	v.Status, v.Route, v.Department = StatusAssigned, rt.rule, rt.department
	if d, err := m.core.Ref.Department(ctx, rt.department); err == nil {
		v.DepartmentName = d.Name
	}
	return v, m.explain(ctx, v, refdata.Fold(clean(in.Description)+" "+clean(in.Address)))
}

// explain fills the verdict's match kind and reason from the route it records.
func (m *Module) explain(ctx context.Context, v *RouteVerdict, folded string) error {
	switch {
	case strings.HasPrefix(v.Route, "rule:"):
		id := strings.TrimPrefix(v.Route, "rule:")
		v.Rule, v.Match = &id, MatchRule
		rules, err := m.rules.get(ctx)
		if err != nil {
			return err
		}
		for _, r := range rules {
			if r.ID == id {
				v.RuleName, v.Keyword = r.Name, r.keywordIn(folded)
			}
		}
		v.Reason = fmt.Sprintf("routing rule %s (%s) is the first that matches", id, v.RuleName)
		if v.Keyword != "" {
			v.Reason += fmt.Sprintf(": keyword %q is in the text", v.Keyword)
		}
	case strings.HasSuffix(v.Route, ":committee"):
		v.Match = MatchCategoryCommittee
		v.Reason = fmt.Sprintf("no routing rule matches; category %s is a local matter: the ward's people's committee", v.Category)
	default:
		v.Match = MatchCategoryDefault
		v.Reason = fmt.Sprintf("no routing rule matches: the default department of category %s", v.Category)
	}
	return nil
}

// keywordIn returns the rule's first keyword found in foldedText, empty when it has none.
func (r *Rule) keywordIn(foldedText string) string {
	for _, k := range r.Keywords {
		if f := refdata.Fold(strings.TrimSpace(k)); f != "" && strings.Contains(foldedText, f) {
			return k
		}
	}
	return ""
}

func (m *Module) registerRouteTest(api *httpapi.API) {
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/routing/test", Tag: tag,
		Summary: "Which rule would route this? A dry run of ticket routing: nothing is written",
		Access:  httpapi.Users(httpapi.RoleAdmin, httpapi.RoleSupervisor), Body: RouteProbe{}, Response: RouteVerdict{},
		Handle: httpapi.ReplyBody(http.StatusOK, func(r *http.Request, in RouteProbe) (*RouteVerdict, error) {
			return m.TestRoute(r.Context(), in)
		})})
}
