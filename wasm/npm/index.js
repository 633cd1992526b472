// The directrix package: the generated bindings plus the error class they throw, with
// the glue's own misuse errors (wrong class, freed object) turned into it (guard.js), and
// `Instance.act` crossing only numbers (act.js).
import { DirectrixError } from "__ERROR_SNIPPET__";
import { __memory, Instance, MigratedInstance, StartedInstance, Workflow } from "./directrix.js";
import { guard } from "./guard.js";
import { fastAct } from "./act.js";

fastAct(Instance, __memory);
guard(DirectrixError, Instance, MigratedInstance, StartedInstance, Workflow);

export * from "./directrix.js";
export { default } from "./directrix.js";
export { DirectrixError };
