package auth

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// LoginRequest is the body of POST /api/v1/auth/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginResponse is its answer.
type LoginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      *User     `json:"user"`
}

// Register adds the routes of accounts, tokens and API keys to api.
func (s *Service) Register(api *httpapi.API) {
	admin := httpapi.Users(httpapi.RoleAdmin)
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/auth/login", Tag: "auth", Summary: "Log in with a password; returns a bearer token",
		Access: httpapi.Public, Body: LoginRequest{}, Response: LoginResponse{}, Handle: httpapi.ReplyBody(http.StatusOK, s.login)})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/auth/logout", Tag: "auth", Summary: "Revoke the token of this request",
		Access: httpapi.Users(), Status: http.StatusNoContent, Handle: httpapi.NoContent(s.logout)})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/auth/me", Tag: "auth", Summary: "Who the token belongs to",
		Access: httpapi.Users(), Response: httpapi.Principal{}, Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) (*httpapi.Principal, error) {
			return httpapi.PrincipalFrom(r.Context()), nil
		})})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/users", Tag: "auth", Summary: "List accounts",
		Access: httpapi.Users(httpapi.RoleAdmin, httpapi.RoleSupervisor), Params: []httpapi.Param{{Name: "role", In: "query"}},
		Response: httpapi.List[User]{}, Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) (httpapi.List[User], error) {
			users, err := s.Users(r.Context(), r.URL.Query().Get("role"))
			return httpapi.List[User]{Items: users}, err
		})})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/users", Tag: "auth", Summary: "Create an account",
		Access: admin, Body: NewUser{}, Response: User{}, Status: http.StatusCreated,
		Handle: httpapi.ReplyBody(http.StatusCreated, func(r *http.Request, n NewUser) (*User, error) {
			return s.CreateUser(r.Context(), n)
		})})
	api.Handle(httpapi.Route{Method: "PATCH", Path: "/api/v1/users/{username}", Tag: "auth", Summary: "Change an account (version required)",
		Access: admin, Body: UserPatch{}, Response: User{}, Handle: httpapi.ReplyBody(http.StatusOK, func(r *http.Request, p UserPatch) (*User, error) {
			return s.UpdateUser(r.Context(), r.PathValue("username"), p)
		})})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/users/{username}/revoke-tokens", Tag: "auth", Summary: "Revoke every token of an account",
		Access: admin, Status: http.StatusNoContent, Handle: httpapi.NoContent(func(r *http.Request) error {
			return s.RevokeAll(r.Context(), strings.ToLower(r.PathValue("username")))
		})})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/apikeys", Tag: "auth", Summary: "List API keys",
		Access: admin, Response: httpapi.List[APIKey]{}, Handle: httpapi.Reply(http.StatusOK, func(r *http.Request) (httpapi.List[APIKey], error) {
			keys, err := s.APIKeys(r.Context())
			return httpapi.List[APIKey]{Items: keys}, err
		})})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/apikeys", Tag: "auth", Summary: "Create an API key; the key is shown only in this answer",
		Access: admin, Body: NewAPIKey{}, Response: CreatedAPIKey{}, Status: http.StatusCreated,
		Handle: httpapi.ReplyBody(http.StatusCreated, func(r *http.Request, n NewAPIKey) (*CreatedAPIKey, error) {
			return s.CreateAPIKey(r.Context(), httpapi.PrincipalFrom(r.Context()).Username, n)
		})})
	api.Handle(httpapi.Route{Method: "DELETE", Path: "/api/v1/apikeys/{id}", Tag: "auth", Summary: "Revoke an API key",
		Access: admin, Status: http.StatusNoContent, Handle: httpapi.NoContent(func(r *http.Request) error {
			return s.RevokeAPIKey(r.Context(), r.PathValue("id"))
		})})
}

func (s *Service) login(r *http.Request, req LoginRequest) (*LoginResponse, error) {
	if missing := map[string]string{}; req.Username == "" || req.Password == "" {
		if req.Username == "" {
			missing["username"] = "required"
		}
		if req.Password == "" {
			missing["password"] = "required"
		}
		return nil, httpapi.Invalid(missing)
	}
	token, exp, u, err := s.Login(r.Context(), req.Username, req.Password, clientIP(r))
	if errors.Is(err, ErrBadCredentials) {
		return nil, httpapi.Unauthorized("wrong username or password")
	}
	if err != nil {
		return nil, err
	}
	return &LoginResponse{Token: token, ExpiresAt: exp, User: u}, nil
}

func (s *Service) logout(r *http.Request) error {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		return httpapi.BadRequest("logout needs the bearer token to revoke")
	}
	return s.Revoke(r.Context(), token)
}
