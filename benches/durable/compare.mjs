// Durable events side by side: the same task lifecycle (assign → acknowledge → start →
// report → accept) for the same number of tasks through `directrix serve` (its HTTP API)
// and through DBOS Transact (a workflow per task receiving its events with `recv`, the
// driver sending them with `send`), on the same PostgreSQL. Run it with
// `bash benches/durable/run`; see benches/README.md, "Durable comparison".
//
// node compare.mjs --bin DIRECTRIX --database POSTGRES_URL [--tasks N] [--reps N]
//                  [--warmups N] [--clients N] [--storage postgres|sqlite]
//
// `--storage` is where directrix keeps its state: the same PostgreSQL database as DBOS
// (the default: the comparison on one database), or SQLite in a temporary folder.
//
// Assigning is setup in both (an instance of benches/durable/one-task.ron created, a DBOS
// workflow started and parked on its first `recv`); the timed event loop is the four
// events of every task, `--clients` at once, each client walking its own tasks one event
// after the other; for DBOS the loop ends when every workflow has returned. Rounds
// alternate (directrix, then DBOS) so that the shared machine's noise falls on both.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { DBOS } from "@dbos-inc/dbos-sdk";
import pg from "pg";

const options = { bin: "", database: "", tasks: 1000, reps: 5, warmups: 1, clients: 16, storage: "postgres" };
{
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i].replace(/^--/, "");
    if (!(name in options) || args[i + 1] === undefined) {
      throw new Error(`unknown option ${args[i]} (--bin, --database, --tasks, --reps, --warmups, --clients, --storage)`);
    }
    options[name] = typeof options[name] === "number" ? Number(args[i + 1]) : args[i + 1];
  }
  if (!options.bin || !options.database) throw new Error("--bin DIRECTRIX and --database POSTGRES_URL are required");
  for (const n of ["tasks", "reps", "clients"]) {
    if (!Number.isInteger(options[n]) || options[n] < 1) throw new Error(`--${n} must be a positive whole number`);
  }
  if (!Number.isInteger(options.warmups) || options.warmups < 0) throw new Error("--warmups must be a whole number");
  if (!["postgres", "sqlite"].includes(options.storage)) throw new Error("--storage is postgres or sqlite");
}
const { tasks: TASKS, reps: REPS, warmups: WARMUPS, clients: CLIENTS } = options;
const ACTIONS = ["acknowledge", "start", "report", "accept"];
const EVENTS = TASKS * ACTIONS.length;
const WORKFLOW = new URL("./one-task.ron", import.meta.url).pathname;
const ISSUED = "2021-05-10T08:00:00+07:00"; // one-task.ron's issue time: the server's clock starts there

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs, q) => {
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.round((sorted.length - 1) * q)];
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Runs `work(client)` for clients 0..CLIENTS-1 at once.
const allClients = (work) => Promise.all(Array.from({ length: CLIENTS }, (_, client) => work(client)));
// The tasks client `client` walks: every CLIENTS-th, starting at its own number.
function* tasksOf(client) {
  for (let i = client; i < TASKS; i += CLIENTS) yield i;
}

// ---------------------------------------------------------------------------------------
// directrix: `directrix serve` in a child process, driven over HTTP/1.1 keep-alive.

const data = mkdtempSync(join(tmpdir(), "directrix-durable-"));

// Where directrix keeps its state: the database DBOS uses (its tables in `public`, DBOS's
// in the schema `dbos`), or DATA/directrix.db. The server's tokens are made there too.
const storage = () => (options.storage === "postgres" ? ["--database", options.database] : ["--data", data]);
let STORAGE_NAME = "SQLite";

const token = (...who) =>
  execFileSync(options.bin, ["serve", "token", ...storage(), ...who], { encoding: "utf8" }).trim();
const adminToken = token("--admin");
const agencyToken = token("--agency", "a");

