import {
  ADMIN_NAMESPACE,
  ADMIN_SOCKET_UNAUTHORIZED,
  adminSocketEvents,
  type AdminSocketEventName,
} from "@tillsync/shared";
import { change, TerminalClient, waitFor } from "@tillsync/testkit";
import { io, type Socket } from "socket.io-client";
import type { RunningCentral } from "../src/main";
import { useTestCentral } from "../testing";
import { signIn } from "./support/console-session";

const { central, pg } = useTestCentral(
  "adminsock",
  { SYNC_POLICY_OVERRIDES: { products: { strategy: "MANUAL_MERGE" } } },
  { hub: { adminSessionCheckMs: 200, adminActivityEveryMs: 50 } },
);

interface Listener {
  socket: Socket;
  events: Array<{ event: AdminSocketEventName; payload: unknown }>;
  disconnected: boolean;
  refused?: string;
  ready: Promise<void>;
  of<E extends AdminSocketEventName>(event: E): unknown[];
}

const open: Socket[] = [];
afterAll(() => open.forEach((s) => s.close()));

function listen(url: string, creds: { cookie?: string; token?: string; origin?: string }): Listener {
  const socket = io(`${url}${ADMIN_NAMESPACE}`, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    ...(creds.token ? { auth: { token: creds.token } } : {}),
    extraHeaders: {
      ...(creds.cookie ? { cookie: creds.cookie } : {}),
      ...(creds.origin ? { origin: creds.origin } : {}),
    },
  });
  open.push(socket);
  const l: Listener = {
    socket,
    events: [],
    disconnected: false,
    ready: new Promise((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", (err) => {
        l.refused = err.message;
        reject(err);
      });
    }),
    of: (event) => l.events.filter((e) => e.event === event).map((e) => e.payload),
  };
  socket.on("disconnect", () => (l.disconnected = true));
  for (const event of Object.keys(adminSocketEvents) as AdminSocketEventName[])
    socket.on(event, (payload: unknown) => {
      // Every payload central sends must be the contract's schema.
      adminSocketEvents[event].parse(payload);
      l.events.push({ event, payload });
    });
  return l;
}

