/**
 * The states rows move through, as literal unions both apps use (SPEC §2), so a misspelt
 * status is a type error rather than a row no query ever finds.
 */

/** A terminal's outbox row: PENDING → SYNCING → SYNCED, or FAILED (parked) / CONFLICT (settled by central). */
export const OUTBOX_STATUSES = ["PENDING", "SYNCING", "SYNCED", "FAILED", "CONFLICT"] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** Outbox states that still hold a change central has not confirmed. */
export const UNCONFIRMED_OUTBOX_STATUSES = ["PENDING", "SYNCING", "FAILED"] as const satisfies readonly OutboxStatus[];

/** A central conflict-log entry: PENDING waits for an operator (MANUAL_MERGE); every other one is RESOLVED at once. */
export const CONFLICT_STATUSES = ["PENDING", "RESOLVED"] as const;
export type ConflictStatus = (typeof CONFLICT_STATUSES)[number];

/** What central did with a conflicting change (push time). */
export const CONFLICT_OUTCOMES = ["TERMINAL_APPLIED", "CENTRAL_KEPT", "MERGED", "PENDING"] as const;
export type ConflictOutcomeKind = (typeof CONFLICT_OUTCOMES)[number];

/** How an operator settles a pending conflict (POST /api/sync/resolve). */
export const OPERATOR_RESOLUTIONS = ["KEEP_CENTRAL", "TAKE_TERMINAL", "CUSTOM"] as const;
export type OperatorResolution = (typeof OPERATOR_RESOLUTIONS)[number];

/** A terminal as central sees it. */
export const TERMINAL_STATUSES = ["ONLINE", "OFFLINE", "DISABLED"] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
