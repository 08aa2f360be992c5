// The dashboard in a real browser (Debian's chromium through playwright-core).
// Run by e2e/ui/ui_test.go, which starts the gateway and checks the summary
// this prints as its last line. Screenshots go to SHOT_DIR (a temp dir).
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const base = process.env.KEYGATE_URL;
const ownerToken = process.env.KEYGATE_ADMIN_TOKEN;
const shots = process.env.SHOT_DIR;
const support = { email: process.env.SUPPORT_EMAIL, password: process.env.SUPPORT_PASSWORD };
mkdirSync(shots, { recursive: true });

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const out = { axe: {}, problems: [], cspViolations: [], outsideRequests: [], widths: {} };
const check = (cond, what) => { if (!cond) out.problems.push(what); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});

async function newPage(width = 1280) {
  const ctx = await browser.newContext({ viewport: { width, height: 900 }, locale: "en-US" });
  await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) out.cspViolations.push(m.text()); });
  page.on("request", (r) => { if (!r.url().startsWith(base)) out.outsideRequests.push(r.url()); });
  return page;
}

// axe runs through the DevTools protocol (page.evaluate), which the page's
// CSP does not govern; the pages themselves never load it.
async function axeCheck(page, name) {
  await page.evaluate(axeSource);
  const res = await page.evaluate(() => window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "best-practice"] }));
  const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  out.axe[name] = bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.length} × ${v.nodes[0]?.target?.join(" ")}`);
}

async function shot(page, name) { await page.screenshot({ path: join(shots, name + ".png"), fullPage: true }); }

async function signInToken(page, token) {
  await page.goto(base + "/ui/keys");
  check(page.url().endsWith("/ui/signin"), "no session: not sent to the sign-in page");
  await page.fill("#token", token);
  await page.click("#signin-token");
  await page.waitForURL("**/ui/keys");
}

async function apiStatus(key, path = "/v1/models") {
  const r = await fetch(base + path, { headers: { Authorization: "Bearer " + key } });
  const body = await r.json().catch(() => ({}));
  return { status: r.status, code: body?.error?.code ?? "" };
}

// waitLogs waits (bounded) for a key's request log rows, which are
// written asynchronously: for the rows themselves, not a length of time.
async function waitLogs(keyId, n) {
  for (let i = 0; i < 100; i++) {
    const r = await fetch(base + "/admin/v1/logs?key_id=" + keyId, { headers: { Authorization: "Bearer " + ownerToken } });
    if (((await r.json()).data?.length ?? 0) >= n) return;
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function createKey(page, name, budgetUSD = "") {
  await page.goto(base + "/ui/keys");
  await page.fill("#name", name);
  if (budgetUSD) { await page.fill("#budget_usd", budgetUSD); await page.selectOption("#budget_period", "daily"); }
  await page.click("#create-submit");
  await page.waitForURL("**/shown/**");
  return (await page.textContent("#new-key")).trim();
}

try {
  // Sign in; create a key; see it once; not after reload.
  const page = await newPage();
  await signInToken(page, ownerToken);
  await shot(page, "keys");
  const plain = await createKey(page, "browser-test");
  check(/^kg_live_[0-9A-Za-z]{38}$/.test(plain), "the shown key is not a kg_live_ key");
  await shot(page, "key-shown");
  check(await page.isVisible("#copy-key"), "copy button not shown (the script did not run)");
  await page.click("#copy-key");
  const copied = await page.evaluate(() => navigator.clipboard.readText()).catch(() => "");
  check(copied === plain, "copy button did not copy the key");
  const env = await page.textContent("#env-lines");
  check(env.includes("OPENAI_API_KEY=" + plain) && env.includes("OPENAI_BASE_URL=" + base + "/v1"), "env lines missing");
  await page.reload();
  check(await page.isVisible("#gone"), "after reload: no 'shown once' notice");
  check(!(await page.content()).includes(plain), "after reload: the key is shown again");
  out.keyWorks = (await apiStatus(plain)).status;

  // Disable it with a reason and see the next API call refused.
  await page.click("#key-link");
  await page.fill("#disable-reason", "browser test: retired");
  await page.click("#disable-submit");
  await page.waitForSelector("#enable-form");
  check((await page.textContent("#state-detail")).includes("browser test: retired"), "the reason is not shown");
  await shot(page, "key-disabled");
  out.afterDisable = await apiStatus(plain);

  // The leak flow, counted from the keys list.
  const leaked = await createKey(page, "leaky");
  const call = await fetch(base + "/v1/chat/completions", {
    method: "POST", headers: { Authorization: "Bearer " + leaked, "Content-Type": "application/json", "X-Client-Name": "billing-worker" },
    body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }),
  });
  check(call.status === 200, "the leaky key's call failed: " + call.status);
  // The log row is written asynchronously and the impact report reads it:
  // wait for the row itself (bounded), not for a length of time.
  const leakedId = new URL(page.url()).pathname.split("/")[3];
  for (let i = 0; i < 100; i++) {
    const r = await fetch(base + "/admin/v1/logs?key_id=" + leakedId, { headers: { Authorization: "Bearer " + ownerToken } });
    if ((await r.json()).data?.length > 0) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  await page.goto(base + "/ui/keys");
  const started = Date.now();
  let clicks = 0;
  const click = async (sel) => { clicks++; await page.click(sel); };
  const display = leaked.slice(0, 12);
  await click(`#keys a.mono:has-text("${display}")`);
  await click("#leak-submit");
  await page.waitForURL("**/leak");
  check((await page.textContent("#step-disable")).includes("leak"), "leak page: no disable time/reason");
  check((await page.textContent("#step-impact")).includes("mock-gpt"), "leak page: the impact report lacks the call");
  await shot(page, "leak-impact");
  const leakedAfter = await apiStatus(leaked);
  check(leakedAfter.status === 401 && leakedAfter.code === "key_disabled", "leaked key not refused: " + JSON.stringify(leakedAfter));
  await click("#replace-submit");
  await page.waitForURL("**/shown/**");
  const replacement = (await page.textContent("#new-key")).trim();
  await shot(page, "leak-replacement");
  await click("#incident-link");
  await page.waitForSelector("#incident-title");
  out.leak = { clicks, ms: Date.now() - started, title: await page.textContent("#incident-title") };
  await shot(page, "incident");
  await axeCheck(page, "incident");
  out.replacementWorks = (await apiStatus(replacement)).status;

  // Rotation: a simulated client calls with the old key, the key is
  // rotated with a grace window, the client moves to the new key, and the
  // old key's page — left open — refreshes itself into "migrated".
  const oldKey = await createKey(page, "rotating", "5");
  const oldId = new URL(page.url()).pathname.split("/")[3];
  const clientCall = (key) => fetch(base + "/v1/chat/completions", {
    method: "POST", headers: { Authorization: "Bearer " + key, "Content-Type": "application/json", "X-Client-Name": "nightly-report" },
    body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }),
  }).then((r) => r.status);
  check((await clientCall(oldKey)) === 200, "the client's call with the old key failed");
  await waitLogs(oldId, 1);
  await page.goto(base + "/ui/keys/" + oldId);
  await page.selectOption("#grace", "3600");
  await page.click("#rotate-submit");
  await page.waitForURL("**/shown/**");
  const newKey = (await page.textContent("#new-key")).trim();
  const newId = new URL(page.url()).pathname.split("/")[3];
  await page.goto(base + "/ui/keys/" + oldId);
  const row = () => page.textContent("#rotation tbody tr:has-text('nightly-report')").catch(() => "");
  const before = await row();
  check(before.includes("✗"), "rotation report before the move does not show the client on the old key: " + before);
  out.rotation = { before: before.replace(/\s+/g, " ").trim() };
  await shot(page, "rotation-before");
  check((await clientCall(newKey)) === 200, "the client's call with the new key failed");
  await waitLogs(newId, 1);
  // No reload from the test: the page's own refresh must bring the change.
  let migrated = false;
  for (let i = 0; i < 3 && !migrated; i++) { // the page refreshes itself every 15 s
    await page.waitForEvent("load", { timeout: 20000 }).catch(() => {});
    migrated = (await row()).includes("✓");
  }
  check(migrated, "the rotation report did not refresh itself to show the client migrated");
  out.rotation.after = (await row()).replace(/\s+/g, " ").trim();
  out.rotation.summary = (await page.textContent("#rotation-summary").catch(() => "")).trim();
  await shot(page, "rotation-after");

  // The new pages: members (invite, token shown once), projects and
  // groups, jobs (a running video job cancelled).
  await page.goto(base + "/ui/members");
  await page.fill("#new-email", "browser-member@example.com");
  await page.selectOption("#new-projects", ["demo"]);
  await page.click("#create-member-submit");
  await page.waitForURL("**/token/**");
  const pat = (await page.textContent("#new-token")).trim();
  check(/^kg_pat_/.test(pat), "the invited member's token is not shown");
  await page.reload();
  check(await page.isVisible("#gone") && !(await page.content()).includes(pat), "the member's token is shown again after reload");
  await page.goto(base + "/ui/members");
  check((await page.textContent("#members")).includes("browser-member@example.com"), "the invited member is not listed");
  const job = await fetch(base + "/v1/videos", {
    method: "POST", headers: { Authorization: "Bearer " + newKey, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "mock-video", prompt: "waves mock:hang", seconds: "4" }),
  }).then((r) => r.json());
  check(/^video_/.test(job.id || ""), "no video job: " + JSON.stringify(job).slice(0, 200));
  await page.goto(base + "/ui/jobs");
  check(await page.isVisible(`#j-${job.id} .job-cancel`), "the running job has no cancel control");
  await page.click(`#j-${job.id} .job-cancel`);
  await page.waitForSelector(`#j-${job.id} .job-cancelled`);
  out.jobCancelled = await page.locator(`#j-${job.id} .job-cancel`).count() === 0;
  await shot(page, "jobs");
  await page.goto(base + "/ui/usage");
  out.budgetMarks = await page.locator("#budgets svg .mark").count();
  await shot(page, "usage");

  // Accessibility: no serious or critical axe violation on the main pages.
  for (const p of ["/ui/keys", "/ui/logs", "/ui/usage", "/ui/channels", "/ui/incidents", "/ui/members", "/ui/projects", "/ui/jobs", "/ui/keys/" + oldId]) {
    await page.goto(base + p);
    await axeCheck(page, p);
  }

  // Widths: no horizontal scrolling at 1280 and 390 px.
  for (const w of [1280, 390]) {
    await page.setViewportSize({ width: w, height: 900 });
    for (const p of ["/ui/keys", "/ui/logs", "/ui/usage", "/ui/members", "/ui/projects", "/ui/jobs", "/ui/keys/" + oldId]) {
      await page.goto(base + p);
      const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      out.widths[`${w} ${p.replace(/key_[0-9a-z]+/, "{id}")}`] = over;
      check(over <= 0, `${p} scrolls sideways at ${w}px by ${over}px`);
      await shot(page, p.split("/").slice(2).join("-") + "-" + w);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  // A change without the CSRF token is refused.
  const noCsrf = await page.request.post(base + "/ui/keys", { form: { project: "demo" }, maxRedirects: 0 });
  out.noCsrfStatus = noCsrf.status();

  // The Chinese switch.
  await page.goto(base + "/ui/keys");
  await page.click("#lang-switch");
  await page.waitForSelector("html[lang=zh-CN]");
  out.zhHeading = (await page.textContent("h1")).trim();
  await shot(page, "keys-zh");
  out.zhHeadings = {};
  for (const p of ["/ui/members", "/ui/projects", "/ui/jobs", "/ui/usage"]) {
    await page.goto(base + p);
    out.zhHeadings[p] = (await page.textContent("h1")).trim();
    await shot(page, p.split("/")[2] + "-zh");
  }
  out.zhJobState = (await page.goto(base + "/ui/jobs").then(() => page.textContent(`#j-${job.id} .job-cancelled .job-state`))).trim();
  await page.click("#lang-switch"); // back to English for the rest

  // Support: no change control, and a forged POST is refused.
  const sp = await newPage();
  await sp.goto(base + "/ui/signin");
  await axeCheck(sp, "/ui/signin");
  await sp.fill("#email", support.email);
  await sp.fill("#password", support.password);
  await sp.click("#signin-password");
  await sp.waitForURL("**/ui/keys");
  await sp.click(`#keys a.mono:has-text("${plain.slice(0, 12)}")`);
  out.supportControls = await sp.locator("#disable-form, #enable-form, #rotate-form, #leak-form, #replace-submit").count();
  out.supportCreateForm = await sp.goto(base + "/ui/keys").then(() => sp.locator("#create-key").count());
  const csrf = await sp.inputValue("input[name=csrf]");
  const id = (await sp.getAttribute("#keys tbody tr", "data-key-id"));
  const forged = await sp.request.post(base + `/ui/keys/${id}/enable`, { form: { csrf }, maxRedirects: 0 });
  out.supportForgedStatus = forged.status();
  out.supportMembersStatus = (await sp.goto(base + "/ui/members")).status();
  await sp.goto(base + "/ui/projects");
  out.supportOrgControls = await sp.locator("main form[method=post]").count();
  await sp.goto(base + "/ui/jobs");
  out.supportOrgControls += await sp.locator("main form[method=post], .job-cancel").count();
  const forgedCancel = await sp.request.post(base + `/ui/jobs/${job.id}/cancel`, { form: { csrf }, maxRedirects: 0 });
  out.supportForgedCancel = forgedCancel.status();
  await shot(sp, "support-key");
} catch (e) {
  try { const pages = browser.contexts().flatMap((c) => c.pages()); for (const [i, p] of pages.entries()) { await shot(p, "failure-" + i); out.problems.push("page " + i + " at " + p.url() + ": " + (await p.textContent("main").catch(() => "")).slice(0, 400)); } } catch {}
  out.problems.push("exception: " + (e && e.stack || e));
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
