package consoletest

// Browser tests: Debian's chromium, driven over the DevTools protocol (chromedp), against a
// whole node (tickets, omnichannel, PBX, KPIs, alerts, streams and the console) on random
// ports. Screenshots of each view are written to $IOC1022_ARTIFACTS/console (default: a
// directory under the system's temporary directory, logged by the test).

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/ioc-core/console"
	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/ioc1022/ioc1022/ioc-core/streams"
	"github.com/ioc1022/ioc1022/omnichannel"
	"github.com/ioc1022/ioc1022/pbx"
	"github.com/ioc1022/ioc1022/tickets"
)

const chromium = "/usr/bin/chromium"

// browser starts a headless chromium, or skips the test when there is none outside CI.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromium
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else if os.Getenv("CI") != "" {
			t.Fatalf("chromium is missing at %s (make test installs the Debian package chromium)", chromium)
		} else {
			t.Skipf("chromium is missing at %s: install the Debian package chromium (make deps does) to run the browser tests", chromium)
		}
	}
	// chromedp's defaults keep background tabs from being throttled; the flags the project
	// asks for come after them.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profileDir(t)),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// session is one person at a browser tab. The tabs share the profile's storage, so a login
// replaces the token of the tabs still open: each subtest closes its tabs when it ends.
type session struct {
	t     *testing.T
	ctx   context.Context
	close context.CancelFunc
	base  string
	dir   string
}

func newSession(t *testing.T, browserCtx context.Context, base, dir string) *session {
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	// The first Run opens the tab and ties it to its context: do it on the session's own,
	// not on the shorter one of a step.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return &session{t: t, ctx: ctx, close: cancel, base: base, dir: dir}
}

// run runs actions with a deadline, failing the test with what was being done.
func (s *session) run(what string, actions ...chromedp.Action) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		s.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		s.t.Fatalf("%s: %v", what, err)
	}
}

// shot saves a full-page screenshot as <dir>/<name>.png.
func (s *session) shot(name string) {
	s.t.Helper()
	var buf []byte
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 100)); err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(s.dir, name+".png"), buf, 0o644); err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
	}
}

// login logs in through the login form and waits for the shell.
func (s *session) login(user, password string) {
	s.t.Helper()
	s.run("log in as "+user,
		chromedp.Navigate(s.base+"/"),
		chromedp.Evaluate(`localStorage.removeItem("ioc.token")`, nil),
		chromedp.Reload(),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, user),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Click(`form button.primary`),
		chromedp.WaitVisible(`header.top nav`),
	)
}

// waitText waits until the element of sel contains text.
func waitText(sel, text string) chromedp.Action {
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, sel, text)
	return chromedp.Poll(js, nil, chromedp.WithPollingInterval(50*time.Millisecond))
}

// navLinks returns the labels of the shell's navigation.
func (s *session) navLinks() []string {
	var links []string
	s.run("read the navigation", chromedp.Evaluate(`[...document.querySelectorAll("header.top nav a")].map(a => a.getAttribute("href"))`, &links))
	return links
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
	tk := tickets.New()
	p := pbx.New()
	p.Calendar, p.Tickets, p.NormalizePhone = tk.Calendar(), pbx.TicketDeskFor(tk), tickets.NormalizePhone
	return apptest.Start(t, cfg, tk, omnichannel.New(tk), streams.New(), alerts.New(), kpi.New(), p, console.New())
}

