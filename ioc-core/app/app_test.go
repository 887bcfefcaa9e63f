package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestLoginAndReferenceData(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	tok := srv.Login(t, "leader", "demo-leader")
	for _, path := range []string{"/api/v1/departments", "/api/v1/units", "/api/v1/categories", "/api/v1/units?level=ward&parent=48"} {
		r := srv.Do(t, "GET", path, tok, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		var l struct {
			Items []map[string]any `json:"items"`
		}
		r.Decode(t, &l)
		if len(l.Items) < 10 {
			t.Errorf("%s: %d items, want the demo set", path, len(l.Items))
		}
	}
	r := srv.Do(t, "GET", "/api/v1/units/20194", tok, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), "Thạch Thang") {
		t.Errorf("unit with old names as aliases: %d %s", r.Status, r.Body)
	}
	if r := srv.Do(t, "GET", "/metrics", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), "ioc1022_http_requests_total") {
		t.Errorf("metrics: %d", r.Status)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := srv.Do(t, "GET", p, "", nil); r.Status != 200 {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	admin := srv.Admin(t)
	leader := srv.Login(t, "leader", "demo-leader")
	big := `{"username":"` + strings.Repeat("x", 2<<20) + `","password":"p"}`
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"malformed JSON", "POST", "/api/v1/auth/login", "", `{"username":`, 400, "bad_request"},
		{"not JSON at all", "POST", "/api/v1/auth/login", "", `hello`, 400, "bad_request"},
		{"empty body", "POST", "/api/v1/auth/login", "", ``, 400, "bad_request"},
		{"trailing data", "POST", "/api/v1/auth/login", "", `{"username":"a","password":"b"} {}`, 400, "bad_request"},
		{"unknown field", "POST", "/api/v1/users", admin, `{"username":"x1","role":"agent","password":"12345678","shoe":1}`, 400, "unknown_field"},
		{"wrong type", "POST", "/api/v1/users", admin, `{"username":42,"role":"agent","password":"12345678"}`, 400, "bad_request"},
		{"oversized body", "POST", "/api/v1/auth/login", "", big, 413, "too_large"},
		{"missing auth", "GET", "/api/v1/departments", "", nil, 401, "unauthorized"},
		{"garbage token", "GET", "/api/v1/departments", "not-a-token", nil, 401, "unauthorized"},
		{"wrong role", "POST", "/api/v1/users", leader, `{"username":"x2","role":"agent","password":"12345678"}`, 403, "forbidden"},
		{"invalid fields", "POST", "/api/v1/users", admin, `{"username":"a b","role":"king","password":"short"}`, 422, "invalid"},
		{"officer without department", "POST", "/api/v1/users", admin, `{"username":"off1","role":"officer","password":"12345678"}`, 422, "invalid"},
		{"officer of unknown department", "POST", "/api/v1/users", admin, `{"username":"off2","role":"officer","password":"12345678","departments":["NOPE"]}`, 422, "invalid"},
		{"duplicate user", "POST", "/api/v1/users", admin, `{"username":"agent1","role":"agent","password":"12345678"}`, 409, "conflict"},
		{"stale version", "PUT", "/api/v1/categories/other", admin, `{"code":"other","name":"Khác","accept_hours":8,"answer_days":10,"active":true,"version":99}`, 409, "conflict"},
		{"unknown route", "GET", "/api/v1/nothing-here", admin, nil, 404, "not_found"},
		{"bad page limit", "GET", "/api/v1/users?limit=0", admin, nil, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := srv.Do(t, c.method, c.path, c.token, c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if c.code != "" && r.ErrorCode() != c.code {
				t.Fatalf("error code %q, want %q: %s", r.ErrorCode(), c.code, r.Body)
			}
			if r.Status >= 400 && !json.Valid(r.Body) {
				t.Fatalf("error body is not JSON: %s", r.Body)
			}
		})
	}
	// A login without a password names only the password.
	if r := srv.Do(t, "POST", "/api/v1/auth/login", "", `{"username":"agent1"}`); r.Status != 422 ||
		!strings.Contains(string(r.Body), `"password"`) || strings.Contains(string(r.Body), `"username":"required"`) {
		t.Fatalf("login without a password: %d %s", r.Status, r.Body)
	}
	// Nothing half-written: the refused users do not exist.
	r := srv.Do(t, "GET", "/api/v1/users", admin, nil)
	for _, u := range []string{"x1", "x2", "off1", "off2", "a b"} {
		if strings.Contains(string(r.Body), `"username":"`+u+`"`) {
			t.Errorf("refused user %s was stored", u)
		}
	}
}

