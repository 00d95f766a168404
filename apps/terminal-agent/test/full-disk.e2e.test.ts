import path from "node:path";
import Database from "better-sqlite3";
import { useTestCentral } from "@tillsync/central/testing";
import { waitFor } from "@tillsync/testkit";
import { CliProcess, runCli } from "./support/agent-cli";
import { mountSmallDisk, type SmallDisk } from "./support/small-disk";

const { central, pg } = useTestCentral("fulldisk");

/**
 * A full disk on the till (issue 11, defect 7): the agent's own writes fail with SQLITE_FULL, and
 * the daemon — a real process on a real, full file system — survives it, says so in `status` and
 * in its heartbeat, and resumes by itself once space returns.
 */
describe("the daemon on a full disk", () => {
  let disk: SmallDisk;
  let daemon: CliProcess | undefined;

  beforeAll(() => {
    disk = mountSmallDisk(16);
  });
  afterAll(async () => {
    await daemon?.kill("SIGTERM");
    disk?.destroy();
  });

  it("survives SQLITE_FULL while saving its state, reports it in status and the heartbeat, and resumes when space returns", async () => {
    const creds = await central.provisionTerminal();
    const file = path.join(disk.dir, "terminal.db");
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CENTRAL_API_URL: central.url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${file}`,
      SYNC_INTERVAL: "1",
      HEARTBEAT_INTERVAL_MS: "200",
    };
    daemon = new CliProcess(["start"], env);
    const heartbeat = async () =>
      (await pg.query(`SELECT last_heartbeat AS hb FROM terminals WHERE id = $1`, [creds.terminalId])).rows[0]?.hb as
        { storage?: { condition: string; error: string | null } } | undefined;
    const status = async () => {
      const r = await runCli(["status", "--json"], {
        PATH: env.PATH,
        HOME: env.HOME,
        TERMINAL_DATABASE_URL: env.TERMINAL_DATABASE_URL,
      });
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as { storage: { condition: string; freeBytes: number } };
    };
    await waitFor(async () => (await heartbeat())?.storage?.condition === "ok", {
      what: "a heartbeat with storage ok",
    });

    // Central changes a lot of its catalogue; the till's disk fills up before the agent pulls it.
    disk.fill();
    await pg.query(
      `INSERT INTO products (id, sku, name, price_cents)
       SELECT gen_random_uuid(), 'FULL-' || g, repeat('x', 190), 100 FROM generate_series(1, 3000) g`,
    );
    await waitFor(async () => (await heartbeat())?.storage?.condition === "full", {
      what: "the heartbeat reports the full disk",
    });
    expect((await heartbeat())?.storage?.error).toMatch(/full|space|I\/O/i);
    expect((await status()).storage.condition).toBe("full");
    // The failure is in the daemon's log, and the daemon still runs.
    await waitFor(() => /pull|full/i.test(daemon!.stdout), { what: "the failure logged" });
    expect(daemon.child.exitCode).toBeNull();

    disk.free();
    const pulled = () => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare(`SELECT count(*) AS n FROM products WHERE sku LIKE 'FULL-%'`).get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    await waitFor(() => pulled() === 3000, { what: "the catalogue pulled once space returned", timeoutMs: 30_000 });
    await waitFor(async () => (await heartbeat())?.storage?.condition === "ok", { what: "heartbeat back to ok" });
    expect((await status()).storage.condition).toBe("ok");
    expect(daemon.child.exitCode).toBeNull();
  });
});
