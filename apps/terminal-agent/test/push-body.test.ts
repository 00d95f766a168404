import { randomUUID } from "node:crypto";
import { pushRequestSchema, type PushChange } from "@tillsync/shared";
import { toPushChange, type OutboxRow } from "../src/outbox/outbox-store";
import { pushBody } from "../src/transport/push-body";

/**
 * The push body splices each change's stored JSON text in (src/transport/push-body.ts) instead
 * of parsing it and writing it back: central must read exactly the request the parsed changes
 * made (byte for byte where the stored text is written as JSON.stringify writes it; escapes and
 * number spellings may differ otherwise), and a change whose row was read (and perhaps edited)
 * must go out as it is now.
 */

const terminalId = randomUUID();

function row(over: Partial<OutboxRow>): OutboxRow {
  return {
    id: 1,
    change_id: randomUUID(),
    entity_type: "sale_orders",
    entity_id: randomUUID(),
    operation: "CREATE",
    data: null,
    base_data: null,
    base_version: null,
    sync_priority: 10,
    created_in_mode: "ONLINE",
    status: "SYNCING",
    attempts: 0,
    created_at: "2026-12-03T13:49:00.423Z",
    ...over,
  };
}

/** What the push sent before: each stored row parsed into the change object. */
function parsedChange(r: OutboxRow): PushChange {
  return {
    changeId: r.change_id,
    entityType: r.entity_type,
    entityId: r.entity_id,
    operation: r.operation,
    data: r.data ? (JSON.parse(r.data) as Record<string, unknown>) : null,
    baseData: r.base_data ? (JSON.parse(r.base_data) as Record<string, unknown>) : null,
    baseVersion: r.base_version,
    syncPriority: r.sync_priority,
    createdInMode: r.created_in_mode,
    createdAt: r.created_at,
  } as PushChange;
}

const rows: OutboxRow[] = [
  row({ data: JSON.stringify({ id: "a", status: "COMPLETED", total_cents: 100, note: null }) }),
  row({
    operation: "UPDATE",
    data: `{"id":"b","name":"qu\\"ote \\\\ back\\nslash é 😀 \\u2028","price":1.5,"flag":true}`,
    base_data: `{"id":"b","name":"old","price":2}`,
    base_version: 7,
    created_in_mode: "OFFLINE",
    sync_priority: 3,
  }),
  row({ operation: "DELETE", data: null, base_data: `{"id":"c"}`, base_version: 2 }),
  row({ data: "", base_data: "" }),
];

it("is the request the parsed changes made, whatever the rows hold", () => {
  const body = pushBody(terminalId, rows.map(toPushChange));
  const before = { terminalId, changes: rows.map(parsedChange) };
  expect(JSON.parse(body)).toStrictEqual(before);
  expect(Object.keys(JSON.parse(body).changes[1])).toEqual(Object.keys(before.changes[1]!));
  expect(pushRequestSchema.safeParse(JSON.parse(body)).success).toBe(true);
  const plain = [rows[0]!, rows[2]!, rows[3]!];
  expect(pushBody(terminalId, plain.map(toPushChange))).toBe(
    JSON.stringify({ terminalId, changes: plain.map(parsedChange) }),
  );
});

it("still shows each change's rows as objects, and sends a row that was read as it is now", () => {
  const changes = rows.map(toPushChange);
  expect(changes.map((c) => [c.data, c.baseData])).toEqual(rows.map(parsedChange).map((c) => [c.data, c.baseData]));
  (changes[0]!.data as Record<string, unknown>).total_cents = 250;
  const sent = JSON.parse(pushBody(terminalId, changes)) as { changes: PushChange[] };
  expect(sent.changes[0]!.data).toMatchObject({ total_cents: 250 });
  expect(sent.changes[1]).toEqual(parsedChange(rows[1]!));
});
