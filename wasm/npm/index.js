// The directrix package: the generated bindings plus the error class they throw.
export * from "./directrix.js";
export { default } from "./directrix.js";
export { DirectrixError } from "__ERROR_SNIPPET__";
