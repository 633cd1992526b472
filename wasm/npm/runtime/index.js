// The runtime module of directrix: loads compiled workflows and runs instances, without
// the RON front end. The generated bindings plus the error class they throw.
export * from "./runtime.js";
export { default } from "./runtime.js";
export { DirectrixError } from "__ERROR_SNIPPET__";
