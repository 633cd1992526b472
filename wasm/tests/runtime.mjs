// The runtime module (wasm/pkg/runtime) against the full module (wasm/pkg): it loads the
// compiled seed, refuses bad bytes with a coded error and keeps working, runs instances
// exactly as the full module does, and carries no RON front end.
// Run: node --test wasm/tests/runtime.mjs (after bash wasm/build).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("../..", import.meta.url));
const pkg = join(root, "wasm/pkg");
const full = await import(join(pkg, "index.js"));
const runtime = await import(join(pkg, "runtime/index.js"));
const fullWasm = readFileSync(join(pkg, "directrix_bg.wasm"));
const runtimeWasm = readFileSync(join(pkg, "runtime/runtime_bg.wasm"));
full.initSync({ module: fullWasm });
runtime.initSync({ module: runtimeWasm });

const SEED = readFileSync(join(root, "workflows/kien-xuong-114-cv-hu.ron"), "utf8");
const seedWorkflow = full.Workflow.parse(SEED);
const SEED_BYTES = seedWorkflow.compile();

/** The size budget of the runtime module, gzipped (README, "WebAssembly"). */
const RUNTIME_BUDGET = 200 * 1024;

function throwsCoded(call, code) {
  let error;
  try {
    call();
  } catch (e) {
    error = e;
  }
  assert.ok(error, "expected a throw");
  assert.ok(error instanceof runtime.DirectrixError, `not a DirectrixError: ${error}`);
  assert.equal(error.name, "DirectrixError");
  assert.equal(typeof error.code, "string");
  if (code) assert.equal(error.code, code, error.message);
  assert.ok(error.message.length > 0);
  return error;
}

/** The runtime still loads the seed and runs it. */
function stillWorks() {
  const workflow = runtime.Workflow.fromCompiled(SEED_BYTES);
  const { instance } = workflow.start();
  assert.ok(instance.status().length > 0);
  instance.free();
  workflow.free();
}

test("compiled bytes carry the magic and load in the runtime", () => {
  assert.ok(SEED_BYTES instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(SEED_BYTES.subarray(0, 4)), "DRXW");
  const workflow = runtime.Workflow.fromCompiled(SEED_BYTES);
  assert.equal(workflow.contentHash, seedWorkflow.contentHash);
  // The same as an ArrayBuffer (what `fetch(...).arrayBuffer()` gives).
  const again = runtime.Workflow.fromCompiled(SEED_BYTES.slice().buffer);
  assert.equal(again.contentHash, seedWorkflow.contentHash);
  // Compiling is deterministic, and what wasm/build wrote for the demo is these bytes.
  assert.deepEqual(full.Workflow.parse(SEED).compile(), SEED_BYTES);
  assert.deepEqual(new Uint8Array(readFileSync(join(pkg, "demo/kien-xuong-114-cv-hu.dxw"))), SEED_BYTES);
  // A compiled workflow also loads in the full module, there without warnings.
  const inFull = full.Workflow.fromCompiled(SEED_BYTES);
  assert.equal(inFull.contentHash, seedWorkflow.contentHash);
  assert.deepEqual(inFull.warnings, []);
  assert.deepEqual(inFull.compile(), SEED_BYTES);
});

test("bad bytes throw a coded DirectrixError and the module keeps working", () => {
  const wrongMagic = SEED_BYTES.slice();
  wrongMagic[0] ^= 0xff;
  const cases = [
    ["empty", new Uint8Array()],
    ["magic only", SEED_BYTES.slice(0, 4)],
    ["truncated", SEED_BYTES.slice(0, SEED_BYTES.length >> 1)],
    ["one byte short", SEED_BYTES.slice(0, SEED_BYTES.length - 1)],
    ["wrong magic", wrongMagic],
    ["RON text", new TextEncoder().encode(SEED)],
  ];
  for (const [what, bytes] of cases) {
    const error = throwsCoded(() => runtime.Workflow.fromCompiled(bytes));
    assert.notEqual(error.code, "invalid_argument", `${what}: ${error.message}`);
    stillWorks();
  }
  throwsCoded(() => runtime.Workflow.fromCompiled(wrongMagic), "not-compiled");
  throwsCoded(() => runtime.Workflow.fromCompiled(new Uint8Array()), "not-compiled");
  // Random bytes, and random bytes behind the right magic: a fixed generator, so a
  // failure reproduces.
  let state = 0x2545f491;
  const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
  for (let round = 0; round < 200; round++) {
    const bytes = Uint8Array.from({ length: 1 + (round * 37) % 700 }, random);
    if (round % 2 && bytes.length >= 6) bytes.set(SEED_BYTES.subarray(0, 6));
    throwsCoded(() => runtime.Workflow.fromCompiled(bytes));
  }
  // Every prefix at a stride, and single-byte damage throughout: either it loads (and
  // then runs) or it throws a coded error; never a trap.
  for (let length = 0; length < SEED_BYTES.length; length += 97) {
    throwsCoded(() => runtime.Workflow.fromCompiled(SEED_BYTES.subarray(0, length)));
  }
  for (let at = 0; at < SEED_BYTES.length; at += 53) {
    const bytes = SEED_BYTES.slice();
    bytes[at] ^= 0x5a;
    try {
      runtime.Workflow.fromCompiled(bytes).start().instance.advance("2021-06-30T17:00:00+07:00");
    } catch (error) {
      assert.ok(error instanceof runtime.DirectrixError, `byte ${at}: ${error}`);
    }
  }
  stillWorks();
});

