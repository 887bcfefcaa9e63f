package tickets

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/tickets/sla"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const tag = "tickets"

// register adds the ticket engine's routes.
func (m *Module) register() {
	api := m.core.API
	staff := httpapi.Users(staffRoles...)
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/tickets", Tag: tag,
		Summary: "Record a report as a ticket: routed, with deadlines, and with possible duplicates",
		Access:  httpapi.Access{Roles: []httpapi.Role{httpapi.RoleAgent, httpapi.RoleSupervisor}, Scope: auth.ScopeIngest},
		Body:    NewTicket{}, Response: Created{}, Status: http.StatusCreated, Handle: m.handleCreate})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/tickets", Tag: tag, Summary: "List tickets, newest first",
		Access: staff, Params: listParams, Response: httpapi.List[Ticket]{}, Handle: m.handleList})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/tickets/{code}", Tag: tag, Summary: "One ticket with its history",
		Access: staff, Response: Ticket{}, Handle: m.handleGet})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/tickets/{code}/actions/{action}", Tag: tag,
		Summary: "Act on a ticket (" + strings.Join(ActionNames(), ", ") + "); version must be the ticket's",
		Access:  staff, Body: ActionRequest{}, Response: Ticket{}, Handle: m.handleAct})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/tickets/by-phone/{phone}", Tag: tag,
		Summary: "The latest tickets reported from a phone number (the agent's screen pop)",
		Access:  httpapi.Users(httpapi.RoleAgent, httpapi.RoleSupervisor), Params: []httpapi.Param{{Name: "limit", In: "query", Description: "1 to 100 (default 10)"}},
		Response: httpapi.List[Ticket]{}, Handle: m.handleByPhone})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/public/tickets/{code}", Tag: tag,
		Summary: "A citizen's lookup of their ticket: status, department and public answer",
		Access:  httpapi.Public, Params: []httpapi.Param{{Name: "phone", In: "query", Required: true, Description: "the last 4 digits of the reporter's phone"}},
		Response: PublicView{}, Handle: m.handlePublic})
	m.registerCalendar(api)
	m.registerRules(api)
	m.registerRouteTest(api)
	m.registerAttachments(api)
}

func (m *Module) handleCreate(w http.ResponseWriter, r *http.Request) error {
	var in NewTicket
	if err := httpapi.Decode(r, &in); err != nil {
		return err
	}
	p := httpapi.PrincipalFrom(r.Context())
	if p != nil && p.APIKey != "" {
		p = nil // a machine client relays a citizen's report
	}
	t, err := m.Create(r.Context(), in, p)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, Created{Ticket: t, Duplicates: t.Duplicates})
	return nil
}

// Created is the answer to a create: the ticket and its duplicate suggestions, an empty list when
// there are none.
type Created struct {
	*Ticket
	Duplicates []Duplicate `json:"duplicates"`
}

func (m *Module) handleList(w http.ResponseWriter, r *http.Request) error {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	f, err := m.parseFilter(r.Context(), r.URL.Query())
	if err != nil {
		return err
	}
	list, err := m.List(r.Context(), f, page, httpapi.PrincipalFrom(r.Context()))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, list)
	return nil
}

// pathCode reads the {code} of a path; a code that cannot be one is a 404.
func pathCode(r *http.Request) (Code, error) {
	c, err := ParseCode(r.PathValue("code"))
	if err != nil {
		return "", httpapi.NotFound("no ticket %q: %v", r.PathValue("code"), err)
	}
	return c, nil
}

func (m *Module) handleGet(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	t, err := m.Get(r.Context(), code)
	if err != nil {
		return err
	}
	if err := m.canSee(httpapi.PrincipalFrom(r.Context()), t); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, t)
	return nil
}

func (m *Module) handleAct(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	var req ActionRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	t, err := m.Act(r.Context(), code, r.PathValue("action"), req, httpapi.PrincipalFrom(r.Context()))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, t)
	return nil
}

func (m *Module) handleByPhone(w http.ResponseWriter, r *http.Request) error {
	limit := 10
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return httpapi.BadRequest("limit must be a whole number from 1 to 100")
		}
		limit = n
	}
	ts, err := m.RecentByPhone(r.Context(), r.PathValue("phone"), limit)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.List[Ticket]{Items: ts})
	return nil
}

// Rate records the citizen's 1–5 rating that came back through a channel. It retries once
// when the ticket changed between its read and its write.
func (m *Module) Rate(ctx context.Context, code Code, stars int, comment string) (*Ticket, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var t *Ticket
		if t, err = m.load(ctx, code); err != nil {
			return nil, err
		}
		t, err = m.Act(ctx, code, "rate", ActionRequest{Version: t.Version, Stars: stars, Comment: comment}, nil)
		if err == nil || !isStale(err) {
			return t, err
		}
	}
	return nil, err
}

// CitizenReply resumes a ticket waiting for the citizen (request_info) with the reply that
// came back through a channel: the clock runs again and the deadlines move by the working
// time it stood. It retries when the ticket changed between its read and its write.
func (m *Module) CitizenReply(ctx context.Context, code Code, text string) (*Ticket, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var t *Ticket
		if t, err = m.load(ctx, code); err != nil {
			return nil, err
		}
		t, err = m.Act(ctx, code, "resume", ActionRequest{Version: t.Version, Text: text}, nil)
		if err == nil || !isStale(err) {
			return t, err
		}
	}
	return nil, err
}

