// Peer comparison: the same lifecycle and the same events through XState v5, through the
// directrix WebAssembly package and (as a child process) through the native driver
// `peer-native`. Run it with `bash benches/peer/run`; see benches/README.md, "Peer comparison".
//
// node --expose-gc compare.mjs PEER_NATIVE_BINARY [TASKS] [REPETITIONS] [WARMUPS]
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { createActor, createMachine } from "xstate";
import { initSync, Workflow } from "../../wasm/pkg/index.js";

const [native, tasksArg = "20000", repsArg = "7", warmArg = "3"] = process.argv.slice(2);
if (!native) throw new Error("usage: compare.mjs PEER_NATIVE_BINARY [TASKS] [REPETITIONS] [WARMUPS]");
const TASKS = Number(tasksArg), REPS = Number(repsArg), WARMUPS = Number(warmArg);
for (const n of [TASKS, REPS]) if (!Number.isInteger(n) || n < 1) throw new Error(`bad count ${n}`);
if (!Number.isInteger(WARMUPS) || WARMUPS < 0) throw new Error(`bad warm-up count ${WARMUPS}`);

const AT = "2021-05-10T08:00:00+07:00"; // the issue time, and the time of every action
const ACTIONS = ["acknowledge", "start", "report", "accept"];
const EVENTS = TASKS * ACTIONS.length;

// The workflow text (same generator logic as `workflow` in benches/src/bin/peer_native.rs).
function workflow(n) {
  let ron = `(format: 1, directive: (number: "1/PEER", kind: "Test", issuer: "a", issued_at: "${AT}", subject: "peer"), calendar: (utc_offset: "+07:00"), agencies: [(id: "a", name: "A")], tasks: [\n`;
  for (let i = 0; i < n; i++) ron += `(id: "t${i}", title: "T${i}", lead: ["a"]),\n`;
  return ron + "])\n";
}

// The built-in `default` lifecycle (core/src/front/builtin.ron) as an XState v5 machine: the same
// states and transitions; roles and the DependenciesDone guard are directrix checks that
// XState does not do (see the README).
const lifecycle = createMachine({
  id: "default",
  initial: "assigned",
  states: {
    assigned: { on: { acknowledge: "acknowledged", start: "in_progress", cancel: "cancelled" } },
    acknowledged: { on: { start: "in_progress", cancel: "cancelled" } },
    in_progress: { on: { report: "reported", cancel: "cancelled" } },
    reported: { on: { accept: "accepted", return: "returned", cancel: "cancelled" } },
    returned: { on: { start: "in_progress", report: "reported", cancel: "cancelled" } },
    accepted: { type: "final" },
    cancelled: { type: "final" },
  },
});

const gc = globalThis.gc ?? (() => {});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Runs `setup` (untimed), then the event loop (timed), then `check` (untimed), WARMUPS +
// REPS times; returns the median events per second of the REPS timed rounds.
function measure(setup, loop, check) {
  const rates = [];
  for (let round = 0; round < WARMUPS + REPS; round++) {
    const state = setup();
    gc();
    const t0 = performance.now();
    loop(state);
    const seconds = (performance.now() - t0) / 1000;
    check(state);
    if (round >= WARMUPS) rates.push(EVENTS / seconds);
  }
  return median(rates);
}

// XState: one actor per task instance; events in the same order as the other engines.
const xEvents = ACTIONS.map((type) => ({ type }));
const xstate = measure(
  () => {
    const actors = new Array(TASKS);
    for (let i = 0; i < TASKS; i++) actors[i] = createActor(lifecycle).start();
    return actors;
  },
  (actors) => {
    for (let i = 0; i < TASKS; i++) {
      const actor = actors[i];
      for (let k = 0; k < 4; k++) actor.send(xEvents[k]);
    }
  },
  (actors) => {
    for (const actor of actors) {
      if (actor.getSnapshot().value !== "accepted") throw new Error("xstate: a task is not accepted");
    }
  },
);

// directrix WASM: the public API, one instance of N tasks, `act` per event: the call a
// portal writes, with its request object and the effect records it reads back.
initSync({ module: readFileSync(new URL("../../wasm/pkg/directrix_bg.wasm", import.meta.url)) });
const wf = Workflow.parse(workflow(TASKS));
const requests = [];
for (let i = 0; i < TASKS; i++) {
  for (const action of ACTIONS) requests.push({ at: AT, actor: "a", task: `t${i}`, action });
}
const wasm = measure(
  () => {
    const started = wf.start(AT);
    const { instance } = started;
    started.free();
    return instance;
  },
  (instance) => {
    for (let j = 0; j < EVENTS; j++) instance.act(requests[j]);
  },
  (instance) => {
    const statuses = instance.status();
    instance.free();
    if (statuses.length !== TASKS || statuses.some((s) => s.state !== "accepted")) {
      throw new Error("directrix-wasm: a task is not accepted");
    }
  },
);

