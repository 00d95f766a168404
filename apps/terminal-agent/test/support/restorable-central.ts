import { randomUUID } from "node:crypto";
import { Client } from "pg";
import type { RunningCentral } from "@tillsync/central";
import { startTestCentral, type TestCentral } from "@tillsync/central/testing";
import { lateBound, TEST_PG_URL } from "@tillsync/testkit";

export interface RestorableCentral {
  /** The central of this test file; its URL (and port) stay the same across restarts. */
  central: TestCentral;
  /** A client on central's database: a new one after each restart, the stand-in follows it. */
  pg: Client;
  /** Backs central up (stopped, `CREATE DATABASE backup TEMPLATE db`, started again). */
  backup(): Promise<void>;
  /** Restores the last backup (stopped, db dropped, `CREATE DATABASE db TEMPLATE backup`, started). */
  restore(): Promise<void>;
  hasBackup(): boolean;
}

async function onServer(sql: string): Promise<void> {
  const c = new Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * A central that a test can back up and restore from that backup, as an operator would with
 * pg_dump / pg_restore into a new database (issue 12 §4): database copies made while central is
 * stopped, central started again on the same port so the agents keep their URL. Registers the
 * beforeAll that starts it and the afterAll that stops it and drops the backup; call it at the
 * top of the file so central stops after the file's own afterAll hooks (see useTestCentral).
 */
export function useRestorableCentral(label: string): RestorableCentral {
  const central = lateBound<TestCentral>(`central (${label})`);
  const pg = lateBound<Client>(`pg client of central (${label})`);
  const backupName = `tillsync_${label}_bk_${randomUUID().slice(0, 8)}`;
  let running: RunningCentral | undefined;
  let backedUp = false;
  const dbName = () => new URL(central.ref.databaseUrl).pathname.slice(1);

  async function connect(): Promise<void> {
    const client = new Client({ connectionString: central.ref.databaseUrl });
    await client.connect();
    pg.set(client);
  }
  async function withCentralStopped(sql: string[]): Promise<void> {
    await pg.ref.end();
    const port = running!.port;
    await running!.stop();
    for (const s of sql) await onServer(s);
    running = await central.ref.startInstance({ port });
    await connect();
  }

  beforeAll(async () => {
    const c = await startTestCentral(label);
    central.set(c);
    running = c.running;
    await connect();
  });
  afterAll(async () => {
    await pg.current()?.end();
    await running?.stop();
    await central.current()?.stop();
    await onServer(`DROP DATABASE IF EXISTS ${backupName} WITH (FORCE)`);
    pg.clear();
    central.clear();
  });

  return {
    central: central.ref,
    pg: pg.ref,
    hasBackup: () => backedUp,
    async backup() {
      await withCentralStopped([
        `DROP DATABASE IF EXISTS ${backupName}`,
        `CREATE DATABASE ${backupName} TEMPLATE ${dbName()}`,
      ]);
      backedUp = true;
    },
    async restore() {
      if (!backedUp) throw new Error("restore: no backup was made");
      await withCentralStopped([
        `DROP DATABASE ${dbName()} WITH (FORCE)`,
        `CREATE DATABASE ${dbName()} TEMPLATE ${backupName}`,
      ]);
    },
  };
}
