import { z } from "zod";
import { heartbeatRequestSchema, type TableCounts } from "@tillsync/shared";

/**
 * A terminal's last heartbeat as central keeps it (`terminals.last_heartbeat`): the agent's
 * status, outbox counts, last error, FAILED changes, circuit and last clean cycle from the shared heartbeat schema, and
 * when central received it.
 */
export const storedHeartbeatSchema = heartbeatRequestSchema
  .pick({
    status: true,
    outbox: true,
    lastError: true,
    failedChanges: true,
    storage: true,
    circuit: true,
    lastSyncAt: true,
  })
  .extend({ at: z.string() });
export type StoredHeartbeat = z.infer<typeof storedHeartbeatSchema>;

/**
 * Parses the stored JSON once, where it leaves the database. Something that does not parse
 * (written by hand, or by an older central) reads as "no heartbeat" rather than failing the
 * terminal list or the sweep: the next heartbeat replaces it.
 */
export function parseStoredHeartbeat(raw: unknown): StoredHeartbeat | null {
  if (raw == null) return null;
  const r = storedHeartbeatSchema.safeParse(raw);
  return r.success ? r.data : null;
}

/** Outbox counts summed over every table of one heartbeat. */
export function outboxTotals(hb: StoredHeartbeat | null): TableCounts {
  const out = { pending: 0, failed: 0, synced: 0, conflicts: 0 };
  for (const c of Object.values(hb?.outbox ?? {})) {
    out.pending += c.pending;
    out.failed += c.failed;
    out.synced += c.synced;
    out.conflicts += c.conflicts;
  }
  return out;
}
