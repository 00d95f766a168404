import pino from "pino";
import { sweepHeartbeats } from "../src/hub/heartbeat-sweep";
import { useTestCentral } from "../testing";
import { TerminalClient } from "@tillsync/testkit";

const { central, pg } = useTestCentral("sweep");
const thresholds = { timeoutS: 90, backlogAlertPending: 100, backlogAlertFailed: 5 };

/** The sweep's alerts: a heartbeat with pending > 100 or failed > 5 is logged as SYNC_BACKLOG. */
describe("heartbeat sweep alerts", () => {
  it("alerts on a backlog (throttled by alertOnce) and not on a healthy terminal", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino(
      { level: "info" },
      { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
    );
    const busy = await central.provisionTerminal();
    const calm = await central.provisionTerminal({ storeId: busy.storeId });
    const failing = await central.provisionTerminal({ storeId: busy.storeId });
    const beat = (t: { terminalId: string; key: string }, outbox: Record<string, unknown>) =>
      new TerminalClient(central.url, t.terminalId, t.key).raw("POST", "/api/sync/heartbeat", {
        terminalId: t.terminalId,
        status: "idle",
        outbox,
      });
    await beat(busy, { sale_orders: { pending: 101, failed: 0, synced: 0, conflicts: 0 } });
    await beat(calm, { sale_orders: { pending: 100, failed: 5, synced: 9, conflicts: 0 } });
    await beat(failing, { payments: { pending: 0, failed: 6, synced: 0, conflicts: 0 } });

    // Stored by hand or by an older central: counts that are not numbers, an outbox that is no object.
    const odd = await central.provisionTerminal({ storeId: busy.storeId });
    const oddest = await central.provisionTerminal({ storeId: busy.storeId });
    await pg.query(`UPDATE terminals SET last_heartbeat = $2 WHERE id = $1`, [
      odd.terminalId,
      { status: "idle", at: "x", outbox: { sale_orders: { pending: "9999", failed: null }, payments: 7 } },
    ]);
    await pg.query(`UPDATE terminals SET last_heartbeat = $2 WHERE id = $1`, [
      oddest.terminalId,
      { status: "idle", at: "x", outbox: [{ pending: 9999 }] },
    ]);
    // Only the tills over a threshold leave PostgreSQL, not every till's heartbeat.
    const read = await central.running.store.terminals.backloggedHeartbeats({ pending: 100, failed: 5 });
    expect(read.map((r) => r.id).sort()).toEqual([busy.terminalId, failing.terminalId].sort());

    const offline = await sweepHeartbeats(central.running.store, thresholds, log, async () => true);
    expect(offline).toEqual([]);
    const alerted = lines.filter((l) => l.alert === "SYNC_BACKLOG").map((l) => l.terminalId);
    expect(alerted.sort()).toEqual([busy.terminalId, failing.terminalId].sort());

    lines.length = 0;
    await sweepHeartbeats(central.running.store, thresholds, log, async () => false);
    expect(lines.filter((l) => l.alert === "SYNC_BACKLOG")).toEqual([]);
  });
});
