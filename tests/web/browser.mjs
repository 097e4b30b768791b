#!/usr/bin/env node
// The web interface in a real browser: Playwright driving Debian's Chromium
// against a real `atalaya serve`, with axe-core on every page in every
// language. Usage: node browser.mjs /path/to/atalaya [SCREENSHOT_DIR]
// Checks: sign-in with password and TOTP; submitting a report and seeing it;
// an alert raised by another member's report, acknowledged with the keyboard
// alone; each of the six languages (lang, dir, no missing string, an IP shown
// left to right inside Arabic); zero serious or critical axe violations; a
// member outside a report's audience gets 404 for its URL.
import { spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");
const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.argv[2];
const SHOTS = process.argv[3] || join(tmpdir(), "atalaya-web-shots");
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const LANGS = { ar: "rtl", zh: "ltr", en: "ltr", fr: "ltr", ru: "ltr", es: "ltr" };
const KEYS = Object.keys(JSON.parse(readFileSync(join(here, "../../src/web/i18n/en.json"))).messages);
const PASSWORD = "correct horse battery staple";

let failures = 0;
function check(cond, what) {
  if (!cond) {
    failures++;
    console.log(`FAIL ${what}`);
  }
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function totp(b32, at = Date.now() / 1000) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of b32) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(at / 30)));
  const mac = createHmac("sha1", key).update(msg).digest();
  const off = mac[19] & 15;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, "0");
}

