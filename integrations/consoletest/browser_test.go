package consoletest

// Browser tests: a whole node (tickets, omnichannel, PBX, KPIs, alerts, streams and the
// console) on random ports, driven by e2e/console.test.mjs with playwright-core and Debian's
// chromium (headless, /usr/bin/chromium). Screenshots of each view are written to
// $IOC1022_ARTIFACTS/console (default: a directory under the system's temporary directory,
// logged by the test).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/chatbot/faq"
	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/console"
	"github.com/ioc1022/ioc1022/ioc-core/geo"
	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/ioc1022/ioc1022/ioc-core/social"
	"github.com/ioc1022/ioc1022/ioc-core/streams"
	"github.com/ioc1022/ioc1022/omnichannel"
	"github.com/ioc1022/ioc1022/pbx"
	"github.com/ioc1022/ioc1022/tickets"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const (
	chromium = "/usr/bin/chromium"
	e2eDir   = "e2e"
	// budgetBytes is what the largest view may transfer, compressed, on a first visit.
	budgetBytes = 300_000
)

// outcome is the "RESULT {json}" line of the script.
type outcome struct {
	Tickets       map[string]string  `json:"tickets"`
	Bytes         map[string]int     `json:"bytes"`
	Requests      map[string]int     `json:"requests"`
	InteractionMS map[string]float64 `json:"interaction_ms"`
	LiveMS        map[string]float64 `json:"live_ms"`
	Largest       struct {
		View  string `json:"view"`
		Bytes int    `json:"bytes"`
	} `json:"largest"`
	Failed []string `json:"failed"`
}

// missing skips the test outside CI, and fails it in CI, where `make test` installs what
// the browser tests need.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// tools finds node and chromium, and installs the pinned playwright-core with `npm ci` when
// node_modules is missing (make deps does it too).
func tools(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node is missing: install the Debian packages nodejs and npm (make deps does) to run the browser tests")
	}
	if _, err := os.Stat(chromium); err != nil {
		missing(t, "chromium is missing at %s: install the Debian package chromium (make deps does) to run the browser tests", chromium)
	}
	if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", "playwright-core")); err == nil {
		return node
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		missing(t, "playwright-core is not installed in %s and npm is missing: run make deps", e2eDir)
	}
	cmd := exec.Command(npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir = e2eDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", e2eDir, err, out)
	}
	return node
}

func artifacts(t *testing.T) string {
	base := os.Getenv("IOC1022_ARTIFACTS")
	if base == "" {
		base = filepath.Join(os.TempDir(), "ioc1022-artifacts")
	}
	dir := filepath.Join(base, "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

func startNode(t *testing.T) *apptest.Server {
	cfg := apptest.Config(t)
	cfg.IOC.Alerts.EvalInterval = 2 * time.Second // the spike of the leader's dashboard fires without waiting 30 s
	tk := tickets.New()
	p := pbx.New()
	p.Calendar, p.Tickets, p.NormalizePhone = tk.Calendar(), pbx.TicketDeskFor(tk), tickets.NormalizePhone
	return apptest.Start(t, cfg, tk, omnichannel.New(tk), faqModule{}, streams.New(), alerts.New(), kpi.New(), social.New(), geo.New(), p, console.New())
}

// faqModule serves the chatbot's knowledge base (the FAQ the administration edits) the way
// the chatbot module does, without its NLU model: loading or training it would compete with
// the browser for the CPU, and no bot answers the web chat here, so a visitor reaches agents.
type faqModule struct{}

func (faqModule) Name() string { return "faq" }

func (faqModule) Init(ctx context.Context, c *app.Core) error {
	kb := faq.New(c.Store)
	if err := kb.Init(ctx, c.Config.Demo); err != nil {
		return err
	}
	kb.Register(c.API, faq.DefaultThreshold, func(ctx context.Context, code string) bool {
		cat, err := c.Ref.Category(ctx, code)
		return err == nil && cat.Active
	})
	return nil
}

// runScript runs the browser script against base, logging its lines as they come, and
// returns its RESULT.
func runScript(t *testing.T, node, base, dir string) (outcome, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "console.test.mjs")
	cmd.Dir = e2eDir
	cmd.Env = append(os.Environ(), "IOC_BASE="+base, "IOC_ARTIFACTS="+dir, "IOC_ADMIN_PASSWORD="+apptest.AdminPassword,
		"IOC_CHROMIUM="+chromium)
	var stderr bytes.Buffer // read after Wait, when exec has finished copying into it
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	var res outcome
	var raw string
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if r, ok := strings.CutPrefix(line, "RESULT "); ok {
			raw = r
			continue
		}
		t.Log(line)
	}
	werr := cmd.Wait()
	if s := stderr.String(); s != "" {
		t.Logf("node stderr:\n%s", s)
	}
	if raw == "" {
		return res, werr
	}
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		t.Fatalf("the script's RESULT: %v: %s", err, raw)
	}
	return res, werr
}

