// End-to-end test of the portal's server mode in headless Chromium, against a real
// `directrix serve` on a temporary data directory (a real SQLite database):
// log in with an agency's token, see its inbox across instances, act, see an act made
// elsewhere arrive through the event stream, reload, restart the server mid-session; the
// page replays every instance in WebAssembly with the workflow the server gives it, an
// uploaded one (not the seed) included.
//
//   node --test wasm/tests/serve-e2e.mjs     (from the repository root)
//
// Needs the CLI binary (target/debug/directrix: `cargo build -p directrix-cli`, or
// DIRECTRIX_BIN=/path), the built package (`bash wasm/build`), /usr/bin/chromium (or
// CHROMIUM=/path) and wasm/node_modules (playwright-core). It starts and stops the server,
// and saves a screenshot of the server-mode card to target/serve-screenshot.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = process.env.DIRECTRIX_BIN ?? join(ROOT, "target", "debug", "directrix");
const EXECUTABLE = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SEED = join(ROOT, "workflows", "kien-xuong-114-cv-hu.ron");
const TIMEOUT = 15_000;
const TASK = "health_readiness";
const SCREENSHOT = join(ROOT, "target", "serve-screenshot.png");

let data;
let server; // { child, origin, hash }
let context;
let page;
let userDataDir;
let admin;
let health;
const pageErrors = [];

/** Starts `directrix serve` and resolves once it prints its address. */
function startServer(listen) {
  const child = spawn(BIN, [
    "serve", "--data", data, "--listen", listen, "--load", SEED,
    "--clock", "2021-05-07T08:00:00+07:00", "--portal", join(ROOT, "wasm"),
  ], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolvePromise, reject) => {
    let hash;
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const workflow = /^directrix serve: workflow (\S+)/.exec(line);
      if (workflow) hash = workflow[1];
      const listening = /^directrix serve: listening on (http:\/\/\S+)/.exec(line);
      if (listening) resolvePromise({ child, origin: listening[1], hash });
    });
    child.on("exit", (code) => reject(new Error(`directrix serve exited (${code}) before listening`)));
  });
}

/** SIGTERM, and waits for the process to exit. */
function stopServer() {
  const { child } = server;
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once("exit", done);
    child.kill("SIGTERM");
  });
}

