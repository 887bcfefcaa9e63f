// Browser tests of the ioc1022 console with playwright-core and Debian's chromium. The Go test
// TestBrowser (../browser_test.go) starts a whole node on random ports and runs this script:
//
//   IOC_BASE=http://127.0.0.1:PORT IOC_ARTIFACTS=dir IOC_ADMIN_PASSWORD=... node console.test.mjs
//
// It prints one line per step ("ok", "FAIL"), saves a screenshot of each view in IOC_ARTIFACTS,
// and ends with one line "RESULT {json}" (the figures measured and the codes of the tickets it
// made) that the Go test reads. It exits 1 when a step failed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const base = need("IOC_BASE");
const artifacts = need("IOC_ARTIFACTS");
const adminPassword = need("IOC_ADMIN_PASSWORD");
const executablePath = process.env.IOC_CHROMIUM || "/usr/bin/chromium";
const budgetBytes = 300_000; // the largest view on a first visit, compressed, headers included

const passwords = { admin: adminPassword, supervisor: "demo-supervisor", agent1: "demo-agent1", officer: "demo-officer", leader: "demo-leader" };
const result = { tickets: {}, bytes: {}, requests: {}, interaction_ms: {}, live_ms: {}, failed: [] };

function need(name) {
  const v = process.env[name];
  if (!v) { console.error(`${name} is not set: run this script through go test ./integrations/consoletest/`); process.exit(2); }
  return v;
}

// ---- the API, for the steps a browser does not take (a call's report, a login token) ----

async function call(method, path, token, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

const tokens = {};
async function tokenOf(user) {
  if (!tokens[user]) tokens[user] = (await call("POST", "/api/v1/auth/login", undefined, { username: user, password: passwords[user] })).token;
  return tokens[user];
}

// report records a ticket as a call would: roads go to the construction department (SXD).
async function report(text) {
  const tk = await call("POST", "/api/v1/tickets", await tokenOf("agent1"), { category: "roads_traffic", description: text,
    ward: "20182", address: "12 Lê Lợi", contact: { name: "Nguyễn Văn A", phone: "0905123456" } });
  if (tk.department !== "SXD" || tk.status !== "assigned") throw new Error(`ticket ${tk.code} went to ${tk.department} as ${tk.status}, want SXD assigned`);
  return tk.code;
}

// ---- the browser ----

const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
mkdirSync(artifacts, { recursive: true });

// person opens a browser context of its own (its own storage: logins do not mix) and a page.
async function person(opts = {}) {
  const ctx = await browser.newContext({ locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh", viewport: { width: 1280, height: 900 }, ...opts });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (e) => console.log(`# page error at ${page.url()}: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") console.log(`# console error at ${page.url()}: ${m.text()}`); });
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, name + ".png"), fullPage: true }).catch((e) => console.log(`# screenshot ${name}: ${e.message}`));
}

async function login(page, user) {
  await page.goto(base + "/");
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", passwords[user]);
  await page.click("form button.primary");
  await page.waitForSelector("header.top nav");
}

// textIn waits until the element of sel contains text.
const textIn = (page, sel, text, timeout) => page.waitForFunction(([s, x]) => {
  const e = document.querySelector(s);
  return !!e && e.innerText.includes(x);
}, [sel, text], { timeout, polling: 20 });

// mark starts watching, in the page, for cond (an expression) to become true and keeps the
// wall-clock time it first was; seen(name) waits for that time. Both pages of a measurement
// run in one browser on one machine, so their clocks are the same.
async function mark(page, name, cond) {
  await page.evaluate(([n, c]) => {
    window.__marks = window.__marks || {};
    const test = new Function("return (" + c + ")");
    const id = setInterval(() => { let ok = false; try { ok = !!test(); } catch {} if (ok) { window.__marks[n] = Date.now(); clearInterval(id); } }, 5);
  }, [name, cond]);
}
const seen = (page, name, timeout = 20_000) =>
  page.waitForFunction((n) => window.__marks && window.__marks[n], name, { timeout, polling: 20 }).then((h) => h.jsonValue());

