// Package auth keeps ioc1022's users, their bearer tokens and the machine clients' API keys.
// Passwords are bcrypt hashes; tokens and keys are stored as SHA-256 hashes only, so a copy
// of the store does not let anyone log in.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/crypto/bcrypt"
)

// Collections of this package.
const (
	usersCollection  = "users"
	tokensCollection = "auth_tokens"
	keysCollection   = "api_keys"
)

// Sentinel errors.
var (
	ErrBadCredentials = errors.New("wrong username or password")
	ErrUserExists     = errors.New("user exists")
)

// User is an account of a person.
type User struct {
	Username     string       `bson:"_id" json:"username"`
	Name         string       `bson:"name" json:"name"`
	Role         httpapi.Role `bson:"role" json:"role"`
	Departments  []string     `bson:"departments,omitempty" json:"departments,omitempty"`
	Extension    string       `bson:"extension,omitempty" json:"extension,omitempty"`
	PasswordHash string       `bson:"password_hash" json:"-"`
	Disabled     bool         `bson:"disabled" json:"disabled"`
	CreatedAt    time.Time    `bson:"created_at" json:"created_at"`
	UpdatedAt    time.Time    `bson:"updated_at" json:"updated_at"`
	Version      int64        `bson:"version" json:"version"`
}

// Principal returns the user as the principal of a request.
func (u *User) Principal() *httpapi.Principal {
	return &httpapi.Principal{Username: u.Username, Role: u.Role, Departments: u.Departments}
}

type tokenDoc struct {
	Hash      string     `bson:"_id"`
	Username  string     `bson:"username"`
	CreatedAt time.Time  `bson:"created_at"`
	ExpiresAt time.Time  `bson:"expires_at"`
	RevokedAt *time.Time `bson:"revoked_at,omitempty"`
}

// Service authenticates requests and manages accounts. It is safe for concurrent use.
type Service struct {
	st     *store.Store
	cfg    config.Auth
	log    *slog.Logger
	logins *limiter
	cache  sessions

	// DepartmentExists, when set, checks the departments given to officers.
	DepartmentExists func(ctx context.Context, code string) (bool, error)
}

// New returns the service on st.
func New(st *store.Store, cfg config.Auth, log *slog.Logger) *Service {
	return &Service{st: st, cfg: cfg, log: log, logins: newLimiter(time.Minute)}
}

// Init creates the indexes.
func (s *Service) Init(ctx context.Context) error {
	if err := s.st.EnsureIndexes(ctx, tokensCollection, store.Index("username"), store.Index("expires_at")); err != nil {
		return err
	}
	return s.st.EnsureIndexes(ctx, usersCollection, store.Index("role"))
}

// hashSecret is how tokens and API keys are stored and looked up.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func randomSecret(prefix string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// Login checks a password and issues a token. It is rate limited per account and per IP.
func (s *Service) Login(ctx context.Context, username, password, ip string) (string, time.Time, *User, error) {
	if ok, wait := s.logins.allow("ip:"+ip, s.cfg.LoginPerIP); !ok {
		return "", time.Time{}, nil, httpapi.TooManyRequests(wait)
	}
	if ok, wait := s.logins.allow("user:"+strings.ToLower(username), s.cfg.LoginPerAccount); !ok {
		return "", time.Time{}, nil, httpapi.TooManyRequests(wait)
	}
	u, err := s.User(ctx, username)
	if err != nil || u.Disabled {
		// Spend the same time as a real check, so timing does not reveal which accounts exist.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		if err != nil && !errors.Is(err, errNoUser) {
			return "", time.Time{}, nil, err
		}
		return "", time.Time{}, nil, ErrBadCredentials
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return "", time.Time{}, nil, ErrBadCredentials
	}
	token := randomSecret("ioc_")
	now := time.Now().UTC()
	doc := tokenDoc{Hash: hashSecret(token), Username: u.Username, CreatedAt: now, ExpiresAt: now.Add(s.cfg.TokenTTL)}
	if _, err := s.st.C(tokensCollection).InsertOne(ctx, doc); err != nil {
		return "", time.Time{}, nil, fmt.Errorf("store token: %w", err)
	}
	return token, doc.ExpiresAt, u, nil
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("dummy password"), bcrypt.MinCost)

var errNoUser = errors.New("no such user")

// User returns the account named username.
func (s *Service) User(ctx context.Context, username string) (*User, error) {
	var u User
	err := s.st.C(usersCollection).FindOne(ctx, bson.M{"_id": strings.ToLower(username)}).Decode(&u)
	if store.IsNotFound(err) {
		return nil, errNoUser
	}
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	return &u, nil
}

// Authenticate implements httpapi.Authenticator for bearer tokens and API keys.
func (s *Service) Authenticate(r *http.Request) (*httpapi.Principal, error) {
	if key := r.Header.Get("X-API-Key"); key != "" {
		return s.APIKeyPrincipal(r.Context(), key)
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return nil, httpapi.Unauthorized("the Authorization header must be Bearer <token>")
	}
	return s.TokenPrincipal(r.Context(), token)
}

// TokenPrincipal returns the user a bearer token belongs to, if it is valid now.
func (s *Service) TokenPrincipal(ctx context.Context, token string) (*httpapi.Principal, error) {
	hash, now := hashSecret(token), time.Now()
	if p, ok := s.cache.get(hash, now); ok {
		return p, nil
	}
	var t tokenDoc
	err := s.st.C(tokensCollection).FindOne(ctx, bson.M{"_id": hash}).Decode(&t)
	switch {
	case store.IsNotFound(err):
		return nil, httpapi.Unauthorized("unknown token; log in again")
	case err != nil:
		return nil, fmt.Errorf("load token: %w", err)
	case t.RevokedAt != nil:
		return nil, httpapi.Unauthorized("this token was revoked; log in again")
	case now.After(t.ExpiresAt):
		return nil, httpapi.Unauthorized("this token expired; log in again")
	}
	u, err := s.User(ctx, t.Username)
	if errors.Is(err, errNoUser) || (err == nil && u.Disabled) {
		return nil, httpapi.Unauthorized("this account is disabled")
	}
	if err != nil {
		return nil, err
	}
	p := u.Principal()
	s.cache.put(hash, p, t.ExpiresAt, now)
	return p, nil
}

// Revoke ends the token at once.
func (s *Service) Revoke(ctx context.Context, token string) error {
	s.cache.forget(hashSecret(token))
	now := time.Now().UTC()
	_, err := s.st.C(tokensCollection).UpdateOne(ctx, bson.M{"_id": hashSecret(token)}, bson.M{"$set": bson.M{"revoked_at": now}})
	return err
}

// RevokeAll ends every token of a user.
func (s *Service) RevokeAll(ctx context.Context, username string) error {
	s.cache.forgetUser(username)
	now := time.Now().UTC()
	_, err := s.st.C(tokensCollection).UpdateMany(ctx, bson.M{"username": username, "revoked_at": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"revoked_at": now}})
	return err
}

// clientIP is the address a request came from (the proxy's, unless a trusted proxy setting
// is added later: X-Forwarded-For is not trusted, so it cannot dodge the limits).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ClientIP exposes clientIP for other packages' limits.
func ClientIP(r *http.Request) string { return clientIP(r) }
