package tickets_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/tickets"
)

// node is a test node with the ticket engine and tokens of the demo users.
type node struct {
	*apptest.Server
	tk                                                 *tickets.Module
	admin, agent, supervisor, officer, haichau, leader string
}

// indexModes are the two ways the engine answers its queries (tickets.StoreQueries): on
// FerretDB the in-memory index by default, store queries when asked. Tests whose answers
// depend on the index run under both (forEachIndex); -tickets.index=store runs every other
// test with store queries too.
var indexModes = map[string][]tickets.Option{"memory": nil, "store": {tickets.StoreQueries()}}

var indexFlag = flag.String("tickets.index", "memory", "index of the tests that do not run under both: memory or store")

// forEachIndex runs f once per index mode, as subtests.
func forEachIndex(t *testing.T, f func(t *testing.T, start func(t *testing.T, tune ...func(*config.Config)) *node)) {
	for name, opts := range indexModes {
		t.Run(name, func(t *testing.T) {
			f(t, func(t *testing.T, tune ...func(*config.Config)) *node { return startWith(t, opts, tune...) })
		})
	}
}

func start(t *testing.T, tune ...func(*config.Config)) *node {
	t.Helper()
	opts, ok := indexModes[*indexFlag]
	if !ok {
		t.Fatalf("-tickets.index=%q: memory or store", *indexFlag)
	}
	return startWith(t, opts, tune...)
}

func startWith(t *testing.T, opts []tickets.Option, tune ...func(*config.Config)) *node {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.Tickets.SweepInterval = 50 * time.Millisecond
	for _, f := range tune {
		f(&cfg)
	}
	tk := tickets.New(opts...)
	srv := apptest.Start(t, cfg, tk)
	return &node{Server: srv, tk: tk, admin: srv.Admin(t), agent: srv.Login(t, "agent1", "demo-agent1"),
		supervisor: srv.Login(t, "supervisor", "demo-supervisor"), officer: srv.Login(t, "officer", "demo-officer"),
		haichau: srv.Login(t, "officer.haichau", "demo-officer"), leader: srv.Login(t, "leader", "demo-leader")}
}

// create posts a ticket as the agent and fails the test unless it is created.
func (n *node) create(t *testing.T, body map[string]any) tickets.Ticket {
	t.Helper()
	r := n.Do(t, "POST", "/api/v1/tickets", n.agent, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var tk tickets.Ticket
	r.Decode(t, &tk)
	return tk
}

// act posts an action and returns the answer.
func (n *node) act(t *testing.T, token string, code tickets.Code, action string, req map[string]any) apptest.Response {
	t.Helper()
	return n.Do(t, "POST", "/api/v1/tickets/"+string(code)+"/actions/"+action, token, req)
}

// mustAct posts an action with the ticket's current version and fails unless it is 200.
func (n *node) mustAct(t *testing.T, token string, code tickets.Code, action string, req map[string]any) tickets.Ticket {
	t.Helper()
	if req == nil {
		req = map[string]any{}
	}
	if _, ok := req["version"]; !ok {
		req["version"] = n.get(t, code).Version
	}
	r := n.act(t, token, code, action, req)
	if r.Status != http.StatusOK {
		t.Fatalf("%s %s: %d %s", action, code, r.Status, r.Body)
	}
	var tk tickets.Ticket
	r.Decode(t, &tk)
	return tk
}

func (n *node) get(t *testing.T, code tickets.Code) tickets.Ticket {
	t.Helper()
	r := n.Do(t, "GET", "/api/v1/tickets/"+string(code), n.admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get %s: %d %s", code, r.Status, r.Body)
	}
	var tk tickets.Ticket
	r.Decode(t, &tk)
	return tk
}

// waitEvents waits until the log holds events of the given types about subject (in any
// order, each as many times as listed) and returns all of subject's events.
func (n *node) waitEvents(t *testing.T, match func(events.Event) bool, want int) []events.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := n.App.Core.Events.Read(context.Background(), 0, 100000, "ticket.")
		if err != nil {
			t.Fatal(err)
		}
		var got []events.Event
		for _, ev := range evs {
			if match(ev) {
				got = append(got, ev)
			}
		}
		if len(got) >= want {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d events, got %d: %s", want, len(got), typesOf(got))
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func typesOf(evs []events.Event) string {
	var s []string
	for _, ev := range evs {
		s = append(s, fmt.Sprintf("%s(%s)", ev.Type, ev.Subject))
	}
	return strings.Join(s, " ")
}

func ofType(typ string, subjects ...tickets.Code) func(events.Event) bool {
	return func(ev events.Event) bool {
		if ev.Type != typ {
			return false
		}
		for _, s := range subjects {
			if ev.Subject == string(s) {
				return true
			}
		}
		return len(subjects) == 0
	}
}

type eventT = events.Event
