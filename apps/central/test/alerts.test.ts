import { createHmac, randomUUID } from "node:crypto";
import { alertSchema, ALERT_SIGNATURE_HEADER } from "@tillsync/shared";
import { change, TerminalClient, waitFor } from "@tillsync/testkit";
import type { CentralConfig } from "../src/config";
import { useTestCentral } from "../testing";
import { startAlertReceiver, type AlertReceiver, type ReceivedAlert } from "./support/alert-receiver";

const SECRET = `alert-secret-${randomUUID()}`;
let receiver: AlertReceiver;
// Filled in before central starts (this beforeAll runs before useTestCentral's).
const extra: Partial<CentralConfig> = {
  ALERT_WEBHOOK_SECRET: SECRET,
  HEARTBEAT_TIMEOUT_S: 5,
  SYNC_POLICY_OVERRIDES: { products: { strategy: "MANUAL_MERGE" } },
};
beforeAll(async () => {
  receiver = await startAlertReceiver();
  extra.ALERT_WEBHOOK_URL = receiver.url;
});
afterAll(() => receiver.close());

const { central, pg } = useTestCentral("alerts", extra, {
  hub: { sweepEveryMs: 300, alertBackoffMs: 50, backlogAlertPending: 3, backlogAlertFailed: 1 },
});

/** The first alert of `type` (for `terminalId`) the receiver got, its signature checked. */
async function alertOf(type: string, terminalId?: string): Promise<ReceivedAlert> {
  const a = await waitFor(
    () => receiver.received.find((r) => r.body.type === type && (!terminalId || r.body.terminalId === terminalId)),
    { what: `a ${type} alert` },
  );
  const expected = `sha256=${createHmac("sha256", SECRET).update(a.raw).digest("hex")}`;
  expect(a.headers[ALERT_SIGNATURE_HEADER]).toBe(expected);
  expect(a.headers["content-type"]).toBe("application/json");
  alertSchema.parse(a.body);
  return a;
}

const count = (type: string, terminalId?: string) =>
  receiver.received.filter((r) => r.body.type === type && (!terminalId || r.body.terminalId === terminalId)).length;