// interaction clicks sel in the page and measures, in the page, the time until cond (an
// expression) holds at an animation frame: the answer the person sees, fetches included.
async function interaction(page, name, sel, cond) {
  const ms = await page.evaluate(([s, c]) => new Promise((resolve, reject) => {
    const test = new Function("return (" + c + ")");
    const el = document.querySelector(s);
    if (!el) { reject(new Error("no " + s)); return; }
    const t0 = performance.now();
    el.click();
    const tick = () => {
      let ok = false; try { ok = !!test(); } catch {}
      if (ok) requestAnimationFrame(() => resolve(performance.now() - t0));
      else if (performance.now() - t0 > 10_000) reject(new Error("no answer after 10 s"));
      else requestAnimationFrame(tick);
    };
    tick();
  }), [sel, cond]);
  result.interaction_ms[name] = Math.round(ms * 10) / 10;
  return ms;
}

// ---- steps: a group stops at its first failure, the others go on ----

const groups = [];
const group = (name, fn) => groups.push({ name, fn });

async function step(name, fn) {
  const t0 = Date.now();
  try {
    const v = await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    return v;
  } catch (e) {
    e.step = name;
    throw e;
  }
}

// ---- the flows of issue 9 ----

const state = {};

group("roles see only their views", async () => {
  const want = {
    officer: ["#/portal"],
    agent1: ["#/agent", "#/triage"],
    leader: ["#/wallboard", "#/dashboard"],
    supervisor: ["#/agent", "#/triage", "#/portal", "#/wallboard", "#/dashboard"],
    admin: ["#/agent", "#/triage", "#/portal", "#/wallboard", "#/dashboard", "#/admin"],
  };
  const login0 = await person();
  await step("the login page", async () => { await login0.goto(base + "/"); await login0.waitForSelector("input[name=username]"); await shot(login0, "login"); });
  await login0.context().close();
  for (const [user, links] of Object.entries(want)) {
    const page = await person();
    await step(`${user} logs in and sees ${links.join(" ")}`, async () => {
      await login(page, user);
      const got = await page.$$eval("header.top nav a", (as) => as.map((a) => a.getAttribute("href")));
      if (got.join(" ") !== links.join(" ")) throw new Error(`${user} sees ${got.join(" ")}, want ${links.join(" ")}`);
    });
    if (user === "leader") {
      await step("English is the second language", async () => {
        await page.click("header.top button.link:has-text('English')");
        await textIn(page, "header.top nav", "IOC dashboard");
        await page.click("header.top button.link:has-text('Tiếng Việt')");
        await textIn(page, "header.top nav", "Bảng điều hành IOC");
      });
    }
    if (user !== "admin") {
      await step(`${user} may not open administration`, async () => {
        await page.goto(base + "/#/admin");
        await textIn(page, "#view", "không được xem");
      });
      await step(`${user} may not create an account through the API either`, async () => {
        const status = await page.evaluate(async () => (await fetch("/api/v1/users", { method: "POST", body: "{}",
          headers: { "Content-Type": "application/json", Authorization: "Bearer " + localStorage.getItem("ioc.token") } })).status);
        if (status !== 403) throw new Error(`POST /api/v1/users as ${user}: ${status}, want 403`);
      });
    }
    await page.context().close();
  }
});

group("an officer answers a ticket", async () => {
  const code = await report("Đèn chiếu sáng hỏng cả đoạn đường Lê Lợi");
  state.code = code; result.tickets.answered = code;
  const page = await person();
  await login(page, "officer");
  const item = `#ticket-list [data-code="${code}"]`;
  await step("the ticket is in the portal", async () => { await page.waitForSelector(item); await textIn(page, item, "Chờ tiếp nhận"); await shot(page, "portal-list"); });
  await step("open it (interaction)", async () => {
    await interaction(page, "open a ticket in the portal", item, `document.querySelector("[data-action=accept]")`);
  });
  await step("accept it", async () => {
    await page.click("[data-action=accept]");
    await page.click("[data-submit=accept]");
    await textIn(page, ".ticket", "Đang xử lý");
    await textIn(page, ".ticket .history", "Tiếp nhận");
  });
  await step("answer it", async () => {
    await page.click("[data-action=answer]");
    await page.fill("#f-text", "Đã thay bóng đèn trên đường Lê Lợi.");
    await page.click("[data-submit=answer]");
    await textIn(page, ".ticket .answer", "Đã thay bóng đèn");
    await shot(page, "portal-ticket");
  });
  await page.context().close();
});

