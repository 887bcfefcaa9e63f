package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Scopes of API keys.
const (
	ScopeOpen311 = "open311"
	ScopeIngest  = "ingest"
)

// APIKey is a machine client's key, as listed; the secret itself is shown once on creation.
type APIKey struct {
	ID        string     `bson:"key_id" json:"id"`
	Hash      string     `bson:"_id" json:"-"`
	Name      string     `bson:"name" json:"name"`
	Scopes    []string   `bson:"scopes" json:"scopes"`
	CreatedBy string     `bson:"created_by" json:"created_by"`
	CreatedAt time.Time  `bson:"created_at" json:"created_at"`
	RevokedAt *time.Time `bson:"revoked_at,omitempty" json:"revoked_at,omitempty"`
}

// NewAPIKey is the request to create a key.
type NewAPIKey struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// CreatedAPIKey is the answer to a creation: the only time the secret is shown.
type CreatedAPIKey struct {
	APIKey
	Key string `json:"key"`
}

// CreateAPIKey issues a key with the given scopes.
func (s *Service) CreateAPIKey(ctx context.Context, by string, n NewAPIKey) (*CreatedAPIKey, error) {
	f := map[string]string{}
	if strings.TrimSpace(n.Name) == "" {
		f["name"] = "required"
	}
	if len(n.Scopes) == 0 {
		f["scopes"] = "at least one of open311, ingest"
	}
	for _, sc := range n.Scopes {
		if sc != ScopeOpen311 && sc != ScopeIngest {
			f["scopes"] = fmt.Sprintf("unknown scope %q: use open311 or ingest", sc)
		}
	}
	if len(f) > 0 {
		return nil, httpapi.Invalid(f)
	}
	secret := randomSecret("iock_")
	k := APIKey{ID: bson.NewObjectID().Hex(), Hash: hashSecret(secret), Name: n.Name, Scopes: n.Scopes, CreatedBy: by, CreatedAt: time.Now().UTC()}
	if _, err := s.st.C(keysCollection).InsertOne(ctx, k); err != nil {
		return nil, fmt.Errorf("store api key: %w", err)
	}
	return &CreatedAPIKey{APIKey: k, Key: secret}, nil
}

// APIKeyPrincipal returns the principal of a valid key.
func (s *Service) APIKeyPrincipal(ctx context.Context, key string) (*httpapi.Principal, error) {
	var k APIKey
	err := s.st.C(keysCollection).FindOne(ctx, bson.M{"_id": hashSecret(key)}).Decode(&k)
	if store.IsNotFound(err) || (err == nil && k.RevokedAt != nil) {
		return nil, httpapi.Unauthorized("invalid or revoked API key")
	}
	if err != nil {
		return nil, fmt.Errorf("load api key: %w", err)
	}
	return &httpapi.Principal{Username: "apikey:" + k.Name, APIKey: k.Name, Scopes: k.Scopes}, nil
}

// APIKeys lists the keys.
func (s *Service) APIKeys(ctx context.Context) ([]APIKey, error) {
	cur, err := s.st.C(keysCollection).Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	keys := []APIKey{}
	return keys, cur.All(ctx, &keys)
}

// RevokeAPIKey ends a key by its id.
func (s *Service) RevokeAPIKey(ctx context.Context, id string) error {
	res, err := s.st.C(keysCollection).UpdateOne(ctx, bson.M{"key_id": id, "revoked_at": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"revoked_at": time.Now().UTC()}})
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	if res.MatchedCount == 0 {
		return httpapi.NotFound("no active API key %q", id)
	}
	return nil
}
