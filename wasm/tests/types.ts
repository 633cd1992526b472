// The generated TypeScript declarations of both modules type-check against how a portal
// uses them (strict mode). Nothing here runs: `tsc -p wasm/tests` only checks types,
// after `bash wasm/build`. A declaration that names an undefined type, or an API change
// that breaks this usage, fails the test command.
import init, {
  DirectrixError,
  Instance,
  Workflow,
  simulateJson,
  type Diagnostic,
  type InboxEntry,
  type NextTimer,
} from "../pkg/index.js";
import initRuntime, {
  DirectrixError as RuntimeError,
  Workflow as RuntimeWorkflow,
} from "../pkg/runtime/index.js";

export async function portal(compiled: ArrayBuffer): Promise<string[]> {
  await initRuntime();
  const workflow = RuntimeWorkflow.fromCompiled(compiled, { limits: { instances: 20_000 } });
  const { instance } = workflow.start("2021-05-07T08:00:00+07:00");
  const effects = instance.advance("2021-05-13T17:00:00+07:00");
  const kinds: string[] = effects.map((effect) => `${effect.at} ${effect.kind}`);
  for (const item of instance.inbox("health")) {
    if (!item.needs_until) {
      instance.act({ at: "2021-05-13T17:00:00+07:00", actor: "health", task: item.task, action: item.action, note: "đã nhận" });
    }
  }
  // The plain request of a click, and what a portal reads of its effects (the records
  // `act.js` builds keep the generated `EffectRecord` type).
  for (const effect of instance.act({ at: "2021-05-13T17:00:00+07:00", actor: "health", task: "contingency_plan", action: "start" })) {
    const moved: string = `${effect.task}: ${effect.from ?? "?"} → ${effect.to ?? "?"} by ${effect.agency} at ${effect.at}`;
    const late: boolean | undefined = effect.on_time === undefined ? undefined : !effect.on_time;
    kinds.push(moved, String(late), effect.due ?? "", String(effect.level ?? ""));
  }
  const next = instance.nextTimer();
  if (next) kinds.push(next.at);
  // The former type names, kept as aliases of the core's records.
  const inbox: InboxEntry[] = instance.inbox("health");
  const same: NextTimer | undefined = next;
  kinds.push(String(inbox.length), same?.reason ?? "");
  const grid = instance.grid();
  kinds.push(String(grid.total.open_overdue));
  const restored = RuntimeWorkflow.fromCompiled(compiled);
  const again = (await import("../pkg/runtime/index.js")).Instance.restoreAt(restored, instance.snapshot(), "2021-05-20T08:00:00+07:00", "skip");
  kinds.push(...again.effects.map((effect) => effect.kind));
  try {
    RuntimeWorkflow.fromCompiled(new Uint8Array(0));
  } catch (error) {
    if (error instanceof RuntimeError) kinds.push(error.code);
  }
  return kinds;
}

export async function authoring(ron: string, scenario: string): Promise<Uint8Array> {
  await init();
  try {
    Workflow.parse(ron);
  } catch (error) {
    if (error instanceof DirectrixError) {
      const where: [number | undefined, number | undefined] = [error.line, error.column];
      const all: Diagnostic[] = error.diagnostics ?? [];
      console.log(error.code, where, all.map((d) => d.message));
    }
  }
  const workflow = Workflow.parse(ron);
  const report: string = simulateJson(ron, scenario, 7, undefined);
  console.log(report.length, workflow.inspect().tasks.length, workflow.warnings.length);
  const { instance } = workflow.start();
  const copy: Instance = Instance.restore(workflow, instance.snapshot());
  copy.free();
  return workflow.compile();
}
