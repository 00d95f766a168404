import { Client } from "pg";
import { lateBound } from "@tillsync/testkit";
import type { CentralConfig } from "../src/config";
import type { StartOptions } from "../src/main";
import { startTestCentral, type TestCentral } from "./test-central";

export interface TestCentralFixture {
  /** The central of this test file (see startTestCentral). */
  central: TestCentral;
  /** A client on central's database, for the tests' own SQL. */
  pg: Client;
}

/**
 * "A fresh central, a client on its database, and both gone afterwards" for one test file:
 * registers the beforeAll that starts them and the afterAll that ends them, and returns
 * stand-ins usable from then on (`const { central, pg } = useTestCentral("g1")`).
 *
 * Call it before the hooks that use central. jest runs the hooks of one describe in the order
 * they are declared (afterAll too), and an inner describe's afterAll before an outer one's:
 * when the file's own afterAll hooks still need central (closing agents, sockets, a second
 * instance), call it one level out, at the top of the file, so central stops after them.
 */
export function useTestCentral(
  label = "central",
  extra: Partial<CentralConfig> = {},
  options: StartOptions = {},
): TestCentralFixture {
  const central = lateBound<TestCentral>(`central (${label})`);
  const pg = lateBound<Client>(`pg client of central (${label})`);
  beforeAll(async () => {
    const c = await startTestCentral(label, extra, options);
    central.set(c);
    const client = new Client({ connectionString: c.databaseUrl });
    await client.connect();
    pg.set(client);
  });
  afterAll(async () => {
    await pg.current()?.end();
    await central.current()?.stop();
    pg.clear();
    central.clear();
  });
  return { central: central.ref, pg: pg.ref };
}
