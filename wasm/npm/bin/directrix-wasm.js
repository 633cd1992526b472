#!/usr/bin/env node
// `directrix-wasm simulate WORKFLOW [--scenario S] [--seed N] [--until T] --format json`:
// the native CLI's `simulate --format json`, run through the WebAssembly build, so anyone
// can check that both agree byte for byte.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { initSync, simulateJson } from "../directrix.js";

const usage = "usage: directrix-wasm simulate WORKFLOW [--scenario FILE] [--seed N] [--until TIME] [--format json]";

function fail(message, code = 1) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

const args = process.argv.slice(2);
if (args[0] !== "simulate") fail(usage, 2);
let workflowPath;
const options = { scenario: undefined, seed: "0", until: undefined, format: "json" };
for (let i = 1; i < args.length; i++) {
  const arg = args[i];
  if (arg.startsWith("--")) {
    const name = arg.slice(2);
    if (!(name in options) || i + 1 >= args.length) fail(`unexpected option ${arg}\n${usage}`, 2);
    options[name] = args[++i];
  } else if (workflowPath === undefined) {
    workflowPath = arg;
  } else {
    fail(`unexpected argument ${arg}\n${usage}`, 2);
  }
}
if (workflowPath === undefined) fail(usage, 2);
if (options.format !== "json") fail("only --format json is supported", 2);
const seed = Number(options.seed);
if (!/^\d+$/.test(options.seed) || !Number.isSafeInteger(seed)) fail(`--seed must be a whole number, not ${options.seed}`, 2);

function read(path) {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    fail(`cannot read \`${path}\`: ${error.message}`);
  }
}

// As the native CLI: the calendars a workflow names are the files DIR/calendars/NAME.ron,
// its agency registries DIR/registries/NAME.ron.
function sharedBeside(path, subdir) {
  const dir = join(dirname(path), subdir);
  if (!existsSync(dir)) return undefined;
  const texts = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ron")).sort()) {
    texts[basename(file, ".ron")] = read(join(dir, file));
  }
  return texts;
}

// As the native CLI: the follow-up and child documents a scenario applies are the
// `*.followup.ron` and `*.child.ron` files beside it, by file name.
function followUpsBeside(path) {
  if (!path) return undefined;
  const dir = dirname(path);
  const texts = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".followup.ron") || f.endsWith(".child.ron")).sort()) {
    texts[file] = read(join(dir, file));
  }
  return texts;
}

initSync({ module: readFileSync(new URL("../directrix_bg.wasm", import.meta.url)) });
try {
  const json = simulateJson(
    read(workflowPath),
    options.scenario && read(options.scenario),
    seed,
    options.until,
    {
      calendars: sharedBeside(workflowPath, "calendars"),
      registries: sharedBeside(workflowPath, "registries"),
      followUps: followUpsBeside(options.scenario),
    },
  );
  process.stdout.write(json + "\n");
} catch (error) {
  const where = error.line ? `:${error.line}:${error.column}` : "";
  fail(`${error.code ?? "error"}${where}: ${error.message}`);
}
