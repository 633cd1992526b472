// The runtime module of directrix: loads compiled workflows and runs instances, without
// the RON front end. The generated bindings plus the error class they throw, with the
// glue's own misuse errors (wrong class, freed object) turned into it (../guard.js), and
// `Instance.act` crossing only numbers (../act.js).
import { DirectrixError } from "__ERROR_SNIPPET__";
import { __memory, Instance, StartedInstance, Workflow } from "./runtime.js";
import { guard } from "../guard.js";
import { fastAct } from "../act.js";

fastAct(Instance, __memory);
guard(DirectrixError, Instance, StartedInstance, Workflow);

export * from "./runtime.js";
export { default } from "./runtime.js";
export { DirectrixError };
