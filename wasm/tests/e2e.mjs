// End-to-end test of the demo portal (wasm/demo) in headless Chromium.
//
//   node --test wasm/tests/e2e.mjs          (from the repository root)
//
// Needs /usr/bin/chromium (or CHROMIUM=/path) and wasm/node_modules (playwright-core,
// mermaid). Saves a screenshot of the portal after advancing the clock to
// target/demo-screenshot.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { ROOT, startServer } from "../demo/serve.mjs";

const EXECUTABLE = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCREENSHOT = join(ROOT, "target", "demo-screenshot.png");
const SEED = readFileSync(join(ROOT, "workflows", "kien-xuong-114-cv-hu.ron"), "utf8");
const STANDING = "Ban Thường vụ Huyện ủy Kiến Xương";
const TIMEOUT = 15_000;

let server;
let context;
let page;
let userDataDir;
const pageErrors = [];

before(async () => {
  assert.ok(existsSync(EXECUTABLE), `Chromium not found at ${EXECUTABLE}: apt-get install -y chromium (or set CHROMIUM)`);
  assert.ok(existsSync(join(ROOT, "wasm", "pkg", "directrix_bg.wasm")), "wasm/pkg is not built: run `bash wasm/build`");
  server = await startServer(0);
  userDataDir = mkdtempSync(join(tmpdir(), "directrix-e2e-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: EXECUTABLE,
    headless: true,
    args: ARGS,
    viewport: { width: 1360, height: 900 },
    locale: "vi-VN",
  });
  context.setDefaultTimeout(TIMEOUT);
  // No internet: anything outside the local server is a bug in the page.
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => {
    pageErrors.push(`external request blocked: ${route.request().url()}`);
    return route.abort();
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => pageErrors.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") pageErrors.push(`console error: ${msg.text()}`);
  });
});

