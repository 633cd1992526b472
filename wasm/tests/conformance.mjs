// Native == WebAssembly, byte for byte: every bundled scenario (and the scenario-less
// run of every workflow) through the native CLI and through the `directrix-wasm` bin
// of the built package; every workflow compiled natively and by the full module; native
// snapshots restored in the runtime module. Run: node --test wasm/tests/conformance.mjs (after wasm/build
// and `cargo build -p directrix-cli`; the native binary is looked for in CARGO_TARGET_DIR,
// else target/, and DIRECTRIX_BIN overrides it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("../..", import.meta.url));
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const native = process.env.DIRECTRIX_BIN ?? join(target, "debug/directrix");
const wasmBin = join(root, "wasm/pkg/bin/directrix-wasm.js");
const workflows = join(root, "workflows");

function run(command, args) {
  return execFileSync(command, args, { cwd: root, maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
}

function both(args) {
  const fromNative = run(native, ["simulate", ...args, "--format", "json"]);
  const fromWasm = run(process.execPath, [wasmBin, "simulate", ...args, "--format", "json"]);
  return [fromNative, fromWasm];
}

test("the native binary and the package are built", () => {
  assert.ok(existsSync(native), `missing ${native}: run cargo build -p directrix-cli`);
  assert.ok(existsSync(wasmBin), `missing ${wasmBin}: run bash wasm/build`);
});

const scenarios = readdirSync(workflows).filter((f) => f.endsWith(".scenario.ron"));
assert.ok(scenarios.length > 0, "no bundled scenarios found");

// `letter.scenario.ron` and named variants such as `letter.behaviour.scenario.ron` run
// against the longest existing prefix `letter.ron` (as `directrix validate` pairs them).
function workflowOf(scenario) {
  let stem = scenario.replace(/\.scenario\.ron$/, "");
  while (!existsSync(join(workflows, `${stem}.ron`)) && stem.includes(".")) stem = stem.slice(0, stem.lastIndexOf("."));
  return `${stem}.ron`;
}

for (const scenario of scenarios) {
  const workflow = workflowOf(scenario);
  for (const seed of ["0", "7", "4242"]) {
    test(`${scenario} seed ${seed}: identical JSON`, () => {
      const [fromNative, fromWasm] = both([join("workflows", workflow), "--scenario", join("workflows", scenario), "--seed", seed]);
      assert.ok(fromNative.length > 1000, "the native run printed a report");
      assert.ok(fromNative.equals(fromWasm), "native and WASM outputs differ");
      const report = JSON.parse(fromNative);
      // The run did more than start its tasks (a scenario whose agencies are all on time
      // has no `overdue`, so that is not asked of every one).
      assert.ok(report.events.some((e) => e.kind !== "started"), "the run did more than start tasks");
    });
  }
}

for (const workflow of readdirSync(workflows).filter((f) => f.endsWith(".ron") && !f.endsWith(".scenario.ron") && !f.endsWith(".followup.ron"))) {
  test(`${workflow} without a scenario: identical JSON`, () => {
    const [fromNative, fromWasm] = both([join("workflows", workflow)]);
    assert.ok(fromNative.equals(fromWasm), "native and WASM outputs differ");
  });
}

test("both refuse a broken workflow with exit 1", () => {
  mkdirSync(target, { recursive: true });
  const broken = join(target, "conformance-broken.ron");
  execFileSync("sh", ["-c", `printf '(format: 1,' > '${broken}'`]);
  const a = spawnSync(native, ["simulate", broken, "--format", "json"]);
  const b = spawnSync(process.execPath, [wasmBin, "simulate", broken, "--format", "json"]);
  assert.equal(a.status, 1);
  assert.equal(b.status, 1);
  assert.match(b.stderr.toString(), /syntax:\d+:\d+/);
});

// Compiled workflows: `directrix compile` and the full module's `workflow.compile()` make
// the same bytes, and the runtime module restores a native snapshot to the same JSON.
const pkg = join(root, "wasm/pkg");
const full = await import(join(pkg, "index.js"));
const runtime = await import(join(pkg, "runtime/index.js"));
full.initSync({ module: readFileSync(join(pkg, "directrix_bg.wasm")) });
runtime.initSync({ module: readFileSync(join(pkg, "runtime/runtime_bg.wasm")) });

/** The shared files a workflow may name, as the CLI finds them (workflows/calendars, workflows/registries). */
function shared(subdir) {
  const dir = join(workflows, subdir);
  const texts = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ron"))) {
    texts[file.replace(/\.ron$/, "")] = readFileSync(join(dir, file), "utf8");
  }
  return texts;
}

// A scenario that applies follow-up documents ends on an amended version of its workflow,
// which the compiled original does not restore: those are left out here.
const appliesFollowUps = (s) =>
  readFileSync(join(workflows, s), "utf8")
    .split("\n")
    .some((line) => !line.trim().startsWith("//") && /\b(follow_up|attach)\s*:\s*"/.test(line));
for (const scenario of scenarios.filter((s) => !appliesFollowUps(s))) {
  const workflow = workflowOf(scenario);
  test(`${scenario}: native compile == workflow.compile(); a native snapshot restores in the runtime`, () => {
    mkdirSync(join(target, "conformance"), { recursive: true });
    const compiled = join(target, "conformance", `${workflow}.dxw`);
    const snapshot = join(target, "conformance", `${scenario}.snapshot.json`);
    run(native, ["compile", join("workflows", workflow), "--out", compiled]);
    const fromNative = new Uint8Array(readFileSync(compiled));
    const source = readFileSync(join(workflows, workflow), "utf8");
    const fromWasm = full.Workflow.parse(source, { calendars: shared("calendars"), registries: shared("registries") }).compile();
    assert.ok(fromNative.length > 100, "the native compile wrote bytes");
    assert.ok(Buffer.from(fromNative).equals(Buffer.from(fromWasm)), "native and WASM compiled bytes differ");

    run(native, ["simulate", join("workflows", workflow), "--scenario", join("workflows", scenario), "--snapshot-out", snapshot]);
    const saved = JSON.parse(readFileSync(snapshot, "utf8"));
    const instance = runtime.Instance.restore(runtime.Workflow.fromCompiled(fromNative), saved);
    assert.equal(JSON.stringify(instance.snapshot()), JSON.stringify(saved));
  });
}
