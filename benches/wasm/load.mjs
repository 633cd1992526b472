// Loading a workflow in the browser modules: `Workflow.parse` (full module, RON) against
// `Workflow.fromCompiled` (runtime module, compiled bytes), for the seed and for a
// generated national cascade. Needs wasm/pkg (bash wasm/build) and the release CLI:
//
//   cargo build --release -p directrix-cli && node benches/wasm/load.mjs
//
// Prints the mean milliseconds per load of each (a rough, in-process figure; the native
// comparison is the criterion group `from_compiled` beside `parse_validate`).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initSync as initFull, Workflow as Full } from "../../wasm/pkg/directrix.js";
import { initSync as initRuntime, Workflow as Runtime } from "../../wasm/pkg/runtime/runtime.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "release/directrix");
const scratch = mkdtempSync(join(tmpdir(), "directrix-load-"));
initFull({ module: readFileSync(join(root, "wasm/pkg/directrix_bg.wasm")) });
initRuntime({ module: readFileSync(join(root, "wasm/pkg/runtime/runtime_bg.wasm")) });

function compiled(ron) {
  const out = join(scratch, "workflow.dxw");
  execFileSync(cli, ["compile", ron, "--out", out], { stdio: "ignore" });
  return new Uint8Array(readFileSync(out));
}

function mean(label, runs, load) {
  for (let i = 0; i < Math.min(3, runs); i++) load().free();
  const start = performance.now();
  for (let i = 0; i < runs; i++) load().free();
  console.log(`${label}: ${((performance.now() - start) / runs).toFixed(3)} ms`);
}

const national = join(scratch, "national.ron");
execFileSync(cli, ["generate", "cascade", "--seed", "1", "--out", national], { stdio: "ignore" });
for (const [name, ron, runs] of [
  ["seed", join(root, "workflows/kien-xuong-114-cv-hu.ron"), 200],
  ["national cascade", national, 5],
]) {
  const text = readFileSync(ron, "utf8");
  const bytes = compiled(ron);
  mean(`${name}, Workflow.parse (${Buffer.byteLength(text)} bytes of RON)`, runs, () => Full.parse(text));
  mean(`${name}, Workflow.fromCompiled (${bytes.length} bytes)`, runs, () => Runtime.fromCompiled(bytes));
}
