import net from "node:net";
import { reconcile, type Reconciliation } from "../lib/checker";
import { FaultProxy } from "../lib/fault-proxy";
import { settle, withWorld, type Scenario, type Verdict } from "../lib/scenario";
import { sleep } from "../lib/util";
import type { World } from "../lib/world";

/**
 * The suite's own proof that it can fail: the checker must see rows removed, altered and
 * invented at central, and the proxy must really reset, stall and slow a connection. A checker
 * that reports nothing on a tampered database would make every PASS above worthless.
 */

/** Tampers with central behind the agents' back; returns what the checker must then count. */
async function tamper(world: World): Promise<Partial<Reconciliation>> {
  // Central's own triggers would feed these edits back to the tills: write with them off.
  const client = await world.pool.connect();
  try {
    await client.query(`SET session_replication_role = replica`);
    await client.query(`DELETE FROM payments WHERE id = (SELECT id FROM payments ORDER BY id LIMIT 1)`);
    await client.query(
      `UPDATE sale_orders SET status = 'PENDING', completed_at = NULL WHERE id = (SELECT id FROM sale_orders WHERE status = 'COMPLETED' ORDER BY id LIMIT 1)`,
    );
    await client.query(
      `INSERT INTO inventory_adjustments (store_id, product_id, delta, reason, terminal_id)
       SELECT store_id, product_id, -1, 'SALE', terminal_id FROM inventory_adjustments WHERE reason = 'SALE' LIMIT 1`,
    );
  } finally {
    await client.query(`SET session_replication_role = DEFAULT`);
    client.release();
  }
  return { missing: 1, mismatched: 1, doubled: 1 };
}

function checkerVerdict(before: Reconciliation, after: Reconciliation, expected: Partial<Reconciliation>): Verdict {
  // Deltas, not absolutes: the product's own defects may already show in `before`.
  const seen = (["missing", "mismatched", "doubled"] as const).filter(
    (k) => after[k] - before[k] >= (expected[k] ?? 1),
  );
  const ok = seen.length === 3;
  return {
    ok,
    figure: ok ? "checker saw a deleted, an altered and an invented row" : `checker saw only ${seen.join(", ")}`,
  };
}

/** Connects through `proxy` to an echo server and reports what a write then sees. */
async function probeLink(proxy: FaultProxy): Promise<"reset" | "silent" | number> {
  return new Promise((resolve) => {
    const s = net.connect(proxy.port, "127.0.0.1");
    const t0 = Date.now();
    const timer = setTimeout(() => {
      s.destroy();
      resolve("silent");
    }, 1_500);
    s.on("error", () => (clearTimeout(timer), resolve("reset")));
    s.on("close", () => (clearTimeout(timer), resolve("reset")));
    s.on("connect", () => s.write("ping"));
    s.on("data", () => {
      clearTimeout(timer);
      s.removeAllListeners("close");
      s.destroy();
      resolve(Date.now() - t0);
    });
  });
}

async function proxyVerdict(): Promise<Verdict> {
  const echo = net
    .createServer((c) => c.on("error", () => undefined).on("data", (d) => c.write(d)))
    .listen(0, "127.0.0.1");
  await new Promise((r) => echo.once("listening", r));
  const proxy = new FaultProxy((echo.address() as net.AddressInfo).port);
  await proxy.listen();
  const pass = await probeLink(proxy);
  proxy.set({ kind: "drop" });
  const drop = await probeLink(proxy);
  proxy.set({ kind: "blackhole" });
  const hole = await probeLink(proxy);
  proxy.set({ kind: "slow", delayMs: 300 });
  const slow = await probeLink(proxy);
  await proxy.close();
  echo.close();
  const ok =
    typeof pass === "number" && drop === "reset" && hole === "silent" && typeof slow === "number" && slow >= 550;
  return {
    ok,
    figure: ok ? "proxy drops, stalls and slows" : `proxy: pass ${pass}, drop ${drop}, blackhole ${hole}, slow ${slow}`,
  };
}

/**
 * The till's proxy reads the socket.io events its agent sends (the scenarios that kill or count
 * at a pull rely on it, since the agent pulls over its socket when central offers it).
 */
function socketEventsVerdict(world: World): Verdict {
  const seen = world.tills[0]!.proxy.seen;
  const register = seen.get("SOCKET terminal:register") ?? 0;
  const pulls = seen.get("SOCKET sync:pull") ?? 0;
  const ok = register >= 1 && pulls >= 1;
  return { ok, figure: `proxy saw ${register} terminal:register and ${pulls} sync:pull over the socket` };
}

export const harnessSelfTest: Scenario = {
  name: "harness-self-test",
  async run(ctx) {
    return withWorld(ctx, "harness-self-test", { tills: 1, products: 3 }, async (world) => {
      world.startSelling({ gapMs: 100, completeDelayMaxMs: 0 });
      await sleep(2_000);
      const result = await settle(world, Date.now(), { backlog: 0 });
      const before = await reconcile(world);
      const expected = await tamper(world);
      const after = await reconcile(world);
      return {
        ...result,
        reconciliation: before,
        verdictsOnly: true,
        verdicts: [checkerVerdict(before, after, expected), await proxyVerdict(), socketEventsVerdict(world)],
      };
    });
  },
};