func isStale(err error) bool {
	e, ok := err.(*httpapi.Error)
	return ok && e.Status == http.StatusConflict && strings.Contains(e.Message, "version")
}

func (m *Module) registerCalendar(api *httpapi.API) {
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/tickets/calendar", Tag: tag,
		Summary: "The working calendar deadlines are counted on", Access: httpapi.Users(), Response: sla.Data{},
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			httpapi.WriteJSON(w, http.StatusOK, m.cal.Data())
			return nil
		}})
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/tickets/calendar", Tag: tag,
		Summary: "Replace the working calendar (hours, weekdays, holidays, make-up working days)",
		Access:  httpapi.Users(httpapi.RoleAdmin), Body: sla.Data{}, Response: sla.Data{},
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			var d sla.Data
			if err := httpapi.Decode(r, &d); err != nil {
				return err
			}
			if err := m.SetCalendar(r.Context(), d, httpapi.PrincipalFrom(r.Context()).Username); err != nil {
				if ve, ok := err.(sla.ValidationError); ok {
					return httpapi.Invalid(ve)
				}
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, m.cal.Data())
			return nil
		}})
}

func (m *Module) registerRules(api *httpapi.API) {
	admin := httpapi.Users(httpapi.RoleAdmin)
	const base = "/api/v1/routing-rules"
	api.Handle(httpapi.Route{Method: "GET", Path: base, Tag: tag, Summary: "Routing rules in the order they are tried",
		Access: httpapi.Users(httpapi.RoleSupervisor, httpapi.RoleAgent), Response: httpapi.List[Rule]{},
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			rules, err := m.listRules(r.Context())
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, httpapi.List[Rule]{Items: rules})
			return nil
		}})
	api.Handle(httpapi.Route{Method: "POST", Path: base, Tag: tag, Summary: "Add a routing rule",
		Access: admin, Body: Rule{}, Response: Rule{}, Status: http.StatusCreated,
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			var rule Rule
			if err := httpapi.Decode(r, &rule); err != nil {
				return err
			}
			if rule.ID == "" {
				rule.ID = bson.NewObjectID().Hex()
			}
			if err := m.validateRule(r.Context(), &rule); err != nil {
				return err
			}
			rule.UpdatedAt, rule.Version = m.now(), 1
			if _, err := m.core.Store.C(rulesCollection).InsertOne(r.Context(), rule); err != nil {
				if isDuplicate(err) {
					return httpapi.Conflict("a routing rule %q exists", rule.ID)
				}
				return err
			}
			m.rules.reset()
			httpapi.WriteJSON(w, http.StatusCreated, rule)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "PUT", Path: base + "/{id}", Tag: tag, Summary: "Replace a routing rule; version must be the rule's",
		Access: admin, Body: Rule{}, Response: Rule{}, Handle: m.handlePutRule})
	api.Handle(httpapi.Route{Method: "DELETE", Path: base + "/{id}", Tag: tag, Summary: "Delete a routing rule",
		Access: admin, Status: http.StatusNoContent, Handle: func(w http.ResponseWriter, r *http.Request) error {
			res, err := m.core.Store.C(rulesCollection).DeleteOne(r.Context(), bson.M{"_id": r.PathValue("id")})
			if err != nil {
				return err
			}
			if res.DeletedCount == 0 {
				return httpapi.NotFound("no routing rule %q", r.PathValue("id"))
			}
			m.rules.reset()
			w.WriteHeader(http.StatusNoContent)
			return nil
		}})
}

func (m *Module) handlePutRule(w http.ResponseWriter, r *http.Request) error {
	var rule Rule
	if err := httpapi.Decode(r, &rule); err != nil {
		return err
	}
	id := r.PathValue("id")
	if rule.ID != "" && rule.ID != id {
		return httpapi.Invalid(map[string]string{"id": "must match the path"})
	}
	rule.ID = id
	if err := m.validateRule(r.Context(), &rule); err != nil {
		return err
	}
	var cur Rule
	if err := m.core.Store.C(rulesCollection).FindOne(r.Context(), bson.M{"_id": id}).Decode(&cur); err != nil {
		return httpapi.NotFound("no routing rule %q", id)
	}
	if rule.Version != cur.Version {
		return httpapi.Conflict("routing rule %s is at version %d, not %d; reload it", id, cur.Version, rule.Version)
	}
	rule.Version, rule.UpdatedAt, rule.Demo = cur.Version+1, m.now(), cur.Demo
	filter := bson.M{"_id": id}
	if !m.core.Store.Embedded {
		filter["version"] = cur.Version
	}
	res, err := m.core.Store.C(rulesCollection).ReplaceOne(r.Context(), filter, rule)
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return httpapi.Conflict("routing rule %s changed meanwhile; reload it", id)
	}
	m.rules.reset()
	httpapi.WriteJSON(w, http.StatusOK, rule)
	return nil
}
