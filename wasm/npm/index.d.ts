export * from "./directrix.js";
export { default } from "./directrix.js";
import type { Diagnostic, MigrationProblem } from "./directrix.js";

/** Every error directrix throws. `code` is stable (`syntax`, `unknown-agency`, `not_allowed`, ...). */
export declare class DirectrixError extends Error {
  readonly name: "DirectrixError";
  readonly code: string;
  /** For RON problems: where the first error is (1-based, columns in characters). */
  readonly line?: number;
  readonly column?: number;
  /** For RON problems: every diagnostic, errors and warnings. */
  readonly diagnostics?: Diagnostic[];
  /** For `migration_refused`: every task instance that cannot be mapped. */
  readonly problems?: MigrationProblem[];
}

import type { InboxRecord, NextTimerRecord } from "./directrix.js";
/** @deprecated The former name of {@link NextTimerRecord}. */
export type NextTimer = NextTimerRecord;
/** @deprecated The former name of {@link InboxRecord}. */
export type InboxEntry = InboxRecord;