const server = spawn(
  options.bin,
  ["serve", ...storage(), "--listen", "127.0.0.1:0", "--no-portal", "--load", WORKFLOW, "--clock", ISSUED, "--speed", "1"],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const stopServer = () => {
  if (server.exitCode === null && server.signalCode === null) server.kill("SIGTERM");
};
process.on("exit", () => {
  stopServer();
  rmSync(data, { recursive: true, force: true });
});
const { address, hash } = await new Promise((resolve, reject) => {
  let hash;
  const lines = createInterface({ input: server.stdout });
  lines.on("line", (line) => {
    const stored = line.match(/^directrix serve: workflow (\S+)/);
    if (stored) hash = stored[1];
    const listening = line.match(/^directrix serve: listening on http:\/\/(\S+)/);
    if (listening) resolve({ address: listening[1], hash });
  });
  server.on("exit", (code) => reject(new Error(`directrix serve exited (${code}) before listening`)));
});
if (!hash) throw new Error("directrix serve did not print the loaded workflow's hash");
const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];

// One request on `agent` (one keep-alive connection per client): { status, body }.
function request(agent, method, path, tokenValue, body, key) {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${tokenValue}` };
    let text;
    if (body !== undefined) {
      text = JSON.stringify(body);
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(text);
    }
    if (key !== undefined) headers["idempotency-key"] = key;
    const req = http.request({ host, port, method, path, headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(text);
  });
}
const agents = Array.from({ length: CLIENTS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));

// One round: { seconds, latencies (ms, one per event): request to answer }. The answer
// comes once the act is journaled and applied, so it is both the sender's acknowledgement
// and the event's application.
async function directrixRound(round) {
  // Assign: one instance of the one-task workflow per task (untimed).
  const ids = new Array(TASKS);
  await allClients(async (client) => {
    for (const i of tasksOf(client)) {
      const { status, body } = await request(agents[client], "POST", "/v1/instances", adminToken, { workflow: hash });
      if (status !== 201) throw new Error(`directrix: creating an instance answered ${status}: ${body}`);
      ids[i] = JSON.parse(body).id;
    }
  });
  const latencies = new Float64Array(EVENTS);
  const t0 = performance.now();
  await allClients(async (client) => {
    for (const i of tasksOf(client)) {
      for (let k = 0; k < ACTIONS.length; k++) {
        const sent = performance.now();
        const { status, body } = await request(
          agents[client], "POST", `/v1/instances/${ids[i]}/acts`, agencyToken,
          { task: "t", action: ACTIONS[k] }, `r${round}-${i}-${k}`,
        );
        latencies[i * ACTIONS.length + k] = performance.now() - sent;
        if (status !== 200) throw new Error(`directrix: ${ACTIONS[k]} on instance ${ids[i]} answered ${status}: ${body}`);
      }
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  // Every task ends in `accepted`, read back from the server (untimed).
  await allClients(async (client) => {
    for (const i of tasksOf(client)) {
      const { status, body } = await request(agents[client], "GET", `/v1/instances/${ids[i]}`, adminToken);
      const states = status === 200 ? JSON.parse(body).tasks.map((t) => t.state) : [];
      if (states.length !== 1 || states[0] !== "accepted") {
        throw new Error(`directrix: instance ${ids[i]} ended in ${JSON.stringify(states)} (${status})`);
      }
    }
  });
  return { seconds, acknowledged: latencies, applied: latencies };
}

// ---------------------------------------------------------------------------------------
// DBOS Transact: in this process, its system database on the PostgreSQL given.

// The built-in `default` lifecycle of directrix (core/src/front/builtin.ron) as a table,
// as benches/peer/compare.mjs has it for XState: the same states and transitions.
const LIFECYCLE = {
  assigned: { acknowledge: "acknowledged", start: "in_progress", cancel: "cancelled" },
  acknowledged: { start: "in_progress", cancel: "cancelled" },
  in_progress: { report: "reported", cancel: "cancelled" },
  reported: { accept: "accepted", return: "returned", cancel: "cancelled" },
  returned: { start: "in_progress", report: "reported", cancel: "cancelled" },
};
const RECV_TIMEOUT_SECONDS = 60;

// What the harness watches, not part of any workflow's state: how many workflows reached
// their first `recv`, and when each event was applied (performance.now(), by event number).
let watch = { parked: 0, appliedAt: new Float64Array(0) };

// A task: assigned when started, then each event received durably and applied; returns
// its final state. The state is rebuilt from the recorded `recv` results on recovery.
async function taskLifecycle() {
  let state = "assigned";
  watch.parked += 1;
  while (state in LIFECYCLE) {
    const event = await DBOS.recv("act", RECV_TIMEOUT_SECONDS);
    if (event === null) throw new Error(`no event within ${RECV_TIMEOUT_SECONDS} s in state ${state}`);
    const next = LIFECYCLE[state][event.action];
    if (next === undefined) throw new Error(`${event.action} is not possible in state ${state}`);
    state = next;
    watch.appliedAt[event.seq] = performance.now();
  }
  return state;
}
const taskWorkflow = DBOS.registerWorkflow(taskLifecycle, { name: "taskLifecycle" });

// The pool: DBOS's default of 10 connections made 16 clients' sends and the workflows'
// receives wait for one another; two per client measured faster here.
DBOS.setConfig({
  name: "directrix-durable-bench",
  systemDatabaseUrl: options.database,
  systemDatabasePoolSize: Math.max(10, 2 * CLIENTS),
  logLevel: "error",
});
await DBOS.launch();
const db = new pg.Pool({ connectionString: options.database, max: 2 });
const count = async (sql, prefix) => Number((await db.query(sql, [`${prefix}%`])).rows[0].count);

// One round: { seconds, acknowledged (ms, one per event): `send` called to returned,
// applied: `send` called to the workflow's `recv` returning the event }.
async function dbosRound(round) {
  const prefix = `r${round}-`;
  watch = { parked: 0, appliedAt: new Float64Array(EVENTS) };
  // Assign: one workflow per task, parked on its first `recv` (untimed).
  const handles = new Array(TASKS);
  await allClients(async (client) => {
    for (const i of tasksOf(client)) {
      handles[i] = await DBOS.startWorkflow(taskWorkflow, { workflowID: `${prefix}${i}` })();
    }
  });
  // Parked: each has entered `recv` and recorded its durable timeout (one row each in
  // operation_outputs); a moment more for its first look at the mailbox.
  while (watch.parked < TASKS) await sleep(5);
  while ((await count(`SELECT count(*) FROM dbos.operation_outputs WHERE workflow_uuid LIKE $1`, prefix)) < TASKS) {
    await sleep(20);
  }
  await sleep(200);
  const sentAt = new Float64Array(EVENTS);
  const acknowledged = new Float64Array(EVENTS);
  const t0 = performance.now();
  await allClients(async (client) => {
    for (const i of tasksOf(client)) {
      for (let k = 0; k < ACTIONS.length; k++) {
        const seq = i * ACTIONS.length + k;
        sentAt[seq] = performance.now();
        // The idempotency key makes a retried send deliver once, as directrix's
        // Idempotency-Key does for an act.
        await DBOS.send(`${prefix}${i}`, { action: ACTIONS[k], seq }, "act", `${prefix}${i}-${k}`);
        acknowledged[seq] = performance.now() - sentAt[seq];
      }
    }
  });
  const results = await Promise.all(handles.map((handle) => handle.getResult()));
  const seconds = (performance.now() - t0) / 1000;
  // Every task ends in `accepted`: the workflows' results, and their rows (untimed).
  const wrong = results.findIndex((state) => state !== "accepted");
  if (wrong >= 0) throw new Error(`dbos: workflow ${prefix}${wrong} ended in ${results[wrong]}`);
  const succeeded = await count(
    `SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid LIKE $1 AND status = 'SUCCESS'`, prefix);
  const consumed = await count(
    `SELECT count(*) FROM dbos.notifications WHERE destination_uuid LIKE $1 AND consumed`, prefix);
  if (succeeded !== TASKS || consumed !== EVENTS) {
    throw new Error(`dbos: ${succeeded} of ${TASKS} workflows succeeded, ${consumed} of ${EVENTS} events consumed`);
  }
  const applied = watch.appliedAt.map((at, seq) => at - sentAt[seq]);
  return { seconds, acknowledged, applied };
}

// ---------------------------------------------------------------------------------------
// Rounds, then the table.

const rates = { directrix: [], dbos: [] };
const acknowledged = { directrix: [], dbos: [] };
const applied = { directrix: [], dbos: [] };
for (let round = 0; round < WARMUPS + REPS; round++) {
  for (const [name, run] of [["directrix", directrixRound], ["dbos", dbosRound]]) {
    const result = await run(round);
    if (round >= WARMUPS) {
      rates[name].push(EVENTS / result.seconds);
      for (const latency of result.acknowledged) acknowledged[name].push(latency);
      for (const latency of result.applied) applied[name].push(latency);
    }
    process.stderr.write(
      `round ${round + 1}/${WARMUPS + REPS}${round < WARMUPS ? " (warm-up)" : ""}: ${name} ` +
        `${Math.round(EVENTS / result.seconds)} events/s\n`,
    );
  }
}
await DBOS.shutdown();
const postgresVersion = (await db.query("SHOW server_version")).rows[0].server_version.split(" ")[0];
if (options.storage === "postgres") STORAGE_NAME = `PostgreSQL ${postgresVersion} (the same database)`;
await db.end();
stopServer();
const version = execFileSync(options.bin, ["--version"], { encoding: "utf8" }).trim();
await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.on("exit", resolve)));

// The package's `exports` hide its package.json from `require`: read the installed file.
const dbosVersion = JSON.parse(
  readFileSync(new URL("./node_modules/@dbos-inc/dbos-sdk/package.json", import.meta.url), "utf8"),
).version;
const fmt = (x) => Math.round(x).toLocaleString("en-US");
const ms = (x) => x.toFixed(2);
const rate = { directrix: median(rates.directrix), dbos: median(rates.dbos) };
const ratio = rate.directrix / rate.dbos;
const mark = ratio >= 10 ? "goal met" : ratio >= 3 ? "goal missed, must met" : "MUST MISSED";
const row = (name, engine, storedIn) => [
  name, fmt(rate[engine]),
  ms(quantile(acknowledged[engine], 0.5)), ms(quantile(acknowledged[engine], 0.99)),
  ms(quantile(applied[engine], 0.5)), ms(quantile(applied[engine], 0.99)), storedIn,
];
const rows = [
  ["engine", "events/s (median)", "ack p50 ms", "ack p99 ms", "applied p50 ms", "applied p99 ms", "stored in"],
  row(`${version} (HTTP API)`, "directrix", STORAGE_NAME),
  row(`DBOS Transact ${dbosVersion} (Node ${process.versions.node})`, "dbos", `PostgreSQL ${postgresVersion}`),
];
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
const line = (r) => r.map((cell, c) => (c >= 1 && c <= 5 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd();
console.log(
  `${TASKS} tasks x ${ACTIONS.length} events = ${EVENTS} durable events per round; ` +
    `${WARMUPS} warm-up round(s), median of ${REPS}; ${CLIENTS} clients`,
);
console.log(
  "ack: the sender told the event is stored (directrix: the act's answer; DBOS: send returned); " +
    "applied: until the lifecycle moved (directrix: the same answer; DBOS: the workflow's recv returned it)",
);
console.log(line(rows[0]));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows.slice(1)) console.log(line(r));
console.log(`goal: directrix >= 10x DBOS (must >= 3x): ${mark}`);
console.log(`directrix/dbos durable events-per-second ratio: ${ratio.toFixed(2)}`);
