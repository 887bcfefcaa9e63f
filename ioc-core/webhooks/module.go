package webhooks

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Module plugs outgoing webhooks into the core.
type Module struct {
	Dispatcher *Dispatcher
	st         *store.Store
}

// New returns the webhooks module.
func New() *Module { return &Module{} }

// Name implements app.Module.
func (m *Module) Name() string { return "webhooks" }

// Init subscribes to every event, and registers the API and the delivery worker.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	m.st = c.Store
	m.Dispatcher = NewDispatcher(c.Store, c.Config.IOC.Webhooks, c.Log)
	if err := c.Store.EnsureIndexes(ctx, DeliveriesCollection, store.Index("status", "next_at"), store.Index("hook", "created_at")); err != nil {
		return err
	}
	c.Events.Subscribe("webhooks", m.Dispatcher.Enqueue)
	c.Go("webhooks", m.Dispatcher)
	m.register(c.API)
	return nil
}

// HookRequest creates or changes a webhook. On create, url and events are required and
// an empty secret is generated (and shown once).
type HookRequest struct {
	URL    *string   `json:"url,omitempty"`
	Events *[]string `json:"events,omitempty"`
	Secret *string   `json:"secret,omitempty"`
	Active *bool     `json:"active,omitempty"`
}

func (req *HookRequest) apply(h *Hook, creating bool) error {
	bad := map[string]string{}
	if req.URL != nil {
		h.URL = strings.TrimSpace(*req.URL)
	}
	if u, err := url.Parse(h.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad["url"] = "an http or https URL"
	}
	if req.Events != nil {
		h.Events = *req.Events
	}
	if len(h.Events) == 0 {
		bad["events"] = `at least one event type, prefix ending in "." or "*"`
	}
	for _, e := range h.Events {
		if strings.TrimSpace(e) == "" || len(e) > 100 {
			bad["events"] = "event types are 1 to 100 characters"
		}
	}
	if req.Secret != nil {
		if len(*req.Secret) < 16 {
			bad["secret"] = "at least 16 characters"
		}
		h.Secret = *req.Secret
	}
	if creating && h.Secret == "" {
		h.Secret = newSecret()
	}
	if req.Active != nil {
		h.Active = *req.Active
		if h.Active { // re-enabled: start counting again
			h.Failures, h.DisabledAt, h.DisabledReason = 0, nil, ""
		}
	}
	if len(bad) > 0 {
		return httpapi.Invalid(bad)
	}
	return nil
}

func masked(h Hook) Hook {
	h.Secret = ""
	return h
}

func (m *Module) register(api *httpapi.API) {
	admin := httpapi.Users(httpapi.RoleAdmin)
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/webhooks", Tag: "webhooks", Access: admin, Status: http.StatusCreated,
		Summary: "Create an outgoing webhook; the answer shows its signing secret once", Body: HookRequest{}, Response: Hook{},
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			var req HookRequest
			if err := httpapi.Decode(r, &req); err != nil {
				return err
			}
			h := Hook{ID: bson.NewObjectID().Hex(), Active: true, CreatedAt: time.Now().UTC(), Version: 1,
				CreatedBy: httpapi.PrincipalFrom(r.Context()).Username}
			if err := req.apply(&h, true); err != nil {
				return err
			}
			if _, err := m.st.C(HooksCollection).InsertOne(r.Context(), h); err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, h)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/webhooks", Tag: "webhooks", Access: admin, Summary: "Outgoing webhooks",
		Response: []Hook{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			cur, err := m.st.C(HooksCollection).Find(r.Context(), bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
			if err != nil {
				return err
			}
			hooks := []Hook{}
			if err := cur.All(r.Context(), &hooks); err != nil {
				return err
			}
			for i := range hooks {
				hooks[i] = masked(hooks[i])
			}
			httpapi.WriteJSON(w, http.StatusOK, hooks)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/webhooks/{id}", Tag: "webhooks", Access: admin, Summary: "One webhook",
		Response: Hook{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			h, err := m.hook(r.Context(), r.PathValue("id"))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, masked(*h))
			return nil
		}})
	api.Handle(httpapi.Route{Method: "PATCH", Path: "/api/v1/webhooks/{id}", Tag: "webhooks", Access: admin,
		Summary: "Change a webhook; active:true re-enables a disabled one", Body: HookRequest{}, Response: Hook{},
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			var req HookRequest
			if err := httpapi.Decode(r, &req); err != nil {
				return err
			}
			h, err := m.hook(r.Context(), r.PathValue("id"))
			if err != nil {
				return err
			}
			if err := req.apply(h, false); err != nil {
				return err
			}
			prev := h.Version
			h.Version++
			res, err := m.st.C(HooksCollection).ReplaceOne(r.Context(), bson.M{"_id": h.ID, "version": prev}, h)
			if err != nil {
				return err
			}
			if res.MatchedCount == 0 {
				return httpapi.Conflict("the webhook changed meanwhile; try again")
			}
			httpapi.WriteJSON(w, http.StatusOK, masked(*h))
			return nil
		}})
	api.Handle(httpapi.Route{Method: "DELETE", Path: "/api/v1/webhooks/{id}", Tag: "webhooks", Access: admin, Status: http.StatusNoContent,
		Summary: "Delete a webhook", Handle: func(w http.ResponseWriter, r *http.Request) error {
			res, err := m.st.C(HooksCollection).DeleteOne(r.Context(), bson.M{"_id": r.PathValue("id")})
			if err != nil {
				return err
			}
			if res.DeletedCount == 0 {
				return httpapi.NotFound("no webhook %s", r.PathValue("id"))
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/webhooks/{id}/deliveries", Tag: "webhooks", Access: admin,
		Summary: "The delivery log of a webhook, newest first", Params: httpapi.PageParams, Response: httpapi.List[Delivery]{},
		Handle: m.handleDeliveries})
}

func (m *Module) hook(ctx context.Context, id string) (*Hook, error) {
	var h Hook
	err := m.st.C(HooksCollection).FindOne(ctx, bson.M{"_id": id}).Decode(&h)
	if store.IsNotFound(err) {
		return nil, httpapi.NotFound("no webhook %s", id)
	}
	return &h, err
}

func (m *Module) handleDeliveries(w http.ResponseWriter, r *http.Request) error {
	pg, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	if _, err := m.hook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	f := bson.M{"hook": r.PathValue("id")}
	if pg.Cursor != "" {
		var before time.Time
		if err := httpapi.DecodeCursor(pg.Cursor, &before); err != nil {
			return err
		}
		f["created_at"] = bson.M{"$lt": before}
	}
	cur, err := m.st.C(DeliveriesCollection).Find(r.Context(), f,
		options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(int64(pg.Limit+1)))
	if err != nil {
		return err
	}
	list := []Delivery{}
	if err := cur.All(r.Context(), &list); err != nil {
		return err
	}
	out := httpapi.List[Delivery]{Items: list}
	if len(list) > pg.Limit {
		out.Items = list[:pg.Limit]
		out.NextCursor = httpapi.EncodeCursor(list[pg.Limit-1].CreatedAt)
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}
