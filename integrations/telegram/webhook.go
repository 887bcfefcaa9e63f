package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// maxUpdateBytes bounds a webhook body; Telegram's updates are far smaller.
const maxUpdateBytes = 1 << 20

// updateDoc is a webhook update kept until processed. Raw is the body as Telegram sent it.
type updateDoc struct {
	ID         int64     `bson:"_id"`
	Raw        string    `bson:"raw"`
	ReceivedAt time.Time `bson:"received_at"`
	Done       bool      `bson:"done"`
	ClaimedAt  time.Time `bson:"claimed_at,omitzero"`
}

// handleWebhook checks the secret token before anything else (401 otherwise), stores the
// update keyed by update_id (a repeat is acknowledged and not stored again), answers 200,
// and wakes the processor. Telegram re-sends an update that is not answered 200, so
// nothing acknowledged is lost.
func (m *Module) handleWebhook(w http.ResponseWriter, r *http.Request) {
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(m.cfg.SecretToken)) != 1 {
		http.Error(w, "bad secret token", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateBytes))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	var head struct {
		ID *int64 `json:"update_id"`
	}
	if err := json.Unmarshal(body, &head); err != nil || head.ID == nil {
		http.Error(w, "not a Telegram update: update_id missing", http.StatusBadRequest)
		return
	}
	doc := updateDoc{ID: *head.ID, Raw: string(body), ReceivedAt: time.Now().UTC()}
	if _, err := m.st.C(updatesCollection).InsertOne(r.Context(), doc); err != nil && !store.IsDuplicate(err) {
		m.log.Error("telegram: store update", "update", doc.ID, "err", err)
		http.Error(w, "could not store the update", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
	select {
	case m.bell <- struct{}{}:
	default:
	}
}

// claimTTL is how long a node holds a stored update it is processing; after it another
// node (or this one after a restart) takes it over.
const claimTTL = time.Minute

// processStored processes stored updates in update_id order until ctx ends: on start the
// ones left by a stop, then each as the webhook stores it.
func (m *Module) processStored(ctx context.Context) error {
	poll := time.NewTicker(2 * time.Second)
	defer poll.Stop()
	for {
		for {
			n, err := m.processBatch(ctx)
			if err != nil && ctx.Err() == nil {
				m.log.Error("telegram: process updates", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-m.bell:
		case <-poll.C:
		}
	}
}

func (m *Module) processBatch(ctx context.Context) (int, error) {
	c := m.st.C(updatesCollection)
	cur, err := c.Find(ctx, bson.M{"done": false}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(50))
	if err != nil {
		return 0, fmt.Errorf("stored updates: %w", err)
	}
	var docs []updateDoc
	if err := cur.All(ctx, &docs); err != nil {
		return 0, fmt.Errorf("stored updates: %w", err)
	}
	n := 0
	for _, d := range docs {
		now := time.Now().UTC()
		// Claim it: not done, and not held by a live claim (of another node).
		free := bson.A{bson.M{"claimed_at": bson.M{"$exists": false}}, bson.M{"claimed_at": bson.M{"$lt": now.Add(-claimTTL)}}}
		res := c.FindOneAndUpdate(ctx, bson.M{"_id": d.ID, "done": false, "$or": free}, bson.M{"$set": bson.M{"claimed_at": now}})
		if err := res.Err(); store.IsNotFound(err) {
			continue
		} else if err != nil {
			return n, fmt.Errorf("claim update %d: %w", d.ID, err)
		}
		var u models.Update
		if err := json.Unmarshal([]byte(d.Raw), &u); err != nil {
			m.log.Warn("telegram: unreadable update dropped", "update", d.ID, "err", err)
		} else {
			m.bot.ProcessUpdate(ctx, &u) // synchronous: WithNotAsyncHandlers
		}
		if _, err := c.UpdateOne(context.WithoutCancel(ctx), bson.M{"_id": d.ID}, bson.M{"$set": bson.M{"done": true}}); err != nil {
			return n, fmt.Errorf("update %d done: %w", d.ID, err)
		}
		n++
	}
	return n, nil
}
