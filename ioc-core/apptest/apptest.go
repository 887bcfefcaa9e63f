// Package apptest boots a whole ioc1022 node for tests: random loopback ports, a fresh
// embedded store in a temporary directory (or the MongoDB of MONGODB_URI, in a database of
// its own), demo data, and helpers to call the API over real HTTP.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// AdminPassword is the admin's password in test nodes.
const AdminPassword = "admin-password"

// Server is a running node.
type Server struct {
	URL string
	App *app.App

	stop context.CancelFunc
	done chan error
	once sync.Once
}

// Config returns the configuration of a test node: demo data, loopback ports, a temporary
// data directory and a database of its own, and the cheapest bcrypt cost.
func Config(t testing.TB) config.Config {
	cfg := config.Default()
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.PBX.Listen = "127.0.0.1:0"
	cfg.Data.Dir = t.TempDir()
	cfg.MongoDB.URI = os.Getenv("MONGODB_URI")
	cfg.MongoDB.Database = "ioctest_" + bson.NewObjectID().Hex()
	cfg.Demo, cfg.DemoExplicit = true, true
	cfg.Auth.BcryptCost = 4
	cfg.Admin.Password = AdminPassword
	cfg.Log.Level = "warn"
	return cfg
}

// Start boots a node with cfg and the modules and waits until its start-up loads are done
// (app.Core.Load); it stops when the test ends.
func Start(t testing.TB, cfg config.Config, modules ...app.Module) *Server {
	t.Helper()
	s := StartLoading(t, cfg, modules...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.App.Core.Readiness.Wait(ctx); err != nil {
		t.Fatalf("node not ready: still loading %v", s.App.Core.Readiness.Pending())
	}
	return s
}

// StartLoading boots a node with cfg and the modules and returns once it listens, its
// start-up loads possibly still under way; it stops when the test ends.
func StartLoading(t testing.TB, cfg config.Config, modules ...app.Module) *Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log, modules...)
	if err != nil {
		cancel()
		t.Fatalf("start node: %v", err)
	}
	if err := a.Listen(); err != nil {
		cancel()
		t.Fatalf("listen: %v", err)
	}
	s := &Server{URL: "http://" + a.HTTPAddr(), App: a, stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		if cfg.MongoDB.URI != "" {
			_ = a.Core.Store.DB.Drop(context.Background())
		}
		s.Stop(t)
	})
	return s
}

// Stop shuts the node down and waits for it. It may be called more than once.
func (s *Server) Stop(t testing.TB) {
	s.once.Do(func() {
		s.stop()
		select {
		case err := <-s.done:
			if err != nil {
				t.Errorf("node stopped with error: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("node did not stop within 30s")
		}
	})
}

// Response is an HTTP answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v, failing the test when it is not JSON of that shape.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrorCode returns the code of an error answer.
func (r Response) ErrorCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Do sends a request with an optional bearer token; body is sent as is when it is a string
// or []byte, else marshalled to JSON.
func (s *Server) Do(t testing.TB, method, path, token string, body any) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// Login returns a token for the user, failing the test otherwise.
func (s *Server) Login(t testing.TB, user, password string) string {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password})
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", user, r.Status, r.Body)
	}
	var out struct {
		Token string `json:"token"`
	}
	r.Decode(t, &out)
	return out.Token
}

// Admin returns a token of the admin.
func (s *Server) Admin(t testing.TB) string { return s.Login(t, "admin", AdminPassword) }

// Get fetches path as the token's user and decodes the JSON answer, failing the test unless
// it is a 200.
func Get[T any](t testing.TB, s *Server, token, path string) T {
	t.Helper()
	r := s.Do(t, "GET", path, token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	var v T
	r.Decode(t, &v)
	return v
}

// WaitRelayed waits until the event with id is in the event log and returns its sequence
// number, failing the test when ctx ends first.
func (s *Server) WaitRelayed(ctx context.Context, t testing.TB, id string) int64 {
	t.Helper()
	for {
		var ev events.Event
		err := s.App.Core.Store.C(events.LogCollection).FindOne(ctx, bson.M{"_id": id}).Decode(&ev)
		if err == nil {
			return ev.Seq
		}
		if ctx.Err() != nil {
			t.Fatalf("event %s not relayed in time", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