test("wrong arguments and options are refused by name", () => {
  for (const value of [undefined, null, "DRXW", 42, [1, 2, 3], {}]) {
    throwsCoded(() => runtime.Workflow.fromCompiled(value), "invalid_argument");
  }
  throwsCoded(() => runtime.Workflow.fromCompiled(SEED_BYTES, { limit: {} }), "invalid_argument");
  throwsCoded(() => runtime.Workflow.fromCompiled(SEED_BYTES, { limits: { instance: 5 } }), "invalid_argument");
  throwsCoded(() => runtime.Workflow.fromCompiled(SEED_BYTES, { limits: { instances: 1.5 } }), "invalid_argument");
  throwsCoded(() => runtime.Workflow.fromCompiled(SEED_BYTES, { limits: { "input-bytes": 100 } }), "limit-exceeded");
  throwsCoded(() => runtime.Workflow.fromCompiled(SEED_BYTES, { limits: { instances: 1 } }), "limit-exceeded");
  runtime.Workflow.fromCompiled(SEED_BYTES, { limits: { instances: 100000 } });
  runtime.Workflow.fromCompiled(SEED_BYTES, null);
  stillWorks();
});

/** Drives an instance of `module` through acts, advances and the index path; returns
 * every observable output, as JSON. */
function drive(module, workflow) {
  const out = [];
  const seen = (label, value) => out.push(`${label} ${JSON.stringify(value)}`);
  const started = workflow.start();
  seen("start", started.effects);
  const instance = started.instance;
  const look = (label) => {
    seen(`${label} now`, instance.now());
    seen(`${label} status`, instance.status());
    seen(`${label} overdue`, instance.overdue());
    seen(`${label} grid`, instance.grid());
    seen(`${label} critical`, instance.criticalPath());
    seen(`${label} next`, instance.nextTimer());
    seen(`${label} inbox`, instance.inbox("health"));
    seen(`${label} snapshot`, instance.snapshot());
  };
  look("started");
  seen("advance", instance.advance("2021-05-08T09:00:00+07:00"));
  const plain = () => instance.inbox("health").filter((entry) => !entry.needs_note && !entry.needs_until);
  for (const entry of plain().slice(0, 3)) {
    seen("act", instance.act({ at: "2021-05-08T09:00:00+07:00", actor: "health", task: entry.task, action: entry.action }));
  }
  look("acted");
  try {
    instance.act({ at: "2021-05-08T09:00:00+07:00", actor: "health", task: "contingency_plan", action: "accept" });
  } catch (error) {
    seen("refused", error.code);
  }
  seen("advance", instance.advance("2021-05-14T08:00:00+07:00"));
  look("overdue");
  const at = workflow.timeSeconds("2021-05-14T08:00:00+07:00");
  const health = workflow.agencyIndex("health");
  for (const entry of plain().slice(0, 2)) {
    seen("by index", instance.actByIndex(at, health, workflow.taskIndex(entry.task), workflow.actionIndex(entry.action)));
    seen("last", instance.lastEffects());
  }
  seen("advance", instance.advance("2021-06-30T17:00:00+07:00"));
  look("late");
  const snapshot = instance.snapshot();
  const restored = module.Instance.restore(workflow, JSON.parse(JSON.stringify(snapshot)));
  seen("restored", restored.snapshot());
  const resumed = module.Instance.restoreAt(workflow, snapshot, "2021-08-01T08:00:00+07:00", "skip");
  seen("restoreAt", resumed.effects);
  seen("resumed", resumed.instance.snapshot());
  seen("graph", workflow.graph("mermaid", "tasks"));
  return out;
}