// TestBrowser walks the console's main paths in a real browser (see e2e/console.test.mjs):
// each role sees only its views; an officer accepts and answers a ticket; a visitor writes in
// the chat widget, an agent sees it live, answers, and makes a ticket of it; the hotline
// approves the officer's answer; a citizen looks the ticket up; a leader's dashboard tile
// changes live. It checks the outcome through the API and the size budget of the largest view,
// and logs the interaction and live-update times the script measured.
func TestBrowser(t *testing.T) {
	node := tools(t)
	srv := startNode(t)
	dir := artifacts(t)
	res, err := runScript(t, node, srv.URL, dir)
	for _, f := range res.Failed {
		t.Errorf("browser: %s", f)
	}
	if err != nil && len(res.Failed) == 0 {
		t.Fatalf("node console.test.mjs: %v", err)
	}
	token := srv.Admin(t)
	if code := res.Tickets["answered"]; code != "" {
		if st := ticketStatus(t, srv, token, code); st != "resolved" {
			t.Errorf("ticket %s is %s after the officer's answer and the hotline's approval, want resolved", code, st)
		}
	}
	if code := res.Tickets["from_chat"]; code != "" {
		if st := ticketStatus(t, srv, token, code); st == "" {
			t.Errorf("the ticket %s the agent made from the chat is not in the API", code)
		}
	}
	// The script saved the dialplan from the page, where the trunk's secret was masked.
	var dialplan bson.Raw
	if err := srv.App.Core.Store.C("pbx_config").FindOne(context.Background(), bson.M{"_id": "dialplan"}).Decode(&dialplan); err != nil {
		t.Errorf("stored dialplan: %v", err)
	} else if !strings.Contains(dialplan.String(), "bi-mat-trung-ke-42") {
		t.Errorf("the trunk's secret was not kept when the page saved the dialplan: %s", dialplan)
	}
	if res.Largest.Bytes >= budgetBytes {
		t.Errorf("the largest view (%s) transfers %d bytes on a first visit, budget %d", res.Largest.View, res.Largest.Bytes, budgetBytes)
	}
	for v, b := range res.Bytes {
		t.Logf("first visit %-18s %7d bytes in %d requests", v, b, res.Requests[v])
	}
	for k, ms := range res.InteractionMS {
		t.Logf("interaction %-45s %6.1f ms", k, ms)
	}
	for k, ms := range res.LiveMS {
		t.Logf("live update %-45s %6.0f ms", k, ms)
	}
}

func ticketStatus(t *testing.T, srv *apptest.Server, token, code string) string {
	t.Helper()
	r := srv.Do(t, "GET", "/api/v1/tickets/"+code, token, nil)
	if r.Status != http.StatusOK {
		return ""
	}
	var tk struct{ Status string }
	r.Decode(t, &tk)
	return tk.Status
}
