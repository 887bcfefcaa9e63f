package omnichannel

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// TestChildNode is the node the crash test runs in a child process; it does nothing in a
// normal run. With OC_CHILD_HOLD=1 it acknowledges webhooks but never processes them.
func TestChildNode(t *testing.T) {
	if os.Getenv("OC_CHILD_DATA") == "" {
		t.Skip("runs only as the crash test's child")
	}
	m := New(nil)
	if os.Getenv("OC_CHILD_HOLD") == "1" {
		m.beforeProcess = func(ctx context.Context) { <-ctx.Done() }
	}
	cfg := apptest.Config(t)
	cfg.Data.Dir, cfg.MongoDB.Database = os.Getenv("OC_CHILD_DATA"), "crashtest"
	cfg.Channels.Zalo.AppID, cfg.Channels.Zalo.OASecretKey = zaloApp, zaloOASecret
	srv := apptest.Start(t, cfg, m)
	fmt.Printf("URL %s\n", srv.URL)
	select {} // until killed
}

// startChild runs the node in a child process and returns its URL.
func startChild(t *testing.T, dir string, hold bool) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildNode$", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), "OC_CHILD_DATA="+dir, fmt.Sprintf("OC_CHILD_HOLD=%v", map[bool]int{true: 1, false: 0}[hold]))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "URL "); ok {
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd, u
	case <-time.After(90 * time.Second):
		t.Fatal("the child node did not start")
	}
	return nil, ""
}

func TestKillBetweenAckAndProcessing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	child, url := startChild(t, dir, true)
	srv := &apptest.Server{URL: url}
	body, sig := signedZalo("crash-user", "crash-msg-1", "Mất điện khu vực Hải Châu")
	for range 2 {
		if s := post(t, srv, "/webhooks/zalo", body, "X-ZEvent-Signature", sig); s != http.StatusOK {
			t.Fatalf("webhook: %d", s)
		}
	}
	// Acknowledged, not processed: kill -9.
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()

	_, url = startChild(t, dir, false)
	srv = &apptest.Server{URL: url}
	tok := srv.Login(t, "agent1", "demo-agent1")
	if s := post(t, srv, "/webhooks/zalo", body, "X-ZEvent-Signature", sig); s != http.StatusOK { // a late redelivery
		t.Fatalf("webhook after restart: %d", s)
	}
	var convs []Conversation
	eventually(t, "the message is processed after the restart", func() bool {
		convs = conversations(t, srv, tok, "channel=zalo")
		return len(convs) == 1
	})
	time.Sleep(2 * time.Second) // give a wrong second processing the time to show
	convs = conversations(t, srv, tok, "channel=zalo")
	var msgs httpapi.List[Message]
	srv.Do(t, "GET", "/api/v1/conversations/"+convs[0].ID+"/messages", tok, nil).Decode(t, &msgs)
	if len(convs) != 1 || len(msgs.Items) != 1 || msgs.Items[0].Text != "Mất điện khu vực Hải Châu" || convs[0].State != StateQueued {
		t.Fatalf("after the crash: %d conversations, messages %+v", len(convs), msgs.Items)
	}
}