describe("alerts to ALERT_WEBHOOK_URL", () => {
  it("shows the alert queue on bull-board beside the hub's", async () => {
    const { token } = await central.createOperator("alerts-board", "operator");
    const res = await fetch(`${central.url}/dashboard/queues/api/queues`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const names = ((await res.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    expect(names).toEqual(["alerts", "hub", "triggers"]);
  });

  it("signs every alert with HMAC-SHA256 of the raw body, and a wrong secret does not match", async () => {
    await central.admin("POST", "/api/sync/emergency-stop", { reason: "till audit" });
    const stop = await alertOf("EMERGENCY_STOP");
    expect(stop.body.details).toMatchObject({ by: "owner", reason: "till audit" });
    const forged = `sha256=${createHmac("sha256", "another-secret-entirely").update(stop.raw).digest("hex")}`;
    expect(stop.headers[ALERT_SIGNATURE_HEADER]).not.toBe(forged);
    await central.admin("POST", "/api/sync/resume", {});
    await alertOf("EMERGENCY_RESUME");
  });

  it("retries with backoff while the webhook fails, and delivers each alert once", async () => {
    receiver.fail(3, 503);
    await central.admin("POST", "/api/sync/emergency-stop", { reason: "retry test" });
    const a = await waitFor(() => receiver.received.find((r) => r.body.details.reason === "retry test"), {
      what: "the alert delivered after three 503s",
    });
    expect(receiver.received.filter((r) => r.body.id === a.body.id)).toHaveLength(1);
    await central.admin("POST", "/api/sync/resume", {});
  });

  it("never holds up the action that raised it while the webhook hangs", async () => {
    receiver.hold();
    try {
      const r = await central.admin("POST", "/api/sync/emergency-stop", { reason: "hanging webhook" });
      expect(r.status).toBe(200);
      expect((await central.admin("POST", "/api/sync/resume", {})).status).toBe(200);
    } finally {
      receiver.release();
    }
    await waitFor(() => receiver.received.find((r) => r.body.details.reason === "hanging webhook"), {
      what: "the held alert, once the webhook answers",
    });
  });

  it("alerts when a terminal goes OFFLINE and when it comes back, once each", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const beat = () =>
      till.raw("POST", "/api/sync/heartbeat", { terminalId: t.terminalId, status: "idle", outbox: {} });
    await beat();
    // A first heartbeat of a new terminal is not "back".
    expect(count("TERMINAL_ONLINE", t.terminalId)).toBe(0);
    const off = await alertOf("TERMINAL_OFFLINE", t.terminalId);
    expect(off.body.details).toMatchObject({ timeoutS: 5 });
    await beat();
    await alertOf("TERMINAL_ONLINE", t.terminalId);
    await beat();
    expect(count("TERMINAL_OFFLINE", t.terminalId)).toBe(1);
    expect(count("TERMINAL_ONLINE", t.terminalId)).toBe(1);
  });

  it("alerts each terminal back from OFFLINE once when their heartbeats arrive together (written in batches)", async () => {
    const { body } = await central.admin<{ store: { id: string } }>("POST", "/api/stores", { name: "batched" });
    const ts = await Promise.all(
      Array.from({ length: 12 }, (_, i) => central.provisionTerminal({ storeId: body.store.id, name: `b${i}` })),
    );
    const beat = (t: (typeof ts)[number]) =>
      new TerminalClient(central.url, t.terminalId, t.key).raw("POST", "/api/sync/heartbeat", {
        terminalId: t.terminalId,
        status: "idle",
        outbox: {},
        circuit: "open",
      });
    await Promise.all(ts.map(beat));
    // Every circuit opened once, whichever statement carried its heartbeat.
    await waitFor(() => ts.every((t) => count("CIRCUIT_OPEN", t.terminalId) === 1), { what: "a CIRCUIT_OPEN each" });
    await pg.query(`UPDATE terminals SET status = 'OFFLINE' WHERE store_id = $1`, [body.store.id]);
    await Promise.all(ts.flatMap((t) => [beat(t), beat(t)]));
    await waitFor(() => ts.every((t) => count("TERMINAL_ONLINE", t.terminalId) === 1), {
      what: "a TERMINAL_ONLINE each",
    });
    expect(ts.map((t) => count("TERMINAL_ONLINE", t.terminalId) + count("CIRCUIT_OPEN", t.terminalId))).toEqual(
      ts.map(() => 2),
    );
  });

  it("alerts on a backlog over the thresholds and when a circuit opens (not again while it stays open)", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const beat = (status: string, pending: number, failed: number) =>
      till.raw("POST", "/api/sync/heartbeat", {
        terminalId: t.terminalId,
        status,
        outbox: { sale_orders: { pending, failed, synced: 0, conflicts: 0 } },
      });
    await beat("idle", 3, 1); // at the thresholds: no alert
    await beat("circuit-open", 4, 0);
    const circuit = await alertOf("CIRCUIT_OPEN", t.terminalId);
    expect(circuit.body.message).toMatch(/circuit/);
    const backlog = await alertOf("SYNC_BACKLOG", t.terminalId);
    expect(backlog.body.details).toMatchObject({ pending: 4, failed: 0 });
    await beat("circuit-open", 4, 0);
    await beat("circuit-open", 9, 2);
    expect(count("CIRCUIT_OPEN", t.terminalId)).toBe(1);
    // The heartbeat's circuit field: half-open is not open; open again after closing alerts again.
    const withCircuit = (circuit: string) =>
      till.raw("POST", "/api/sync/heartbeat", { terminalId: t.terminalId, status: "backing-off", outbox: {}, circuit });
    await withCircuit("half-open");
    await withCircuit("closed");
    expect(count("CIRCUIT_OPEN", t.terminalId)).toBe(1);
    await withCircuit("open");
    await waitFor(() => count("CIRCUIT_OPEN", t.terminalId) === 2, { what: "a second CIRCUIT_OPEN after it closed" });
  });

  it("alerts when a push leaves conflicts waiting for an operator", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const sku = `ALERT-${t.terminalId.slice(0, 8)}`;
    const p = (
      await central.admin<{ product: { id: string; version: number } }>("POST", "/api/products", {
        sku,
        name: "a",
        priceCents: 100,
      })
    ).body.product;
    await central.admin("POST", "/api/products", { id: p.id, sku, name: "a", priceCents: 130 });
    const [r] = await till.push([
      change(
        "products",
        { id: p.id, sku, name: "till", price_cents: 80 },
        { operation: "UPDATE", baseVersion: p.version },
      ),
    ]);
    expect(r).toMatchObject({ status: "CONFLICT", resolution: "PENDING" });
    const a = await alertOf("CONFLICTS_WAITING", t.terminalId);
    expect(a.body.details).toMatchObject({ conflicts: 1 });
  });

  it("alerts when a scheduled run fails", async () => {
    const t = await central.provisionTerminal(); // never connects: its part fails
    const created = await central.admin<{ schedule: { id: string } }>("POST", "/api/sync/schedules", {
      action: "create",
      cron: "* * * * * *",
      retries: 0,
      attemptTimeoutS: 1,
    });
    const scheduleId = created.body.schedule.id;
    try {
      const a = await waitFor(
        () =>
          receiver.received.find(
            (r) => r.body.type === "SCHEDULED_RUN_FAILED" && r.body.details.scheduleId === scheduleId,
          ),
        { what: "SCHEDULED_RUN_FAILED" },
      );
      expect(["FAILED", "PARTIAL"]).toContain(a.body.details.outcome);
      const run = await central.admin<{ type: string; errors: Array<{ terminalId: string }> }>(
        "GET",
        `/api/sync/runs/${String(a.body.details.runId)}`,
      );
      expect(run.body.type).toBe("SCHEDULED");
      expect(run.body.errors.map((e) => e.terminalId)).toContain(t.terminalId);
    } finally {
      await central.admin("POST", "/api/sync/schedules", { action: "delete", scheduleId });
    }
  });
});