group("a visitor chats, an agent answers and makes a ticket, the hotline approves", async () => {
  const agent = await person();
  await login(agent, "agent1");
  await agent.goto(base + "/#/agent");
  await agent.waitForSelector("#inbox");
  const visitor = await person({ viewport: { width: 900, height: 800 } });
  await step("the widget opens", async () => { await visitor.goto(base + "/chat"); await visitor.waitForSelector("form input[placeholder]"); });
  await step("the agent sees the visitor's message live", async () => {
    await mark(agent, "chat-in", `document.querySelector("#inbox [data-conv]")`);
    await visitor.fill("form input[placeholder]", "Đường Nguyễn Tri Phương ngập sâu sau mưa");
    const t0 = await visitor.evaluate(() => { const t = Date.now(); document.querySelector("form input[placeholder]").form.requestSubmit(); return t; });
    result.live_ms["visitor message to the agent's inbox"] = (await seen(agent, "chat-in")) - t0;
  });
  await step("the agent opens the conversation (interaction)", async () => {
    await interaction(agent, "open a conversation", "#inbox [data-conv]", `document.querySelector("#messages") && document.querySelector("#messages").innerText.includes("ngập sâu")`);
  });
  await step("the agent answers, the visitor sees the answer live", async () => {
    await agent.fill("#reply", "Chào anh/chị, tổng đài đã ghi nhận.");
    await mark(visitor, "answer", `document.body.innerText.includes("tổng đài đã ghi nhận")`);
    const t0 = await agent.evaluate(() => Date.now());
    await interaction(agent, "send a reply (shown in the conversation)", "#send", `document.querySelector("#messages").innerText.includes("đã ghi nhận")`);
    result.live_ms["agent reply to the visitor's widget"] = (await seen(visitor, "answer")) - t0;
    await agent.waitForFunction(() => !document.querySelector("#messages").innerText.includes("Đang gửi"));
    await shot(visitor, "chat-widget");
  });
  await step("offline, the header says so and a reply that cannot be sent stays in the box", async () => {
    await agent.context().setOffline(true);
    await agent.waitForSelector(".conn-offline");
    await agent.fill("#reply", "Tin nhắn gửi khi mất mạng");
    await agent.click("#send");
    await agent.waitForSelector(".composer [role=alert]");
    if ((await agent.inputValue("#reply")) !== "Tin nhắn gửi khi mất mạng") throw new Error("the reply left the box: " + (await agent.inputValue("#reply")));
    await shot(agent, "agent-offline");
    await agent.context().setOffline(false);
    await agent.waitForSelector(".conn-online");
    await agent.click("#send");
    await textIn(visitor, "body", "Tin nhắn gửi khi mất mạng");
    if ((await agent.inputValue("#reply")) !== "") throw new Error("the box still holds the reply after it was sent");
  });
  await step("the agent makes a ticket of the conversation", async () => {
    await agent.selectOption("#ticket-form select[name=category]", "flooding_drainage");
    await agent.click("#ticket-form button.primary");
    await textIn(agent, "#ticket-form", "Đã tạo phiếu");
    result.tickets.from_chat = (await agent.textContent("#ticket-form .ok")).match(/\S+$/)[0];
    await shot(agent, "agent-desktop");
  });
  await step("the hotline approves the officer's answer", async () => {
    await agent.goto(`${base}/#/triage/${state.code}`);
    await agent.click("[data-action=approve]");
    await agent.click("[data-submit=approve]");
    await textIn(agent, ".ticket", "Đã hoàn thành");
    await shot(agent, "triage-ticket");
  });
  await step("the triage queue", async () => { await agent.goto(base + "/#/triage"); await agent.waitForSelector("#view .list, #view table, #view .muted"); await shot(agent, "triage"); });
  await agent.context().close();
  await visitor.context().close();
});