test("the runtime runs an instance exactly as the full module", () => {
  const fromRuntime = drive(runtime, runtime.Workflow.fromCompiled(SEED_BYTES));
  const fromFull = drive(full, full.Workflow.parse(SEED));
  assert.ok(fromFull.some((line) => line.includes('"kind":"escalated"')), "the drive reaches an escalation");
  assert.equal(fromRuntime.length, fromFull.length);
  for (let i = 0; i < fromFull.length; i++) assert.equal(fromRuntime[i], fromFull[i]);
  // A snapshot of one module restores in the other.
  const { instance } = full.Workflow.parse(SEED).start();
  instance.advance("2021-05-20T08:00:00+07:00");
  const snapshot = instance.snapshot();
  const inRuntime = runtime.Instance.restore(runtime.Workflow.fromCompiled(SEED_BYTES), snapshot);
  assert.equal(JSON.stringify(inRuntime.snapshot()), JSON.stringify(snapshot));
  assert.equal(JSON.stringify(inRuntime.status()), JSON.stringify(instance.status()));
});

test("the runtime carries no RON front end and fits its budget", () => {
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(runtimeWasm)).map((e) => e.name);
  const fullExports = WebAssembly.Module.exports(new WebAssembly.Module(fullWasm)).map((e) => e.name);
  for (const name of ["workflow_parse", "workflow_check", "workflow_inspect", "workflow_compile", "workflow_warnings", "instance_migrate", "simulate", "simulateJson"]) {
    assert.ok(fullExports.includes(name), `the full module exports ${name}`);
    assert.ok(!exports.includes(name), `the runtime exports ${name}`);
  }
  for (const name of ["workflow_fromCompiled", "workflow_start", "instance_act", "instance_actBatch", "instance_restoreAt", "instance_snapshot"]) {
    assert.ok(exports.includes(name), `the runtime lacks ${name}`);
  }
  assert.equal(runtime.Workflow.parse, undefined);
  assert.equal(runtime.simulateJson, undefined);
  assert.equal(runtime.Instance.migrate, undefined);
  const gzipped = gzipSync(runtimeWasm, { level: 9 }).length;
  assert.ok(gzipped <= RUNTIME_BUDGET, `runtime_bg.wasm is ${gzipped} bytes gzipped, over ${RUNTIME_BUDGET}`);
  assert.ok(runtimeWasm.length < fullWasm.length / 2, "the runtime is less than half the full module");
});

test("errors of either module are instances of either DirectrixError", () => {
  const fromFull = throwsCoded(() => full.Workflow.parse("(format: 1,"));
  assert.ok(fromFull instanceof full.DirectrixError);
  assert.ok(fromFull instanceof runtime.DirectrixError);
  const fromRuntime = throwsCoded(() => runtime.Workflow.fromCompiled(new Uint8Array()));
  assert.ok(fromRuntime instanceof full.DirectrixError);
  assert.ok(!(new Error("x") instanceof runtime.DirectrixError));
});

test("misusing the classes (wrong class, freed object) is a coded DirectrixError too", () => {
  for (const module of [runtime, full]) {
    const workflow = module.Workflow.fromCompiled(SEED_BYTES);
    const started = workflow.start("2021-05-07T08:00:00+07:00");
    const { instance } = started;
    throwsCoded(() => started.instance, "taken");
    const snapshot = instance.snapshot();
    const other = (module === runtime ? full : runtime).Workflow.fromCompiled(SEED_BYTES);
    for (const wrong of ["114-CV/HU", {}, null, other]) {
      const error = throwsCoded(() => module.Instance.restore(wrong, snapshot), "invalid_argument");
      assert.match(error.message, /expected a Workflow/);
    }
    instance.free();
    instance.free(); // a second free does nothing
    throwsCoded(() => instance.status(), "freed");
    throwsCoded(() => instance.advance("2021-05-08T08:00:00+07:00"), "freed");
    const restored = module.Instance.restore(workflow, snapshot);
    workflow.free();
    throwsCoded(() => workflow.contentHash, "freed");
    throwsCoded(() => module.Instance.restore(workflow, snapshot), "freed");
    // What was built before keeps working, and so does the module.
    assert.ok(restored.status().length > 0);
    restored.free();
    other.free();
  }
  stillWorks();
});
