import type { ConflictEntry, TerminalHealth, TerminalListResponse } from "@tillsync/shared";

/** Small builders for the console's pure-logic tests. */

let n = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;

export const STORE_A = "aaaaaaaa-0000-4000-8000-000000000001";
export const STORE_B = "bbbbbbbb-0000-4000-8000-000000000002";

export function terminal(over: Partial<TerminalHealth> = {}): TerminalHealth {
  return {
    id: uuid() as TerminalHealth["id"],
    name: "Till",
    storeId: STORE_A,
    status: "ONLINE",
    health: "green",
    agentStatus: "idle",
    lastSeenAt: "2026-12-01T10:00:00.000Z",
    lastSyncAt: "2026-12-01T10:00:00.000Z",
    ackedCursor: "10",
    lag: 0,
    outbox: { pending: 0, failed: 0, synced: 0, conflicts: 0 },
    ...over,
  };
}

export function terminalList(terminals: TerminalHealth[]): TerminalListResponse {
  return {
    terminals,
    feedHead: "42" as TerminalListResponse["feedHead"],
    emergency: { stopped: false, since: null, reason: null },
    generatedAt: "2026-12-01T10:00:05.000Z",
  };
}

export function conflict(over: Partial<ConflictEntry> = {}): ConflictEntry {
  return {
    id: uuid(),
    terminalId: uuid(),
    changeId: uuid(),
    entityType: "products",
    entityId: "cccccccc-0000-4000-8000-000000000003",
    strategy: "MANUAL_MERGE",
    status: "PENDING",
    baseVersion: 1,
    centralVersion: 2,
    terminalData: {
      id: "cccccccc-0000-4000-8000-000000000003",
      sku: "SKU-1",
      name: "Cola 0.5l (till)",
      price_cents: 199,
      tax_rate_bp: 2000,
      active: 1,
      version: 1,
    },
    centralData: {
      id: "cccccccc-0000-4000-8000-000000000003",
      sku: "SKU-1",
      name: "Cola 0.5l",
      price_cents: 249,
      tax_rate_bp: 2000,
      active: true,
      version: 2,
    },
    resolution: "PENDING",
    resolvedData: null,
    createdAt: "2026-12-01T10:00:00.000Z",
    resolvedAt: null,
    ...over,
  };
}