group("a citizen looks the ticket up", async () => {
  const page = await person({ viewport: { width: 390, height: 844 } });
  await step("wrong digits are refused", async () => {
    await page.goto(`${base}/tra-cuu?code=${state.code}`);
    await page.fill("input[name=phone]", "9999");
    await page.click("button.primary");
    await textIn(page, "[role=alert]", "Không tìm thấy");
  });
  await step("the right digits show the answer", async () => {
    await page.goto(`${base}/tra-cuu?code=${state.code}`);
    await page.fill("input[name=phone]", "3456");
    await interaction(page, "look a ticket up", "button.primary", `document.querySelector("#result") && document.querySelector("#result").innerText.includes("Đã thay bóng đèn")`);
    await shot(page, "citizen-lookup");
  });
  await page.context().close();
});

group("a leader's dashboard changes live", async () => {
  const page = await person();
  await login(page, "leader");
  const tile = "[data-tile=received] .value";
  let before;
  await step("social posts are ingested and grouped into a topic", async () => {
    const key = await call("POST", "/api/v1/apikeys", await tokenOf("admin"), { name: "crawler (test)", scopes: ["ingest"] });
    // The seeded spike rules wait 15 minutes; this one fires on the first evaluation that sees
    // the posts (the node evaluates every 2 s; nothing was posted in the past 7 days).
    await call("POST", "/api/v1/alert-rules", await tokenOf("admin"), { name: "Test: topic spike", kind: "spike", indicator: "social.items",
      group_by: "topic", window: "1h", for: 0, cooldown: "2h", min_count: 3, severity: "warning", enabled: true });
    const now = Date.now();
    const posts = ["Đường Nguyễn Tri Phương ngập sâu sau mưa lớn, xe chết máy hàng loạt", "Mưa lớn, đường Nguyễn Tri Phương lại ngập sâu, xe máy chết máy",
      "Ngập sâu ở Nguyễn Tri Phương sau cơn mưa lớn chiều nay", "Nguyễn Tri Phương ngập sâu, cống thoát nước bị tắc sau mưa lớn"];
    const res = await fetch(base + "/api/v1/social/ingest", { method: "POST", headers: { "Content-Type": "application/json", "X-API-Key": key.key },
      body: JSON.stringify({ source: "test", items: posts.map((text, i) => ({ id: "post-" + i, text, published_at: new Date(now - (i + 1) * 60e3).toISOString() })) }) });
    if (res.status !== 200 && res.status !== 201) throw new Error("ingest: " + res.status + " " + (await res.text()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const topics = await call("GET", "/api/v1/social/topics", await tokenOf("leader"));
      if ((Array.isArray(topics) ? topics : topics.items || []).length) { state.topic = (Array.isArray(topics) ? topics : topics.items)[0]; break; }
      if (Date.now() > deadline) throw new Error("no topic 15 s after the ingest");
      await new Promise((r) => setTimeout(r, 300));
    }
  });
  await step("the dashboard shows today's figures", async () => {
    await page.goto(base + "/#/dashboard");
    await page.reload(); // the login landed here before the posts came; topics are polled every 30 s
    await page.waitForFunction((s) => { const e = document.querySelector(s); return !!e && e.innerText !== "—"; }, tile);
    before = await page.textContent(tile);
  });
  await step("a new ticket changes the tile", async () => {
    await mark(page, "tile", `document.querySelector(${JSON.stringify(tile)}).innerText !== ${JSON.stringify(before)}`);
    const t0 = Date.now();
    result.tickets.live = await report("Ổ gà lớn trên đường Hùng Vương");
    result.live_ms["ticket created to the leader's tile"] = (await seen(page, "tile", 30_000)) - t0;
  });
  await step("the social topic is on the dashboard", async () => { await textIn(page, "#topics", state.topic.label); });
  await step("the spike of the topic is on the dashboard, named by its label", async () => {
    await textIn(page, "#social [data-alert]", state.topic.label);
    state.spike = await page.getAttribute("#social [data-alert]", "data-alert");
  });
  await step("the leader acknowledges the spike", async () => {
    const item = page.locator("#alerts li", { hasText: "Test: topic spike" });
    await item.locator("button").click();
    await item.getByText("leader").waitFor();
    const a = await call("GET", "/api/v1/alerts/" + encodeURIComponent(state.spike), await tokenOf("leader"));
    if (a.state !== "acknowledged" || a.acked_by !== "leader") throw new Error("alert after the click: " + JSON.stringify(a));
  });
  await step("the map counts the tickets of the ward", async () => {
    await textIn(page, ".map", "Hòa Khánh");
    await page.waitForSelector(".map svg [data-unit]");
  });
  await step("the trend is drawn", async () => { await page.waitForSelector(".chart canvas"); await shot(page, "leader-dashboard"); });
  await step("the wallboard", async () => {
    await page.goto(base + "/#/wallboard");
    await page.waitForSelector("[data-tile=waiting]");
    await textIn(page, "#view", "hotline");
    await shot(page, "wallboard");
  });
  await step("the dashboard at phone width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(base + "/#/dashboard");
    await page.waitForSelector("#tiles");
    await page.waitForSelector(".chart canvas");
    await shot(page, "leader-dashboard-phone");
  });
  await page.context().close();
});