func TestTokensExpireAndRevoke(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	tok := srv.Login(t, "agent1", "demo-agent1")
	if r := srv.Do(t, "GET", "/api/v1/auth/me", tok, nil); r.Status != 200 {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}
	other := srv.Login(t, "agent2", "demo-agent2")
	if r := srv.Do(t, "POST", "/api/v1/auth/logout", other, nil); r.Status != 204 {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if r := srv.Do(t, "GET", "/api/v1/auth/me", other, nil); r.Status != 401 || !strings.Contains(string(r.Body), "revoked") {
		t.Fatalf("revoked token: %d %s", r.Status, r.Body)
	}
	// Let the token's lifetime pass, as seen by the store.
	_, err := srv.App.Core.Store.C("auth_tokens").UpdateMany(context.Background(), bson.M{"username": "agent1"},
		bson.M{"$set": bson.M{"expires_at": time.Now().Add(-time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	// A change made behind this node's back, as another node would, is seen once the node's
	// cache of checked tokens lets go of it (a few seconds).
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := srv.Do(t, "GET", "/api/v1/auth/me", tok, nil)
		if r.Status == 401 && strings.Contains(string(r.Body), "expired") {
			break
		}
		if r.Status != 200 || time.Now().After(deadline) {
			t.Fatalf("expired token: %d %s", r.Status, r.Body)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestDisablingAUserRevokesTokens(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	admin := srv.Admin(t)
	tok := srv.Login(t, "agent2", "demo-agent2")
	var u struct {
		Version int64 `json:"version"`
	}
	r := srv.Do(t, "GET", "/api/v1/users?role=agent", admin, nil)
	var l struct {
		Items []struct {
			Username string `json:"username"`
			Version  int64  `json:"version"`
		} `json:"items"`
	}
	r.Decode(t, &l)
	for _, it := range l.Items {
		if it.Username == "agent2" {
			u.Version = it.Version
		}
	}
	r = srv.Do(t, "PATCH", "/api/v1/users/agent2", admin, map[string]any{"version": u.Version, "disabled": true})
	if r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if r := srv.Do(t, "GET", "/api/v1/auth/me", tok, nil); r.Status != 401 {
		t.Fatalf("token of disabled user: %d %s", r.Status, r.Body)
	}
	if r := srv.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "agent2", "password": "demo-agent2"}); r.Status != 401 {
		t.Fatalf("login of disabled user: %d %s", r.Status, r.Body)
	}
}

func TestBruteForceLoginIsThrottled(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	var got429 bool
	for i := 0; i < 8; i++ {
		r := srv.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "supervisor", "password": fmt.Sprint("guess", i)})
		switch r.Status {
		case 401:
		case 429:
			got429 = true
			if r.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		default:
			t.Fatalf("attempt %d: %d %s", i, r.Status, r.Body)
		}
	}
	if !got429 {
		t.Fatal("8 wrong passwords in a row were never throttled")
	}
	// Even the right password waits now: the account is throttled, not only wrong guesses.
	if r := srv.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "supervisor", "password": "demo-supervisor"}); r.Status != 429 {
		t.Fatalf("login during throttle: %d", r.Status)
	}
	// Another account from the same address is still served.
	if r := srv.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "leader", "password": "demo-leader"}); r.Status != 200 {
		t.Fatalf("other account: %d %s", r.Status, r.Body)
	}
}

func TestEveryAPIRouteIsDocumented(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	r := srv.Do(t, "GET", "/api/v1/openapi.json", "", nil)
	var doc struct {
		OpenAPI string                            `json:"openapi"`
		Paths   map[string]map[string]interface{} `json:"paths"`
	}
	r.Decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	missing := undocumented(srv.App.Core.API.Patterns(), doc.Paths)
	if len(missing) > 0 {
		t.Fatalf("routes missing from the OpenAPI document: %v", missing)
	}
}

// undocumented lists the /api/v1 patterns with a method that the document lacks.
func undocumented(patterns []string, paths map[string]map[string]interface{}) []string {
	var missing []string
	for _, p := range patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok || !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		path = strings.ReplaceAll(path, "...}", "}")
		if _, ok := paths[path][strings.ToLower(method)]; !ok {
			missing = append(missing, p)
		}
	}
	return missing
}

func TestConcurrentUpdatesOneWins(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	admin := srv.Admin(t)
	body := `{"code":"other","name":"Khác %d","accept_hours":8,"answer_days":10,"active":true,"version":1}`
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = srv.Do(t, "PUT", "/api/v1/categories/other", admin, fmt.Sprintf(body, i)).Status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 409:
		default:
			t.Errorf("status %d", s)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent updates of version 1 succeeded, want exactly 1 (%v)", ok, statuses)
	}
}
