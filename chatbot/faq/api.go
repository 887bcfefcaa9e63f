package faq

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
)

// SearchResult is the answer of the search route.
type SearchResult struct {
	Items []Match `json:"items"`
	// Threshold is the confidence below which the bot does not answer from the knowledge base.
	Threshold float64 `json:"threshold"`
}

// Register adds the knowledge base's routes: any user reads and searches it, administrators
// and supervisors edit it. categoryOK checks a category code.
func (kb *KB) Register(api *httpapi.API, threshold float64, categoryOK func(ctx context.Context, code string) bool) {
	const tag = "chatbot"
	read := httpapi.Users()
	edit := httpapi.Users(httpapi.RoleAdmin, httpapi.RoleSupervisor)
	h := handlers{kb: kb, threshold: threshold, categoryOK: categoryOK}
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/chatbot/faq", Tag: tag, Summary: "The chatbot's question and answer pairs",
		Access: read, Response: httpapi.List[Entry]{}, Handle: h.list})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/chatbot/faq", Tag: tag, Summary: "Add a question and answer pair",
		Access: edit, Body: EntryInput{}, Response: Entry{}, Status: http.StatusCreated, Handle: h.create})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/chatbot/faq/search", Tag: tag,
		Summary: "Rank the pairs for a question as the bot does (q, limit)", Access: read,
		Params: []httpapi.Param{{Name: "q", In: "query", Required: true}, {Name: "limit", In: "query"}}, Response: SearchResult{}, Handle: h.search})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/chatbot/faq/{id}", Tag: tag, Summary: "One question and answer pair",
		Access: read, Response: Entry{}, Handle: h.get})
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/chatbot/faq/{id}", Tag: tag,
		Summary: "Replace a pair's text (version, when given, must be current)", Access: edit, Body: EntryInput{}, Response: Entry{}, Handle: h.update})
	api.Handle(httpapi.Route{Method: "DELETE", Path: "/api/v1/chatbot/faq/{id}", Tag: tag, Summary: "Remove a pair",
		Access: edit, Status: http.StatusNoContent, Handle: h.delete})
}

type handlers struct {
	kb         *KB
	threshold  float64
	categoryOK func(ctx context.Context, code string) bool
}

func (h handlers) list(w http.ResponseWriter, r *http.Request) error {
	items, err := h.kb.List(r.Context())
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.List[Entry]{Items: items})
	return nil
}

func (h handlers) get(w http.ResponseWriter, r *http.Request) error {
	e, err := h.kb.Get(r.Context(), r.PathValue("id"))
	if store.IsNotFound(err) {
		return httpapi.NotFound("no FAQ entry %q", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, e)
	return nil
}

func (h handlers) input(r *http.Request) (EntryInput, error) {
	var in EntryInput
	if err := httpapi.Decode(r, &in); err != nil {
		return in, err
	}
	if in.Category != "" && h.categoryOK != nil && !h.categoryOK(r.Context(), in.Category) {
		return in, httpapi.Invalid(map[string]string{"category": "unknown category: see GET /api/v1/categories"})
	}
	return in, nil
}

func (h handlers) create(w http.ResponseWriter, r *http.Request) error {
	in, err := h.input(r)
	if err != nil {
		return err
	}
	e, err := h.kb.Create(r.Context(), in, httpapi.PrincipalFrom(r.Context()).Username)
	if err != nil {
		return apiError(err, "")
	}
	httpapi.WriteJSON(w, http.StatusCreated, e)
	return nil
}

func (h handlers) update(w http.ResponseWriter, r *http.Request) error {
	in, err := h.input(r)
	if err != nil {
		return err
	}
	e, err := h.kb.Update(r.Context(), r.PathValue("id"), in, httpapi.PrincipalFrom(r.Context()).Username)
	if err != nil {
		return apiError(err, r.PathValue("id"))
	}
	httpapi.WriteJSON(w, http.StatusOK, e)
	return nil
}

func (h handlers) delete(w http.ResponseWriter, r *http.Request) error {
	if err := h.kb.Delete(r.Context(), r.PathValue("id")); err != nil {
		return apiError(err, r.PathValue("id"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h handlers) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	if q == "" {
		return httpapi.Invalid(map[string]string{"q": "required: the question"})
	}
	limit := 5
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 50 {
			return httpapi.Invalid(map[string]string{"limit": "a whole number from 1 to 50"})
		}
		limit = n
	}
	ms, err := h.kb.Search(r.Context(), q, limit)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []Match{}
	}
	httpapi.WriteJSON(w, http.StatusOK, SearchResult{Items: ms, Threshold: h.threshold})
	return nil
}

// apiError turns the package's errors into API errors.
func apiError(err error, id string) error {
	var inv *InvalidError
	switch {
	case errors.As(err, &inv):
		return httpapi.Invalid(inv.Fields)
	case errors.Is(err, ErrStale):
		return httpapi.Conflict("FAQ entry %s changed since it was read: reload it", id)
	case errors.Is(err, errNotFound), store.IsNotFound(err):
		return httpapi.NotFound("no FAQ entry %q", id)
	}
	return err
}
