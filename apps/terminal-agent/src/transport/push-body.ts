import type { PushChange } from "@tillsync/shared";

/**
 * The push request's body with each change's row spliced in as the outbox stored it (issue 15).
 * The outbox keeps `data` and `base_data` as JSON text (the capture triggers' json_object);
 * parsing a thousand of them into objects only for JSON.stringify to write them back was ~3 ms
 * of the agent's CPU per batch of 1,000, plus the garbage. A change made by storedPushChange
 * carries its stored text beside it; its `data` and `baseData` are still there for whoever reads
 * them (tests, wrapping transports), parsed on first read, and a change whose row was read (and
 * so may have been changed) is written from the object, like any other change.
 */

interface StoredRows {
  data: string | null;
  baseData: string | null;
  /** Set once either row was read as an object: the text may no longer be what it holds. */
  read: boolean;
}

const stored = new WeakMap<PushChange, StoredRows>();

/** The wire's fields of a change but its two rows, which come as stored JSON text. */
export type PushChangeFields = Omit<PushChange, "data" | "baseData">;

/** A change whose `data` and `baseData` are the stored JSON text `data` and `baseData` (null: none). */
export function storedPushChange(fields: PushChangeFields, data: string | null, baseData: string | null): PushChange {
  const rows: StoredRows = { data, baseData, read: false };
  let parsed: { data: unknown; baseData: unknown } | undefined;
  const value = () => {
    rows.read = true;
    return (parsed ??= { data: data ? JSON.parse(data) : null, baseData: baseData ? JSON.parse(baseData) : null });
  };
  // The protocol's key order (pushChangeSchema), which JSON.stringify of the object keeps too.
  const change = {
    changeId: fields.changeId,
    entityType: fields.entityType,
    entityId: fields.entityId,
    operation: fields.operation,
    data: null,
    baseData: null,
    baseVersion: fields.baseVersion,
    syncPriority: fields.syncPriority,
    createdInMode: fields.createdInMode,
    createdAt: fields.createdAt,
  } as unknown as PushChange;
  Object.defineProperty(change, "data", { enumerable: true, get: () => value().data });
  Object.defineProperty(change, "baseData", { enumerable: true, get: () => value().baseData });
  stored.set(change, rows);
  return change;
}

/** `{"terminalId":…,"changes":[…]}`: exactly what JSON.stringify of `{ terminalId, changes }` writes. */
export function pushBody(terminalId: string, changes: readonly PushChange[]): string {
  const parts = new Array<string>(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const rows = stored.get(c);
    if (!rows || rows.read) parts[i] = JSON.stringify(c);
    else
      parts[i] =
        `{"changeId":${JSON.stringify(c.changeId)},"entityType":${JSON.stringify(c.entityType)},` +
        `"entityId":${JSON.stringify(c.entityId)},"operation":${JSON.stringify(c.operation)},` +
        `"data":${rows.data || "null"},"baseData":${rows.baseData || "null"},` +
        `"baseVersion":${JSON.stringify(c.baseVersion)},"syncPriority":${JSON.stringify(c.syncPriority)},` +
        `"createdInMode":${JSON.stringify(c.createdInMode)},"createdAt":${JSON.stringify(c.createdAt)}}`;
  }
  return `{"terminalId":${JSON.stringify(terminalId)},"changes":[${parts.join(",")}]}`;
}