// createTicket records a report through the API as agent1, the way a call would.
func createTicket(t *testing.T, srv *apptest.Server, token, category, text string) string {
	t.Helper()
	r := srv.Do(t, "POST", "/api/v1/tickets", token, map[string]any{"category": category, "description": text,
		"ward": "20182", "address": "12 Lê Lợi", "contact": map[string]string{"name": "Nguyễn Văn A", "phone": "0905123456"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create ticket: %d %s", r.Status, r.Body)
	}
	var tk struct{ Code, Status, Department string }
	r.Decode(t, &tk)
	if tk.Department != "SXD" || tk.Status != "assigned" {
		t.Fatalf("ticket %s went to %q as %q, want SXD assigned", tk.Code, tk.Department, tk.Status)
	}
	return tk.Code
}

func ticketStatus(t *testing.T, srv *apptest.Server, token, code string) string {
	t.Helper()
	var tk struct{ Status string }
	srv.Do(t, "GET", "/api/v1/tickets/"+code, token, nil).Decode(t, &tk)
	return tk.Status
}

// TestBrowser walks the console's main paths in a real browser: each role sees only its
// views; an officer accepts and answers a ticket; a visitor writes in the chat widget, an agent
// sees it live, answers, and makes a ticket of it; the hotline approves the officer's answer;
// a leader's dashboard tile changes live; a citizen looks the ticket up.
func TestBrowser(t *testing.T) {
	bctx := browser(t)
	srv := startNode(t)
	dir := artifacts(t)
	agentToken := srv.Login(t, "agent1", "demo-agent1")
	code := createTicket(t, srv, agentToken, "roads_traffic", "Đèn chiếu sáng hỏng cả đoạn đường Lê Lợi")

	t.Run("roles", func(t *testing.T) {
		want := map[string][]string{
			"officer":    {"#/portal"},
			"agent1":     {"#/agent", "#/triage"},
			"leader":     {"#/wallboard", "#/dashboard"},
			"supervisor": {"#/agent", "#/triage", "#/portal", "#/wallboard", "#/dashboard"},
		}
		pw := map[string]string{"officer": "demo-officer", "agent1": "demo-agent1", "leader": "demo-leader", "supervisor": "demo-supervisor"}
		for user, links := range want {
			s := newSession(t, bctx, srv.URL, dir)
			s.login(user, pw[user])
			if got := s.navLinks(); strings.Join(got, " ") != strings.Join(links, " ") {
				t.Errorf("%s sees %v, want %v", user, got, links)
			}
			if user != "supervisor" {
				s.run(user+" may not see administration", chromedp.Navigate(srv.URL+"/#/admin"), waitText("#view", "không được xem"))
			}
			s.close()
		}
	})

	t.Run("officer answers a ticket", func(t *testing.T) {
		s := newSession(t, bctx, srv.URL, dir)
		s.login("officer", "demo-officer")
		item := fmt.Sprintf(`#ticket-list [data-code=%q]`, code)
		s.run("see the ticket in the portal", chromedp.WaitVisible(item), waitText(item, "Chờ tiếp nhận"))
		s.shot("portal-list")
		s.run("accept it", chromedp.Click(item), chromedp.WaitVisible(`[data-action=accept]`),
			chromedp.Click(`[data-action=accept]`), chromedp.Click(`[data-submit=accept]`),
			waitText(".ticket", "Đang xử lý"), waitText(".ticket .history", "Tiếp nhận"))
		s.run("answer it", chromedp.Click(`[data-action=answer]`), chromedp.WaitVisible(`#f-text`),
			chromedp.SendKeys(`#f-text`, "Đã thay bóng đèn trên đường Lê Lợi."), chromedp.Click(`[data-submit=answer]`),
			waitText(".ticket .answer", "Đã thay bóng đèn"))
		s.shot("portal-ticket")
		if st := ticketStatus(t, srv, agentToken, code); st != "answered" {
			t.Fatalf("ticket is %s after the officer's answer, want answered", st)
		}
	})

	t.Run("agent answers a chat and approves the answer", func(t *testing.T) {
		agent := newSession(t, bctx, srv.URL, dir)
		agent.login("agent1", "demo-agent1")
		agent.run("open the desktop", chromedp.Navigate(srv.URL+"/#/agent"), chromedp.WaitVisible(`#inbox`))
		visitor := newSession(t, bctx, srv.URL, dir)
		visitor.run("write in the widget", chromedp.Navigate(srv.URL+"/chat"), chromedp.WaitVisible(`form input[placeholder]`),
			chromedp.SendKeys(`form input[placeholder]`, "Đường Nguyễn Tri Phương ngập sâu sau mưa\n"))
		agent.run("see the chat live", chromedp.WaitVisible(`#inbox [data-conv]`), chromedp.Click(`#inbox [data-conv]`),
			waitText(`#messages`, "ngập sâu"))
		agent.run("reply", chromedp.SendKeys(`#reply`, "Chào anh/chị, tổng đài đã ghi nhận."), chromedp.Click(`#send`),
			waitText(`#messages`, "đã ghi nhận"))
		visitor.run("see the answer", waitText(`body`, "tổng đài đã ghi nhận"))
		visitor.shot("chat-widget")
		agent.run("make a ticket of the chat", chromedp.SetValue(`#ticket-form select[name=category]`, "flooding_drainage"),
			chromedp.Click(`#ticket-form button.primary`), waitText(`#ticket-form`, "Đã tạo phiếu"))
		agent.shot("agent-desktop")
		agent.run("approve the officer's answer", chromedp.Navigate(srv.URL+"/#/triage/"+code),
			chromedp.WaitVisible(`[data-action=approve]`), chromedp.Click(`[data-action=approve]`),
			chromedp.Click(`[data-submit=approve]`), waitText(".ticket", "Đã hoàn thành"))
		agent.shot("triage-ticket")
		if st := ticketStatus(t, srv, agentToken, code); st != "resolved" {
			t.Fatalf("ticket is %s after approval, want resolved", st)
		}
	})

	t.Run("leader sees KPIs change live", func(t *testing.T) {
		s := newSession(t, bctx, srv.URL, dir)
		s.login("leader", "demo-leader")
		var before string
		tile := `[data-tile=received] .value`
		s.run("see the dashboard", chromedp.WaitVisible(`#tiles`), chromedp.Poll(
			`(() => { const e = document.querySelector("[data-tile=received] .value"); return !!e && e.innerText !== "—"; })()`, nil),
			chromedp.Text(tile, &before))
		createTicket(t, srv, agentToken, "roads_traffic", "Ổ gà lớn trên đường Hùng Vương")
		s.run("see the tile change", chromedp.Poll(fmt.Sprintf(
			`document.querySelector(%q).innerText !== %q`, tile, before), nil, chromedp.WithPollingTimeout(30*time.Second)))
		s.run("draw the trend", chromedp.WaitVisible(`.chart canvas`))
		s.shot("leader-dashboard")
		s.run("open the wallboard", chromedp.Navigate(srv.URL+"/#/wallboard"), chromedp.WaitVisible(`[data-tile=waiting]`),
			waitText(`#view`, "hotline"))
		s.shot("wallboard")
		s.run("phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(srv.URL+"/#/dashboard"), chromedp.WaitVisible(`#tiles`))
		s.shot("leader-dashboard-phone")
	})

	t.Run("citizen looks the ticket up", func(t *testing.T) {
		s := newSession(t, bctx, srv.URL, dir)
		s.run("look up", chromedp.Navigate(srv.URL+"/tra-cuu?code="+code), chromedp.WaitVisible(`input[name=phone]`),
			chromedp.SendKeys(`input[name=phone]`, "9999"), chromedp.Click(`button.primary`), waitText(`[role=alert]`, "Không tìm thấy"))
		s.run("look up with the right digits", chromedp.Navigate(srv.URL+"/tra-cuu?code="+code), chromedp.WaitVisible(`input[name=phone]`),
			chromedp.SendKeys(`input[name=phone]`, "3456"),
			chromedp.Click(`button.primary`), waitText(`#result`, "Đã thay bóng đèn"))
		s.shot("citizen-lookup")
	})

	t.Run("admin tables", func(t *testing.T) {
		s := newSession(t, bctx, srv.URL, dir)
		s.login("admin", apptest.AdminPassword)
		s.run("see users", chromedp.Navigate(srv.URL+"/#/admin"), waitText(`#view table`, "officer.haichau"))
		s.shot("admin")
	})
}

// profileDir is a fresh Chromium profile directory. Chromium may still be writing to it as
// the test ends, so it is removed after the browser, ignoring what is left then.
func profileDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "ioc1022-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 10; i++ {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	return dir
}