async function call(method, path, token, body, headers = {}) {
  const res = await fetch(server.origin + path, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const button = (instance, action) =>
  page.locator(`#server-inbox button[data-instance="${instance}"][data-task="${TASK}"][data-action="${action}"]`);
const event = (instance, action) =>
  page.locator(`#server-events li[data-kind="transitioned"][data-instance="${instance}"][data-task="${TASK}"][data-action="${action}"]`);

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} not found: cargo build -p directrix-cli (or set DIRECTRIX_BIN)`);
  assert.ok(existsSync(EXECUTABLE), `Chromium not found at ${EXECUTABLE}: apt-get install -y chromium (or set CHROMIUM)`);
  assert.ok(existsSync(join(ROOT, "wasm", "pkg", "runtime", "index.js")), "wasm/pkg is not built: run `bash wasm/build`");
  data = mkdtempSync(join(tmpdir(), "directrix-serve-e2e-"));
  const token = (...args) => execFileSync(BIN, ["serve", "token", "--data", data, ...args], { encoding: "utf8" }).trim();
  admin = token("--admin");
  health = token("--agency", "health");
  server = await startServer("127.0.0.1:0");
  userDataDir = mkdtempSync(join(tmpdir(), "directrix-serve-e2e-browser-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: EXECUTABLE,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
    viewport: { width: 1360, height: 900 },
    locale: "vi-VN",
  });
  context.setDefaultTimeout(TIMEOUT);
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => {
    pageErrors.push(`external request blocked: ${route.request().url()}`);
    return route.abort();
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => pageErrors.push(`page error: ${err.message}`));
});

after(async () => {
  await context?.close().catch(() => {});
  if (server) await stopServer();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (data) rmSync(data, { recursive: true, force: true });
});

/** Stores a workflow's RON text (admin); its hash. */
async function upload(text) {
  const res = await fetch(server.origin + "/v1/workflows", {
    method: "POST",
    headers: { Authorization: `Bearer ${admin}`, "Content-Type": "text/plain" },
    body: text,
  });
  const json = await res.json();
  assert.equal(res.status, 201, JSON.stringify(json));
  return json.hash;
}

test("server mode: login, inbox across instances, act, live events, reload, restart", async () => {
  // Two instances of the directive: the agency's inbox spans both.
  const first = (await call("POST", "/v1/instances", admin, { workflow: server.hash })).id;
  const second = (await call("POST", "/v1/instances", admin, { workflow: server.hash })).id;
  // And one of a workflow the page has never seen: the seed with another due rule.
  const seedText = readFileSync(SEED, "utf8");
  const changed = seedText.replace(
    /(id: "health_readiness",[\s\S]*?due: )WorkingDays\(2\)/, "$1WorkingDays(3)");
  assert.notEqual(changed, seedText);
  const uploaded = await upload(changed);
  assert.notEqual(uploaded, server.hash);
  const third = (await call("POST", "/v1/instances", admin, { workflow: uploaded })).id;

  // The portal at /, in server mode; a wrong token is refused.
  await page.goto(server.origin + "/");
  await page.locator("#server-card").waitFor({ state: "visible" });
  await page.fill("#server-token", "dxt_forged");
  await page.click("#server-login-button");
  await page.locator("#server-error").waitFor({ state: "visible" });
  assert.equal(await page.textContent("#server-error-code"), "unauthorized");

  await page.fill("#server-token", health);
  await page.click("#server-login-button");
  await page.locator('body[data-server="logged-in"]').waitFor();
  assert.equal(await page.textContent("#server-agency"), "health");
  await button(first, "acknowledge").waitFor();
  await button(second, "acknowledge").waitFor();
  await page.locator('#server-stream[data-state="open"]').waitFor();

  // The WebAssembly runtime replays each journal to the server's state, with the
  // workflow fetched from the server: the seed's, and the uploaded one.
  await page.locator(`#verify-${first}[data-result="match"][data-workflow="${server.hash}"]`).waitFor();
  await button(third, "acknowledge").waitFor();
  await page.locator(`#verify-${third}[data-result="match"][data-workflow="${uploaded}"]`).waitFor();
  const stored = await call("GET", `/v1/workflows/${uploaded}`, health);
  assert.equal(stored.source, changed);
  await button(third, "acknowledge").click();
  await button(third, "acknowledge").waitFor({ state: "detached" });
  const thirdJournal = await call("GET", `/v1/instances/${third}/journal`, health);
  const thirdView = await call("GET", `/v1/instances/${third}`, health);
  assert.equal(thirdView.version, thirdJournal.length);
  // The state the page reached in WebAssembly hashes as the server's.
  await page.locator(`#verify-${third}[data-result="match"][data-version="${thirdJournal.length}"]`
    + `[data-state-hash="${thirdView.state_hash}"]`).waitFor();

  // Acting from the page: journaled by the server, the inbox moves on, the event arrives.
  await button(first, "acknowledge").click();
  await button(first, "acknowledge").waitFor({ state: "detached" });
  await event(first, "acknowledge").waitFor();
  const journal = await call("GET", `/v1/instances/${first}/journal`, health);
  const act = journal.at(-1);
  assert.equal(act.input.input, "act");
  assert.equal(act.actor, "health");
  assert.ok(act.idempotency_key, "the page sends an Idempotency-Key");
  await page.locator(`#verify-${first}[data-result="match"][data-version="${journal.length}"]`).waitFor();

  // An act made elsewhere reaches the page through the event stream alone.
  await call("POST", `/v1/instances/${second}/acts`, health, { task: TASK, action: "acknowledge" });
  await event(second, "acknowledge").waitFor();
  await button(second, "acknowledge").waitFor({ state: "detached" });

  // A reload keeps the session (sessionStorage) and shows the same state.
  await page.reload();
  await page.locator('body[data-server="logged-in"]').waitFor();
  await page.locator('#server-stream[data-state="open"]').waitFor();
  assert.equal(await button(first, "acknowledge").count(), 0);
  await event(second, "acknowledge").waitFor();

  // The server stops: the page says so and keeps trying; it comes back on the same port
  // with the same database, and the page picks up what happened since.
  const origin = server.origin;
  await stopServer();
  await page.locator('#server-stream[data-state="reconnecting"]').waitFor();
  server = await startServer(new URL(origin).host);
  assert.equal(server.origin, origin);
  await page.locator('#server-stream[data-state="open"]').waitFor();
  const next = (await call("GET", "/v1/inbox", health))
    .find((entry) => entry.instance === first).items
    .find((item) => item.task === TASK && !item.needs_note && !item.needs_until);
  assert.ok(next, "the task offers a next action");
  await call("POST", `/v1/instances/${first}/acts`, health, { task: TASK, action: next.action },
    { "Idempotency-Key": "after-restart" });
  await event(first, next.action).waitFor();
  await button(first, next.action).waitFor({ state: "detached" });
  const after = await call("GET", `/v1/instances/${first}/journal`, health);
  await page.locator(`#verify-${first}[data-result="match"][data-version="${after.length}"]`).waitFor();

  // The page's own events are in the log once each (resumed with Last-Event-ID).
  const ids = await page.locator("#server-events li[data-event-id]").evaluateAll(
    (items) => items.map((item) => item.dataset.eventId));
  assert.equal(new Set(ids).size, ids.length, `an event shown twice: ${ids}`);

  await page.locator("#server-card").screenshot({ path: SCREENSHOT });

  // Logging out forgets the token.
  await page.click("#server-logout");
  await page.locator('body[data-server="logged-out"]').waitFor();
  await page.reload();
  await page.locator('body[data-server="logged-out"]').waitFor();
  assert.deepEqual(pageErrors, [], "no page errors or external requests");
});
