package social

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var itemFilters = []httpapi.Param{
	{Name: "keyword", In: "query", Description: "id of a keyword rule the item matched"},
	{Name: "topic", In: "query", Description: "topic id"},
	{Name: "category", In: "query", Description: "category code"},
	{Name: "ward", In: "query", Description: "unit code of a ward or commune named"},
	{Name: "sentiment", In: "query", Description: "negative, neutral or positive"},
	{Name: "source", In: "query", Description: "source id (feed:ID, facebook:ID, ingest:KEY[/NAME])"},
	{Name: "ticket", In: "query", Description: "the ticket made from the item"},
	{Name: "from", In: "query", Description: "published at or after (RFC 3339)"},
	{Name: "to", In: "query", Description: "published before (RFC 3339)"},
}

func (m *Module) register(api *httpapi.API) {
	watch := httpapi.Users(httpapi.RoleAgent, httpapi.RoleSupervisor, httpapi.RoleLeader)
	manage := httpapi.Users(httpapi.RoleSupervisor)
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/social/ingest", Tag: "social", Access: httpapi.Access{Scope: auth.ScopeIngest},
		Summary: "Ingest items from an external crawler (API key with scope ingest; signed when ioc.social.ingest_secret is set)",
		Params:  []httpapi.Param{{Name: SignatureHeader, In: "header", Description: "t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>"}},
		Body:    IngestRequest{}, Response: IngestResponse{}, Handle: m.handleIngest})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/social/items", Tag: "social", Access: watch,
		Summary: "Social items, newest first", Params: append(itemFilters, httpapi.PageParams...), Response: httpapi.List[Item]{},
		Handle: m.handleItems})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/social/items/{id}", Tag: "social", Access: watch, Summary: "One social item",
		Response: Item{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			it, err := m.Item(r.Context(), r.PathValue("id"))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, it)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/social/items/{id}/ticket", Tag: "social",
		Access:  httpapi.Users(httpapi.RoleAgent, httpapi.RoleSupervisor),
		Summary: "Turn an item into a ticket (category and ward pre-filled; 409 when it already is one)", Status: http.StatusCreated,
		Body: TicketRequest{}, Response: TicketResponse{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var req TicketRequest
			if r.ContentLength != 0 {
				if err := httpapi.Decode(r, &req); err != nil {
					return err
				}
			}
			out, err := m.MakeTicket(r.Context(), r.PathValue("id"), req, httpapi.PrincipalFrom(r.Context()))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, out)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/social/topics", Tag: "social", Access: watch,
		Summary: "Topics active in a period, largest first, with their top terms",
		Params: []httpapi.Param{{Name: "from", In: "query", Description: "active at or after (RFC 3339; default 24 h ago)"},
			{Name: "to", In: "query", Description: "RFC 3339; default now"}, {Name: "limit", In: "query", Description: "1 to 200, default 50"}},
		Response: []Topic{}, Handle: m.handleTopics})
	m.registerAdmin(api, watch, manage)
}

func (m *Module) registerAdmin(api *httpapi.API, watch, manage httpapi.Access) {
	saveRule := func(create bool, status int) httpapi.HandlerFunc {
		return httpapi.ReplyBody(status, func(r *http.Request, in KeywordRule) (*KeywordRule, error) {
			if !create {
				in.ID = r.PathValue("id")
			}
			return m.SaveKeywordRule(r.Context(), in, create, httpapi.PrincipalFrom(r.Context()).Username)
		})
	}
	saveSource := func(create bool, status int) httpapi.HandlerFunc {
		return httpapi.ReplyBody(status, func(r *http.Request, in PolledSource) (*PolledSource, error) {
			if !create {
				in.ID = r.PathValue("id")
			}
			return m.SaveSource(r.Context(), in, create)
		})
	}
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/social/keyword-rules", Tag: "social", Access: watch, Summary: "Keyword rules",
		Response: []KeywordRule{}, Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) ([]KeywordRule, error) {
			return m.KeywordRules(r.Context())
		})})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/social/keyword-rules", Tag: "social", Access: manage, Status: http.StatusCreated,
		Summary: "Create a keyword rule", Body: KeywordRule{}, Response: KeywordRule{}, Handle: saveRule(true, http.StatusCreated)})
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/social/keyword-rules/{id}", Tag: "social", Access: manage,
		Summary: "Replace a keyword rule; version must be the stored one (409 otherwise)", Body: KeywordRule{}, Response: KeywordRule{},
		Handle: saveRule(false, http.StatusOK)})
	api.Handle(httpapi.Route{Method: "DELETE", Path: "/api/v1/social/keyword-rules/{id}", Tag: "social", Access: manage, Status: http.StatusNoContent,
		Summary: "Delete a keyword rule", Handle: httpapi.NoContent(func(r *http.Request) error {
			return m.DeleteKeywordRule(r.Context(), r.PathValue("id"))
		})})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/social/sources", Tag: "social", Access: manage, Summary: "Polled sources (feeds, Facebook pages)",
		Response: []PolledSource{}, Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) ([]PolledSource, error) {
			return m.Sources(r.Context())
		})})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/social/sources", Tag: "social", Access: manage, Status: http.StatusCreated,
		Summary: "Add a feed or a Facebook page to poll", Body: PolledSource{}, Response: PolledSource{}, Handle: saveSource(true, http.StatusCreated)})
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/social/sources/{id}", Tag: "social", Access: manage,
		Summary: "Change a polled source; version must be the stored one", Body: PolledSource{}, Response: PolledSource{},
		Handle: saveSource(false, http.StatusOK)})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/social/sources/{id}/poll", Tag: "social", Access: manage,
		Summary: "Poll a source now", Response: PollReport{}, Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) (*PollReport, error) {
			return m.PollNow(r.Context(), r.PathValue("id"))
		})})
}

