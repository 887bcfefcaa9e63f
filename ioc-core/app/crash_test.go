package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The crash test runs the node in a child process: this test binary, re-executed with
// IOCTEST_CHILD set, serves the core plus notesModule.
func TestMain(m *testing.M) {
	if os.Getenv("IOCTEST_CHILD") == "1" {
		os.Exit(app.Main(os.Args[1:], notesModule{}))
	}
	os.Exit(m.Run())
}

// notesModule is a minimal domain module: each note is stored with a staged event, and a
// durable consumer counts how often it saw each event.
type notesModule struct{}

func (notesModule) Name() string { return "notes" }

func (notesModule) Init(ctx context.Context, c *app.Core) error {
	c.Events.Source("notes")
	c.Events.Subscribe("notes-counter", func(ctx context.Context, ev events.Event) error {
		_, err := c.Store.C("notes_seen").UpdateOne(ctx, bson.M{"_id": ev.Subject},
			bson.M{"$inc": bson.M{"n": 1}}, options.UpdateOne().SetUpsert(true))
		return err
	}, "note.")
	c.API.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/test/notes/{id}", Summary: "test note", Access: httpapi.Public,
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			id := r.PathValue("id")
			doc := struct {
				ID            string `bson:"_id"`
				events.Outbox `bson:",inline"`
			}{ID: id, Outbox: events.NewOutbox(events.MustNew("note.created", id, bson.M{"id": id}))}
			if _, err := c.Store.C("notes").InsertOne(r.Context(), doc); err != nil {
				return err
			}
			c.Events.Kick(events.Ref{Coll: "notes", ID: id})
			w.WriteHeader(http.StatusCreated)
			return nil
		}})
	c.API.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/test/notes/{id}", Summary: "test note state", Access: httpapi.Public,
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			id := r.PathValue("id")
			stored, err := c.Store.C("notes").CountDocuments(r.Context(), bson.M{"_id": id})
			if err != nil {
				return err
			}
			var seen struct {
				N int `bson:"n"`
			}
			_ = c.Store.C("notes_seen").FindOne(r.Context(), bson.M{"_id": id}).Decode(&seen)
			httpapi.WriteJSON(w, http.StatusOK, map[string]int{"stored": int(stored), "seen": seen.N})
			return nil
		}})
	return nil
}

type child struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
}

// syncBuffer collects a child's standard error.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var consoleLine = regexp.MustCompile(`console\s+(http://[0-9.:]+)/`)

func startChild(t *testing.T, dataDir, db string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "serve", "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--data", dataDir)
	// The child runs the embedded store in its own process: that is what is killed.
	cmd.Env = append(withoutEnv(os.Environ(), "MONGODB_URI"), "IOCTEST_CHILD=1", "IOC1022_ADMIN_PASSWORD=admin-password",
		"IOC1022_AUTH_BCRYPT_COST=4", "IOC1022_MONGODB_DATABASE="+db, "IOC1022_LOG_LEVEL=warn")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errs := &syncBuffer{}
	cmd.Stderr = errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := consoleLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found) // the child exited
	}()
	select {
	case base, ok := <-found:
		if !ok {
			t.Fatalf("child node exited before serving:\n%s", errs.String())
		}
		return &child{cmd: cmd, base: base, stderr: errs}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child node did not start within 60s")
	}
	return nil
}

func withoutEnv(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func TestKill9KeepsAcknowledgedWritesAndConsumersResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dataDir, db := t.TempDir(), "crash_"+bson.NewObjectID().Hex()
	c := startChild(t, dataDir, db)
	acked := writeUntil(t, c, 100, func() {
		if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = c.cmd.Wait()
	})
	c = startChild(t, dataDir, db)
	defer func() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		_ = c.cmd.Wait()
	}()
	t.Logf("%d writes acknowledged before kill -9", len(acked))
	redelivered := checkNotes(t, c, acked)
	// At least once, and resumed from the durable cursor: at most the unsaved batch again.
	if redelivered > 256 {
		t.Fatalf("%d events delivered again after restart: the consumer did not resume from its cursor", redelivered)
	}
}

func TestSIGTERMDrainsWithoutLossOrNoise(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dataDir, db := t.TempDir(), "term_"+bson.NewObjectID().Hex()
	c := startChild(t, dataDir, db)
	var exitErr error
	acked := writeUntil(t, c, 60, func() {
		if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		exitErr = c.cmd.Wait()
	})
	if exitErr != nil {
		t.Fatalf("node did not exit cleanly on SIGTERM: %v\n%s", exitErr, c.stderr.String())
	}
	for _, noise := range []string{"connection stopped", "level=ERROR", "panic"} {
		if strings.Contains(c.stderr.String(), noise) {
			t.Errorf("shutdown logged %q:\n%s", noise, c.stderr.String())
		}
	}
	c = startChild(t, dataDir, db)
	defer func() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		_ = c.cmd.Wait()
	}()
	if n := checkNotes(t, c, acked); n > 0 {
		t.Errorf("%d events delivered twice after a clean shutdown", n)
	}
}

// writeUntil writes notes from four clients; once n are acknowledged it calls stop (which
// ends the node) and returns the ids that got a 2xx.
func writeUntil(t *testing.T, c *child, n int64, stop func()) []string {
	t.Helper()
	var acked sync.Map
	var count atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				resp, err := client.Post(c.base+"/api/v1/test/notes/"+id, "application/json", nil)
				if err != nil {
					time.Sleep(10 * time.Millisecond) // refused while stopping: not acknowledged
					continue
				}
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					acked.Store(id, true)
					count.Add(1)
				}
			}
		}()
	}
	for count.Load() < n {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	close(done)
	wg.Wait()
	var ids []string
	acked.Range(func(k, _ any) bool { ids = append(ids, k.(string)); return true })
	return ids
}

// checkNotes waits until every acknowledged note is stored and consumed, and returns how many
// were consumed more than once.
func checkNotes(t *testing.T, c *child, ids []string) int {
	t.Helper()
	redelivered := 0
	deadline := time.Now().Add(120 * time.Second)
	for _, id := range ids {
		for {
			st := noteState(t, c.base, id)
			if st["stored"] != 1 {
				t.Fatalf("acknowledged note %s lost: %v", id, st)
			}
			if st["seen"] >= 1 {
				if st["seen"] > 1 {
					redelivered++
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the consumer never processed note %s after the restart", id)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return redelivered
}

func noteState(t *testing.T, base, id string) map[string]int {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/test/notes/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st map[string]int
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("note state %s: %s", id, strings.TrimSpace(string(raw)))
	}
	return st
}
