export * from "./runtime.js";
export { default } from "./runtime.js";

/**
 * Every error the runtime module throws. `code` is stable (`not-compiled`,
 * `damaged-compiled`, `not_allowed`, ...). The full module has its own class of the same
 * name; `instanceof` recognises the errors of both.
 */
export declare class DirectrixError extends Error {
  readonly name: "DirectrixError";
  readonly code: string;
}

import type { InboxRecord, NextTimerRecord } from "./runtime.js";
/** @deprecated The former name of {@link NextTimerRecord}. */
export type NextTimer = NextTimerRecord;
/** @deprecated The former name of {@link InboxRecord}. */
export type InboxEntry = InboxRecord;
