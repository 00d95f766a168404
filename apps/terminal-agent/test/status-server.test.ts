import type { AgentStatusReport } from "../src/status/agent-status";
import { formatMetrics } from "../src/status/agent-metrics";
import {
  startStatusServer,
  SyncDisabledError,
  type StatusServer,
  type StatusSource,
} from "../src/status/status-server";
import type { CycleReport } from "../src/sync/engine-options";

const report: AgentStatusReport = {
  state: "idle",
  central: null,
  circuit: "closed",
  health: "green",
  syncEnabled: true,
  paused: false,
  consecutiveFailures: 0,
  retryAt: null,
  stateSince: null,
  mode: "ONLINE",
  lastSyncAt: "2026-12-01T10:00:00.000Z",
  lastError: null,
  cursor: "0",
  feedRecovery: null,
  tables: { sale_orders: { pending: 12, failed: 1, synced: 3, conflicts: 0 } },
  totals: { pending: 12, failed: 1, synced: 3, conflicts: 0 },
  storage: { condition: "ok", since: null, error: null, freeBytes: 1_000_000 },
  localEditsDiscarded: {},
};

/** The local endpoint's answers for each kind of outcome, with a source the test controls. */
describe("status server", () => {
  let server: StatusServer | undefined;
  afterEach(async () => server?.close());

  async function serve(source: Partial<StatusSource>) {
    server = await startStatusServer(0, {
      status: () => report,
      cyclesTotal: () => 4,
      syncNow: async () => ({ pushed: 0, pulled: 0, conflicts: 0, failed: 0 }),
      ...source,
    });
    return `http://127.0.0.1:${server.port}`;
  }

  it("answers POST /sync 200 for a clean or held cycle, 502 for a failed one, 409 when disabled, 500 when it throws", async () => {
    const outcomes: [() => Promise<CycleReport>, number][] = [
      [async () => ({ pushed: 2, pulled: 1, conflicts: 0, failed: 0, cycleId: 9 }), 200],
      [async () => ({ pushed: 0, pulled: 0, conflicts: 0, failed: 0, error: "stopped", held: true }), 200],
      [async () => ({ pushed: 0, pulled: 0, conflicts: 0, failed: 0, error: "cannot reach central" }), 502],
      [() => Promise.reject(new SyncDisabledError()), 409],
      [() => Promise.reject(new Error("database is locked")), 500],
    ];
    for (const [syncNow, status] of outcomes) {
      const base = await serve({ syncNow });
      const r = await fetch(`${base}/sync`, { method: "POST" });
      expect(r.status).toBe(status);
      await server!.close();
      server = undefined;
    }
  });

  it("answers 503 when the database cannot be read, naming why", async () => {
    const base = await serve({
      status: () => {
        throw new Error("SQLITE_BUSY: database is locked");
      },
    });
    const r = await fetch(`${base}/status`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ error: "SQLITE_BUSY: database is locked" });
  });

  it("listens on 127.0.0.1 only", async () => {
    await serve({});
    const other = await fetch(`http://[::1]:${server!.port}/status`).then(
      (r) => r.status,
      () => "refused",
    );
    expect(other).toBe("refused");
  });

  it("formats the status as Prometheus text, escaping label values", () => {
    const text = formatMetrics({ ...report, tables: { ['we"ird\\' as "sale_orders"]: report.totals } }, 4);
    expect(text).toContain('tillsync_agent_outbox_changes{table="we\\"ird\\\\",status="pending"} 12');
    expect(text).toContain("tillsync_agent_last_sync_timestamp_seconds 1796119200");
    expect(text).toContain("tillsync_agent_cycles_total 4");
    expect(text).toContain("tillsync_agent_storage_full 0");
    expect(text.endsWith("\n")).toBe(true);
    const full = formatMetrics({ ...report, storage: { ...report.storage, condition: "full" } }, 4);
    expect(full).toContain("tillsync_agent_storage_full 1");
  });
});