group("administration edits", async () => {
  const page = await person();
  const admin = await tokenOf("admin");
  await login(page, "admin");
  const form = "#admin-form";
  await step("users: an account is added, then logs in", async () => {
    await page.goto(base + "/#/admin/users");
    await textIn(page, "#admin-users", "officer.haichau");
    await shot(page, "admin-users");
    await page.click("[data-action=add]");
    await page.fill(`${form} [name=username]`, "agent1");
    await page.fill(`${form} [name=name]`, "Trùng tên đăng nhập");
    await page.fill(`${form} [name=password]`, "mat-khau-thu");
    await page.click(`${form} [data-submit=save]`);
    await page.waitForSelector(`${form} [role=alert]`);
    const agent1 = (await call("GET", "/api/v1/users", admin)).items.find((u) => u.username === "agent1");
    if (agent1.name === "Trùng tên đăng nhập" || agent1.role !== "agent") throw new Error("a taken username changed the account: " + JSON.stringify(agent1));
    await page.fill(`${form} [name=username]`, "officer.test");
    await page.fill(`${form} [name=name]`, "Cán bộ Thử nghiệm");
    await page.selectOption(`${form} [name=role]`, "officer");
    await page.selectOption(`${form} [name=departments]`, ["SXD"]);
    await page.fill(`${form} [name=password]`, "mat-khau-thu");
    await page.click(`${form} [data-submit=save]`);
    await textIn(page, "#admin-users", "officer.test");
    const r = await call("POST", "/api/v1/auth/login", undefined, { username: "officer.test", password: "mat-khau-thu" });
    if (r.user.role !== "officer" || (r.user.departments || []).join() !== "SXD") throw new Error("account saved as " + JSON.stringify(r.user));
  });
  await step("users: a role is changed", async () => {
    await interaction(page, "open a record's form (administration)", `#admin-users [data-edit="officer.test"]`, `document.querySelector("#admin-form [name=role]")`);
    await page.selectOption(`${form} [name=role]`, "agent");
    await page.click(`${form} [data-submit=save]`);
    await textIn(page, `#admin-users [data-key="officer.test"]`, "Tổng đài viên");
  });
  await step("departments: a name is changed", async () => {
    await page.goto(base + "/#/admin/departments");
    await page.click(`#admin-departments [data-edit="SXD"]`);
    await page.fill(`${form} [name=name]`, "Sở Xây dựng thành phố");
    await page.click(`${form} [data-submit=save]`);
    await textIn(page, `#admin-departments [data-key="SXD"]`, "Sở Xây dựng thành phố");
    const d = await call("GET", "/api/v1/departments/SXD", admin);
    if (d.name !== "Sở Xây dựng thành phố" || !d.active) throw new Error("department saved as " + JSON.stringify(d));
  });
  await step("departments: a change made meanwhile is not overwritten", async () => {
    await page.click(`#admin-departments [data-edit="SXD"]`);
    const d = await call("GET", "/api/v1/departments/SXD", admin);
    await call("PUT", "/api/v1/departments/SXD", admin, { ...d, contacts: { ...d.contacts, phone: "02363822222" } });
    await page.fill(`${form} [name=name]`, "Tên ghi đè");
    await page.click(`${form} [data-submit=save]`);
    await textIn(page, `${form} [role=alert]`, "người khác thay đổi");
    await page.waitForFunction((sel) => document.querySelector(sel).value === "02363822222", `${form} [name="contacts.phone"]`);
    const after = await call("GET", "/api/v1/departments/SXD", admin);
    if (after.name !== "Sở Xây dựng thành phố" || after.contacts.phone !== "02363822222") throw new Error("the concurrent change was lost: " + JSON.stringify(after));
  });
  await step("units: an alias is added", async () => {
    await page.goto(base + "/#/admin/units");
    await page.click(`#admin-units [data-edit="20182"]`);
    const old = await page.inputValue(`${form} [name=aliases]`);
    await page.fill(`${form} [name=aliases]`, old + ", Hòa Khánh cũ");
    await page.click(`${form} [data-submit=save]`);
    await textIn(page, `#admin-units [data-key="20182"]`, "Hòa Khánh cũ");
    const u = await call("GET", "/api/v1/units/20182", admin);
    if (!u.aliases.includes("Hòa Khánh cũ") || !u.centroid) throw new Error("unit saved as " + JSON.stringify(u));
  });
  await step("categories: a deadline is changed", async () => {
    await page.goto(base + "/#/admin/categories");
    await page.click(`#admin-categories [data-edit="education"]`);
    await page.fill(`${form} [name=answer_days]`, "12");
    await page.click(`${form} [data-submit=save]`);
    await page.waitForSelector(form, { state: "detached" });
    const c = await call("GET", "/api/v1/categories/education", admin);
    if (c.answer_days !== 12 || c.default_department !== "SGDDT") throw new Error("category saved as " + JSON.stringify(c));
  });
  await step("routing rules: a rule is added and routes the next report", async () => {
    await page.goto(base + "/#/admin/rules");
    await page.waitForSelector("#admin-rules tbody tr");
    await page.click("[data-action=add]");
    await page.fill(`${form} [name=id]`, "test-fallen-tree");
    await page.fill(`${form} [name=order]`, "5");
    await page.fill(`${form} [name=name]`, "Cây đổ → Cấp nước (thử)");
    await page.fill(`${form} [name=keywords]`, "cây đổ, gãy cành");
    await page.selectOption(`${form} [name=department]`, "CAPNUOC");
    await page.click(`${form} [data-submit=save]`);
    await textIn(page, `#admin-rules [data-key="test-fallen-tree"]`, "Cây đổ");
    const tk = await call("POST", "/api/v1/tickets", await tokenOf("agent1"), { category: "environment", description: "Cây đổ chắn ngang đường",
      ward: "20194", contact: { name: "Trần B", phone: "0905111222" } });
    if (tk.department !== "CAPNUOC") throw new Error(`a report of a fallen tree went to ${tk.department}, want CAPNUOC by the new rule`);
    await shot(page, "admin-rules");
  });
  await step("routing rules: the tester names the rule that would route a report, and writes nothing", async () => {
    const before = (await call("GET", "/api/v1/tickets?limit=100&category=environment&ward=20194", admin)).items.length;
    const tester = "#rule-tester";
    await page.selectOption(`${tester} [name=category]`, "environment");
    await page.fill(`${tester} [name=ward]`, "Hải Châu");
    await page.fill(`${tester} [name=description]`, "Cây đổ chắn ngang đường");
    await page.click(`${tester} [data-submit=route-test]`);
    await page.waitForSelector(`#rule-test-result[data-rule="test-fallen-tree"][data-department="CAPNUOC"]`);
    await textIn(page, "#rule-test-result", "Cây đổ → Cấp nước (thử)");
    await textIn(page, "#rule-test-result", "cây đổ");
    await page.fill(`${tester} [name=description]`, "Rác thải bốc mùi");
    await page.click(`${tester} [data-submit=route-test]`);
    await page.waitForSelector(`#rule-test-result[data-match="category_default"][data-department="SNNMT"][data-rule=""]`);
    await textIn(page, "#rule-test-result", "đơn vị mặc định");
    await shot(page, "admin-rules-tester");
    await page.fill(`${tester} [name=ward]`, "Sao Hỏa");
    await page.click(`${tester} [data-submit=route-test]`);
    await textIn(page, `${tester} [role=alert]`, "Sao Hỏa");
    const after = (await call("GET", "/api/v1/tickets?limit=100&category=environment&ward=20194", admin)).items.length;
    if (after !== before) throw new Error(`the tester wrote tickets: ${before} before, ${after} after`);
  });
  await step("channels: the settings are shown read-only, every channel listed", async () => {
    await page.goto(base + "/#/admin/channels");
    for (const c of ["zalo", "facebook", "telegram", "email", "webchat"]) await page.waitForSelector(`#admin-channels [data-channel="${c}"]`);
    await textIn(page, `#admin-channels [data-channel="zalo"]`, "/webhooks/zalo");
    await textIn(page, `#admin-channels [data-channel="webchat"]`, "channels.widget_secret");
    await shot(page, "admin-channels");
  });
  await step("working calendar: a bad line is refused, a holiday is added", async () => {
    await page.goto(base + "/#/admin/calendar");
    const text = await page.inputValue("#cal-holidays");
    await page.fill("#cal-holidays", text + "\n24/12/2026 sai dạng");
    await page.click("#calendar-form [data-submit=save]");
    await textIn(page, "#calendar-form [role=alert]", "YYYY-MM-DD");
    await page.fill("#cal-holidays", text + "\n2026-12-24 Ngày nghỉ thử nghiệm");
    await page.click("#calendar-form [data-submit=save]");
    await textIn(page, "#calendar-form", "Đã lưu");
    const cal = await call("GET", "/api/v1/tickets/calendar", admin);
    if (!cal.holidays.some((h) => h.date === "2026-12-24") || cal.holidays.length < 2) throw new Error("calendar saved as " + JSON.stringify(cal.holidays));
    await shot(page, "admin-calendar");
  });
  await step("IVR and queues: a queue changes, the trunk's secret stays masked and kept", async () => {
    const dp = await call("GET", "/api/v1/pbx/dialplan", admin);
    dp.trunks[0] = { ...dp.trunks[0], username: "vnpt-1022", secret: "bi-mat-trung-ke-42" };
    await call("PUT", "/api/v1/pbx/dialplan", admin, dp);
    await page.goto(base + "/#/admin/dialplan");
    await textIn(page, "#queues", "hotline");
    if ((await page.content()).includes("bi-mat-trung-ke-42")) throw new Error("the trunk's secret is shown in the page");
    const json = JSON.parse(await page.inputValue("#dialplan-json"));
    json.queues[0].ring_timeout_s = 20;
    await page.fill("#dialplan-json", JSON.stringify(json, null, 2));
    await page.click("#dialplan-form [data-submit=save]");
    await textIn(page, "#dialplan-form", "Đã lưu");
    const after = await call("GET", "/api/v1/pbx/dialplan", admin);
    if (after.queues[0].ring_timeout_s !== 20) throw new Error("queue saved as " + JSON.stringify(after.queues[0]));
    // The API shows the secret masked; the Go test checks the stored one was kept.
    if (after.trunks[0].secret !== "********") throw new Error("the trunk's secret is not shown masked: " + after.trunks[0].secret);
    await shot(page, "admin-dialplan");
  });
  await step("FAQ: an entry is added and the bot's ranking finds it", async () => {
    await page.goto(base + "/#/admin/faq");
    await page.waitForSelector("#admin-faq tbody tr");
    await page.click("[data-action=add]");
    await page.fill(`${form} [name=question]`, "Đăng ký xe máy điện ở đâu?");
    await page.fill(`${form} [name=keywords]`, "xe máy điện, đăng ký xe");
    await page.fill(`${form} [name=answer]`, "Dạ, Anh/Chị đăng ký xe máy điện tại Công an phường nơi cư trú.");
    await page.click(`${form} [data-submit=save]`);
    await textIn(page, "#admin-faq", "xe máy điện");
    const r = await call("GET", "/api/v1/chatbot/faq/search?q=" + encodeURIComponent("đăng ký xe máy điện") + "&limit=3", admin);
    const items = r.items || r;
    if (!JSON.stringify(items).includes("xe máy điện")) throw new Error("FAQ search: " + JSON.stringify(r).slice(0, 300));
    await shot(page, "admin-faq");
  });
  await page.context().close();
});

