package omnichannel

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// MergeRequest names the contact another one is merged into.
type MergeRequest struct {
	Into string `json:"into"`
}

// CannedReply is a prepared answer agents insert into a reply.
type CannedReply struct {
	ID        string    `bson:"_id" json:"id"`
	Shortcut  string    `bson:"shortcut" json:"shortcut"`
	Text      string    `bson:"text" json:"text"`
	By        string    `bson:"by" json:"by"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

func (m *Module) registerContacts(api *httpapi.API) {
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/contacts/{id}", Tag: "conversations", Summary: "One contact with its channel keys and history",
		Access: staff, Response: Contact{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			c, err := m.contact(r.Context(), r.PathValue("id"))
			if err != nil {
				return apiErr(err)
			}
			httpapi.WriteJSON(w, http.StatusOK, c)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/contacts/{id}/merge", Tag: "conversations",
		Summary: "Merge this contact into another: keys and conversations move, history is kept", Access: staff,
		Body: MergeRequest{}, Response: Contact{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var req MergeRequest
			if err := httpapi.Decode(r, &req); err != nil {
				return err
			}
			c, err := m.MergeContacts(r.Context(), r.PathValue("id"), req.Into, httpapi.PrincipalFrom(r.Context()).Username)
			if err != nil {
				return apiErr(err)
			}
			httpapi.WriteJSON(w, http.StatusOK, c)
			return nil
		}})
}

// MergeContacts moves everything of contact from into contact into and marks from merged.
// Each step is idempotent, so a merge interrupted half way is finished by running it again.
func (m *Module) MergeContacts(ctx context.Context, from, into, by string) (*Contact, error) {
	if from == into {
		return nil, httpapi.Invalid(map[string]string{"into": "a contact cannot be merged into itself"})
	}
	src, err := m.contact(ctx, from)
	if err != nil {
		return nil, err
	}
	dst, err := m.contact(ctx, into)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	// Keys and conversations move by _id (the embedded store reads a whole collection for
	// any other filter), each only if it still belongs to from.
	moveTo := func(coll string, id any) error {
		_, err := m.st.UpdateByID(ctx, coll, id, bson.M{"contact_id": from}, bson.M{"$set": bson.M{"contact_id": into}}, nil)
		return err
	}
	steps := []func() error{
		func() error {
			for _, k := range src.Keys {
				if err := moveTo(contactKeysColl, k); err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			for _, id := range src.Conversations {
				if err := moveTo(conversationsColl, id); err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			keys := make(bson.A, 0, len(src.Keys))
			for _, k := range src.Keys {
				keys = append(keys, k)
			}
			convs := make(bson.A, 0, len(src.Conversations))
			for _, id := range src.Conversations {
				convs = append(convs, id)
			}
			_, err := m.st.C(contactsColl).UpdateOne(ctx, bson.M{"_id": into}, bson.M{
				"$addToSet": bson.M{"keys": bson.M{"$each": keys}, "conversations": bson.M{"$each": convs}},
				"$push":     bson.M{"history": ContactEvent{At: now, By: by, What: "merged " + from}},
				"$inc":      bson.M{"version": 1}, "$set": bson.M{"updated_at": now}})
			return err
		},
		func() error {
			_, err := m.st.C(contactsColl).UpdateOne(ctx, bson.M{"_id": from}, bson.M{"$set": bson.M{"merged_into": into, "updated_at": now},
				"$push": bson.M{"history": ContactEvent{At: now, By: by, What: "merged into " + into}}, "$inc": bson.M{"version": 1}})
			return err
		},
		func() error { return m.fillContact(ctx, dst, src.Name, src.Phone, src.Email) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("merge contact %s into %s (step %d): %w", from, into, i+1, err)
		}
	}
	return m.contact(ctx, into)
}

func (m *Module) registerCanned(api *httpapi.API) {
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/canned-replies", Tag: "conversations", Summary: "List canned replies",
		Access: staff, Response: httpapi.List[CannedReply]{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			cur, err := m.st.C(cannedColl).Find(r.Context(), bson.M{}, options.Find().SetSort(bson.D{{Key: "shortcut", Value: 1}}))
			if err != nil {
				return err
			}
			items := []CannedReply{}
			if err := cur.All(r.Context(), &items); err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, httpapi.List[CannedReply]{Items: items})
			return nil
		}})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/canned-replies", Tag: "conversations", Summary: "Add a canned reply",
		Access: staff, Body: CannedReply{}, Response: CannedReply{}, Status: http.StatusCreated, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var c CannedReply
			if err := httpapi.Decode(r, &c); err != nil {
				return err
			}
			c.Shortcut, c.Text = strings.TrimSpace(c.Shortcut), nfc(strings.TrimSpace(c.Text))
			if c.Shortcut == "" || c.Text == "" {
				return httpapi.Invalid(map[string]string{"text": "shortcut and text are required"})
			}
			c.ID, c.By, c.CreatedAt = newID(), httpapi.PrincipalFrom(r.Context()).Username, time.Now().UTC()
			if _, err := m.st.C(cannedColl).InsertOne(r.Context(), c); err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, c)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "DELETE", Path: "/api/v1/canned-replies/{id}", Tag: "conversations", Summary: "Delete a canned reply",
		Access: staff, Status: http.StatusNoContent, Handle: func(w http.ResponseWriter, r *http.Request) error {
			res, err := m.st.C(cannedColl).DeleteOne(r.Context(), bson.M{"_id": r.PathValue("id")})
			if err != nil {
				return err
			}
			if res.DeletedCount == 0 {
				return httpapi.NotFound("no canned reply %s", r.PathValue("id"))
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}})
}