after(async () => {
  await context?.close().catch(() => {});
  await server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

test("the server serves only the allowed prefixes, with the right types", async () => {
  const base = new URL(server.url).origin;
  const get = (p) => fetch(base + p);
  const wasm = await get("/wasm/pkg/directrix_bg.wasm");
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
  const js = await get("/wasm/demo/app.js");
  assert.match(js.headers.get("content-type"), /^text\/javascript/);
  assert.equal((await get("/wasm/demo/")).status, 200);
  assert.equal((await get("/workflows/kien-xuong-114-cv-hu.ron")).status, 200);
  for (const p of ["/Cargo.toml", "/core/src/lib.rs", "/wasm/demo/../../Cargo.toml", "/wasm/demo/%2e%2e/%2e%2e/Cargo.toml", "/wasm/node_modules/playwright-core/package.json"]) {
    const res = await get(p);
    assert.equal(res.status, 404, `${p} should be 404, got ${res.status}`);
  }
});

test("portal: seed workflow, inbox, clock, overdue tasks, escalations, diagnostics", async () => {
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready='true']").catch(async (e) => {
    throw new Error(`the page did not initialise (wasm load failed?): ${pageErrors.join("; ") || e.message}`);
  });

  // Load the seed: compiled, in the runtime module; the full module is not fetched.
  await page.click("#load-seed");
  await page.waitForSelector("#workspace:not([hidden])");
  const fetched = () => page.evaluate(() => performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname));
  assert.ok((await fetched()).some((p) => p.endsWith("/wasm/pkg/runtime/runtime_bg.wasm")), "the seed runs in the runtime module");
  assert.ok(!(await fetched()).some((p) => p.endsWith("/wasm/pkg/directrix_bg.wasm")), "the full module is fetched only for RON");
  await assert.doesNotReject(
    page.waitForFunction(() => document.querySelector("#band-title")?.textContent.includes("114-CV/HU")),
    "the header band should show the directive number 114-CV/HU",
  );
  const subject = await page.textContent("#band-subject");
  assert.match(subject, /phòng, chống dịch Covid-19/, "the header should show the Vietnamese subject intact");
  assert.match(await page.textContent("#directive-meta"), /Ban Thường vụ Huyện ủy Kiến Xương/);
  assert.match(await page.textContent("#implements-chain"), /135-TB\/TU/);
  await page.waitForSelector("#graph svg", { timeout: 30_000 }).catch(() => {
    throw new Error(`the mermaid graph did not render: ${pageErrors.join("; ")}`);
  });

  // Act as the health centre.
  await page.selectOption("#agency-select", "health");
  await page.waitForFunction(() => document.querySelector("#inbox-agency")?.textContent.includes("Trung tâm Y tế"));
  const actions = page.locator("#inbox button[data-action]");
  await actions.first().waitFor();
  assert.ok((await actions.count()) >= 2, "the health centre's inbox should offer actions");
  await page.click("#inbox button[data-action='acknowledge'][data-task='health_readiness']");
  await page.waitForSelector("#inbox button[data-action='start'][data-task='health_readiness']");
  assert.equal(await page.locator("#inbox button[data-action='acknowledge'][data-task='health_readiness']").count(), 0,
    "after acknowledging, health_readiness should no longer offer acknowledge");
  assert.ok(await page.isHidden("#error-box"), "a valid action must not show an error");

  // Move the clock: +1 hour, then +1 day several times, past the first deadlines.
  const clockBefore = await page.textContent("#clock");
  await page.click("#advance-hour");
  await page.waitForFunction((before) => document.querySelector("#clock").textContent !== before, clockBefore);
  assert.match(await page.textContent("#clock"), /09:00/, "+1 giờ should move the clock from 08:00 to 09:00");
  for (let i = 0; i < 3; i++) {
    const before = await page.textContent("#clock");
    await page.click("#advance-day");
    await page.waitForFunction((b) => document.querySelector("#clock").textContent !== b, before);
  }
  assert.match(await page.textContent("#clock"), /10\/05\/2021/, "three days later the clock should read 10/05/2021");
  await page.click("#advance-next");

  const overdueRows = page.locator("#task-table tr[data-deadline='overdue']");
  await overdueRows.first().waitFor().catch(() => {
    throw new Error("after advancing past the deadlines, the task table should show an overdue row");
  });
  assert.ok((await overdueRows.count()) >= 1);
  assert.ok((await page.locator("#task-table tr[data-deadline][data-task]").count()) >= 10, "one row per task instance");

  const log = page.locator("#escalation-log");
  await log.locator("[data-kind='escalated']").first().waitFor().catch(() => {
    throw new Error("the escalation log should contain an `escalated` entry");
  });
  const logText = await log.textContent();
  assert.ok(logText.includes(STANDING), `the escalation log should name the target "${STANDING}"`);
  assert.ok(logText.includes("escalated"), "the escalation log should show the kind code");

  // A refused action shows the DirectrixError (code + message): a double submission,
  // clicking the same (now stale) "acknowledge" button twice.
  await page.selectOption("#agency-select", "health");
  const ack = "#inbox button[data-action='acknowledge'][data-task='vaccination']";
  await page.waitForSelector(ack);
  await page.$eval(ack, (button) => {
    button.click();
    button.click();
  });
  await page.waitForSelector("#error-box:not([hidden])").catch(() => {
    throw new Error("a refused action should show the error box");
  });
  assert.match(await page.textContent("#error-code"), /^[a-z_-]+$/, "the error box shows the error code");
  assert.ok((await page.textContent("#error-message")).length > 5, "the error box shows the message");

  // Screenshot of the running portal for review.
  await page.click("#error-close").catch(() => {});
  mkdirSync(join(ROOT, "target"), { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.ok(existsSync(SCREENSHOT), `screenshot not written to ${SCREENSHOT}`);

  // Broken RON: a misspelt agency in a lead.
  const broken = SEED.replace('lead: ["health"],', 'lead: ["heath"],');
  assert.notEqual(broken, SEED, "the seed should contain `lead: [\"health\"],`");
  if (await page.isHidden("#ron-input")) await page.click("#toggle-editor");
  await page.fill("#ron-input", broken);
  await page.click("#load-ron");
  const diag = page.locator("#diagnostics .diag.error").first();
  await diag.waitFor().catch(() => {
    throw new Error("loading broken RON should list the diagnostics");
  });
  const diagText = await page.textContent("#diagnostics");
  // Where the misspelt id is, counted the way editors do (1-based line and column).
  const at = broken.indexOf('"heath"');
  const line = broken.slice(0, at).split("\n").length;
  const column = at - broken.lastIndexOf("\n", at - 1);
  const where = `${line}:${column}`;
  assert.match(await page.textContent("#diagnostics .diag.error .diag-loc"), /^\d+:\d+$/, "diagnostics should show line:column");
  assert.ok(diagText.includes(where), `the misspelt lead is at ${where}; diagnostics: ${diagText}`);
  assert.ok(diagText.includes("unknown-agency"), "diagnostics should show the code `unknown-agency`");
  assert.ok(diagText.includes("health"), "diagnostics should carry the hint (did you mean `health`?)");
  assert.equal(await page.locator("#gutter .gl.err").first().textContent(), String(line), `the gutter marks line ${line}`);
  assert.ok((await fetched()).some((p) => p.endsWith("/wasm/pkg/directrix_bg.wasm")), "loading RON fetched the full module");

  // Truncated text: a syntax error with its position.
  await page.fill("#ron-input", SEED.slice(0, 5000));
  await page.click("#load-ron");
  await page.waitForSelector("#diagnostics .diag.error[data-code='syntax']");
  assert.match(await page.textContent("#diagnostics .diag.error .diag-loc"), /^\d+:\d+$/, "a syntax error should show line:column");

  assert.deepEqual(pageErrors, [], "no page errors or external requests");
});