// The bytes a first visit transfers (compressed bodies and headers, as the network counts
// them), view by view, in a fresh context with no cache. The service worker is blocked: it
// would fetch the shell again in the background, after the view is shown.
const views = [
  { name: "login", path: "/", ready: "input[name=username]" },
  { name: "agent desktop", path: "/#/agent", user: "agent1", ready: "#inbox" },
  { name: "triage", path: "/#/triage", user: "agent1", ready: "#view h1" },
  { name: "department portal", path: "/#/portal", user: "officer", ready: "#ticket-list" },
  { name: "wallboard", path: "/#/wallboard", user: "supervisor", ready: "[data-tile=waiting]" },
  { name: "leader dashboard", path: "/#/dashboard", user: "leader", ready: ".chart canvas" },
  { name: "administration", path: "/#/admin", user: "admin", ready: "#view table td" },
  { name: "citizen lookup", path: "/tra-cuu", ready: "input[name=phone]" },
  { name: "chat widget demo", path: "/chat", ready: "form input[placeholder]" },
];

group("first-visit bytes of each view", async () => {
  for (const v of views) {
    await step(`${v.name}: bytes on a first visit`, async () => {
      const ctx = await browser.newContext({ serviceWorkers: "block", locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh", viewport: { width: 1280, height: 900 } });
      if (v.user) await ctx.addInitScript((t) => localStorage.setItem("ioc.token", t), await tokenOf(v.user));
      const page = await ctx.newPage();
      const cdp = await ctx.newCDPSession(page);
      await cdp.send("Network.enable");
      let bytes = 0, n = 0;
      cdp.on("Network.loadingFinished", (e) => { bytes += e.encodedDataLength; n++; });
      await page.goto(base + v.path);
      await page.waitForSelector(v.ready, { timeout: 20_000 });
      await page.waitForLoadState("networkidle");
      result.bytes[v.name] = bytes; result.requests[v.name] = n;
      await ctx.close();
    });
  }
  const [name, most] = Object.entries(result.bytes).sort((a, b) => b[1] - a[1])[0];
  result.largest = { view: name, bytes: most };
  await step(`the largest view (${name}, ${most} bytes) is under ${budgetBytes} bytes`, async () => {
    if (most >= budgetBytes) throw new Error(`${name} transfers ${most} bytes on a first visit, over the budget of ${budgetBytes}`);
  });
});

// ---- run ----

const only = process.env.IOC_ONLY ? new RegExp(process.env.IOC_ONLY) : null;
for (const g of groups) {
  if (only && !only.test(g.name)) continue;
  console.log(`# ${g.name}`);
  try {
    await g.fn();
  } catch (e) {
    const where = e.step || g.name;
    console.log(`FAIL ${where}: ${e.message.split("\n")[0]}`);
    result.failed.push(`${where}: ${e.message.split("\n")[0]}`);
    for (const ctx of browser.contexts()) {
      for (const p of ctx.pages()) await shot(p, "failed-" + where.replace(/[^\p{L}\p{N}]+/gu, "-").slice(0, 60));
      await ctx.close().catch(() => {});
    }
  }
}
await browser.close();
console.log("RESULT " + JSON.stringify(result));
process.exit(result.failed.length ? 1 : 0);
