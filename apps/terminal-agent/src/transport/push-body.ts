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
  parsed?: { data: unknown; baseData: unknown };
}

const ROWS = Symbol("stored rows");
type Stored = PushChange & { [ROWS]?: StoredRows };

/** The wire's fields of a change but its two rows, which come as stored JSON text. */
export type PushChangeFields = Omit<PushChange, "data" | "baseData">;

/** The rows as objects, parsed on first read; from then on the change is written from them. */
function parsedRows(change: PushChange): { data: unknown; baseData: unknown } {
  const rows = (change as Stored)[ROWS]!;
  rows.read = true;
  return (rows.parsed ??= {
    data: rows.data ? JSON.parse(rows.data) : null,
    baseData: rows.baseData ? JSON.parse(rows.baseData) : null,
  });
}

/**
 * The two rows' accessors, one pair for every change: a pair of closures per change (and the
 * shape of its own that each new pair gives an object) cost ~2.5 ms of a batch of 1,000.
 */
const ROW_ACCESSORS: PropertyDescriptorMap = {
  data: {
    enumerable: true,
    get(this: PushChange) {
      return parsedRows(this).data;
    },
  },
  baseData: {
    enumerable: true,
    get(this: PushChange) {
      return parsedRows(this).baseData;
    },
  },
};

/** A change whose `data` and `baseData` are the stored JSON text `data` and `baseData` (null: none). */
export function storedPushChange(fields: PushChangeFields, data: string | null, baseData: string | null): PushChange {
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
  Object.defineProperties(change, ROW_ACCESSORS);
  Object.defineProperty(change, ROWS, { value: { data, baseData, read: false } });
  return change;
}

/** `{"terminalId":…,"changes":[…]}`: exactly what JSON.stringify of `{ terminalId, changes }` writes. */
export function pushBody(terminalId: string, changes: readonly PushChange[]): string {
  const parts = new Array<string>(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const rows = (c as Stored)[ROWS];
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
