package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/crypto/bcrypt"
)

// Roles lists every role.
var Roles = []httpapi.Role{httpapi.RoleAdmin, httpapi.RoleSupervisor, httpapi.RoleAgent, httpapi.RoleOfficer, httpapi.RoleLeader}

// NewUser is what an administrator gives to create an account.
type NewUser struct {
	Username    string       `json:"username"`
	Name        string       `json:"name"`
	Role        httpapi.Role `json:"role"`
	Password    string       `json:"password"`
	Departments []string     `json:"departments,omitempty"`
	Extension   string       `json:"extension,omitempty"`
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 8

func (s *Service) validate(ctx context.Context, n *NewUser, withPassword bool) error {
	f := map[string]string{}
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	if !validUsername(n.Username) {
		f["username"] = "3 to 64 letters, digits, dots, dashes or underscores"
	}
	if !slices.Contains(Roles, n.Role) {
		f["role"] = "one of admin, supervisor, agent, officer, leader"
	}
	if withPassword && len(n.Password) < MinPasswordLen {
		f["password"] = fmt.Sprintf("at least %d characters", MinPasswordLen)
	}
	if n.Role == httpapi.RoleOfficer && len(n.Departments) == 0 {
		f["departments"] = "an officer belongs to at least one department"
	}
	for _, d := range n.Departments {
		if s.DepartmentExists == nil {
			break
		}
		ok, err := s.DepartmentExists(ctx, d)
		if err != nil {
			return err
		}
		if !ok {
			f["departments"] = fmt.Sprintf("no department %q", d)
		}
	}
	if len(f) > 0 {
		return httpapi.Invalid(f)
	}
	return nil
}

func validUsername(u string) bool {
	if len(u) < 3 || len(u) > 64 {
		return false
	}
	for _, r := range u {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_') || r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// CreateUser adds an account. It answers 409 when the username is taken.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (*User, error) {
	if err := s.validate(ctx, &n, true); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), s.cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	now := time.Now().UTC()
	u := &User{Username: n.Username, Name: n.Name, Role: n.Role, Departments: n.Departments, Extension: n.Extension,
		PasswordHash: string(hash), CreatedAt: now, UpdatedAt: now, Version: 1}
	if _, err := s.st.C(usersCollection).InsertOne(ctx, u); err != nil {
		if store.IsDuplicate(err) {
			return nil, httpapi.Conflict("user %q exists", n.Username)
		}
		return nil, fmt.Errorf("create user %s: %w", n.Username, err)
	}
	return u, nil
}

// UserPatch changes some fields of an account; Version must be the account's current one.
type UserPatch struct {
	Version     int64         `json:"version"`
	Name        *string       `json:"name,omitempty"`
	Role        *httpapi.Role `json:"role,omitempty"`
	Password    *string       `json:"password,omitempty"`
	Departments *[]string     `json:"departments,omitempty"`
	Extension   *string       `json:"extension,omitempty"`
	Disabled    *bool         `json:"disabled,omitempty"`
}

// UpdateUser applies p. A changed password, role or disabled account revokes its tokens.
func (s *Service) UpdateUser(ctx context.Context, username string, p UserPatch) (*User, error) {
	u, err := s.User(ctx, username)
	if err != nil {
		return nil, httpapi.NotFound("no user %q", username)
	}
	if p.Version != u.Version {
		return nil, httpapi.Conflict("user %q changed meanwhile (version %d, yours %d); reload and retry", username, u.Version, p.Version)
	}
	n := NewUser{Username: u.Username, Name: u.Name, Role: u.Role, Departments: u.Departments, Extension: u.Extension}
	apply(&n.Name, p.Name)
	apply(&n.Role, p.Role)
	apply(&n.Departments, p.Departments)
	apply(&n.Extension, p.Extension)
	if p.Password != nil {
		n.Password = *p.Password
	}
	if err := s.validate(ctx, &n, p.Password != nil); err != nil {
		return nil, err
	}
	set := bson.M{"name": n.Name, "role": n.Role, "departments": n.Departments, "extension": n.Extension, "updated_at": time.Now().UTC()}
	if p.Password != nil {
		hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), s.cfg.BcryptCost)
		if err != nil {
			return nil, fmt.Errorf("hash password: %w", err)
		}
		set["password_hash"] = string(hash)
	}
	if p.Disabled != nil {
		set["disabled"] = *p.Disabled
	}
	var out User
	err = s.st.C(usersCollection).FindOneAndUpdate(ctx, bson.M{"_id": u.Username, "version": u.Version},
		bson.M{"$set": set, "$inc": bson.M{"version": 1}}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&out)
	if store.IsNotFound(err) {
		return nil, httpapi.Conflict("user %q changed meanwhile; reload and retry", username)
	}
	if err != nil {
		return nil, fmt.Errorf("update user %s: %w", username, err)
	}
	s.cache.forgetUser(u.Username)
	if p.Password != nil || (p.Role != nil && *p.Role != u.Role) || (p.Disabled != nil && *p.Disabled) {
		if err := s.RevokeAll(ctx, u.Username); err != nil {
			return nil, fmt.Errorf("revoke tokens of %s: %w", username, err)
		}
	}
	return &out, nil
}

func apply[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Users lists accounts, optionally of one role, by username.
func (s *Service) Users(ctx context.Context, role string) ([]User, error) {
	filter := bson.M{}
	if role != "" {
		filter["role"] = role
	}
	cur, err := s.st.C(usersCollection).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(5000))
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	users := []User{}
	return users, cur.All(ctx, &users)
}

// Bootstrap creates the admin account on an empty store. With password empty it generates
// one and returns it, to be printed once; otherwise it returns "".
func (s *Service) Bootstrap(ctx context.Context, password string) (string, error) {
	n, err := s.st.C(usersCollection).CountDocuments(ctx, bson.M{})
	if err != nil {
		return "", fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	generated := ""
	if password == "" {
		generated = randomSecret("")[:20]
		password = generated
	}
	_, err = s.CreateUser(ctx, NewUser{Username: "admin", Name: "Quản trị hệ thống", Role: httpapi.RoleAdmin, Password: password})
	if err != nil {
		return "", fmt.Errorf("create admin: %w", err)
	}
	return generated, nil
}
