// Native == WebAssembly, byte for byte: every bundled scenario (and the scenario-less
// run of every workflow) through the native CLI and through the `directrix-wasm` bin
// of the built package. Run: node --test wasm/tests/conformance.mjs (after wasm/build
// and `cargo build -p directrix-cli`; the native binary is looked for in CARGO_TARGET_DIR,
// else target/, and DIRECTRIX_BIN overrides it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, existsSync, mkdirSync } from "node:fs";
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
      assert.ok(report.events.some((e) => e.kind === "overdue"));
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
