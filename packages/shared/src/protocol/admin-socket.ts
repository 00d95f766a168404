import { z } from "zod";
import { isoTimestampSchema } from "./common";
import { conflictEntrySchema } from "./conflict-log";
import { emergencyStateSchema, terminalHealthSchema } from "./hub";

/**
 * The socket.io namespace the console listens on. Central authenticates the handshake with
 * the session cookie (a script may send `auth: { token }` with an operator token instead);
 * without one it refuses the connection with the error message `UNAUTHORIZED`, and it
 * disconnects a socket whose session expires or whose operator is revoked. Every event
 * carries the complete new state of what changed, so the console replaces its copy; after a
 * reconnect it refetches, since events sent while it was away are not replayed.
 */
export const ADMIN_NAMESPACE = "/admin";
/** connect_error message when the handshake has no valid session or operator token. */
export const ADMIN_SOCKET_UNAUTHORIZED = "UNAUTHORIZED";

const terminalChangeSchema = z.object({ terminal: terminalHealthSchema, at: isoTimestampSchema });

/** Event name → payload schema, central → console. */
export const adminSocketEvents = {
  /** ONLINE/OFFLINE, disabled/enabled, paused/resumed, key rotated, created. */
  "terminal:status": terminalChangeSchema.meta({ id: "AdminTerminalStatusEvent" }),
  /** A heartbeat, push, pull or acknowledge changed its health, lag, outbox or last error. */
  "terminal:heartbeat": terminalChangeSchema.meta({ id: "AdminTerminalHeartbeatEvent" }),
  "conflict:created": z.object({ conflict: conflictEntrySchema }).meta({ id: "AdminConflictCreatedEvent" }),
  "conflict:resolved": z.object({ conflict: conflictEntrySchema }).meta({ id: "AdminConflictResolvedEvent" }),
  /** The emergency state after a stop: `stopped`, `since`, `reason`, `by`. */
  "sync:emergency-stop": z.object({ emergency: emergencyStateSchema }).meta({ id: "AdminEmergencyStopEvent" }),
  /** The emergency state after a resume: `resumedAt`, `resumedBy`. */
  "sync:emergency-resume": z.object({ emergency: emergencyStateSchema }).meta({ id: "AdminEmergencyResumeEvent" }),
} as const;
export type AdminSocketEventName = keyof typeof adminSocketEvents;
export type AdminSocketPayload<E extends AdminSocketEventName> = z.infer<(typeof adminSocketEvents)[E]>;
export const ADMIN_SOCKET_EVENTS = Object.keys(adminSocketEvents) as AdminSocketEventName[];
