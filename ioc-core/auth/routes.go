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
		Access: httpapi.Public, Body: LoginRequest{}, Response: LoginResponse{}, Handle: s.handleLogin})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/auth/logout", Tag: "auth", Summary: "Revoke the token of this request",
		Access: httpapi.Users(), Status: http.StatusNoContent, Handle: s.handleLogout})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/auth/me", Tag: "auth", Summary: "Who the token belongs to",
		Access: httpapi.Users(), Response: httpapi.Principal{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			httpapi.WriteJSON(w, http.StatusOK, httpapi.PrincipalFrom(r.Context()))
			return nil
		}})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/users", Tag: "auth", Summary: "List accounts",
		Access: httpapi.Users(httpapi.RoleAdmin, httpapi.RoleSupervisor), Params: []httpapi.Param{{Name: "role", In: "query"}},
		Response: httpapi.List[User]{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			users, err := s.Users(r.Context(), r.URL.Query().Get("role"))
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, httpapi.List[User]{Items: users})
			return nil
		}})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/users", Tag: "auth", Summary: "Create an account",
		Access: admin, Body: NewUser{}, Response: User{}, Status: http.StatusCreated, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var n NewUser
			if err := httpapi.Decode(r, &n); err != nil {
				return err
			}
			u, err := s.CreateUser(r.Context(), n)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, u)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "PATCH", Path: "/api/v1/users/{username}", Tag: "auth", Summary: "Change an account (version required)",
		Access: admin, Body: UserPatch{}, Response: User{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var p UserPatch
			if err := httpapi.Decode(r, &p); err != nil {
				return err
			}
			u, err := s.UpdateUser(r.Context(), r.PathValue("username"), p)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, u)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/users/{username}/revoke-tokens", Tag: "auth", Summary: "Revoke every token of an account",
		Access: admin, Status: http.StatusNoContent, Handle: func(w http.ResponseWriter, r *http.Request) error {
			if err := s.RevokeAll(r.Context(), strings.ToLower(r.PathValue("username"))); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}})
	s.registerKeys(api, admin)
}

func (s *Service) registerKeys(api *httpapi.API, admin httpapi.Access) {
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/apikeys", Tag: "auth", Summary: "List API keys",
		Access: admin, Response: httpapi.List[APIKey]{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			keys, err := s.APIKeys(r.Context())
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, httpapi.List[APIKey]{Items: keys})
			return nil
		}})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/apikeys", Tag: "auth", Summary: "Create an API key; the key is shown only in this answer",
		Access: admin, Body: NewAPIKey{}, Response: CreatedAPIKey{}, Status: http.StatusCreated, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var n NewAPIKey
			if err := httpapi.Decode(r, &n); err != nil {
				return err
			}
			k, err := s.CreateAPIKey(r.Context(), httpapi.PrincipalFrom(r.Context()).Username, n)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, k)
			return nil
		}})
	api.Handle(httpapi.Route{Method: "DELETE", Path: "/api/v1/apikeys/{id}", Tag: "auth", Summary: "Revoke an API key",
		Access: admin, Status: http.StatusNoContent, Handle: func(w http.ResponseWriter, r *http.Request) error {
			if err := s.RevokeAPIKey(r.Context(), r.PathValue("id")); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}})
}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var req LoginRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" {
		return httpapi.Invalid(map[string]string{"username": "required", "password": "required"})
	}
	token, exp, u, err := s.Login(r.Context(), req.Username, req.Password, clientIP(r))
	if errors.Is(err, ErrBadCredentials) {
		return httpapi.Unauthorized("wrong username or password")
	}
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, LoginResponse{Token: token, ExpiresAt: exp, User: u})
	return nil
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) error {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		return httpapi.BadRequest("logout needs the bearer token to revoke")
	}
	if err := s.Revoke(r.Context(), token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
