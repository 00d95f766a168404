import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadProvisionConfig, provision } from "@tillsync/central";
import { useTestCentral } from "@tillsync/central/testing";
import { createAgent, loadAgentConfig } from "../src";

const STORE = "00000000-0000-4000-8000-0000000000b1";
const TERMINAL = "00000000-0000-4000-8000-0000000000b2";

/**
 * docker-compose.yml's path from provisioning to a syncing agent, without Docker: central's
 * provisioning writes the key file, the agent reads it through CENTRAL_API_KEY_FILE (as the
 * compose services do) and syncs with it.
 */
describe("compose provisioning → agent with CENTRAL_API_KEY_FILE", () => {
  const { central } = useTestCentral("compose");
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-compose-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = path.join(dir, "terminal.key");
  const agentEnv = () => ({
    CENTRAL_API_URL: central.url,
    CENTRAL_API_KEY_FILE: keyFile,
    TERMINAL_ID: TERMINAL,
    TERMINAL_DATABASE_URL: `file:${path.join(dir, "terminal.db")}`,
  });

  it("provisions a key file the agent accepts and syncs with", async () => {
    const config = loadProvisionConfig({
      CENTRAL_URL: central.url,
      ADMIN_TOKEN: central.adminToken,
      PROVISION_STORE_ID: STORE,
      PROVISION_STORE_NAME: "Compose store",
      PROVISION_TERMINALS: JSON.stringify([{ id: TERMINAL, name: "Till 1", keyFile }]),
    });
    const outcomes = await provision(config, () => undefined);
    expect(outcomes).toEqual([{ terminalId: TERMINAL, keyFile, action: "created" }]);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const product = await central.admin("POST", "/api/products", { sku: "COMPOSE-1", name: "Tea", priceCents: 250 });
    expect(product.status).toBe(200);
    const agent = createAgent(loadAgentConfig(agentEnv()));
    try {
      // Authenticated with the key from the file: the catalogue row comes down.
      const cycle = await agent.engine.runCycle();
      expect(cycle.error).toBeUndefined();
      expect(cycle.pulled).toBeGreaterThanOrEqual(1);
    } finally {
      await agent.close();
    }
  });

  it("a key file others can read is refused by the agent (what the 0600 is for)", () => {
    chmodSync(keyFile, 0o644);
    expect(() => loadAgentConfig(agentEnv())).toThrow(/CENTRAL_API_KEY_FILE: .* is readable by every user/);
  });
});
