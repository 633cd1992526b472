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

/** Every agency id of the seed (the leads and members met in its records). */
const SEED_AGENCIES = [...SEED.matchAll(/\(id: "([a-z0-9_]+)", name: "[^"]*", gloss/g)].map((m) => m[1]);

/** The value `call` returns, or the error it throws as `name code message`. */
function outcome(call) {
  try {
    return call();
  } catch (error) {
    return `${error.name} ${error.code} ${error.message}`;
  }
}

/** A whole scenario on the seed, three ways at once: `act({...})` (the glue's fast path),
 * the generated `act` (a request with `note: undefined` takes it), and `actByIndex` with
 * `lastEffects()`. Each day until the deadlines are long past, time moves on (effects of
 * `advance` compared too) and every agency acts on the first plain entries of its inbox,
 * each twice (the second refused). */
function threeWays(module, workflow) {
  const fast = workflow.start().instance;
  const generated = workflow.start().instance;
  const byIndex = workflow.start().instance;
  const kinds = new Set();
  let acts = 0;
  let refusals = 0;
  for (let day = 8; day <= 70; day++) {
    const at = new Date(Date.UTC(2021, 4, day, 1, 30)).toISOString().replace(".000Z", "Z");
    const advanced = fast.advance(at);
    assert.deepStrictEqual(generated.advance(at), advanced);
    assert.deepStrictEqual(byIndex.advance(at), advanced);
    for (const agency of SEED_AGENCIES) {
      const entries = fast.inbox(agency).filter((entry) => !entry.needs_note && !entry.needs_until);
      for (const entry of entries.slice(0, 2)) {
        const request = { at, actor: agency, task: entry.task, action: entry.action };
        // Twice: the second time the state has moved on, and an earlier act of this
        // round may already have moved it; a refusal must be the same every way and
        // change nothing.
        for (let round = 0; round < 2; round++) {
          const before = byIndex.stateHash();
          const effects = outcome(() => fast.act(request));
          const plain = outcome(() => generated.act({ ...request, note: undefined }));
          const indexed = outcome(() => {
            byIndex.actByIndex(
              workflow.timeSeconds(at),
              workflow.agencyIndex(agency),
              workflow.taskIndex(entry.task),
              workflow.actionIndex(entry.action),
            );
            return byIndex.lastEffects();
          });
          if (typeof effects === "string") {
            refusals++;
            assert.equal(effects, plain);
            assert.equal(effects.split(" ")[1], indexed.split(" ")[1]); // the same code
            assert.equal(fast.stateHash(), before);
            continue;
          }
          acts++;
          // Field by field, and as text (the same keys in the same order).
          assert.equal(effects.length, indexed.length);
          effects.forEach((effect, i) => {
            assert.deepStrictEqual(Object.keys(effect), Object.keys(indexed[i]));
            for (const key of Object.keys(indexed[i])) assert.strictEqual(effect[key], indexed[i][key], key);
            kinds.add(effect.kind);
          });
          assert.equal(JSON.stringify(effects), JSON.stringify(plain));
        }
      }
    }
    assert.equal(fast.stateHash(), byIndex.stateHash());
    assert.equal(generated.stateHash(), byIndex.stateHash());
  }
  for (const instance of [fast, generated, byIndex]) instance.free();
  return { kinds, acts, refusals };
}

test("act({...}) gives the effects of the generated act and of actByIndex, in both modules", () => {
  for (const [module, workflow] of [
    [full, full.Workflow.parse(SEED)],
    [runtime, runtime.Workflow.fromCompiled(SEED_BYTES)],
  ]) {
    const { kinds, acts, refusals } = threeWays(module, workflow);
    assert.ok(acts > 50 && refusals > 10, `${acts} acts, ${refusals} refusals`);
    // Every optional field an act can give on the fast path is met: `action`, `from`,
    // `to` (transitioned), `due` (rescheduled), `on_time` (completed).
    for (const kind of ["transitioned", "cancelled", "rescheduled", "completed"]) assert.ok(kinds.has(kind), `no ${kind} effect`);
  }
});

test("act({...}) leaves what is not a plain request to the generated act", () => {
  const workflow = runtime.Workflow.fromCompiled(SEED_BYTES);
  const { instance } = workflow.start();
  const at = "2021-05-08T09:00:00+07:00";
  instance.advance(at);
  // Unknown names and times, wrong types, unknown fields: the same coded errors as ever.
  throwsCoded(() => instance.act({ at, actor: "nobody", task: "contingency_plan", action: "start" }), "unknown_agency");
  throwsCoded(() => instance.act({ at, actor: "health", task: "no_such_task", action: "start" }), "unknown_task");
  throwsCoded(() => instance.act({ at, actor: "health", task: "contingency_plan", action: "fly" }), "unknown_action");
  throwsCoded(() => instance.act({ at: "yesterday", actor: "health", task: "contingency_plan", action: "start" }), "invalid_time");
  throwsCoded(() => instance.act({ at, actor: 7, task: "contingency_plan", action: "start" }), "invalid_argument");
  throwsCoded(() => instance.act({ at, actor: "health", task: "contingency_plan", action: "start", when: 1 }), "invalid_argument");
  throwsCoded(() => instance.act(null), "invalid_argument");
  throwsCoded(() => instance.act(["health"]), "invalid_argument");
  // A name typed decomposed (NFD) finds its id, as the generated act's does.
  const nfd = "contingency_plan".normalize("NFD");
  assert.ok(instance.act({ at, actor: "health", task: nfd, action: "acknowledge" }).length > 0);
  // A freed instance says so.
  instance.free();
  throwsCoded(() => instance.act({ at, actor: "health", task: "contingency_plan", action: "start" }), "freed");
  stillWorks();
});