describe("the /admin namespace", () => {
  it("refuses a handshake without a session or operator token, with a foreign origin, or with a terminal key", async () => {
    const t = await central.provisionTerminal();
    const s = await signIn(central.url, central.adminToken);
    for (const creds of [
      {},
      { token: "wrong" },
      { token: t.key },
      { cookie: s.cookie, origin: "http://evil.example" },
    ]) {
      const l = listen(central.url, creds);
      await expect(l.ready).rejects.toThrow(ADMIN_SOCKET_UNAUTHORIZED);
    }
  });

  it("pushes terminal status, heartbeats, conflicts and stop/resume to a console signed in by cookie", async () => {
    const s = await signIn(central.url, central.adminToken);
    const l = listen(central.url, { cookie: s.cookie });
    await l.ready;
    const t = await central.provisionTerminal({ name: "Live till" });
    await waitFor(
      () => l.of("terminal:status").some((p) => (p as { terminal: { id: string } }).terminal.id === t.terminalId),
      {
        what: "terminal:status after create",
      },
    );
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    // An agent that reports a clean cycle has synced, even though it never pushed anything.
    await till.raw("POST", "/api/sync/heartbeat", {
      terminalId: t.terminalId,
      status: "idle",
      outbox: {},
      lastSyncAt: new Date().toISOString(),
    });
    const hb = (await waitFor(() => l.of("terminal:heartbeat")[0], { what: "terminal:heartbeat" })) as {
      terminal: { id: string; status: string; health: string };
    };
    expect(hb.terminal).toMatchObject({ id: t.terminalId, status: "ONLINE", health: "green" });

    const p = (
      await central.admin<{ product: { id: string; version: number } }>("POST", "/api/products", {
        sku: "LIVE-1",
        name: "Live",
        priceCents: 100,
      })
    ).body.product;
    await central.admin("POST", "/api/products", { id: p.id, sku: "LIVE-1", name: "Live", priceCents: 130 });
    const [res] = await till.push([
      change(
        "products",
        { id: p.id, sku: "LIVE-1", name: "till", price_cents: 80 },
        { operation: "UPDATE", baseVersion: p.version },
      ),
    ]);
    const conflictId = (res as { conflictId: string }).conflictId;
    const created = (await waitFor(() => l.of("conflict:created")[0], { what: "conflict:created" })) as {
      conflict: { id: string; status: string };
    };
    expect(created.conflict).toMatchObject({ id: conflictId, status: "PENDING" });
    await central.admin("POST", "/api/sync/resolve", { conflictId, resolution: "TAKE_TERMINAL" });
    const resolved = (await waitFor(() => l.of("conflict:resolved")[0], { what: "conflict:resolved" })) as {
      conflict: { status: string; resolvedBy: string };
    };
    expect(resolved.conflict).toMatchObject({ status: "RESOLVED", resolvedBy: "owner" });

    await central.admin("POST", "/api/sync/emergency-stop", { reason: "drill" });
    const stop = (await waitFor(() => l.of("sync:emergency-stop")[0], { what: "sync:emergency-stop" })) as {
      emergency: { stopped: boolean; reason: string };
    };
    expect(stop.emergency).toMatchObject({ stopped: true, reason: "drill" });
    await central.admin("POST", "/api/sync/resume", {});
    const resume = (await waitFor(() => l.of("sync:emergency-resume")[0], { what: "sync:emergency-resume" })) as {
      emergency: { stopped: boolean };
    };
    expect(resume.emergency.stopped).toBe(false);

    await central.admin("POST", `/api/terminals/${t.terminalId}/disable`, { reason: "done" });
    await waitFor(
      () =>
        l
          .of("terminal:status")
          .some((x) => (x as { terminal: { id: string; health: string } }).terminal.health === "gray"),
      { what: "terminal:status gray after disable" },
    );
    // A refused action announces nothing.
    const viewer = await central.createOperator("quiet-viewer", "viewer");
    const before = l.events.length;
    const r = await fetch(`${central.url}/api/sync/emergency-stop`, {
      method: "POST",
      headers: { authorization: `Bearer ${viewer.token}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(r.status).toBe(403);
    await central.admin("POST", "/api/sync/resume", {});
    await waitFor(() => l.of("sync:emergency-resume").length === 2, { what: "the second resume" });
    expect(l.events.slice(before).map((e) => e.event)).toEqual(["sync:emergency-resume"]);
  });

  describe("across instances", () => {
    let other: RunningCentral | undefined;
    afterAll(async () => other?.stop());

    it("delivers an event raised on one instance to consoles connected to another", async () => {
      other = await central.startInstance();
      const s = await signIn(central.url, central.adminToken);
      const onFirst = listen(central.url, { cookie: s.cookie });
      await onFirst.ready;
      const secondUrl = `http://127.0.0.1:${other.port}`;
      await fetch(`${secondUrl}/api/sync/emergency-stop`, {
        method: "POST",
        headers: { authorization: `Bearer ${central.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ reason: "from the other instance" }),
      });
      await waitFor(() => onFirst.of("sync:emergency-stop")[0], { what: "the other instance's stop event" });
      await central.admin("POST", "/api/sync/resume", {});
    });
  });

  it("drops a revoked operator's sockets at once, a signed-out session's, and one revoked behind the API's back", async () => {
    const op = await central.createOperator("leaver", "operator");
    const s = await signIn(central.url, op.token);
    const byCookie = listen(central.url, { cookie: s.cookie });
    const byToken = listen(central.url, { token: op.token });
    await Promise.all([byCookie.ready, byToken.ready]);
    await central.admin("POST", `/api/operators/${op.id}/revoke`, {});
    await waitFor(() => byCookie.disconnected && byToken.disconnected, {
      what: "the revoked operator's sockets to drop",
    });

    const owner = await signIn(central.url, central.adminToken);
    const ownerSocket = listen(central.url, { cookie: owner.cookie });
    await ownerSocket.ready;
    await owner.call("POST", "/api/session/sign-out", {});
    await waitFor(() => ownerSocket.disconnected, { what: "the signed-out session's socket to drop" });

    // The CLI revokes in PostgreSQL only: the periodic check drops the socket.
    const cliRevoked = await central.createOperator("cli-revoked", "viewer");
    const s3 = await signIn(central.url, cliRevoked.token);
    const l3 = listen(central.url, { cookie: s3.cookie });
    await l3.ready;
    await pg.query(`UPDATE operators SET revoked_at = now() WHERE id = $1`, [cliRevoked.id]);
    await waitFor(() => l3.disconnected, { what: "the periodic check to drop a socket revoked outside the API" });
  });
});