const STIX_TS = new Date(Date.now() - 86400000).toISOString();
function bundle(pattern, name) {
  const uuid = () => crypto.randomUUID();
  return JSON.stringify({
    type: "bundle", id: `bundle--${uuid()}`,
    objects: [{
      type: "indicator", spec_version: "2.1", id: `indicator--${uuid()}`, created: STIX_TS,
      modified: STIX_TS, name, pattern, pattern_type: "stix", valid_from: STIX_TS,
      object_marking_refs: ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"],
    }],
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "atalaya-web-"));
  chmodSync(dir, 0o755); // started as root, the daemon runs as the user atalaya
  const data = join(dir, "data");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const init = spawnSync(BIN, ["init", "--data", data, "--name", "CERT-UY", "--country", "UY"]);
  if (init.status !== 0) throw new Error(`init: ${init.stderr}`);
  const admin = readFileSync(join(data, "admin.token"), "utf8").trim();
  const serve = spawn(BIN, ["serve", "--data", data, "--listen", `127.0.0.1:${port}`],
                      { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  serve.stderr.on("data", (d) => { log += d; });
  const api = async (method, path, body, token = admin, type = "application/json") => {
    const r = await fetch(base + path, {
      method, body: typeof body === "string" || body === undefined ? body : JSON.stringify(body),
      headers: { Authorization: `Bearer ${token}`, "Content-Type": type },
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  };
  let browser;
  try {
    let up = false;
    for (let i = 0; i < 300 && !up && serve.exitCode === null; i++) {
      try { up = (await fetch(`${base}/api/v1/health`)).ok; } catch { /* not yet */ }
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    if (!up) throw new Error(`the daemon did not start: ${log}`);
    // Members A (our user), B (raises the alert), C (outside the audience).
    const member = async (name, cc) => (await api("POST", "/api/v1/members",
      { name, country: cc, kind: "national-cert", role: "analyst" })).json;
    const A = await member("CERT-A", "AR"), B = await member("CERT-B", "BR");
    const C = await member("CERT-C", "CL");
    const user = async (m, email) => ({ email, ...(await api("POST", "/api/v1/users",
      { member: m.id, email, password: PASSWORD })).json });
    const ua = await user(A, "analyst@cert-a.org"), uc = await user(C, "analyst@cert-c.org");
    const uroot = await user({ id: 1 }, "admin@cert-uy.org");
    await api("PUT", "/api/v1/constituency", { cidrs: ["198.51.100.0/24"] }, A.token);
    const contact = await api("POST", "/api/v1/contacts", { role: "crisis", name: "Duty officer",
      email: "duty@cert-a.org", availability: "24/7", audience: ["all"] }, A.token);
    check(contact.status === 201, `contact: ${JSON.stringify(contact.json)}`);

    browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
                                      args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    const signin = async (u) => {
      const ctx = await browser.newContext({ baseURL: base });
      const page = await ctx.newPage();
      await page.goto("/web/signin");
      await page.getByLabel(/E-mail/).fill(u.email);
      await page.getByLabel(/Password/).fill(PASSWORD);
      await page.getByLabel(/authenticator/).fill(totp(u.totp_secret));
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${base}/web`);
      return page;
    };

    // 1. sign-in with password and TOTP
    const pa = await signin(ua);
    check(await pa.locator("h1").textContent() === "Dashboard", "signed in to the dashboard");

    // 2. submit a report (file upload) and see it
    await pa.goto("/web/submit");
    const file = join(dir, "report.json");
    writeFileSync(file, bundle("[domain-name:value = 'phish.example']", "Phishing domain"));
    await pa.getByLabel(/STIX 2.1 bundle/).setInputFiles(file);
    await pa.getByLabel("All members of the node").check();
    await pa.getByRole("button", { name: "Submit" }).click();
    await pa.waitForURL(/\/web\/reports\/report--/);
    const own = pa.url().split("/").pop();
    check((await pa.content()).includes("phish.example"), "the submitted report is shown");
    check(await pa.locator(".tlp").first().textContent() === "TLP:CLEAR", "its TLP badge");

    // 3. another member's report touches our constituency: an alert,
    // acknowledged with the keyboard only
    const rb = await api("POST", "/api/v1/reports?audience=all",
      bundle("[ipv4-addr:value = '198.51.100.7']", "C2"), B.token, "application/stix+json;version=2.1");
    check(rb.status === 201, `B's report: ${rb.status}`);
    let ackId = null;
    for (let i = 0; i < 100 && !ackId; i++) {
      await pa.goto("/web/alerts");
      ackId = await pa.locator("button[id^=ack-]").first().getAttribute("id", { timeout: 100 })
        .catch(() => null);
      if (!ackId) await new Promise((r) => setTimeout(r, 100));
    }
    check(ackId, "the alert is listed with its button");
    if (ackId) {
      let focused = null;
      for (let i = 0; i < 60 && focused !== ackId; i++) {
        await pa.keyboard.press("Tab");
        focused = await pa.evaluate(() => document.activeElement && document.activeElement.id);
      }
      check(focused === ackId, "the acknowledge button is reachable by Tab");
      const outline = await pa.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      check(outline !== "none", "focus is visible");
      await Promise.all([pa.waitForResponse((r) => r.url().endsWith("/ack")),
                         pa.keyboard.press("Enter")]);
      await pa.waitForLoadState();
      const alerts = (await api("GET", "/api/v1/alerts", undefined, A.token)).json.items;
      check(alerts.length === 1 && alerts[0].state === "acknowledged",
            `acknowledged by keyboard: ${JSON.stringify(alerts.map((a) => a.state))}`);
    }

    // 4. a member outside the audience cannot reach A's own report by URL
    const priv = await api("POST", `/api/v1/reports?audience=member:${B.id}`,
      bundle("[domain-name:value = 'secret.example']", "Private"), A.token,
      "application/stix+json;version=2.1");
    const pc = await signin(uc);
    const resp = await pc.goto(`/web/reports/${priv.json.id}`);
    check(resp.status() === 404, `outside the audience: ${resp.status()}`);
    check(!(await pc.content()).includes("secret.example"), "nothing of it shown");

    // profiles, progress and checks (issue 16's pages): some data to draw
    const prof = await api("PUT", `/api/v1/profiles/${A.id}`, { fields: { strategy: { scope: "public",
      value: [{ title: "Estrategia nacional", date: "2021-03-01", link: "https://gob.example/e.pdf" }] } },
      measures: { gge26c: { status: "implemented", since: "2019-05-01", scope: "public" } } }, A.token);
    check(prof.status === 200, `profile: ${JSON.stringify(prof.json)}`);
    const chk = await api("POST", "/api/v1/checks", { contacts: `member:${A.id}`, roles: ["crisis"],
      window: "1h", reply_within: "2h" });
    check(chk.status === 201, `check: ${JSON.stringify(chk.json)}`);
    // requests for assistance: one B asks A (A may acknowledge, answer, offer),
    // one A asks B with B's answer and offer (A may accept, decline, close)
    const rqB = await api("POST", "/api/v1/requests", { kind: "assistance", title: "Phishing wave",
      text: "Ministries receive mails\nwith a fake login page.", deadline: "48h", tlp: "amber",
      audience: [`member:${A.id}`] }, B.token);
    const rqA = await api("POST", "/api/v1/requests", { kind: "capacity", title: "Forensics help",
      deadline: "2s", tlp: "green", audience: ["all"], exercise: true }, A.token);
    check(rqB.status === 201 && rqA.status === 201, `requests: ${rqB.status} ${rqA.status}`);
    await api("POST", `/api/v1/requests/${rqA.json.id}/answers`, { text: "We can help." }, B.token);
    await api("POST", `/api/v1/requests/${rqA.json.id}/offers`,
      { capability: "forensics", text: "Two analysts" }, B.token);

    // 5. every language: lang, dir, no missing string, axe on every page
    const pages = ["/web", "/web/reports", `/web/reports/${rb.json.id}`,
                   `/web/reports/${rb.json.id}/related`, "/web/submit",
                   "/web/alerts", "/web/contacts?h24=1", "/web/lookup?value=198.51.100.7",
                   "/web/delisting", "/web/check",
                   "/web/profile", `/web/profiles/${A.id}`, "/web/progress",
                   "/web/requests", "/web/requests/new", `/web/requests/${rqB.json.id}`,
                   `/web/requests/${rqA.json.id}`];
    // the admin's pages, with a peer, a TAXII source and a group to show (their forms:
    // tests/integration/test_web_admin.py)
    const peer = (await api("POST", "/api/v1/peers", { name: "CERT.br", url: "https://cert.br.example:8440",
      public_key: `ed25519:${"ab".repeat(32)}`, audience: ["all"] })).json;
    await api("POST", "/api/v1/taxii/sources", { name: "feed", url: "https://taxii.example/api1/",
      collection: "c1" });
    const grp = (await api("POST", "/api/v1/groups", { name: "LAC", members: [A.id, B.id] })).json;
    const adminPages = ["/web/admin", "/web/checks", `/web/checks/${chk.json.id}`, "/web/admin/peers", `/web/admin/peers/${peer.id}`, "/web/admin/taxii",
                        `/web/admin/members/${A.id}`,
                        `/web/admin/groups/${grp.id}`, "/web/admin/groups/new"];
    mkdirSync(SHOTS, { recursive: true });
    const anon = await (await browser.newContext({ baseURL: base })).newPage();
    const proot = await signin(uroot);
    for (const [lang, dir] of Object.entries(LANGS)) {
      // the switcher, as a person uses it (a form: no script needed)
      await pa.goto("/web");
      await pa.locator("#lang-select").selectOption(lang);
      await pa.locator("form.lang button").click();
      await pa.waitForLoadState();
      await anon.goto("/web/signin");
      await anon.locator("#lang-select").selectOption(lang);
      await anon.locator("form.lang button").click();
      await anon.waitForLoadState();
      await proot.goto("/web");
      await proot.locator("#lang-select").selectOption(lang);
      await proot.locator("form.lang button").click();
      await proot.waitForLoadState();
      const targets = [[anon, "/web/signin"], ...pages.map((p) => [pa, p]),
                       ...adminPages.map((p) => [proot, p])];
      for (const [page, path] of targets) {
        const r = await page.goto(path);
        const where = `${lang} ${path}`;
        check(r.status() === 200, `${where}: status ${r.status()}`);
        const html = page.locator("html");
        check(await html.getAttribute("lang") === lang, `${where}: lang`);
        check(await html.getAttribute("dir") === dir, `${where}: dir`);
        const text = await page.locator("body").innerText();
        const missing = KEYS.filter((k) => text.includes(k) && !/^month\./.test(k));
        check(missing.length === 0, `${where}: missing strings ${missing}`);
        await page.evaluate(AXE);
        const res = await page.evaluate(() => window.axe.run(document,
          { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }));
        const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
        check(bad.length === 0, `${where}: axe ${bad.map((v) => `${v.id} (${v.nodes.length}: ${v.nodes[0].target})`).join(", ")}`);
        if (lang === "en" || lang === "ar") {
          const name = path === "/web" ? "dashboard"
            : path.split("?")[0].split("/").slice(2).join("-").replace(/report--[^-]*(-[^-]*){4}/, "report");
          await page.screenshot({ path: join(SHOTS, `${lang}-${name}.png`), fullPage: true });
        }
        if ((lang === "ar" || lang === "en") && path === "/web/progress") {
          // the chart mirrors in Arabic: labels right of the bars there, left in English
          const m = await page.evaluate(() => {
            const bar = [...document.querySelectorAll("svg.chart rect.bar")]
              .find((e) => e.getBBox().width > 0);
            if (!bar) return null;
            const l = bar.previousElementSibling.getBoundingClientRect();
            const b = bar.getBoundingClientRect();
            return { label: [l.left, l.right], bar: [b.left, b.right] };
          });
          check(m && (lang === "ar" ? m.label[0] >= m.bar[1] - 1 : m.label[1] <= m.bar[0] + 1),
                `${where}: chart labels on the ${lang === "ar" ? "right" : "left"}: ${JSON.stringify(m)}`);
        }
        if (lang === "ar" && path.startsWith("/web/lookup")) {
          const ip = page.locator("h2 bdi", { hasText: "198.51.100.7" });
          check(await ip.evaluate((e) => getComputedStyle(e).direction) === "ltr",
                "an IP inside Arabic text is shown left to right");
          const box = await ip.boundingBox(), h2 = await page.locator("h2").first().boundingBox();
          check(box && h2 && box.x + box.width >= h2.x + h2.width - 2, "Arabic mirrors: right-aligned");
        }
      }
    }
    // the enrolment page's QR code: an image with a name, in English and in Arabic
    for (const lang of ["en", "ar"]) {
      const code = (await api("POST", "/api/v1/users", { member: A.id,
        email: `enrol-${lang}@cert-a.org` })).json.enrolment_code;
      const pe = await (await browser.newContext({ baseURL: base, locale: lang })).newPage();
      await pe.goto("/web/enrol");
      await pe.locator("#code").fill(code);
      await pe.locator("#password").fill(PASSWORD);
      await Promise.all([pe.waitForResponse((r) => r.request().method() === "POST"),
                         pe.locator("main form button").click()]);
      await pe.waitForLoadState();
      const qr = pe.getByRole("img");
      check(await qr.count() === 1 && (await qr.getAttribute("aria-label")).length > 10,
            `${lang} enrolment: one QR code with an accessible name`);
      await pe.evaluate(AXE);
      const res = await pe.evaluate(() => window.axe.run(document,
        { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }));
      const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      check(bad.length === 0, `${lang} enrolment: axe ${bad.map((v) => v.id).join(", ")}`);
      await pe.screenshot({ path: join(SHOTS, `${lang}-enrol-qr.png`), fullPage: true });
    }
    // a deletion's second step, as a keyboard user reaches it: the box, then the button
    await proot.goto("/web/admin/peers");
    await Promise.all([proot.waitForResponse((r) => r.url().endsWith("/delete")),
                       proot.locator("form[action$='/delete'] button").first().click()]);
    await proot.waitForLoadState();
    check(await proot.locator("#confirm").count() === 1, "the deletion asks for confirmation");
    await proot.evaluate(AXE);
    const conf = await proot.evaluate(() => window.axe.run(document,
      { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }));
    const badConf = conf.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    check(badConf.length === 0, `confirmation page: axe ${badConf.map((v) => v.id).join(", ")}`);
    await proot.locator("#confirm").focus();
    await proot.keyboard.press("Space");
    await Promise.all([proot.waitForResponse((r) => r.url().endsWith("/delete")),
                       proot.locator("main form button").press("Enter")]);
    await proot.waitForLoadState();
    const peers = (await api("GET", "/api/v1/peers")).json.items;
    check(peers.length === 0, `the peer removed with the keyboard: ${peers.length}`);
    const small = await pa.evaluate(() => [...document.querySelectorAll("a, button, input, select")]
      .filter((e) => e.offsetParent && e.getBoundingClientRect().height < 24 && e.type !== "hidden")
      .map((e) => e.outerHTML.slice(0, 60)));
    check(small.length === 0, `targets at least 24 px high: ${small}`);
    void own;
  } finally {
    if (browser) await browser.close();
    if (serve.exitCode === null && serve.signalCode === null) {
      const exited = new Promise((r) => serve.on("exit", r));
      serve.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    if (failures) console.log(log.split("\n").slice(-20).join("\n"));
  }
  console.log(`browser test: ${failures} failures; screenshots in ${SHOTS}`);
  finished = true;
  process.exit(failures ? 1 : 0);
}

// A promise left pending would let node end with status 0 and say nothing.
let finished = false;
process.on("exit", (code) => {
  if (!finished && code === 0) {
    console.log("FAIL the test ended before it finished");
    process.exitCode = 1;
  }
});
main().then(() => { finished = true; }, (e) => { console.log(`FAIL ${e.stack}`); process.exit(1); });