func parseTime(r *http.Request, key string, def time.Time, bad map[string]string) time.Time {
	v := r.URL.Query().Get(key)
	if v == "" {
		return def
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		bad[key] = "RFC 3339, e.g. 2026-03-09T10:00:00+07:00"
		return def
	}
	return t.UTC()
}

func (m *Module) handleItems(w http.ResponseWriter, r *http.Request) error {
	pg, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := bson.M{}
	bad := map[string]string{}
	for _, p := range []string{"keyword", "topic", "category", "ward", "sentiment", "source"} {
		if v := q.Get(p); v != "" {
			f[dims[p].field] = v
		}
	}
	if v := q.Get("ticket"); v != "" {
		f["ticket"] = strings.TrimSpace(v)
	}
	at := bson.M{}
	if t := parseTime(r, "from", time.Time{}, bad); !t.IsZero() {
		at["$gte"] = t
	}
	if t := parseTime(r, "to", time.Time{}, bad); !t.IsZero() {
		at["$lt"] = t
	}
	if len(bad) > 0 {
		return httpapi.Invalid(bad)
	}
	if len(at) > 0 {
		f["at"] = at
	}
	if pg.Cursor != "" {
		var before string
		if err := httpapi.DecodeCursor(pg.Cursor, &before); err != nil {
			return err
		}
		f["_id"] = bson.M{"$lt": before}
	}
	cur, err := m.st.C(ItemsCollection).Find(r.Context(), f, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(pg.Limit+1)))
	if err != nil {
		return err
	}
	items := []Item{}
	if err := cur.All(r.Context(), &items); err != nil {
		return err
	}
	out := httpapi.List[Item]{Items: items}
	if len(items) > pg.Limit {
		out.Items = items[:pg.Limit]
		out.NextCursor = httpapi.EncodeCursor(items[pg.Limit-1].ID)
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (m *Module) handleTopics(w http.ResponseWriter, r *http.Request) error {
	now := m.now()
	bad := map[string]string{}
	from := parseTime(r, "from", now.Add(-24*time.Hour), bad)
	to := parseTime(r, "to", now, bad)
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		if n, err := parseInt(v); err != nil || n < 1 || n > 200 {
			bad["limit"] = "1 to 200"
		} else {
			limit = n
		}
	}
	if len(bad) > 0 {
		return httpapi.Invalid(bad)
	}
	if err := m.proj.flush(r.Context()); err != nil { // the items stored so far count
		return err
	}
	cur, err := m.st.C(TopicsCollection).Find(r.Context(), bson.M{"last_at": bson.M{"$gte": from}, "first_at": bson.M{"$lt": to}},
		options.Find().SetSort(bson.D{{Key: "items", Value: -1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return err
	}
	topics := []Topic{}
	if err := cur.All(r.Context(), &topics); err != nil {
		return err
	}
	for i := range topics {
		topics[i].TopTerms = topTerms(topics[i].TermCount, 10)
		var label []string
		for _, t := range topics[i].TopTerms[:min(3, len(topics[i].TopTerms))] {
			label = append(label, t.Term)
		}
		topics[i].Label = strings.Join(label, " ")
	}
	httpapi.WriteJSON(w, http.StatusOK, topics)
	return nil
}

func parseInt(s string) (int, error) { return strconv.Atoi(s) }