// directrix WASM, the index path: names resolved once (as the native driver does), then
// one `actByIndex` call per event: still one boundary crossing per event, like XState's
// `send`, but only numbers cross it.
const secs = wf.timeSeconds(AT);
const actor = wf.agencyIndex("a");
const actionIndices = ACTIONS.map((a) => wf.actionIndex(a));
const triples = new Uint32Array(EVENTS * 3);
for (let i = 0, j = 0; i < TASKS; i++) {
  const task = wf.taskIndex(`t${i}`);
  for (const action of actionIndices) {
    triples[j++] = actor;
    triples[j++] = task;
    triples[j++] = action;
  }
}
const startInstance = () => {
  const started = wf.start(AT);
  const { instance } = started;
  started.free();
  return instance;
};
const checkAccepted = (instance) => {
  const statuses = instance.status();
  instance.free();
  if (statuses.length !== TASKS || statuses.some((s) => s.state !== "accepted")) {
    throw new Error("directrix-wasm: a task is not accepted");
  }
};
const wasmIndex = measure(startInstance, (instance) => {
  for (let j = 0; j < EVENTS * 3; j += 3) instance.actByIndex(secs, triples[j], triples[j + 1], triples[j + 2]);
}, checkAccepted);
// And `actBatch`: the whole sequence in one call, so the loop runs inside the module as the
// native driver's loop runs inside its process: this compares the engines themselves.
const wasmBatch = measure(startInstance, (instance) => {
  instance.actBatch(secs, triples);
}, checkAccepted);
wf.free();

// Native: the Rust driver, same text, events, rounds and median.
const nativeOut = execFileSync(native, [String(TASKS), String(REPS), String(WARMUPS)], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
});
const nativeRate = JSON.parse(nativeOut).events_per_second;
if (!(nativeRate > 0)) throw new Error(`peer-native printed ${nativeOut}`);

// The table.
const xVersion = createRequire(import.meta.url)("xstate/package.json").version;
const fmt = (x) => Math.round(x).toLocaleString("en-US");
const mark = (goal, must) => (goal ? "goal met" : must ? "goal missed, must met" : "MUST MISSED");
const wasmRatio = wasmIndex / xstate;
const actRatio = wasm / xstate;
const nativeRatio = nativeRate / xstate;
const slowdown = nativeRate / wasmBatch; // how many times slower the WASM engine is than native
const rows = [
  ["engine", "events/s (median)", "ratio to XState", "goal"],
  [`xstate ${xVersion} (Node ${process.versions.node})`, fmt(xstate), "1.00", "reference (style notes: ~0.12 M/s)"],
  ["directrix-wasm, actByIndex per event", fmt(wasmIndex), wasmRatio.toFixed(2),
    `>= 10x XState (must >= 3x): ${mark(wasmRatio >= 10, wasmRatio >= 3)}`],
  ["directrix-wasm, act({...}) per event", fmt(wasm), actRatio.toFixed(2),
    `>= 10x XState (must >= 5x): ${mark(actRatio >= 10, actRatio >= 5)}`],
  ["directrix-wasm, actBatch", fmt(wasmBatch), (wasmBatch / xstate).toFixed(2), "the engine loop inside the module"],
  ["directrix-native", fmt(nativeRate), nativeRatio.toFixed(2),
    `>= 10 M/s (must >= 2 M/s): ${mark(nativeRate >= 10e6, nativeRate >= 2e6)}`],
];
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
const line = (r) => r.map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd();
console.log(`${TASKS} tasks x ${ACTIONS.length} events = ${EVENTS} events per round; ${WARMUPS} warm-up rounds, median of ${REPS}`);
console.log(line(rows[0]));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows.slice(1)) console.log(line(r));
console.log(
  `native / directrix-wasm engine (actBatch): ${slowdown.toFixed(2)}x; ` +
    `goal WASM no slower than 1.5x native (must <= 3x): ${mark(slowdown <= 1.5, slowdown <= 3)}`,
);
console.log(`directrix-wasm act({...})/xstate events-per-second ratio: ${actRatio.toFixed(2)}`);
console.log(`directrix-wasm/xstate events-per-second ratio: ${wasmRatio.toFixed(2)}`);
