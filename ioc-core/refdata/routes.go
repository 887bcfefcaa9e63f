package refdata

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// record is what the generic routes need of a reference item.
type record[T any] interface {
	*T
	key() string
	validate() map[string]string
	stamp(version int64, at time.Time)
	version() int64
}

func (d *Department) key() string { return d.Code }
func (u *Unit) key() string       { return u.Code }
func (c *Category) key() string   { return c.Code }

func (d *Department) version() int64 { return d.Version }
func (u *Unit) version() int64       { return u.Version }
func (c *Category) version() int64   { return c.Version }

func (d *Department) stamp(v int64, at time.Time) { d.Version, d.UpdatedAt = v, at }
func (u *Unit) stamp(v int64, at time.Time)       { u.Version, u.UpdatedAt = v, at }
func (c *Category) stamp(v int64, at time.Time)   { c.Version, c.UpdatedAt = v, at }

// Register adds the reference data routes to api.
func (s *Service) Register(api *httpapi.API) {
	registerTable[Department](api, s.st, "departments", DepartmentsCollection, func(r *http.Request) bson.M { return bson.M{} })
	registerTable[Unit](api, s.st, "units", UnitsCollection, func(r *http.Request) bson.M {
		f := bson.M{}
		if l := r.URL.Query().Get("level"); l != "" {
			f["level"] = l
		}
		if p := r.URL.Query().Get("parent"); p != "" {
			f["parent"] = p
		}
		return f
	}, httpapi.Param{Name: "level", In: "query"}, httpapi.Param{Name: "parent", In: "query"})
	registerTable[Category](api, s.st, "categories", CategoriesCollection, func(r *http.Request) bson.M { return bson.M{} })
}

func registerTable[T any, P record[T]](api *httpapi.API, st *store.Store, name, coll string, filter func(*http.Request) bson.M, params ...httpapi.Param) {
	base := "/api/v1/" + name
	var zero T
	admin := httpapi.Users(httpapi.RoleAdmin)
	api.Handle(httpapi.Route{Method: "GET", Path: base, Tag: "reference", Summary: "List " + name, Access: httpapi.Users(),
		Params: params, Response: httpapi.List[T]{}, Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) (httpapi.List[T], error) {
			items, err := findAll[T](r.Context(), st, coll, filter(r))
			return httpapi.List[T]{Items: items}, err
		})})
	api.Handle(httpapi.Route{Method: "GET", Path: base + "/{code}", Tag: "reference", Summary: "Get one of " + name, Access: httpapi.Users(),
		Response: zero, Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) (*T, error) {
			v, err := findOne[T](r.Context(), st, coll, r.PathValue("code"))
			if errors.Is(err, ErrNotFound) {
				return nil, httpapi.NotFound("no %s %q", name, r.PathValue("code"))
			}
			return v, err
		})})
	api.Handle(httpapi.Route{Method: "POST", Path: base, Tag: "reference", Summary: "Add to " + name, Access: admin,
		Body: zero, Response: zero, Status: http.StatusCreated, Handle: httpapi.ReplyBody(http.StatusCreated, func(r *http.Request, v T) (*T, error) {
			return &v, Insert[T, P](r.Context(), st, coll, &v)
		})})
	api.Handle(httpapi.Route{Method: "PUT", Path: base + "/{code}", Tag: "reference", Summary: "Replace one of " + name + " (version required)",
		Access: admin, Body: zero, Response: zero, Handle: httpapi.ReplyBody(http.StatusOK, func(r *http.Request, v T) (*T, error) {
			if P(&v).key() != r.PathValue("code") {
				return nil, httpapi.Invalid(map[string]string{"code": "must equal the code in the path"})
			}
			return &v, replace[T, P](r.Context(), st, coll, &v)
		})})
}

// Insert validates and adds a new item with version 1.
func Insert[T any, P record[T]](ctx context.Context, st *store.Store, coll string, v *T) error {
	p := P(v)
	if f := p.validate(); len(f) > 0 {
		return httpapi.Invalid(f)
	}
	p.stamp(1, time.Now().UTC())
	if _, err := st.C(coll).InsertOne(ctx, v); err != nil {
		if store.IsDuplicate(err) {
			return httpapi.Conflict("%q exists already", p.key())
		}
		return fmt.Errorf("insert into %s: %w", coll, err)
	}
	return nil
}

// replace swaps an item for v when v carries the stored version.
func replace[T any, P record[T]](ctx context.Context, st *store.Store, coll string, v *T) error {
	p := P(v)
	if f := p.validate(); len(f) > 0 {
		return httpapi.Invalid(f)
	}
	old := p.version()
	p.stamp(old+1, time.Now().UTC())
	res, err := st.C(coll).ReplaceOne(ctx, bson.M{"_id": p.key(), "version": old}, v, options.Replace())
	if err != nil {
		return fmt.Errorf("replace in %s: %w", coll, err)
	}
	if res.MatchedCount == 0 {
		n, _ := st.C(coll).CountDocuments(ctx, bson.M{"_id": p.key()})
		if n == 0 {
			return httpapi.NotFound("no %q", p.key())
		}
		return httpapi.Conflict("%q changed meanwhile (your version %d is stale); reload and retry", p.key(), old)
	}
	return nil
}
